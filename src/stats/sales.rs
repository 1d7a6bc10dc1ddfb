//! Sales statistics: `summary`, `timeseries` and `breakdown`, over counted
//! orders (status `paid` or `completed`, timed by `ordered_at`), summed
//! from their items so that a product-category filter counts only that
//! category's lines.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::figures::{Filters, average_cents, change, ratio};
use super::window::{Granularity, Window};
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::calendar::Calendar;
use crate::domain::Money;
use crate::domain::enums::OrderStatus;
use crate::error::{AppError, AppResult};
use crate::sql::{Sql, bucket_text_sql, count_distinct, sum};
use migration::sales_buyers::Grain;
use migration::sales_rollup::{BY_OWNER, COMPANY, OWNERS};
use roaring::RoaringBitmap;

/// Declares a sales statistics query: the window and comparison every
/// statistic takes (`without compare;` in front: no comparison), the sales
/// filters, then the endpoint's own parameters.
macro_rules! sales_query {
    (@build [$($mode:tt)*] $(#[$meta:meta])* pub struct $name:ident { $($rest:tt)* }) => {
        crate::stats_query! {
            $($mode)*
            $(#[$meta])*
            pub struct $name {
                /// Only orders credited to this user.
                pub owner_id: Option<Uuid>,
                /// Only orders credited to members of this team.
                pub team_id: Option<Uuid>,
                /// Only orders of this region.
                pub region: Option<String>,
                /// Only orders of this channel.
                pub channel: Option<String>,
                /// Only the order lines of products of this category.
                pub product_category: Option<String>,
                /// Only orders of customers of this segment.
                pub customer_segment: Option<String>,
                $($rest)*
            }
        }

        impl $name {
            fn filters(&self) -> Filters {
                Filters {
                    owner_id: self.owner_id,
                    team_id: self.team_id,
                    region: self.region.clone(),
                    channel: self.channel.clone(),
                    product_category: self.product_category.clone(),
                    customer_segment: self.customer_segment.clone(),
                }
            }
        }
    };
    (without compare; $($rest:tt)*) => {
        sales_query! { @build [without compare;] $($rest)* }
    };
    ($($rest:tt)*) => {
        sales_query! { @build [] $($rest)* }
    };
}

sales_query! {
    /// Parameters of the sales summary.
    pub struct SummaryQuery {}
}

sales_query! {
    /// Parameters of the sales time series.
    pub struct TimeseriesQuery {
        /// Bucket size; default `day` for windows up to 31 days, `month` otherwise.
        pub granularity: Option<Granularity>,
    }
}

/// What a sales breakdown groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SalesDimension {
    Product,
    ProductCategory,
    Channel,
    Region,
    Owner,
    Team,
    CustomerSegment,
}

sales_query! {
    /// Parameters of the sales breakdown.
    pub struct BreakdownQuery {
        /// The dimension to group by.
        pub by: Option<SalesDimension>,
    }
}

/// The sales figures of a set of counted orders.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct SalesFigures {
    /// Σ quantity × unit_price − discount over the counted lines.
    pub revenue: Money,
    /// Σ quantity × unit_cost.
    pub cost: Money,
    /// revenue − cost.
    pub profit: Money,
    /// profit / revenue; `null` without revenue.
    pub margin: Option<f64>,
    /// Counted orders.
    pub orders: i64,
    /// Units sold.
    pub units: i64,
    /// Distinct buying customers.
    pub customers: i64,
    /// Average order value, revenue / orders, rounded half-up to the cent.
    pub aov: Option<Money>,
    /// revenue / customers, rounded half-up to the cent.
    pub revenue_per_customer: Option<Money>,
}

/// The relative change of each figure: (current − previous) / previous,
/// `null` when previous is 0 (or absent).
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct SalesChange {
    /// Relative change of `revenue`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub revenue: Option<f64>,
    /// Relative change of `cost`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub cost: Option<f64>,
    /// Relative change of `profit`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub profit: Option<f64>,
    /// Relative change of `margin`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub margin: Option<f64>,
    /// Relative change of `orders`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub orders: Option<f64>,
    /// Relative change of `units`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub units: Option<f64>,
    /// Relative change of `customers`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub customers: Option<f64>,
    /// Relative change of `aov`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub aov: Option<f64>,
    /// Relative change of `revenue_per_customer`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub revenue_per_customer: Option<f64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Sums {
    revenue: i64,
    cost: i64,
    orders: i64,
    units: i64,
    customers: i64,
}

impl Sums {
    fn select_list() -> String {
        format!(
            "{} AS revenue, {} AS cost, {} AS orders, {} AS units, {} AS customers",
            sum("oi.line_amount"),
            sum("oi.line_cost"),
            count_distinct("o.id"),
            sum("oi.quantity"),
            count_distinct("o.customer_id")
        )
    }

    fn read(row: &QueryResult) -> AppResult<Self> {
        let get = |name: &str| row.try_get::<i64>("", name).map_err(AppError::from);
        Ok(Sums {
            revenue: get("revenue")?,
            cost: get("cost")?,
            orders: get("orders")?,
            units: get("units")?,
            customers: get("customers")?,
        })
    }

    fn figures(self) -> SalesFigures {
        let profit = self.revenue - self.cost;
        SalesFigures {
            revenue: Money(self.revenue),
            cost: Money(self.cost),
            profit: Money(profit),
            margin: ratio(profit, self.revenue),
            orders: self.orders,
            units: self.units,
            customers: self.customers,
            aov: average_cents(self.revenue, self.orders).map(Money),
            revenue_per_customer: average_cents(self.revenue, self.customers).map(Money),
        }
    }
}

fn money(m: Money) -> f64 {
    m.cents() as f64
}

fn figure_change(current: &SalesFigures, previous: &SalesFigures) -> SalesChange {
    SalesChange {
        revenue: change(money(current.revenue), money(previous.revenue)),
        cost: change(money(current.cost), money(previous.cost)),
        profit: change(money(current.profit), money(previous.profit)),
        margin: super::figures::change_opt(current.margin, previous.margin),
        orders: change(current.orders as f64, previous.orders as f64),
        units: change(current.units as f64, previous.units as f64),
        customers: change(current.customers as f64, previous.customers as f64),
        aov: super::figures::change_opt(current.aov.map(money), previous.aov.map(money)),
        revenue_per_customer: super::figures::change_opt(
            current.revenue_per_customer.map(money),
            previous.revenue_per_customer.map(money),
        ),
    }
}

/// Which tables a query needs besides orders.
#[derive(Default, Clone, Copy)]
struct Joins {
    lines: bool,
    products: bool,
    customers: bool,
    owners: bool,
    teams: bool,
}

/// `FROM … WHERE …` of the counted orders in `window` (with their lines
/// when `joins.lines`), filtered and scoped.
fn push_counted_orders(sql: &mut Sql, scope: Scope, window: &Window, filters: &Filters, mut joins: Joins) {
    joins.products |= filters.product_category.is_some();
    joins.lines |= joins.products;
    joins.customers |= filters.customer_segment.is_some();
    joins.owners |= filters.team_id.is_some() || joins.teams;
    sql.push(" FROM orders o");
    if joins.lines {
        sql.push(" JOIN order_items oi ON oi.order_id = o.id");
    }
    if joins.products {
        sql.push(" JOIN products p ON p.id = oi.product_id");
    }
    if joins.customers {
        sql.push(" JOIN customers c ON c.id = o.customer_id");
    }
    if joins.owners {
        sql.push(" LEFT JOIN users u ON u.id = o.owner_id");
    }
    if joins.teams {
        sql.push(" LEFT JOIN teams t ON t.id = u.team_id");
    }
    sql.push(&format!(" WHERE o.deleted_at IS NULL AND {} AND o.ordered_at >= ", OrderStatus::counted_sql("o")))
        .bind(window.from)
        .push(" AND o.ordered_at < ")
        .bind(window.to);
    sql.and_id("o.owner_id", filters.owner_id);
    sql.and_id("u.team_id", filters.team_id);
    sql.and_eq("o.region", filters.region.as_ref());
    sql.and_eq("o.channel", filters.channel.as_ref());
    sql.and_eq("p.category", filters.product_category.as_ref());
    sql.and_eq("c.segment", filters.customer_segment.as_ref());
    scope.push_and(sql, "o.owner_id");
}

/// `FROM … WHERE …` of the daily sales rollup over the days `[first, end)`,
/// filtered and scoped as the raw lines would be: the per-owner grain
/// without keys when the request names no category, channel or region
/// (`keyed`: it groups by one) — the fewest rows a day —, else the
/// company-wide grain when nothing asks for owners, else the per-owner one.
fn push_rolled_up(
    sql: &mut Sql,
    caller: &AuthUser,
    days: (NaiveDate, NaiveDate),
    filters: &Filters,
    joins: Joins,
    keyed: bool,
) {
    let keyed = keyed || filters.region.is_some() || filters.channel.is_some() || filters.product_category.is_some();
    let owners = joins.owners || filters.team_id.is_some() || joins.teams;
    let unscoped = Scope::owned(caller).is_everything();
    let rollup = if !keyed {
        OWNERS
    } else if unscoped && !owners && filters.owner_id.is_none() {
        COMPANY
    } else {
        BY_OWNER
    };
    push_rolled_up_from(sql, rollup.table, Scope::owned(caller), days, filters, joins);
}

/// `FROM table r … WHERE …` of a table keyed like the rollup (the rollup's
/// grains, the distinct-buyer bitmaps) over the days `[first, end)`.
fn push_rolled_up_from(
    sql: &mut Sql,
    table: &str,
    scope: Scope,
    days: (NaiveDate, NaiveDate),
    filters: &Filters,
    mut joins: Joins,
) {
    joins.owners |= filters.team_id.is_some() || joins.teams;
    sql.push(&format!(" FROM {table} r"));
    if joins.owners {
        sql.push(" LEFT JOIN users u ON u.id = r.owner_id");
    }
    if joins.teams {
        sql.push(" LEFT JOIN teams t ON t.id = u.team_id");
    }
    sql.push(" WHERE r.day >= ").bind(days.0).push(" AND r.day < ").bind(days.1);
    sql.and_id("r.owner_id", filters.owner_id);
    sql.and_id("u.team_id", filters.team_id);
    sql.and_eq("r.region", filters.region.as_ref());
    sql.and_eq("r.channel", filters.channel.as_ref());
    sql.and_eq("r.category", filters.product_category.as_ref());
    scope.push_and(sql, "r.owner_id");
}

/// What the sums are grouped by.
#[derive(Clone, Copy)]
enum Grouping<'a> {
    Total,
    Bucket(Granularity),
    By(&'a Dimension),
}

/// How a breakdown groups: the key expression, an optional label
/// aggregate, the tables it needs, whether the key is an id, and the key
/// over the rollup when the rollup holds the dimension.
struct Dimension {
    key: &'static str,
    label: Option<&'static str>,
    joins: Joins,
    key_is_id: bool,
    rolled_up: Option<Rolled>,
}

/// A dimension's key over the rollup.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rolled {
    /// The product category (orders counted per category).
    Category,
    /// A text key stored with `''` for unset, and the grain of the
    /// distinct-buyer bitmaps that keeps it.
    Text(&'static str, Grain),
    /// An expression over the joined tables (the owner's user, their team).
    Key(&'static str),
}

impl Rolled {
    fn sql(self) -> String {
        match self {
            Rolled::Category => "NULLIF(r.category, '')".to_string(),
            Rolled::Text(column, _) => format!("NULLIF({column}, '')"),
            Rolled::Key(expr) => expr.to_string(),
        }
    }
}

/// Where sums are read from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Lines,
    Rollup,
}

/// The sums per group key, with the group's label.
type Grouped = HashMap<Option<String>, (Option<String>, Sums)>;

impl Grouping<'_> {
    /// `SELECT <key> AS group_key, <label> AS group_label, `.
    /// The group key's expression over the raw rows or the rollup.
    /// (`window`: what the query reads, on the organization's calendar.)
    fn key_sql(self, backend: DbBackend, source: Source, window: &Window) -> String {
        match (self, source) {
            (Grouping::Total, _) => "NULL".to_string(),
            (Grouping::Bucket(granularity), Source::Lines) => window.bucket_sql(granularity, backend, "o.ordered_at"),
            (Grouping::Bucket(granularity), Source::Rollup) => window.bucket_sql_of_day(granularity, backend, "r.day"),
            (Grouping::By(dimension), Source::Lines) => dimension.key.to_string(),
            (Grouping::By(dimension), Source::Rollup) => dimension.rolled_up.map_or("NULL".to_string(), Rolled::sql),
        }
    }

    fn push_head(self, sql: &mut Sql, source: Source, window: &Window) {
        let key = self.key_sql(sql.backend(), source, window);
        let label = match self {
            Grouping::By(Dimension { label: Some(label), .. }) => label,
            _ => "NULL",
        };
        sql.push(&format!("SELECT {key} AS group_key, {label} AS group_label, "));
    }

    fn joins(self) -> Joins {
        match self {
            Grouping::By(dimension) => dimension.joins,
            _ => Joins::default(),
        }
    }

    fn push_tail(self, sql: &mut Sql) {
        if !matches!(self, Grouping::Total) {
            sql.push(" GROUP BY 1");
        }
    }

    fn key(self, row: &QueryResult) -> AppResult<Option<String>> {
        Ok(match self {
            Grouping::Total => None,
            Grouping::Bucket(_) => row.try_get("", "group_key")?,
            Grouping::By(dimension) => crate::sql::group_key(row, "group_key", dimension.key_is_id)?,
        })
    }

    /// Whether the groups are a category, channel or region.
    fn keyed(self) -> bool {
        matches!(self, Grouping::By(Dimension { rolled_up: Some(Rolled::Category | Rolled::Text(..)), .. }))
    }

    fn by_category(self) -> bool {
        matches!(self, Grouping::By(Dimension { rolled_up: Some(Rolled::Category), .. }))
    }
}

/// Whether the rollup holds everything the request asks for: not the
/// customer segment (a customer's, not a sale's), nor single products.
fn rollup_answers(filters: &Filters, grouping: Grouping) -> bool {
    let blank = |value: &Option<String>| value.as_ref().is_some_and(|v| v.trim().is_empty());
    crate::rollup::enabled()
        && filters.customer_segment.is_none()
        && !blank(&filters.region)
        && !blank(&filters.channel)
        && !blank(&filters.product_category)
        && !matches!(grouping, Grouping::By(Dimension { rolled_up: None, .. }))
}

async fn read_grouped(db: &impl ConnectionTrait, sql: Sql, grouping: Grouping<'_>) -> AppResult<Grouped> {
    let mut out = HashMap::new();
    for row in db.query_all_raw(sql.statement()).await? {
        let label = row.try_get::<Option<String>>("", "group_label")?;
        out.insert(grouping.key(&row)?, (label, Sums::read(&row)?));
    }
    Ok(out)
}

/// The sums of the counted lines in `window`, grouped, with the distinct
/// buyers. Whole days come from the daily rollup when it can answer, the
/// rest of a day at either end and the distinct buyers from the raw rows;
/// otherwise everything from the raw rows.
async fn sums(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    filters: &Filters,
    grouping: Grouping<'_>,
) -> AppResult<Grouped> {
    let (mut out, buyers_known) = additive_sums(db, caller, window, filters, grouping).await?;
    if buyers_known {
        return Ok(out);
    }
    if let Some(buyers) = bitmap_buyers(db, Scope::owned(caller), window, filters, grouping).await? {
        for (key, customers) in buyers {
            if let Some((_, total)) = out.get_mut(&key) {
                total.customers = customers.len() as i64;
            }
        }
        return Ok(out);
    }
    let backend = db.get_database_backend();
    // Distinct buyers are not additive: one query over the orders (and,
    // for categories, their lines) of the whole window.
    // (Distinct pairs, then counted: PostgreSQL hashes them instead of
    // sorting. A bucket is deduplicated as a timestamp, formatted after.)
    let (key, group_key) = match grouping {
        Grouping::Bucket(granularity) => {
            (window.bucket_start_sql(granularity, backend, "o.ordered_at"), bucket_text_sql(backend, "bucket"))
        }
        _ => (grouping.key_sql(backend, Source::Lines, window), "bucket".to_string()),
    };
    let mut sql = Sql::new(backend);
    sql.push(&format!(
        "SELECT {group_key} AS group_key, CAST(COUNT(*) AS BIGINT) AS customers \
         FROM (SELECT DISTINCT {key} AS bucket, o.customer_id"
    ));
    push_counted_orders(&mut sql, Scope::owned(caller), window, filters, grouping.joins());
    sql.push(") buyers GROUP BY bucket");
    for row in db.query_all_raw(sql.statement()).await? {
        let customers: i64 = row.try_get("", "customers")?;
        if let Some((_, total)) = out.get_mut(&grouping.key(&row)?) {
            total.customers = customers;
        }
    }
    Ok(out)
}

/// The grain of the distinct-buyer bitmaps that holds every key a request
/// filters, groups and is scoped by — when it names at most one of the
/// rollup's keys (the owner standing for a scope, an owner or a team) —
/// and `None` when it names several (the raw rows count those).
fn buyer_grain(scope: Scope, filters: &Filters, grouping: Grouping) -> Option<Grain> {
    let by = match grouping {
        Grouping::By(dimension) => dimension.rolled_up,
        _ => None,
    };
    let owners = !scope.is_everything()
        || filters.owner_id.is_some()
        || filters.team_id.is_some()
        || matches!(by, Some(Rolled::Key(_)));
    let named = [
        (owners, Grain::Owner),
        (filters.channel.is_some() || matches!(by, Some(Rolled::Text(_, Grain::Channel))), Grain::Channel),
        (filters.region.is_some() || matches!(by, Some(Rolled::Text(_, Grain::Region))), Grain::Region),
        (filters.product_category.is_some() || by == Some(Rolled::Category), Grain::Category),
    ];
    let mut grains = named.iter().filter(|(named, _)| *named).map(|(_, grain)| *grain);
    match (grains.next(), grains.next()) {
        // Every counted line has one channel: its grain covers them all in
        // the fewest rows.
        (None, _) => Some(Grain::Channel),
        (Some(grain), None) => Some(grain),
        _ => None,
    }
}

/// The distinct buyers per group over a window the rollup answers: the
/// bitmaps of its whole days, ORed per group with the customer numbers of
/// the raw rows at either end; `None` when no single grain holds the
/// request's keys (or the raw rows are asked for).
async fn bitmap_buyers(
    db: &impl ConnectionTrait,
    scope: Scope,
    window: &Window,
    filters: &Filters,
    grouping: Grouping<'_>,
) -> AppResult<Option<HashMap<Option<String>, RoaringBitmap>>> {
    let split = window.split_days().filter(|_| crate::rollup::enabled());
    let (Some((days, edges)), Some(grain)) = (split, buyer_grain(scope, filters, grouping)) else {
        return Ok(None);
    };
    let backend = db.get_database_backend();
    let mut out: HashMap<Option<String>, RoaringBitmap> = HashMap::new();
    let mut sql = Sql::new(backend);
    let key = grouping.key_sql(backend, Source::Rollup, window);
    sql.push(&format!("SELECT {key} AS group_key, r.customers"));
    push_rolled_up_from(&mut sql, migration::sales_buyers::TABLE, scope, days, filters, grouping.joins());
    sql.push(" AND r.grain = ").bind(grain.name());
    for row in db.query_all_raw(sql.statement()).await? {
        let bitmap = crate::rollup::buyers::decode(&row.try_get::<Vec<u8>>("", "customers")?)?;
        *out.entry(grouping.key(&row)?).or_default() |= bitmap;
    }
    for edge in edges {
        let mut sql = Sql::new(backend);
        let key = grouping.key_sql(backend, Source::Lines, &edge);
        sql.push(&format!(
            "SELECT DISTINCT {key} AS group_key, \
             (SELECT CAST(n.number AS BIGINT) FROM {} n WHERE n.customer_id = o.customer_id) AS number",
            migration::sales_buyers::NUMBERS
        ));
        push_counted_orders(&mut sql, scope, &edge, filters, Joins { lines: true, ..grouping.joins() });
        for row in db.query_all_raw(sql.statement()).await? {
            let number: Option<i64> = row.try_get("", "number")?;
            let number = number
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| AppError::internal("a buying customer without a number"))?;
            out.entry(grouping.key(&row)?).or_default().insert(number);
        }
    }
    Ok(Some(out))
}

/// Every customer with a counted order in `window`, whoever's it is, as a
/// set of customer numbers — from the daily bitmaps and the raw rows of
/// the window's ends; `None` when the rollups cannot answer (a window
/// inside one day, or the raw rows asked for).
pub async fn every_buyer(db: &impl ConnectionTrait, window: &Window) -> AppResult<Option<RoaringBitmap>> {
    let buyers = bitmap_buyers(db, Scope::everything(), window, &Filters::default(), Grouping::Total).await?;
    Ok(buyers.map(|mut buyers| buyers.remove(&None).unwrap_or_default()))
}

/// The additive sums (revenue, cost, orders, units) of the counted lines
/// in `window`, grouped, and whether the distinct buyers are in them too
/// (read from the raw rows) or still 0 (from the rollup).
async fn additive_sums(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    filters: &Filters,
    grouping: Grouping<'_>,
) -> AppResult<(Grouped, bool)> {
    let backend = db.get_database_backend();
    let raw = |window: Window| async move {
        let mut sql = Sql::new(backend);
        grouping.push_head(&mut sql, Source::Lines, &window);
        sql.push(&Sums::select_list());
        push_counted_orders(
            &mut sql,
            Scope::owned(caller),
            &window,
            filters,
            Joins { lines: true, ..grouping.joins() },
        );
        grouping.push_tail(&mut sql);
        read_grouped(db, sql, grouping).await
    };
    let split = window.split_days().filter(|_| rollup_answers(filters, grouping));
    let Some((days, edges)) = split else {
        return Ok((raw(*window).await?, true));
    };
    // Orders with a line of the category, or each order once.
    let orders =
        if filters.product_category.is_some() || grouping.by_category() { "r.orders" } else { "r.first_orders" };
    let mut sql = Sql::new(backend);
    grouping.push_head(&mut sql, Source::Rollup, window);
    sql.push(&format!(
        "{} AS revenue, {} AS cost, {} AS orders, {} AS units, CAST(0 AS BIGINT) AS customers",
        sum("r.revenue"),
        sum("r.cost"),
        sum(orders),
        sum("r.units")
    ));
    push_rolled_up(&mut sql, caller, days, filters, grouping.joins(), grouping.keyed());
    grouping.push_tail(&mut sql);
    if !matches!(grouping, Grouping::Total) {
        sql.push(" HAVING SUM(r.lines) > 0");
    }
    let mut out = read_grouped(db, sql, grouping).await?;
    for edge in edges {
        for (key, (label, part)) in raw(edge).await? {
            let (known, total) = out.entry(key).or_default();
            if known.is_none() {
                *known = label;
            }
            total.revenue += part.revenue;
            total.cost += part.cost;
            total.orders += part.orders;
            total.units += part.units;
        }
    }
    Ok((out, false))
}

/// Revenue (cents) per bucket of `granularity` in `window`, only the
/// buckets with counted lines: the rollup's whole days and the raw rows'
/// edges, without the distinct buyers.
pub async fn revenue_by_bucket(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    granularity: Granularity,
    filters: &Filters,
) -> AppResult<HashMap<NaiveDate, i64>> {
    let (grouped, _) = additive_sums(db, caller, window, filters, Grouping::Bucket(granularity)).await?;
    let mut out = HashMap::new();
    for (key, (_, sums)) in grouped {
        if let Some(day) = key.and_then(|key| NaiveDate::parse_from_str(&key, "%Y-%m-%d").ok()) {
            out.insert(day, sums.revenue);
        }
    }
    Ok(out)
}

async fn totals(db: &impl ConnectionTrait, caller: &AuthUser, window: &Window, filters: &Filters) -> AppResult<Sums> {
    Ok(sums(db, caller, window, filters, Grouping::Total)
        .await?
        .remove(&None)
        .map(|(_, sums)| sums)
        .unwrap_or_default())
}

/// The sales summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct SalesSummary {
    /// The resolved window.
    pub window: Window,
    /// The filters applied.
    pub filters: Filters,
    #[serde(flatten)]
    pub figures: SalesFigures,
    /// The comparison window, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    /// The same figures for the comparison window, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<SalesFigures>,
    /// The relative change of each figure, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<SalesChange>,
}

/// The sales figures of a window.
pub async fn figures(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    filters: &Filters,
) -> AppResult<SalesFigures> {
    Ok(totals(db, caller, window, filters).await?.figures())
}

pub async fn summary(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &SummaryQuery,
    calendar: Calendar,
) -> AppResult<SalesSummary> {
    let window = query.window(calendar)?;
    let filters = query.filters();
    let figures = totals(db, caller, &window, &filters).await?.figures();
    let (previous_window, previous, change) = match query.compare {
        Some(compare) => {
            let previous_window = window.previous(compare);
            let previous = totals(db, caller, &previous_window, &filters).await?.figures();
            let change = figure_change(&figures, &previous);
            (Some(previous_window), Some(previous), Some(change))
        }
        None => (None, None, None),
    };
    Ok(SalesSummary { window, filters, figures, previous_window, previous, change })
}

/// One bucket of a time series.
#[derive(Debug, Serialize, ToSchema)]
pub struct SalesPeriod {
    /// The first instant of the bucket, with the organization's offset (`2026-04-01T00:00:00+08:00`).
    pub period_start: crate::calendar::LocalTime,
    #[serde(flatten)]
    pub figures: SalesFigures,
}

/// Sales per bucket, every bucket of the window present.
#[derive(Debug, Serialize, ToSchema)]
pub struct SalesTimeseries {
    pub window: Window,
    pub filters: Filters,
    pub granularity: Granularity,
    /// Every bucket of the window, in order.
    pub rows: Vec<SalesPeriod>,
    /// The figures of the whole window.
    pub total: SalesFigures,
    /// The comparison window, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    /// The comparison window's buckets, with `compare`: aligned with `rows` by position, for overlays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_rows: Option<Vec<SalesPeriod>>,
    /// The figures of the whole comparison window, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_total: Option<SalesFigures>,
    /// The relative change of the totals, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<SalesChange>,
}

pub async fn timeseries(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &TimeseriesQuery,
    calendar: Calendar,
) -> AppResult<SalesTimeseries> {
    let window = query.window(calendar)?;
    let filters = query.filters();
    let (granularity, buckets) = super::window::series_buckets(&window, query.granularity)?;
    let rows = series(db, caller, &window, granularity, buckets, &filters).await?;
    let total = totals(db, caller, &window, &filters).await?.figures();
    let mut out = SalesTimeseries {
        window,
        filters,
        granularity,
        rows,
        total,
        previous_window: None,
        previous_rows: None,
        previous_total: None,
        change: None,
    };
    if let Some(compare) = query.compare {
        let previous_window = window.previous(compare);
        let buckets = previous_window.buckets(granularity);
        out.previous_rows = Some(series(db, caller, &previous_window, granularity, buckets, &out.filters).await?);
        let previous_total = totals(db, caller, &previous_window, &out.filters).await?.figures();
        out.change = Some(figure_change(&out.total, &previous_total));
        out.previous_total = Some(previous_total);
        out.previous_window = Some(previous_window);
    }
    Ok(out)
}

/// The sales figures per bucket starting at `buckets`, every one present.
pub async fn series(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    granularity: Granularity,
    buckets: Vec<NaiveDate>,
    filters: &Filters,
) -> AppResult<Vec<SalesPeriod>> {
    let mut by_bucket = sums(db, caller, window, filters, Grouping::Bucket(granularity)).await?;
    Ok(buckets
        .into_iter()
        .map(|start: NaiveDate| SalesPeriod {
            period_start: window.calendar.period_start(start),
            figures: by_bucket
                .remove(&Some(start.format("%Y-%m-%d").to_string()))
                .map(|(_, sums)| sums)
                .unwrap_or_default()
                .figures(),
        })
        .collect())
}

/// One group of a breakdown.
#[derive(Debug, Serialize, ToSchema)]
pub struct SalesGroup {
    /// The group's value: an id for `product`, `owner` and `team`, else the text; `null` when unset.
    pub key: Option<String>,
    /// A readable name for ids (product, user or team name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(flatten)]
    pub figures: SalesFigures,
    /// The group's share of the total revenue.
    pub share: Option<f64>,
    /// For `product` and `product_category`: the share of the window's
    /// buying customers who bought it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub penetration: Option<f64>,
    /// The group's figures in the comparison window, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<SalesFigures>,
    /// Their relative change, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<SalesChange>,
}

/// Sales per value of a dimension, by revenue, largest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SalesBreakdown {
    pub window: Window,
    pub filters: Filters,
    pub by: SalesDimension,
    /// Every value with counted sales in the window (or, with `compare`, in either window).
    pub rows: Vec<SalesGroup>,
    pub total: SalesFigures,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_total: Option<SalesFigures>,
}

pub async fn breakdown(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &BreakdownQuery,
    calendar: Calendar,
) -> AppResult<SalesBreakdown> {
    let window = query.window(calendar)?;
    let filters = query.filters();
    let by = query.by.ok_or_else(|| AppError::validation("by", "required", "is required"))?;
    let dimension = |key, label, joins, key_is_id, rolled_up| Dimension { key, label, joins, key_is_id, rolled_up };
    let products = Joins { products: true, ..Default::default() };
    let owners = Joins { owners: true, ..Default::default() };
    let dimension = match by {
        SalesDimension::Product => dimension("oi.product_id", Some("MAX(p.name)"), products, true, None),
        SalesDimension::ProductCategory => dimension("p.category", None, products, false, Some(Rolled::Category)),
        SalesDimension::Channel => {
            dimension("o.channel", None, Joins::default(), false, Some(Rolled::Text("r.channel", Grain::Channel)))
        }
        SalesDimension::Region => {
            dimension("o.region", None, Joins::default(), false, Some(Rolled::Text("r.region", Grain::Region)))
        }
        SalesDimension::Owner => dimension("o.owner_id", Some("MAX(u.name)"), owners, true, Some(Rolled::Key("u.id"))),
        SalesDimension::Team => dimension(
            "u.team_id",
            Some("MAX(t.name)"),
            Joins { owners: true, teams: true, ..Default::default() },
            true,
            Some(Rolled::Key("u.team_id")),
        ),
        SalesDimension::CustomerSegment => {
            dimension("c.segment", None, Joins { customers: true, ..Default::default() }, false, None)
        }
    };
    let groups = async |window: Window| sums(db, caller, &window, &filters, Grouping::By(&dimension)).await;
    let current = groups(window).await?;
    let total = totals(db, caller, &window, &filters).await?;
    let previous_window = query.compare.map(|compare| window.previous(compare));
    let (previous, previous_total) = match previous_window {
        Some(previous_window) => (
            Some(groups(previous_window).await?),
            Some(totals(db, caller, &previous_window, &filters).await?.figures()),
        ),
        None => (None, None),
    };
    let penetration = matches!(by, SalesDimension::Product | SalesDimension::ProductCategory);
    let mut rows = vec![];
    for (key, (label, sums), before) in super::figures::paired(current, previous) {
        let figures = sums.figures();
        let previous_figures = before.as_ref().map(|(_, sums)| sums.figures());
        rows.push(SalesGroup {
            label: label.or_else(|| before.and_then(|(label, _)| label)),
            share: ratio(sums.revenue, total.revenue),
            penetration: if penetration { ratio(sums.customers, total.customers) } else { None },
            change: previous_figures.as_ref().map(|p| figure_change(&figures, p)),
            previous: previous_figures,
            figures,
            key,
        });
    }
    rows.sort_by(|a, b| b.figures.revenue.cmp(&a.figures.revenue).then_with(|| a.key.cmp(&b.key)));
    Ok(SalesBreakdown { window, filters, by, rows, total: total.figures(), previous_window, previous_total })
}

sales_query! {
    without compare;
    /// Parameters of the product affinity (no comparison window: the pairs
    /// of two windows are not matched up).
    pub struct AffinityQuery {
        /// Only pairs bought together in at least this many counted orders (default 5).
        #[param(minimum = 1, maximum = 1000000)]
        #[validate(range(min = 1, max = 1000000))]
        pub min_orders: Option<i64>,
        /// At most this many pairs, most orders together first (default 50, at most 500).
        #[param(minimum = 1, maximum = 500)]
        #[validate(range(min = 1, max = 500))]
        pub limit: Option<u64>,
    }
}

/// A product of a pair.
#[derive(Debug, Serialize, ToSchema)]
pub struct AffinityProduct {
    /// The product's id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its stock-keeping unit.
    pub sku: String,
    /// Counted orders in the window holding the product.
    pub orders: i64,
}

/// Two products bought in the same counted orders.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductPair {
    /// The product of the pair with the smaller id.
    pub a: AffinityProduct,
    /// The other one.
    pub b: AffinityProduct,
    /// Counted orders in the window holding both.
    pub orders: i64,
    /// orders / all counted orders of the window: how common the pair is.
    pub support: f64,
    /// orders / a.orders: the share of a's orders that hold b too.
    pub confidence_a_to_b: f64,
    /// orders / b.orders.
    pub confidence_b_to_a: f64,
    /// support / (share of orders holding a × share holding b): above 1 the
    /// two sell together more often than chance would have them.
    pub lift: f64,
}

/// Product pairs bought together.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductAffinity {
    /// The resolved window.
    pub window: Window,
    /// The filters applied.
    pub filters: Filters,
    /// Counted orders in the window (with a line that passes the filters).
    pub orders: i64,
    /// The `min_orders` applied.
    pub min_orders: i64,
    /// The pairs with at least `min_orders` orders, most orders first
    /// (then highest lift), at most `limit`.
    pub pairs: Vec<ProductPair>,
}

/// Pairs of products in the same counted orders: each order's distinct
/// products, joined with themselves within the order.
pub async fn product_affinity(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &AffinityQuery,
    calendar: Calendar,
) -> AppResult<ProductAffinity> {
    let window = query.window(calendar)?;
    let filters = query.filters();
    let min_orders = query.min_orders.unwrap_or(5);
    let limit = query.limit.unwrap_or(50);
    let backend = db.get_database_backend();
    // Most orders first; among equals the highest lift (for one window,
    // lift orders as together / (orders of a × orders of b)).
    let mut sql = Sql::new(backend);
    sql.push("WITH baskets AS (SELECT DISTINCT o.id AS order_id, oi.product_id");
    push_counted_orders(&mut sql, Scope::owned(caller), &window, &filters, Joins { lines: true, ..Joins::default() });
    sql.push(
        "), singles AS (SELECT product_id, CAST(COUNT(*) AS BIGINT) AS orders FROM baskets GROUP BY product_id), \
         pairs AS (SELECT x.product_id AS a, y.product_id AS b, CAST(COUNT(*) AS BIGINT) AS together \
         FROM baskets x JOIN baskets y ON y.order_id = x.order_id AND x.product_id < y.product_id \
         GROUP BY x.product_id, y.product_id HAVING COUNT(*) >= ",
    )
    .bind(min_orders)
    .push(
        ") SELECT pairs.a, pairs.b, pairs.together, sa.orders AS orders_a, sb.orders AS orders_b, \
         pa.name AS name_a, pa.sku AS sku_a, pb.name AS name_b, pb.sku AS sku_b, \
         (SELECT CAST(COUNT(DISTINCT order_id) AS BIGINT) FROM baskets) AS total \
         FROM pairs JOIN singles sa ON sa.product_id = pairs.a JOIN singles sb ON sb.product_id = pairs.b \
         JOIN products pa ON pa.id = pairs.a JOIN products pb ON pb.id = pairs.b \
         ORDER BY pairs.together DESC, pairs.together * 1.0 / (sa.orders * sb.orders) DESC, pairs.a, pairs.b \
         LIMIT ",
    )
    .bind(limit as i64);
    let rows = db.query_all_raw(sql.statement()).await?;
    let mut total = 0;
    let mut pairs = vec![];
    for row in &rows {
        total = row.try_get::<i64>("", "total")?;
        let product = |side: &str| -> AppResult<AffinityProduct> {
            Ok(AffinityProduct {
                id: row.try_get("", side)?,
                name: row.try_get("", &format!("name_{side}"))?,
                sku: row.try_get("", &format!("sku_{side}"))?,
                orders: row.try_get("", &format!("orders_{side}"))?,
            })
        };
        let (a, b) = (product("a")?, product("b")?);
        let together: i64 = row.try_get("", "together")?;
        let share = |n: i64| n as f64 / total as f64;
        pairs.push(ProductPair {
            support: share(together),
            confidence_a_to_b: together as f64 / a.orders as f64,
            confidence_b_to_a: together as f64 / b.orders as f64,
            lift: share(together) / (share(a.orders) * share(b.orders)),
            orders: together,
            a,
            b,
        });
    }
    if rows.is_empty() {
        let mut sql = Sql::new(backend);
        sql.push("SELECT CAST(COUNT(DISTINCT o.id) AS BIGINT) AS total");
        push_counted_orders(
            &mut sql,
            Scope::owned(caller),
            &window,
            &filters,
            Joins { lines: true, ..Joins::default() },
        );
        if let Some(row) = db.query_one_raw(sql.statement()).await? {
            total = row.try_get("", "total")?;
        }
    }
    Ok(ProductAffinity { window, filters, orders: total, min_orders, pairs })
}
