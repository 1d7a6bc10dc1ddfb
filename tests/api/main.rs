//! One test binary for the whole HTTP API (one build, parallel tests).
//! Runs against SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod alerts;
mod api_keys;
mod auth;
mod bulk;
mod cli;
mod concurrency;
mod contacts;
mod customers;
mod errors;
mod explain;
mod export;
mod health;
mod idempotency;
mod matrix;
mod openapi;
mod orders;
mod pipeline;
mod planning;
mod products;
mod reports;
mod rollups;
mod seed;
mod service;
mod stats_affinity;
mod stats_catalog;
mod stats_cohorts;
mod stats_dashboard;
mod stats_employees;
mod stats_examples;
mod stats_forecast;
mod stats_funnel;
mod stats_interactions;
mod stats_leads;
mod stats_marketing;
mod stats_pipeline;
mod stats_quality;
mod stats_rfm;
mod stats_sales;
mod stats_service;
mod sync;
mod teams;
mod users;
