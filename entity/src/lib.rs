//! sea-orm entities: the shape of each table and nothing else. Behaviour
//! (validation, scoping, business rules) lives in the `crm` crate.

pub mod audit_log;
pub mod contact;
pub mod customer;
pub mod order;
pub mod order_item;
pub mod product;
pub mod refresh_token;
pub mod team;
pub mod user;
