//! Customer value and risk: RFM scores and segments, and the customers at
//! risk of churning. Both look at each customer's counted orders up to `to`.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::customers::{CustomerFilters, customer_query, push_counted_orders, push_customer_conditions};
use super::figures::ratio;
use super::window::{Window, day_number};
use crate::auth::AuthUser;
use crate::calendar::{Calendar, Span};
use crate::domain::Money;
use crate::domain::enums::OrderStatus;
use crate::error::AppResult;
use crate::sql::{Sql, push_grouped_distribution};

/// An RFM segment: a rectangle of recency (R) and frequency (F) scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RfmSegment {
    /// R 4–5, F 4–5: bought recently and often.
    Champions,
    /// R 3, F 3–5: buy often, a little less recently.
    Loyal,
    /// R 4–5, F 2–3: recent, could buy more often.
    Potential,
    /// R 4–5, F 1: recent first purchases.
    New,
    /// R 1–2, F 3–5: bought often, but not for a long time.
    AtRisk,
    /// R 2–3, F 1–2: bought rarely, a while ago.
    Hibernating,
    /// R 1, F 1–2: bought rarely, long ago.
    Lost,
}

/// A range of scores, both ends included.
type Scores = (i64, i64);

/// Each segment with its score rectangle (R from–to, F from–to); the
/// rectangles tile the 5 × 5 grid, so every customer has one segment.
const SEGMENTS: [(RfmSegment, &str, Scores, Scores); 7] = [
    (RfmSegment::Champions, "champions", (4, 5), (4, 5)),
    (RfmSegment::Loyal, "loyal", (3, 3), (3, 5)),
    (RfmSegment::Potential, "potential", (4, 5), (2, 3)),
    (RfmSegment::New, "new", (4, 5), (1, 1)),
    (RfmSegment::AtRisk, "at_risk", (1, 2), (3, 5)),
    (RfmSegment::Hibernating, "hibernating", (2, 3), (1, 2)),
    (RfmSegment::Lost, "lost", (1, 1), (1, 2)),
];

impl RfmSegment {
    fn name(self) -> &'static str {
        SEGMENTS.iter().find(|s| s.0 == self).map_or("", |s| s.1)
    }

    fn of(r: i64, f: i64) -> AppResult<Self> {
        SEGMENTS
            .iter()
            .find(|(_, _, (r0, r1), (f0, f1))| (*r0..=*r1).contains(&r) && (*f0..=*f1).contains(&f))
            .map(|s| s.0)
            .ok_or_else(|| crate::error::AppError::internal(format!("no RFM segment for R{r} F{f}")))
    }
}

/// The SQL `CASE` naming the segment of the scores `r` and `f`.
fn segment_case() -> String {
    let arms: String = SEGMENTS
        .iter()
        .map(|(_, name, (r0, r1), (f0, f1))| {
            format!(" WHEN r BETWEEN {r0} AND {r1} AND f BETWEEN {f0} AND {f1} THEN '{name}'")
        })
        .collect();
    format!("CASE{arms} END")
}

customer_query! {
    without compare;
    /// Parameters of the RFM analysis.
    pub struct RfmQuery {
        /// List only the customers of this segment.
        pub segment: Option<RfmSegment>,
        /// How many customers to list, by revenue to date (default 100, at most 1,000).
        #[param(minimum = 1, maximum = 1000)]
        #[validate(range(min = 1, max = 1000))]
        pub limit: Option<u64>,
    }
}

/// One segment's customers.
#[derive(Debug, Serialize, ToSchema)]
pub struct RfmSegmentFigures {
    pub segment: RfmSegment,
    /// Customers in the segment.
    pub customers: i64,
    /// customers / all scored customers.
    pub share: Option<f64>,
    /// Their revenue from counted orders before `to`.
    pub revenue: Money,
    /// revenue / the revenue of all scored customers.
    pub revenue_share: Option<f64>,
    /// Their counted orders before `to`.
    pub orders: i64,
}

/// One customer's RFM figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct RfmCustomer {
    pub customer_id: Uuid,
    /// The customer's name.
    pub label: String,
    /// Its latest counted order before `to`.
    pub last_order_at: DateTime<Utc>,
    /// Whole UTC days from the day of the latest counted order to the day of `to`.
    pub recency_days: i64,
    /// Counted orders before `to`.
    pub orders: i64,
    /// Revenue of those orders.
    pub revenue: Money,
    /// 1–5: the recency quintile (5 = most recent).
    pub recency_score: i64,
    /// 1–5: the frequency quintile (5 = most orders).
    pub frequency_score: i64,
    /// 1–5: the monetary quintile (5 = most revenue).
    pub monetary_score: i64,
    pub segment: RfmSegment,
}

/// Recency, frequency and monetary value as of `to`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Rfm {
    /// The resolved window: only its end matters (everything is as of `to`).
    pub window: Window,
    pub filters: CustomerFilters,
    /// Customers scored: those in scope with a counted order before `to`.
    pub customers: i64,
    /// Their revenue from counted orders before `to`.
    pub revenue: Money,
    /// Every segment, in the order of the enum (empty ones too).
    pub segments: Vec<RfmSegmentFigures>,
    /// The customers with the most revenue (of `segment=`, if given), with their scores.
    pub top_customers: Vec<RfmCustomer>,
}

/// Whether the per-customer rollup holds every customer's totals as of
/// `to`: no counted order is at or after `to` (the usual case, `to` being
/// now). One index probe.
async fn rollup_covers(db: &impl ConnectionTrait, to: DateTime<Utc>) -> AppResult<bool> {
    if !crate::rollup::enabled() {
        return Ok(false);
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT customer_id FROM customer_sales WHERE last_at >= ").bind(to).push(" LIMIT 1");
    Ok(db.query_one_raw(sql.statement()).await?.is_none())
}

/// `SELECT id, last_at, days_since, orders, revenue`: each customer in
/// scope with a counted order before `to`, its latest one, the whole UTC
/// local days from that order's day to `to`'s, its counted orders and revenue —
/// from the per-customer rollup when it covers `to` ([`rollup_covers`]),
/// else from the order lines.
fn push_per_customer(sql: &mut Sql, caller: &AuthUser, filters: &CustomerFilters, as_of: &Window, rollup: bool) {
    let to = as_of.to;
    let to_day = day_number(as_of.calendar.date_of(to));
    let backend = sql.backend();
    let local_day = |column: &str| {
        let local = as_of.calendar.local_sql(backend, column, Span::Between(DateTime::<Utc>::MIN_UTC, to));
        Calendar::day_number_sql(backend, &local)
    };
    if rollup {
        let last_day = local_day("cs.last_at");
        sql.push("SELECT cs.customer_id AS id, cs.last_at AS last_at, ").bind(to_day).push(&format!(
            " - {last_day} AS days_since, cs.orders AS orders, cs.revenue AS revenue \
             FROM customer_sales cs JOIN customers c ON c.id = cs.customer_id WHERE TRUE"
        ));
        push_customer_conditions(sql, caller, filters);
        return;
    }
    let last_day = local_day("MAX(o.ordered_at)");
    sql.push("SELECT o.customer_id AS id, MAX(o.ordered_at) AS last_at, ").bind(to_day).push(&format!(
        " - {last_day} AS days_since, CAST(COUNT(DISTINCT o.id) AS BIGINT) AS orders, \
         CAST(SUM(oi.line_amount) AS BIGINT) AS revenue \
         FROM orders o JOIN order_items oi ON oi.order_id = o.id JOIN customers c ON c.id = o.customer_id \
         WHERE o.deleted_at IS NULL AND {counted}",
        counted = OrderStatus::counted_sql("o")
    ));
    push_customer_conditions(sql, caller, filters);
    sql.push(" AND o.ordered_at < ").bind(to).push(" GROUP BY o.customer_id");
}

/// The 1–5 score of a value among n customers: 1 + ⌊5 × (rank − 1) / n⌋,
/// where rank is the customer's `RANK()` in the given order (worst first).
/// Without ties it is `NTILE(5)` when n is a multiple of 5; unlike `NTILE`,
/// equal values always share a score (the lowest any of them would get):
/// all one-order customers have the same frequency score.
fn quintile(order: &str) -> String {
    format!("1 + (5 * (RANK() OVER (ORDER BY {order}) - 1)) / COUNT(*) OVER ()")
}

/// `WITH per AS (…), scores AS (…), scored AS (…)`: each customer in scope
/// with a counted order before `to`, its recency in days, orders, revenue,
/// its R, F and M scores ([`quintile`]) and segment.
fn push_scored(sql: &mut Sql, caller: &AuthUser, filters: &CustomerFilters, as_of: &Window, rollup: bool) {
    sql.push("WITH per AS (");
    push_per_customer(sql, caller, filters, as_of, rollup);
    sql.push(&format!(
        "), \
         scores AS (SELECT id, last_at, days_since, orders, revenue, \
         {} AS r, {} AS f, {} AS m FROM per), \
         scored AS (SELECT id, last_at, days_since, orders, revenue, r, f, m, {} AS segment FROM scores) ",
        quintile("days_since DESC"),
        quintile("orders"),
        quintile("revenue"),
        segment_case()
    ));
}

pub async fn rfm(db: &impl ConnectionTrait, caller: &AuthUser, query: &RfmQuery, calendar: Calendar) -> AppResult<Rfm> {
    let window = query.window(calendar)?;
    let filters = query.filters();
    let backend = db.get_database_backend();

    let limit = query.limit.unwrap_or(100) as i64;

    // One pass: every scored customer with its segment's totals and its
    // ranks; kept are the listed customers and each segment's first row
    // (which carries the segment's totals).
    let rollup = rollup_covers(db, window.to).await?;
    let mut sql = Sql::new(backend);
    push_scored(&mut sql, caller, &filters, &window, rollup);
    sql.push(
        "SELECT x.id AS id, c.name AS name, x.last_at AS last_at, x.days_since AS days_since, x.orders AS orders, \
         x.revenue AS revenue, x.r AS r, x.f AS f, x.m AS m, x.segment AS segment, x.seg_customers AS seg_customers, \
         x.seg_revenue AS seg_revenue, x.seg_orders AS seg_orders, x.seg_rank AS seg_rank, x.top_rank AS top_rank \
         FROM (SELECT s.id, s.last_at, s.days_since, s.orders, s.revenue, s.r, s.f, s.m, s.segment, \
         CAST(COUNT(*) OVER (PARTITION BY s.segment) AS BIGINT) AS seg_customers, \
         CAST(SUM(s.revenue) OVER (PARTITION BY s.segment) AS BIGINT) AS seg_revenue, \
         CAST(SUM(s.orders) OVER (PARTITION BY s.segment) AS BIGINT) AS seg_orders, \
         ROW_NUMBER() OVER (PARTITION BY s.segment ORDER BY s.revenue DESC, s.id) AS seg_rank, \
         ROW_NUMBER() OVER (ORDER BY s.revenue DESC, s.id) AS top_rank FROM scored s) x \
         JOIN customers c ON c.id = x.id WHERE x.seg_rank = 1 OR ",
    );
    match query.segment {
        Some(segment) => {
            sql.push("(x.segment = ").bind(segment.name()).push(" AND x.seg_rank <= ").bind(limit).push(")")
        }
        None => sql.push("x.top_rank <= ").bind(limit),
    };
    let mut tallies = std::collections::HashMap::new();
    let mut listed = vec![];
    for row in db.query_all_raw(sql.statement()).await? {
        let name: String = row.try_get("", "segment")?;
        let (seg_rank, top_rank): (i64, i64) = (row.try_get("", "seg_rank")?, row.try_get("", "top_rank")?);
        if seg_rank == 1 {
            let figures: (i64, i64, i64) =
                (row.try_get("", "seg_customers")?, row.try_get("", "seg_revenue")?, row.try_get("", "seg_orders")?);
            tallies.insert(name.clone(), figures);
        }
        let rank = match query.segment {
            Some(segment) if segment.name() == name && seg_rank <= limit => seg_rank,
            Some(_) => continue,
            None if top_rank <= limit => top_rank,
            None => continue,
        };
        let (r, f): (i64, i64) = (row.try_get("", "r")?, row.try_get("", "f")?);
        let customer = RfmCustomer {
            customer_id: row.try_get("", "id")?,
            label: row.try_get("", "name")?,
            last_order_at: row.try_get("", "last_at")?,
            recency_days: row.try_get("", "days_since")?,
            orders: row.try_get("", "orders")?,
            revenue: Money(row.try_get("", "revenue")?),
            recency_score: r,
            frequency_score: f,
            monetary_score: row.try_get("", "m")?,
            segment: RfmSegment::of(r, f)?,
        };
        listed.push((rank, customer));
    }
    listed.sort_by_key(|(rank, _)| *rank);
    let top_customers = listed.into_iter().map(|(_, customer)| customer).collect();
    let customers: i64 = tallies.values().map(|t| t.0).sum();
    let revenue: i64 = tallies.values().map(|t| t.1).sum();
    let segments = SEGMENTS
        .iter()
        .map(|(segment, name, _, _)| {
            let (count, segment_revenue, orders) = tallies.get(*name).copied().unwrap_or_default();
            RfmSegmentFigures {
                segment: *segment,
                customers: count,
                share: ratio(count, customers),
                revenue: Money(segment_revenue),
                revenue_share: ratio(segment_revenue, revenue),
                orders,
            }
        })
        .collect();
    Ok(Rfm { window, filters, customers, revenue: Money(revenue), segments, top_customers })
}

customer_query! {
    without compare;
    /// Parameters of the churn risk.
    pub struct ChurnRiskQuery {
        /// At risk when the days since the last order exceed this many times the customer's median gap (default 2).
        #[param(minimum = 1, maximum = 100)]
        #[validate(range(min = 1.0, max = 100.0))]
        pub factor: Option<f64>,
        /// The days without an order that put a customer with one purchase day at risk (default 90).
        #[param(minimum = 1, maximum = 3650)]
        #[validate(range(min = 1, max = 3650))]
        pub days: Option<i64>,
        /// How many customers at risk to list, by revenue to date (default 100, at most 1,000).
        #[param(minimum = 1, maximum = 1000)]
        #[validate(range(min = 1, max = 1000))]
        pub limit: Option<u64>,
    }
}

/// A customer at risk of churning.
#[derive(Debug, Serialize, ToSchema)]
pub struct AtRiskCustomer {
    pub customer_id: Uuid,
    /// The customer's name.
    pub label: String,
    /// The customer's owner.
    pub owner_id: Option<Uuid>,
    /// Its latest counted order before `to`.
    pub last_order_at: DateTime<Utc>,
    /// Whole UTC days from the day of the latest counted order to the day of `to`.
    pub days_since_last_order: i64,
    /// The median of the days between its consecutive purchase days; `null` with one purchase day.
    pub median_gap_days: Option<f64>,
    /// factor × median_gap_days, or `days` with one purchase day.
    pub threshold_days: f64,
    /// days_since_last_order / threshold_days (above 1).
    pub overdue: f64,
    /// Counted orders before `to`.
    pub orders: i64,
    /// Revenue of those orders.
    pub revenue: Money,
}

/// Customers whose silence is long for their own rhythm.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChurnRisk {
    /// The resolved window: only its end matters (everything is as of `to`).
    pub window: Window,
    pub filters: CustomerFilters,
    /// The factor used.
    pub factor: f64,
    /// The days used for customers with one purchase day.
    pub days: i64,
    /// Customers in scope with a counted order before `to`.
    pub customers: i64,
    /// Of those, at risk.
    pub at_risk: i64,
    /// at_risk / customers.
    pub at_risk_share: Option<f64>,
    /// The revenue to date of the customers at risk.
    pub revenue_at_risk: Money,
    /// The customers at risk with the most revenue to date.
    pub top_customers: Vec<AtRiskCustomer>,
}

/// `WITH per AS (…), gaps AS (…), med AS (…), risk AS (…)`: each customer
/// in scope with a counted order before `to`: its purchase days (local days
/// with a counted order), the median gap between consecutive ones, its
/// days since the last, orders, revenue, and the threshold.
fn push_risk(
    sql: &mut Sql,
    caller: &AuthUser,
    filters: &CustomerFilters,
    as_of: &Window,
    factor: f64,
    days: i64,
    rollup: bool,
) {
    let (backend, to) = (sql.backend(), as_of.to);
    let local = as_of.calendar.local_sql(backend, "o.ordered_at", Span::Between(DateTime::<Utc>::MIN_UTC, to));
    let day = Calendar::day_number_sql(backend, &local);
    sql.push(&format!("WITH purchase_days AS (SELECT DISTINCT o.customer_id AS id, {day} AS d"));
    push_counted_orders(sql, caller, filters);
    sql.push(" AND o.ordered_at < ").bind(to).push("), med AS (");
    push_grouped_distribution(sql, &["id"], |sql| {
        sql.push("SELECT id, d - LAG(d) OVER (PARTITION BY id ORDER BY d) AS x FROM purchase_days");
    });
    sql.push("), per AS (");
    push_per_customer(sql, caller, filters, as_of, rollup);
    sql.push(
        "), risk AS (SELECT per.id, per.last_at, per.days_since, per.orders, \
             per.revenue, med.p50 AS median_gap, CASE WHEN med.p50 IS NULL THEN ",
    )
    .bind(days as f64)
    .push(" ELSE ")
    .bind(factor)
    .push(" * med.p50 END AS threshold FROM per LEFT JOIN med ON med.id = per.id) ");
}

pub async fn churn_risk(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &ChurnRiskQuery,
    calendar: Calendar,
) -> AppResult<ChurnRisk> {
    let window = query.window(calendar)?;
    let filters = query.filters();
    let factor = query.factor.unwrap_or(2.0);
    let days = query.days.unwrap_or(90);
    let backend = db.get_database_backend();

    let limit = query.limit.unwrap_or(100) as i64;

    // One pass: the totals over every customer ride on the first row; kept
    // are that row and the customers at risk with the most revenue.
    let rollup = rollup_covers(db, window.to).await?;
    let mut sql = Sql::new(backend);
    push_risk(&mut sql, caller, &filters, &window, factor, days, rollup);
    sql.push(
        "SELECT x.id AS id, c.name AS name, c.owner_id AS owner_id, x.last_at AS last_at, x.days_since AS since, \
         CAST(x.median_gap AS DOUBLE PRECISION) AS median_gap, CAST(x.threshold AS DOUBLE PRECISION) AS threshold, \
         x.orders AS orders, x.revenue AS revenue, x.customers_n AS customers_n, x.at_risk_n AS at_risk_n, \
         x.revenue_n AS revenue_n, x.risk_rank AS risk_rank FROM (SELECT r.*, \
         CAST(COUNT(*) OVER () AS BIGINT) AS customers_n, \
         CAST(SUM(CASE WHEN r.days_since > r.threshold THEN 1 ELSE 0 END) OVER () AS BIGINT) AS at_risk_n, \
         CAST(SUM(CASE WHEN r.days_since > r.threshold THEN r.revenue ELSE 0 END) OVER () AS BIGINT) AS revenue_n, \
         ROW_NUMBER() OVER (ORDER BY CASE WHEN r.days_since > r.threshold THEN 0 ELSE 1 END, r.revenue DESC, r.id) \
         AS risk_rank FROM risk r) x JOIN customers c ON c.id = x.id \
         WHERE x.risk_rank = 1 OR (x.days_since > x.threshold AND x.risk_rank <= ",
    )
    .bind(limit)
    .push(") ORDER BY x.risk_rank");
    let (mut customers, mut at_risk, mut revenue_at_risk) = (0, 0, 0);
    let mut top_customers = vec![];
    for row in db.query_all_raw(sql.statement()).await? {
        if row.try_get::<i64>("", "risk_rank")? == 1 {
            customers = row.try_get("", "customers_n")?;
            at_risk = row.try_get("", "at_risk_n")?;
            revenue_at_risk = row.try_get("", "revenue_n")?;
        }
        let since: i64 = row.try_get("", "since")?;
        let threshold: f64 = row.try_get("", "threshold")?;
        if since as f64 <= threshold || row.try_get::<i64>("", "risk_rank")? > limit {
            continue;
        }
        top_customers.push(AtRiskCustomer {
            customer_id: row.try_get("", "id")?,
            label: row.try_get("", "name")?,
            owner_id: row.try_get("", "owner_id")?,
            last_order_at: row.try_get("", "last_at")?,
            days_since_last_order: since,
            median_gap_days: row.try_get("", "median_gap")?,
            threshold_days: threshold,
            overdue: since as f64 / threshold,
            orders: row.try_get("", "orders")?,
            revenue: Money(row.try_get("", "revenue")?),
        });
    }
    Ok(ChurnRisk {
        window,
        filters,
        factor,
        days,
        customers,
        at_risk,
        at_risk_share: ratio(at_risk, customers),
        revenue_at_risk: Money(revenue_at_risk),
        top_customers,
    })
}
