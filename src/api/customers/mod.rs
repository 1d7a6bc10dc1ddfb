//! `/api/v1/customers`: people and companies the business sells to. Sales
//! reps see the customers they own, managers their team's.

pub mod dto;
pub mod service;

use crate::auth::policy::{CustomerReaders, SalesWriters};
use dto::{CreateCustomer, Customer, CustomerListQuery, UpdateCustomer};
use service::Customers;

crate::crud_handlers! {
    resource: Customers, dto: Customer, create: CreateCustomer, update: UpdateCustomer, query: CustomerListQuery,
    read: CustomerReaders, write: SalesWriters,
    tag: "customers", list_path: "/customers", item_path: "/customers/{id}",
    singular: "customer", plural: "customers",
    export: "/customers/export", bulk: "/customers/bulk", import: "/imports/customers",
    actions: crate::api::privacy::configure,
}
