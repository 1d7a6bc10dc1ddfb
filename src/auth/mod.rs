//! Authentication (JWT access tokens, refresh tokens, argon2 passwords) and
//! authorization (role policies declared in each handler's signature).

pub mod api_keys;
pub mod extractor;
pub mod jwt;
pub mod password;
pub mod policy;

pub use extractor::{AuthUser, Authorized};
