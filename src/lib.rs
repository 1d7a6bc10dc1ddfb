//! A statistics-first CRM API. `startup::Application` is the one way to
//! build the server; `main.rs` and the integration tests both use it.

pub mod api;
pub mod auth;
pub mod bootstrap;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod idempotency;
pub mod observe;
pub mod openapi;
pub mod rate_limit;
pub mod refusals;
pub mod request_budget;
pub mod request_context;
pub mod rollup;
pub mod security_headers;
pub mod seed;
pub mod sql;
pub mod startup;
pub mod state;
pub mod stats;
pub mod tabular;
pub mod telemetry;
pub mod webhooks;
