//! `/api/v1/users`: the people who sign in. Administrators manage them;
//! managers can read the members of their team.

pub mod dto;
pub mod handlers;
pub mod service;
