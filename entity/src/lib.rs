//! sea-orm entities: the shape of each table and nothing else. Behaviour
//! (validation, scoping, business rules) lives in the `crm` crate.

pub mod refresh_token;
pub mod team;
pub mod user;
