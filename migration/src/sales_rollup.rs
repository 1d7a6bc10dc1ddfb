//! The daily sales rollup: one row per (UTC day, product category,
//! channel, region, owner) of the counted order lines (orders `paid` or
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

/// The rollup table.
pub const TABLE: &str = "sales_rollup";

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

/// `INSERT … ON CONFLICT DO UPDATE` adding (`sign` = 1) or taking away
/// (`sign` = −1) the counted lines of `orders`, as they are now, to the
/// rollup. Taking an order's lines away before a change and adding them
/// back after it keeps the rollup exact whatever the change was.
pub fn apply(backend: DbBackend, orders: Orders, sign: i64) -> Statement {
    let day = match backend {
        DbBackend::Postgres => "(o.ordered_at AT TIME ZONE 'UTC')::date",
        _ => "date(o.ordered_at)",
    };
    let mut values: Vec<Value> = vec![NO_OWNER.into()];
    let placeholder = |values: &Vec<Value>| match backend {
        DbBackend::Postgres => format!("${}", values.len()),
        _ => "?".to_string(),
    };
    let owner = placeholder(&values);
    let scope = match orders {
        Orders::All => "TRUE".to_string(),
        Orders::One(id) => {
            values.push(id.into());
            format!("o.id = {}", placeholder(&values))
        }
        Orders::WithProduct(id) => {
            values.push(id.into());
            format!("o.id IN (SELECT order_id FROM order_items WHERE product_id = {})", placeholder(&values))
        }
    };
    let category = "COALESCE(p.category, '')";
    let measures = ["revenue", "cost", "units", "lines", "orders", "first_orders"];
    let sums = ["SUM(revenue)", "SUM(cost)", "SUM(units)", "SUM(lines)", "COUNT(*)", "SUM(first_order)"]
        .iter()
        .map(|sum| if sign < 0 { format!("-{sum}") } else { (*sum).to_owned() })
        .collect::<Vec<_>>()
        .join(", ");
    let updates = measures.iter().map(|m| format!("{m} = {TABLE}.{m} + excluded.{m}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "INSERT INTO {TABLE} (day, category, channel, region, owner_id, {measures}) \
         SELECT day, category, channel, region, owner_id, {sums} FROM (\
         SELECT {day} AS day, {category} AS category, COALESCE(o.channel, '') AS channel, \
         COALESCE(o.region, '') AS region, COALESCE(o.owner_id, {owner}) AS owner_id, \
         SUM(oi.line_amount) AS revenue, SUM(oi.line_cost) AS cost, SUM(oi.quantity) AS units, COUNT(*) AS lines, \
         CASE WHEN {category} = MIN({category}) OVER (PARTITION BY o.id) THEN 1 ELSE 0 END AS first_order \
         FROM orders o JOIN order_items oi ON oi.order_id = o.id JOIN products p ON p.id = oi.product_id \
         WHERE o.deleted_at IS NULL AND o.status IN ('paid', 'completed') AND {scope} \
         GROUP BY o.id, {day}, {category}, COALESCE(o.channel, ''), COALESCE(o.region, ''), COALESCE(o.owner_id, {owner})\
         ) lines WHERE TRUE \
         GROUP BY day, category, channel, region, owner_id \
         ORDER BY day, category, channel, region, owner_id \
         ON CONFLICT (day, category, channel, region, owner_id) DO UPDATE SET {updates}",
        measures = measures.join(", "),
    );
    Statement::from_sql_and_values(backend, sql, values)
}

/// Drops the rows a subtraction emptied (a partial index finds them).
pub fn prune() -> &'static str {
    "DELETE FROM sales_rollup WHERE lines = 0"
}

#[derive(DeriveIden)]
enum SalesRollup {
    Table,
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

/// Creates the table and its indexes and fills it from the orders there are.
pub async fn create(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut table = Table::create();
    table
        .table(SalesRollup::Table)
        .col(ColumnDef::new(SalesRollup::Day).date().not_null())
        .col(ColumnDef::new(SalesRollup::Category).string_len(100).not_null())
        .col(ColumnDef::new(SalesRollup::Channel).string_len(100).not_null())
        .col(ColumnDef::new(SalesRollup::Region).string_len(100).not_null())
        .col(ColumnDef::new(SalesRollup::OwnerId).uuid().not_null());
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
    table.primary_key(
        Index::create()
            .col(SalesRollup::Day)
            .col(SalesRollup::Category)
            .col(SalesRollup::Channel)
            .col(SalesRollup::Region)
            .col(SalesRollup::OwnerId),
    );
    manager.create_table(table.to_owned()).await?;
    crate::common::index(manager, TABLE, &["owner_id", "day"], false).await?;
    let db = manager.get_connection();
    db.execute_unprepared("CREATE INDEX ix_sales_rollup_empty ON sales_rollup (day) WHERE lines = 0").await?;
    // The distinct buyers of a window are not additive: they are counted
    // from the counted orders, which this index holds with their customer.
    db.execute_unprepared(
        "CREATE INDEX ix_orders_sales ON orders (ordered_at, customer_id) \
         WHERE deleted_at IS NULL AND status IN ('paid', 'completed')",
    )
    .await?;
    db.execute_raw(apply(manager.get_database_backend(), Orders::All, 1)).await?;
    Ok(())
}
