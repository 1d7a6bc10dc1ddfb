//! Database schema, one file per migration. Migrations run on every start
//! (`crm serve`) and on demand (`crm migrate`); they are written with
//! sea-query so the same file produces SQLite and PostgreSQL DDL.

pub use sea_orm_migration::prelude::*;

/// The order statuses that count as a sale: the rollups the migrations
/// build and the server refreshes sum only these. The server's
/// `OrderStatus::counted` says the same (a test there checks it).
pub const COUNTED_ORDER_STATUSES: [&str; 2] = ["paid", "completed"];

/// `<alias>.status IN ('paid', 'completed')`: the orders that count.
pub fn counted_orders(alias: &str) -> String {
    let list = COUNTED_ORDER_STATUSES.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
    format!("{alias}.status IN ({list})")
}

pub mod activity_rollup;
mod common;
pub mod customer_sales;
mod m20260101_000001_platform;
mod m20260102_000001_crm_core;
mod m20260103_000001_pipeline_service;
mod m20260104_000001_stats_indexes;
mod m20260105_000001_sales_rollup;
mod m20260106_000001_company_sales_rollup;
mod m20260107_000001_idempotency;
mod m20260108_000001_api_keys;
mod m20260109_000001_webhooks;
mod m20260110_000001_customer_lookalikes;
mod m20260111_000001_alert_states;
mod m20260112_000001_customer_sales;
mod m20260113_000001_organization_settings;
mod m20260114_000001_sales_buyers;
mod m20260115_000001_ticket_rollup;
mod m20260116_000001_owner_sales_rollup;
mod m20260117_000001_activity_rollup;
pub mod sales_buyers;
pub mod sales_rollup;
pub mod ticket_rollup;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260101_000001_platform::Migration),
            Box::new(m20260102_000001_crm_core::Migration),
            Box::new(m20260103_000001_pipeline_service::Migration),
            Box::new(m20260104_000001_stats_indexes::Migration),
            Box::new(m20260105_000001_sales_rollup::Migration),
            Box::new(m20260106_000001_company_sales_rollup::Migration),
            Box::new(m20260107_000001_idempotency::Migration),
            Box::new(m20260108_000001_api_keys::Migration),
            Box::new(m20260109_000001_webhooks::Migration),
            Box::new(m20260110_000001_customer_lookalikes::Migration),
            Box::new(m20260111_000001_alert_states::Migration),
            Box::new(m20260112_000001_customer_sales::Migration),
            Box::new(m20260113_000001_organization_settings::Migration),
            Box::new(m20260114_000001_sales_buyers::Migration),
            Box::new(m20260115_000001_ticket_rollup::Migration),
            Box::new(m20260116_000001_owner_sales_rollup::Migration),
            Box::new(m20260117_000001_activity_rollup::Migration),
        ]
    }
}
