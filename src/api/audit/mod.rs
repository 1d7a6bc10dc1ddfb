//! The audit trail: every create, update, delete and stage change of a CRM
//! record, written in the same transaction as the change, with the actor
//! and each changed field before and after. Read-only over HTTP.

pub mod dto;
pub mod handlers;
pub mod service;

pub use service::{diff, record};
