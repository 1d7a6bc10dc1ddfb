//! Domain types shared by the API, the services and the statistics.

pub mod enums;
pub mod money;
pub mod role;
pub mod time;

pub use money::Money;
pub use role::Role;
