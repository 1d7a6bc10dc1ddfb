//! The statistics module: every figure is computed by the database with
//! aggregate SQL, scoped to what the caller may see. `registry.rs` holds
//! the table of statistics everything else is derived from; `window.rs`
//! the window and buckets every statistic takes, `figures.rs` their
//! arithmetic; SQL is built with `crate::sql` and scoped by
//! `crate::auth::scope`; one file per family of metrics. The HTTP
//! handlers are in `src/api/statistics.rs`. Definitions:
//! `docs/metrics.md`.

pub mod alerts;
pub mod catalog;
pub mod csat_nps;
pub mod customers;
pub mod dashboard;
pub mod employees;
pub mod examples;
pub mod figures;
pub mod forecast;
pub mod funnel;
pub mod interactions;
pub mod leads;
pub mod marketing;
pub mod pipeline;
pub mod quality;
pub mod registry;
pub mod reports;
pub mod rfm;
pub mod sales;
pub mod sla;
pub mod tickets;
pub mod window;

pub use registry::answer;
