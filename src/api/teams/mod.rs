//! `/api/v1/teams`: sales and service teams. Administrators manage them;
//! every signed-in user can read them (frontends show team names).

pub mod dto;
pub mod handlers;
pub mod service;
