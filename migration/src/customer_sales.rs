//! The per-customer sales rollup: one row per customer with a counted
//! order (`paid` or `completed`, not deleted, with at least one line): how
//! many, their revenue, and the first and last order time. "As of `to`"
//! statistics over each customer's whole history (RFM) read it for every
//! customer whose last counted order is before `to` — all of them when
//! `to` is now — and the raw orders only for the others.
//!
//! A first or last order time cannot be subtracted, so a row is not kept
//! by deltas like the daily rollup: [`refresh`] recomputes the rows of the
//! customers a write touched from their orders, in the write's own
//! transaction (the application locks those customers first on
//! PostgreSQL, so that two writes of one customer's orders take turns and
//! the second sees the first).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement, Value};

pub const TABLE: &str = "customer_sales";

/// Statements that recompute the rows of `customers` (every customer when
/// `None`) from their counted orders: the old rows go, the new ones are
/// inserted.
pub fn refresh(backend: DbBackend, customers: Option<&[uuid::Uuid]>) -> [Statement; 2] {
    let (scope, values): (String, Vec<Value>) = match customers {
        None => ("TRUE".into(), vec![]),
        Some(ids) => {
            let marks: Vec<String> = (1..=ids.len())
                .map(|n| if backend == DbBackend::Postgres { format!("${n}") } else { "?".into() })
                .collect();
            (format!("IN ({})", marks.join(", ")), ids.iter().map(|id| (*id).into()).collect())
        }
    };
    let (rows, orders) = match customers {
        None => (scope.clone(), scope),
        Some(_) => (format!("customer_id {scope}"), format!("o.customer_id {scope}")),
    };
    let delete = Statement::from_sql_and_values(backend, format!("DELETE FROM {TABLE} WHERE {rows}"), values.clone());
    let insert = Statement::from_sql_and_values(
        backend,
        format!(
            "INSERT INTO {TABLE} (customer_id, orders, revenue, first_at, last_at) \
             SELECT o.customer_id, COUNT(DISTINCT o.id), SUM(oi.line_amount), MIN(o.ordered_at), MAX(o.ordered_at) \
             FROM orders o JOIN order_items oi ON oi.order_id = o.id \
             WHERE o.deleted_at IS NULL AND {counted} AND {orders} \
             GROUP BY o.customer_id",
            counted = crate::counted_orders("o"),
        ),
        values,
    );
    [delete, insert]
}

#[derive(DeriveIden)]
enum CustomerSales {
    CustomerId,
    Orders,
    Revenue,
    FirstAt,
    LastAt,
}

/// Creates the table and fills it from the orders there are.
pub async fn create(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Alias::new(TABLE))
                .col(ColumnDef::new(CustomerSales::CustomerId).uuid().not_null().primary_key())
                .col(ColumnDef::new(CustomerSales::Orders).big_integer().not_null())
                .col(ColumnDef::new(CustomerSales::Revenue).big_integer().not_null())
                .col(ColumnDef::new(CustomerSales::FirstAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(CustomerSales::LastAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
    crate::common::index(manager, TABLE, &["last_at"], false).await?;
    let db = manager.get_connection();
    for statement in refresh(manager.get_database_backend(), None) {
        db.execute_raw(statement).await?;
    }
    Ok(())
}
