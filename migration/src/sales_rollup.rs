//! The daily sales rollup: one row per (local day, product category,
//! channel, region, owner) of the counted order lines — and, in coarser
//! grains, per (day, key) without the owner and per (day, owner) alone — (orders `paid` or
//! `completed`, not deleted), with their sums. The statistics read it for
//! whole days instead of the raw lines; it is kept exactly equal to them
//! by [`apply`], which the application runs in the same transaction as
//! every write that can change a counted line (orders and their items,
//! a product's category) and the bulk load runs once for everything.
//!
//! Unset keys are stored as sentinels so that the primary key can be the
//! upsert target on both databases: `''` for a text key (a stored text is
//! never blank) and the nil UUID for the owner.
//!
//! Orders are not additive across categories (an order with lines of two
//! categories is an order of each), so every order also counts once in
//! `first_orders`, on the row of its smallest category: the sum of
//! `orders` answers "orders with a line of this category", the sum of
//! `first_orders` "orders".

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement, Value};

/// One grain of the rollup: its table, whether it keeps the owner, and
/// whether it keeps the product category, channel and region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rollup {
    pub table: &'static str,
    pub by_owner: bool,
    pub by_keys: bool,
}

/// Per owner and key: what scoped callers and owner and team filters of
/// the sales statistics read.
pub const BY_OWNER: Rollup = Rollup { table: "sales_rollup", by_owner: true, by_keys: true };

/// The whole company (no owner): what unscoped requests read, a few
/// hundred rows a day whatever the size of the sales force.
pub const COMPANY: Rollup = Rollup { table: "sales_rollup_company", by_owner: false, by_keys: true };

/// Per owner alone (no category, channel or region): what the per-person
/// statistics read (employees, teams, scorecards, the dashboard's top
/// five), one row a day per owner who sold — the per-owner-and-key grain
/// holds nearly a row per order.
pub const OWNERS: Rollup = Rollup { table: "sales_rollup_owners", by_owner: true, by_keys: false };

/// Every grain, each maintained alike.
pub const ALL: [Rollup; 3] = [BY_OWNER, COMPANY, OWNERS];

/// The sentinel of an order without owner.
pub const NO_OWNER: uuid::Uuid = uuid::Uuid::nil();

/// Which orders a change touches.
#[derive(Clone, Copy, Debug)]
pub enum Orders {
    /// Every order (the bulk load, the migration).
    All,
    /// One order.
    One(uuid::Uuid),
    /// Every order with a line of this product (its category changes).
    WithProduct(uuid::Uuid),
}

/// The UTC day of an order, as the migrations build the rollup (before
/// the organization has a calendar; the server rebuilds it on the
/// organization's days when its time zone is another).
pub fn utc_day(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "(o.ordered_at AT TIME ZONE 'UTC')::date",
        _ => "date(o.ordered_at)",
    }
}

/// `INSERT … ON CONFLICT DO UPDATE` adding (`sign` = 1) or taking away
/// (`sign` = −1) the counted lines of `orders`, as they are now, to the
/// rollup, each on the day `day` (an expression of `o.ordered_at`) puts
/// it in. Taking an order's lines away before a change and adding them
/// back after it keeps the rollup exact whatever the change was.
pub fn apply(backend: DbBackend, rollup: Rollup, orders: Orders, sign: i64, day: &str) -> Statement {
    let mut values: Vec<Value> = vec![];
    let mut placeholder = |value: Value| {
        values.push(value);
        match backend {
            DbBackend::Postgres => format!("${}", values.len()),
            _ => "?".to_string(),
        }
    };
    let category = "COALESCE(p.category, '')";
    let mut keys = vec![("day", day.to_string())];
    if rollup.by_keys {
        keys.push(("category", category.to_string()));
        keys.push(("channel", "COALESCE(o.channel, '')".to_string()));
        keys.push(("region", "COALESCE(o.region, '')".to_string()));
    }
    if rollup.by_owner {
        keys.push(("owner_id", format!("COALESCE(o.owner_id, {})", placeholder(NO_OWNER.into()))));
    }
    let scope = match orders {
        Orders::All => "TRUE".to_string(),
        Orders::One(id) => format!("o.id = {}", placeholder(id.into())),
        Orders::WithProduct(id) => {
            format!("o.id IN (SELECT order_id FROM order_items WHERE product_id = {})", placeholder(id.into()))
        }
    };
    let names = keys.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ");
    let select = keys.iter().map(|(name, expr)| format!("{expr} AS {name}")).collect::<Vec<_>>().join(", ");
    let group = keys.iter().map(|(_, expr)| expr.as_str()).collect::<Vec<_>>().join(", ");
    let measures = ["revenue", "cost", "units", "lines", "orders", "first_orders"];
    let sums = ["SUM(revenue)", "SUM(cost)", "SUM(units)", "SUM(lines)", "COUNT(*)", "SUM(first_order)"]
        .iter()
        .map(|sum| if sign < 0 { format!("-{sum}") } else { (*sum).to_owned() })
        .collect::<Vec<_>>()
        .join(", ");
    let table = rollup.table;
    let updates = measures.iter().map(|m| format!("{m} = {table}.{m} + excluded.{m}")).collect::<Vec<_>>().join(", ");
    // Without the category, an order is one row of the inner query.
    let first_order = if rollup.by_keys {
        format!("CASE WHEN {category} = MIN({category}) OVER (PARTITION BY o.id) THEN 1 ELSE 0 END")
    } else {
        "1".to_string()
    };
    let sql = format!(
        "INSERT INTO {table} ({names}, {measures}) \
         SELECT {names}, {sums} FROM (\
         SELECT {select}, \
         SUM(oi.line_amount) AS revenue, SUM(oi.line_cost) AS cost, SUM(oi.quantity) AS units, COUNT(*) AS lines, \
         {first_order} AS first_order \
         FROM orders o JOIN order_items oi ON oi.order_id = o.id JOIN products p ON p.id = oi.product_id \
         WHERE o.deleted_at IS NULL AND {counted} AND {scope} \
         GROUP BY o.id, {group}) lines WHERE TRUE \
         GROUP BY {names} ORDER BY {names} \
         ON CONFLICT ({names}) DO UPDATE SET {updates}",
        measures = measures.join(", "),
        counted = crate::counted_orders("o"),
    );
    Statement::from_sql_and_values(backend, sql, values)
}

/// Drops the rows a subtraction emptied (a partial index finds them).
pub fn prune(rollup: Rollup) -> String {
    format!("DELETE FROM {} WHERE lines = 0", rollup.table)
}

#[derive(DeriveIden)]
enum SalesRollup {
    Day,
    Category,
    Channel,
    Region,
    OwnerId,
    Revenue,
    Cost,
    Units,
    Lines,
    Orders,
    FirstOrders,
}

/// Creates a grain's table and its indexes and, with `fill`, fills it
/// from the orders there are on UTC days (the grains made before the
/// organization had a calendar; a later grain is left empty for the
/// server to build on the organization's days).
pub async fn create(manager: &SchemaManager<'_>, rollup: Rollup, fill: bool) -> Result<(), DbErr> {
    let mut table = Table::create();
    table.table(Alias::new(rollup.table)).col(ColumnDef::new(SalesRollup::Day).date().not_null());
    let mut key = Index::create();
    key.col(SalesRollup::Day);
    if rollup.by_keys {
        table
            .col(ColumnDef::new(SalesRollup::Category).string_len(100).not_null())
            .col(ColumnDef::new(SalesRollup::Channel).string_len(100).not_null())
            .col(ColumnDef::new(SalesRollup::Region).string_len(100).not_null());
        key.col(SalesRollup::Category).col(SalesRollup::Channel).col(SalesRollup::Region);
    }
    if rollup.by_owner {
        table.col(ColumnDef::new(SalesRollup::OwnerId).uuid().not_null());
        key.col(SalesRollup::OwnerId);
    }
    for measure in [
        SalesRollup::Revenue,
        SalesRollup::Cost,
        SalesRollup::Units,
        SalesRollup::Lines,
        SalesRollup::Orders,
        SalesRollup::FirstOrders,
    ] {
        table.col(ColumnDef::new(measure).big_integer().not_null());
    }
    table.primary_key(&mut key);
    manager.create_table(table.to_owned()).await?;
    let db = manager.get_connection();
    if rollup.by_owner {
        crate::common::index(manager, rollup.table, &["owner_id", "day"], false).await?;
    }
    db.execute_unprepared(&format!("CREATE INDEX ix_{0}_empty ON {0} (day) WHERE lines = 0", rollup.table)).await?;
    if fill {
        let backend = manager.get_database_backend();
        db.execute_raw(apply(backend, rollup, Orders::All, 1, utc_day(backend))).await?;
    }
    Ok(())
}
