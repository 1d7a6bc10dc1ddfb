//! Keeping the distinct-buyer bitmaps exact (`migration::sales_buyers`):
//! a customer's bit is set in a row (grain, key, local day) while they
//! have a counted order line of that key that day.
//!
//! An order write notes the rows and customers its orders counted in
//! before the change ([`Pending`]) and settles after it: a pair the
//! orders count in afterwards has its bit set; a pair they left is
//! cleared unless another counted order of that customer keeps it. The
//! rows are locked (in key order) before that check reads the other
//! orders, so that two writes of one customer's orders on one day take
//! turns and the second sees the first; rows are created empty first so
//! that two writes creating one row do not overwrite each other.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{Datelike, Months, NaiveDate};
use migration::sales_buyers::{Grain, KEY, NUMBERS, SHARDS, TABLE};
use migration::sales_rollup::{NO_OWNER, Orders};
use roaring::RoaringBitmap;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Value};
use uuid::Uuid;

use crate::calendar::Calendar;
use crate::sql::Sql;

/// Rows and bound values per statement: well under both databases'
/// limits on bound values.
const ROWS_PER_STATEMENT: usize = 1_000;

/// One bitmap row's key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Row {
    pub grain: Grain,
    pub category: String,
    pub channel: String,
    pub region: String,
    pub owner: Uuid,
    pub day: NaiveDate,
    pub shard: i16,
}

impl Row {
    fn values(&self) -> [Value; 7] {
        [
            self.grain.name().into(),
            self.category.clone().into(),
            self.channel.clone().into(),
            self.region.clone().into(),
            self.owner.into(),
            self.day.into(),
            self.shard.into(),
        ]
    }

    fn read(row: &QueryResult) -> Result<Row, DbErr> {
        let grain: String = row.try_get("", "grain")?;
        let grain = Grain::ALL
            .into_iter()
            .find(|g| g.name() == grain)
            .ok_or_else(|| DbErr::Type(format!("unknown buyers grain {grain}")))?;
        Ok(Row {
            grain,
            category: row.try_get("", "category")?,
            channel: row.try_get("", "channel")?,
            region: row.try_get("", "region")?,
            owner: row.try_get("", "owner_id")?,
            day: row.try_get("", "day")?,
            shard: row.try_get("", "shard")?,
        })
    }
}

/// A counted order line's customer, day and rollup keys.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Sale {
    customer: Uuid,
    number: Option<u32>,
    day: NaiveDate,
    category: String,
    channel: String,
    region: String,
    owner: Uuid,
}

impl Sale {
    /// The row of each grain this sale's customer (numbered `number`)
    /// counts in.
    fn rows(&self, number: u32) -> impl Iterator<Item = Row> + '_ {
        let shard = (number % SHARDS) as i16;
        Grain::ALL.into_iter().map(move |grain| {
            let keep = |kept: Grain, value: &String| if grain == kept { value.clone() } else { String::new() };
            Row {
                grain,
                category: keep(Grain::Category, &self.category),
                channel: keep(Grain::Channel, &self.channel),
                region: keep(Grain::Region, &self.region),
                owner: if grain == Grain::Owner { self.owner } else { NO_OWNER },
                day: self.day,
                shard,
            }
        })
    }

    fn read(row: &QueryResult) -> Result<Sale, DbErr> {
        let number: Option<i64> = row.try_get("", "number")?;
        Ok(Sale {
            customer: row.try_get("", "customer_id")?,
            number: number.and_then(|n| u32::try_from(n).ok()),
            day: row.try_get("", "day")?,
            category: row.try_get("", "category")?,
            channel: row.try_get("", "channel")?,
            region: row.try_get("", "region")?,
            owner: row.try_get("", "owner_id")?,
        })
    }
}

/// `o.<…>` of the orders a change touches.
fn push_orders(sql: &mut Sql, orders: Orders) {
    match orders {
        Orders::All => sql.push("TRUE"),
        Orders::One(id) => sql.push("o.id = ").bind(id),
        Orders::WithProduct(id) => {
            sql.push("o.id IN (SELECT order_id FROM order_items WHERE product_id = ").bind(id).push(")")
        }
    };
}

/// `SELECT DISTINCT` customer, number, day and keys `FROM` the counted
/// lines `WHERE` …: the caller appends the condition.
fn push_sales(sql: &mut Sql, day: &str) {
    sql.push(&format!(
        "SELECT DISTINCT o.customer_id AS customer_id, CAST(n.number AS BIGINT) AS number, {day} AS day, \
         COALESCE(p.category, '') AS category, COALESCE(o.channel, '') AS channel, \
         COALESCE(o.region, '') AS region, COALESCE(o.owner_id, "
    ))
    .bind(NO_OWNER)
    .push(&format!(
        ") AS owner_id FROM orders o JOIN order_items oi ON oi.order_id = o.id \
         JOIN products p ON p.id = oi.product_id LEFT JOIN {NUMBERS} n ON n.customer_id = o.customer_id \
         WHERE o.deleted_at IS NULL AND {} AND ",
        migration::counted_orders("o")
    ));
}

async fn read_sales(db: &impl ConnectionTrait, sql: Sql) -> Result<Vec<Sale>, DbErr> {
    db.query_all_raw(sql.statement()).await?.iter().map(Sale::read).collect()
}

/// The counted lines of `orders` as they are now, every customer numbered.
async fn sales_of(db: &impl ConnectionTrait, orders: Orders, day: &str) -> Result<Vec<Sale>, DbErr> {
    let backend = db.get_database_backend();
    let query = || {
        let mut sql = Sql::new(backend);
        push_sales(&mut sql, day);
        push_orders(&mut sql, orders);
        sql
    };
    let sales = read_sales(db, query()).await?;
    if sales.iter().all(|sale| sale.number.is_some()) {
        return Ok(sales);
    }
    // A customer's first counted order: they get their number.
    let mut sql = Sql::new(backend);
    sql.push(&format!(
        "INSERT INTO {NUMBERS} (customer_id) SELECT DISTINCT o.customer_id FROM orders o \
         WHERE NOT EXISTS (SELECT 1 FROM {NUMBERS} n WHERE n.customer_id = o.customer_id) AND "
    ));
    push_orders(&mut sql, orders);
    sql.push(" ON CONFLICT (customer_id) DO NOTHING");
    db.execute_raw(sql.statement()).await?;
    read_sales(db, query()).await
}

/// What a change's orders counted in before it.
pub struct Pending {
    orders: Orders,
    before: Vec<Sale>,
}

impl Pending {
    /// New orders: they counted nowhere before.
    pub fn new(orders: Orders) -> Self {
        Pending { orders, before: vec![] }
    }
}

/// Notes what `orders` count in now, before they change.
pub async fn note(db: &impl ConnectionTrait, orders: Orders, day: &str) -> Result<Pending, DbErr> {
    Ok(Pending { orders, before: sales_of(db, orders, day).await? })
}

/// After the change (or with `gone`, before a delete that takes the
/// orders away): sets the bits the orders count in now and clears those
/// they left that no other counted order keeps.
pub async fn settle(
    db: &impl ConnectionTrait,
    pending: Pending,
    gone: bool,
    day: &str,
    calendar: &Calendar,
) -> Result<(), DbErr> {
    let after = if gone { vec![] } else { sales_of(db, pending.orders, day).await? };
    let pairs = |sales: &[Sale]| -> BTreeSet<(Row, Uuid, u32)> {
        sales
            .iter()
            .filter_map(|sale| Some((sale, sale.number?)))
            .flat_map(|(sale, number)| sale.rows(number).map(move |row| (row, sale.customer, number)))
            .collect()
    };
    let (before, after) = (pairs(&pending.before), pairs(&after));
    let set: Vec<&(Row, Uuid, u32)> = after.difference(&before).collect();
    let left: Vec<&(Row, Uuid, u32)> = before.difference(&after).collect();
    if set.is_empty() && left.is_empty() {
        return Ok(());
    }
    let rows: BTreeSet<&Row> = set.iter().chain(&left).map(|(row, _, _)| row).collect();
    let mut bitmaps = lock(db, &rows).await?;
    // Who still buys there through another order (read after the lock).
    let kept = if left.is_empty() {
        HashSet::new()
    } else {
        let customers: BTreeSet<Uuid> = left.iter().map(|(_, customer, _)| *customer).collect();
        let first = left.iter().map(|(row, _, _)| row.day).min().unwrap_or_default();
        let last = left.iter().map(|(row, _, _)| row.day).max().unwrap_or_default();
        let mut kept = HashSet::new();
        for chunk in customers.iter().collect::<Vec<_>>().chunks(ROWS_PER_STATEMENT) {
            let mut sql = Sql::new(db.get_database_backend());
            push_sales(&mut sql, day);
            sql.push("o.customer_id IN (");
            for (n, customer) in chunk.iter().enumerate() {
                sql.push(if n == 0 { "" } else { ", " }).bind(**customer);
            }
            sql.push(") AND o.ordered_at >= ")
                .bind(calendar.midnight(first))
                .push(" AND o.ordered_at < ")
                .bind(calendar.midnight(last + chrono::Days::new(1)))
                .push(" AND NOT (");
            push_orders(&mut sql, pending.orders);
            sql.push(")");
            for sale in read_sales(db, sql).await? {
                if let Some(number) = sale.number {
                    kept.extend(sale.rows(number).map(|row| (row, sale.customer)));
                }
            }
        }
        kept
    };
    let mut changed = BTreeSet::new();
    for (row, _, number) in set {
        if let Some(bitmap) = bitmaps.get_mut(row)
            && bitmap.insert(*number)
        {
            changed.insert(row.clone());
        }
    }
    for (row, customer, number) in left {
        if !kept.contains(&(row.clone(), *customer))
            && let Some(bitmap) = bitmaps.get_mut(row)
            && bitmap.remove(*number)
        {
            changed.insert(row.clone());
        }
    }
    let (empty, filled): (Vec<Row>, Vec<Row>) = changed.into_iter().partition(|row| bitmaps[row].is_empty());
    let filled: Vec<(Row, RoaringBitmap)> =
        filled.into_iter().map(|row| (row.clone(), bitmaps.remove(&row).unwrap_or_default())).collect();
    write(db, &filled, true).await?;
    remove(db, &empty).await
}

/// `(grain, category, channel, region, owner_id, day, shard) IN (VALUES …)`.
fn push_in(sql: &mut Sql, rows: &[&Row]) {
    sql.push(&format!("({}) IN (VALUES ", KEY.join(", ")));
    for (n, row) in rows.iter().enumerate() {
        sql.push(if n == 0 { "(" } else { ", (" });
        for (m, value) in row.values().into_iter().enumerate() {
            sql.push(if m == 0 { "" } else { ", " }).bind(value);
        }
        sql.push(")");
    }
    sql.push(")");
}

/// Makes sure the rows exist, locks them in key order and reads them.
/// (Not one upsert that returns the rows: its no-op update rewrites every
/// row once more, which made order creates slower on both databases.)
async fn lock(db: &impl ConnectionTrait, rows: &BTreeSet<&Row>) -> Result<BTreeMap<Row, RoaringBitmap>, DbErr> {
    let backend = db.get_database_backend();
    let rows: Vec<&Row> = rows.iter().copied().collect();
    let empty: Vec<(Row, RoaringBitmap)> = rows.iter().map(|row| ((*row).clone(), RoaringBitmap::new())).collect();
    write(db, &empty, false).await?;
    let mut out = BTreeMap::new();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(backend);
        sql.push(&format!("SELECT {}, customers FROM {TABLE} WHERE ", KEY.join(", ")));
        push_in(&mut sql, chunk);
        sql.push(&format!(" ORDER BY {}", KEY.join(", ")));
        if backend == DbBackend::Postgres {
            sql.push(" FOR UPDATE");
        }
        for row in db.query_all_raw(sql.statement()).await? {
            out.insert(Row::read(&row)?, decode(&row.try_get::<Vec<u8>>("", "customers")?)?);
        }
    }
    Ok(out)
}

/// Writes the rows: replacing what is there (`replace`), or only where
/// there is nothing yet.
async fn write(db: &impl ConnectionTrait, rows: &[(Row, RoaringBitmap)], replace: bool) -> Result<(), DbErr> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(db.get_database_backend());
        sql.push(&format!("INSERT INTO {TABLE} ({}, customers) VALUES ", KEY.join(", ")));
        for (n, (row, bitmap)) in chunk.iter().enumerate() {
            sql.push(if n == 0 { "(" } else { ", (" });
            for value in row.values() {
                sql.bind(value).push(", ");
            }
            sql.bind(encode(bitmap)?).push(")");
        }
        sql.push(&format!(" ON CONFLICT ({}) DO ", KEY.join(", ")));
        sql.push(if replace { "UPDATE SET customers = excluded.customers" } else { "NOTHING" });
        db.execute_raw(sql.statement()).await?;
    }
    Ok(())
}

async fn remove(db: &impl ConnectionTrait, rows: &[Row]) -> Result<(), DbErr> {
    let rows: Vec<&Row> = rows.iter().collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(db.get_database_backend());
        sql.push(&format!("DELETE FROM {TABLE} WHERE "));
        push_in(&mut sql, chunk);
        db.execute_raw(sql.statement()).await?;
    }
    Ok(())
}

/// A stored bitmap (the portable Roaring format).
pub fn decode(bytes: &[u8]) -> Result<RoaringBitmap, DbErr> {
    RoaringBitmap::deserialize_from(bytes).map_err(|error| DbErr::Type(format!("a stored buyers bitmap: {error}")))
}

fn encode(bitmap: &RoaringBitmap) -> Result<Vec<u8>, DbErr> {
    let mut bytes = Vec::with_capacity(bitmap.serialized_size());
    bitmap.serialize_into(&mut bytes).map_err(|error| DbErr::Custom(format!("encoding a buyers bitmap: {error}")))?;
    Ok(bytes)
}

/// Rebuilds every bitmap from every counted order line, on the local days
/// of `calendar`, a local month of orders at a time. Customers without a
/// number get one, in the order of their first counted order (so that a
/// period's buyers have nearby numbers and its bitmaps stay compact).
pub async fn rebuild(db: &impl ConnectionTrait, day: &str, calendar: &Calendar) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_unprepared(&format!("DELETE FROM {TABLE}")).await?;
    let counted = migration::counted_orders("o");
    db.execute_unprepared(&format!(
        "INSERT INTO {NUMBERS} (customer_id) SELECT o.customer_id FROM orders o \
         WHERE o.deleted_at IS NULL AND {counted} \
         AND NOT EXISTS (SELECT 1 FROM {NUMBERS} n WHERE n.customer_id = o.customer_id) \
         GROUP BY o.customer_id ORDER BY MIN(o.ordered_at), o.customer_id ON CONFLICT (customer_id) DO NOTHING"
    ))
    .await?;
    let mut sql = Sql::new(backend);
    sql.push(&format!(
        "SELECT MIN(o.ordered_at) AS first, MAX(o.ordered_at) AS last FROM orders o \
         WHERE o.deleted_at IS NULL AND {counted}"
    ));
    let Some(row) = db.query_one_raw(sql.statement()).await? else { return Ok(()) };
    let (Some(first), Some(last)) = (
        row.try_get::<Option<chrono::DateTime<chrono::Utc>>>("", "first")?,
        row.try_get::<Option<chrono::DateTime<chrono::Utc>>>("", "last")?,
    ) else {
        return Ok(());
    };
    let (first, last) = (calendar.date_of(first), calendar.date_of(last));
    let mut month = first.with_day0(0).unwrap_or(first);
    while month <= last {
        let next = month.checked_add_months(Months::new(1)).unwrap_or(NaiveDate::MAX);
        let mut sql = Sql::new(backend);
        push_sales(&mut sql, day);
        sql.push("o.ordered_at >= ")
            .bind(calendar.midnight(month))
            .push(" AND o.ordered_at < ")
            .bind(calendar.midnight(next));
        let mut bitmaps: BTreeMap<Row, RoaringBitmap> = BTreeMap::new();
        for sale in read_sales(db, sql).await? {
            if let Some(number) = sale.number {
                for row in sale.rows(number) {
                    bitmaps.entry(row).or_default().insert(number);
                }
            }
        }
        write(db, &bitmaps.into_iter().collect::<Vec<_>>(), false).await?;
        month = next;
    }
    Ok(())
}
