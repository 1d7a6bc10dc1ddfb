//! `/api/v1/auth`: sign in, token refresh with rotation, sign out, and the
//! caller's own profile.

pub mod dto;
pub mod handlers;
pub mod service;
