//! Domain types shared by the API, the services and the statistics.

pub mod role;
pub mod time;

pub use role::Role;
