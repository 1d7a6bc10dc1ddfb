//! sea-orm entities: the shape of each table and nothing else. Behaviour
//! (validation, scoping, business rules) lives in the `crm` crate.

pub mod activity;
pub mod audit_log;
pub mod campaign;
pub mod campaign_member;
pub mod contact;
pub mod customer;
pub mod feedback;
pub mod lead;
pub mod opportunity;
pub mod order;
pub mod order_item;
pub mod product;
pub mod refresh_token;
pub mod stage_history;
pub mod target;
pub mod task;
pub mod team;
pub mod ticket;
pub mod user;
