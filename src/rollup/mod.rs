//! Keeping the pre-aggregated rollups exact: every write that can change
//! a counted order line takes the touched orders' lines away from the
//! sales rollup before the change and adds them back after it, and
//! recomputes the per-customer rollup of the customers whose orders it
//! changed, and settles the distinct-buyer bitmaps of the customers and
//! days it touched (`buyers`), in the write's own transaction (see
//! `migration::sales_rollup`, `migration::customer_sales` and
//! `migration::sales_buyers`). Every ticket write keeps the daily service
//! rollup (`tickets`, `migration::ticket_rollup`) the same way, and every
//! activity write the daily activity rollup (`activities`).
//!
//! On PostgreSQL a category is read by a statement that sees what was
//! committed when it started, so the products of the lines are locked
//! (`FOR SHARE`) before an order's lines are read, and a product whose
//! category changes is locked `FOR UPDATE` before its orders are: an order
//! written while a product moves to another category is then counted
//! under the category its transaction saw last, exactly once.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};

use chrono_tz::Tz;

use migration::customer_sales;
use migration::sales_rollup::{self, Orders};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use uuid::Uuid;

use crate::calendar::{Calendar, Span};

pub mod activities;
pub mod buyers;
pub mod tickets;

tokio::task_local! {
    static RAW: bool;
}

/// Runs `work` with the statistics reading raw rows only — the reference
/// the rollups are checked (and benchmarked) against.
pub async fn without_rollups<F: Future>(work: F) -> F::Output {
    RAW.scope(true, work).await
}

/// Whether the statistics may read the rollups in this task.
pub fn enabled() -> bool {
    !RAW.try_with(|raw| *raw).unwrap_or(false)
}

/// The local day of `o.ordered_at` on the calendar, as SQL (made once per
/// zone: a zone with daylight saving time is a `CASE` over its history).
fn day_sql(backend: DbBackend, calendar: &Calendar) -> Arc<str> {
    /// By (PostgreSQL?, zone).
    type Made = HashMap<(bool, Tz), Arc<str>>;
    static MADE: LazyLock<Mutex<Made>> = LazyLock::new(Mutex::default);
    let key = (backend == DbBackend::Postgres, calendar.zone);
    if let Some(made) = MADE.lock().ok().and_then(|made| made.get(&key).cloned()) {
        return made;
    }
    let local = calendar.local_sql(backend, "o.ordered_at", Span::All);
    let day: Arc<str> = Calendar::date_sql(backend, &local).into();
    if let Ok(mut made) = MADE.lock() {
        made.insert(key, day.clone());
    }
    day
}

async fn apply_on(db: &impl ConnectionTrait, orders: Orders, sign: i64, calendar: &Calendar) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let day = day_sql(backend, calendar);
    if let (DbBackend::Postgres, Orders::One(id)) = (backend, orders) {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT p.id FROM products p WHERE p.id IN (SELECT product_id FROM order_items WHERE order_id = $1) \
             ORDER BY p.id FOR SHARE",
            [id.into()],
        ))
        .await?;
    }
    for rollup in sales_rollup::ALL {
        db.execute_raw(sales_rollup::apply(backend, rollup, orders, sign, &day)).await?;
        if sign < 0 {
            db.execute_unprepared(&sales_rollup::prune(rollup)).await?;
        }
    }
    Ok(())
}

/// An order write in progress: its lines are out of the daily rollup, and
/// what it counted in among the distinct buyers is noted.
#[must_use = "the change must be finished with `add_order`"]
pub struct Pending {
    buyers: buyers::Pending,
    calendar: Calendar,
}

/// Takes an order's counted lines away before it changes or is deleted.
pub async fn remove_order(db: &impl ConnectionTrait, id: Uuid) -> Result<Pending, DbErr> {
    remove(db, Orders::One(id)).await
}

async fn remove(db: &impl ConnectionTrait, orders: Orders) -> Result<Pending, DbErr> {
    let calendar = crate::calendar::load_for_write(db).await?.calendar;
    let day = day_sql(db.get_database_backend(), &calendar);
    apply_on(db, orders, -1, &calendar).await?;
    // After the products are locked: the categories the rollup saw.
    let buyers = buyers::note(db, orders, &day).await?;
    Ok(Pending { buyers, calendar })
}

/// Adds a new order's counted lines, or (after `remove_order`) a changed
/// one's again, and settles its distinct buyers.
pub async fn add_order(db: &impl ConnectionTrait, id: Uuid, pending: Option<Pending>) -> Result<(), DbErr> {
    let pending = match pending {
        Some(pending) => pending,
        None => Pending {
            buyers: buyers::Pending::new(Orders::One(id)),
            calendar: crate::calendar::load_for_write(db).await?.calendar,
        },
    };
    add(db, Orders::One(id), pending).await
}

async fn add(db: &impl ConnectionTrait, orders: Orders, pending: Pending) -> Result<(), DbErr> {
    apply_on(db, orders, 1, &pending.calendar).await?;
    let day = day_sql(db.get_database_backend(), &pending.calendar);
    buyers::settle(db, pending.buyers, false, &day, &pending.calendar).await
}

/// Takes an order out of every rollup before it is deleted.
pub async fn delete_order(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    let pending = remove_order(db, id).await?;
    let day = day_sql(db.get_database_backend(), &pending.calendar);
    buyers::settle(db, pending.buyers, true, &day, &pending.calendar).await
}

/// Runs `change` (a product's category changing) with the product's
/// orders taken out of the rollup before and put back after.
pub async fn moving_product<T, E: From<DbErr>>(
    db: &impl ConnectionTrait,
    product_id: Uuid,
    change: impl AsyncFnOnce() -> Result<T, E>,
) -> Result<T, E> {
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT id FROM products WHERE id = $1 FOR UPDATE",
            [product_id.into()],
        ))
        .await?;
    }
    let orders = Orders::WithProduct(product_id);
    let pending = remove(db, orders).await?;
    let out = change().await?;
    add(db, orders, pending).await?;
    Ok(out)
}

/// Recomputes the per-customer rollup of these customers after a write
/// of their orders (see `migration::customer_sales`). On PostgreSQL the
/// customers are locked first (in id order; `FOR NO KEY UPDATE` does not
/// wait for the key locks that inserting their orders takes), so that a
/// concurrent write of the same customer's orders recomputes after this
/// one commits and sees it.
pub async fn refresh_customers(db: &impl ConnectionTrait, customers: &[Uuid]) -> Result<(), DbErr> {
    let mut ids = customers.to_vec();
    ids.sort();
    ids.dedup();
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres {
        let marks: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT id FROM customers WHERE id IN ({}) ORDER BY id FOR NO KEY UPDATE", marks.join(", ")),
            ids.iter().map(|id| (*id).into()),
        ))
        .await?;
    }
    for statement in customer_sales::refresh(backend, Some(&ids)) {
        db.execute_raw(statement).await?;
    }
    Ok(())
}

/// Rebuilds the daily rollups and the distinct-buyer bitmaps from every
/// order on the local days of `calendar` (when the organization's time
/// zone changes; the per-customer rollup keeps instants and stays as it
/// is).
pub async fn rebuild_days(db: &impl ConnectionTrait, calendar: &Calendar) -> Result<(), DbErr> {
    for rollup in sales_rollup::ALL {
        db.execute_unprepared(&format!("DELETE FROM {}", rollup.table)).await?;
    }
    apply_on(db, Orders::All, 1, calendar).await?;
    buyers::rebuild(db, &day_sql(db.get_database_backend(), calendar), calendar).await?;
    tickets::rebuild(db, calendar).await?;
    activities::rebuild(db, calendar).await
}

/// Whether `table` is empty while `source` (a query) finds a row: a
/// rollup a database migrated from before it has yet to build.
async fn empty_while(db: &impl ConnectionTrait, table: &str, source: &str) -> Result<bool, DbErr> {
    let sql = format!(
        "SELECT CASE WHEN EXISTS ({source}) AND NOT EXISTS (SELECT 1 FROM {table}) THEN 1 ELSE 0 END AS missing"
    );
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    Ok(row.map(|row| row.try_get::<i32>("", "missing")).transpose()?.unwrap_or(0) == 1)
}

/// Builds each rollup a database has the records for but not the rows
/// (migrated from before it) — a grain of the daily sales rollup or the
/// distinct-buyer bitmaps, the service rollup, the activity rollup — on
/// the days of `calendar`; says whether it built anything.
pub async fn build_missing(db: &impl ConnectionTrait, calendar: &Calendar) -> Result<bool, DbErr> {
    let mut built = false;
    let backend = db.get_database_backend();
    let counted = format!("SELECT 1 FROM orders o WHERE o.deleted_at IS NULL AND {}", migration::counted_orders("o"));
    for rollup in sales_rollup::ALL {
        if empty_while(db, rollup.table, &counted).await? {
            let day = day_sql(backend, calendar);
            db.execute_raw(sales_rollup::apply(backend, rollup, Orders::All, 1, &day)).await?;
            built = true;
        }
    }
    if empty_while(db, migration::sales_buyers::TABLE, &format!("SELECT 1 FROM {}", sales_rollup::COMPANY.table))
        .await?
    {
        buyers::rebuild(db, &day_sql(backend, calendar), calendar).await?;
        built = true;
    }
    let live = |table: &str| format!("SELECT 1 FROM {table} WHERE deleted_at IS NULL");
    if empty_while(db, migration::ticket_rollup::TABLE, &live("tickets")).await? {
        tickets::rebuild(db, calendar).await?;
        built = true;
    }
    if empty_while(db, migration::activity_rollup::TABLE, &live("activities")).await? {
        activities::rebuild(db, calendar).await?;
        built = true;
    }
    Ok(built)
}

/// After a rebuild has committed: every row of the daily rollup was
/// replaced, so PostgreSQL's table holds as many dead rows as live ones
/// until it is vacuumed (a three-year statistic read twice the pages), and
/// both databases' planner statistics are stale. Vacuums and analyzes it.
pub async fn tidy_days(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let mut tables: Vec<&str> = sales_rollup::ALL.iter().map(|rollup| rollup.table).collect();
    tables.push(migration::sales_buyers::TABLE);
    tables.push(migration::ticket_rollup::TABLE);
    tables.push(migration::activity_rollup::TABLE);
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(&format!("VACUUM (ANALYZE) {}", tables.join(", "))).await?;
    } else {
        for table in tables {
            db.execute_unprepared(&format!("ANALYZE {table}")).await?;
        }
    }
    Ok(())
}

/// Rebuilds every rollup from every order, on the days of `calendar`
/// (after a bulk load).
pub async fn rebuild(db: &impl ConnectionTrait, calendar: &Calendar) -> Result<(), DbErr> {
    rebuild_days(db, calendar).await?;
    for statement in customer_sales::refresh(db.get_database_backend(), None) {
        db.execute_raw(statement).await?;
    }
    Ok(())
}
