//! `/api/v1/products`: the catalog orders are made of. Everyone reads it;
//! administrators and managers maintain it.

pub mod dto;
pub mod service;

use crate::auth::policy::{AnyUser, CatalogWriters};
use dto::{CreateProduct, Product, ProductListQuery, UpdateProduct};
use service::Products;

crate::crud_handlers! {
    resource: Products, dto: Product, create: CreateProduct, update: UpdateProduct, query: ProductListQuery,
    read: AnyUser, write: CatalogWriters,
    tag: "products", list_path: "/products", item_path: "/products/{id}",
    singular: "product", plural: "products",
    export: "/products/export", bulk: "/products/bulk", import: "/imports/products",
}
