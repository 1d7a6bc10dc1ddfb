//! `/api/v1/orders`: sales. An order's totals are computed from its items;
//! it counts as a sale when `paid` or `completed`.

pub mod dto;
pub mod service;

use crate::auth::policy::{SalesReaders, SalesWriters};
use dto::{CreateOrder, Order, OrderListQuery, UpdateOrder};
use service::Orders;

crate::crud_handlers! {
    resource: Orders, dto: Order, create: CreateOrder, update: UpdateOrder, query: OrderListQuery,
    read: SalesReaders, write: SalesWriters,
    tag: "orders", list_path: "/orders", item_path: "/orders/{id}",
    singular: "order", plural: "orders",
    export: "/orders/export", bulk: "/orders/bulk", import: "/imports/orders",
}
