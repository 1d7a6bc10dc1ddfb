//! Customer interaction patterns: the activities logged on customers, how
//! often each customer is contacted, and who has not been for a while.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::customers::{CustomerFilters, customer_query, push_customer_conditions};
use super::figures::{Distribution, ratio};
use super::window::Window;
use crate::auth::AuthUser;
use crate::calendar::Calendar;
use crate::domain::Money;
use crate::domain::enums::{ActivityType, Direction, OrderStatus};
use crate::error::AppResult;
use crate::sql::{Sql, one_row, push_grouped_distribution};

customer_query! {
    without compare;
    /// Parameters of the interaction patterns.
    pub struct InteractionQuery {
        /// Customers without an activity in this many days before `to` are listed as uncontacted (default 30).
        #[param(minimum = 1, maximum = 3650)]
        #[validate(range(min = 1, max = 3650))]
        pub inactive_days: Option<i64>,
        /// How many uncontacted customers to list, by revenue to date (default 100, at most 1,000).
        #[param(minimum = 1, maximum = 1000)]
        #[validate(range(min = 1, max = 1000))]
        pub limit: Option<u64>,
    }
}

/// The activities of one type in the window.
#[derive(Debug, Serialize, ToSchema)]
pub struct TypeCount {
    #[serde(rename = "type")]
    pub activity_type: ActivityType,
    /// Activities of the type.
    pub activities: i64,
    /// Of those, inbound.
    pub inbound: i64,
    /// Of those, outbound.
    pub outbound: i64,
    /// Of those, without a direction.
    pub unspecified: i64,
    /// activities / all activities of the window.
    pub share: Option<f64>,
}

/// A customer without a recent interaction.
#[derive(Debug, Serialize, ToSchema)]
pub struct UncontactedCustomer {
    pub customer_id: Uuid,
    /// The customer's name.
    pub label: String,
    /// The customer's owner.
    pub owner_id: Option<Uuid>,
    /// Its latest activity before `to`; `null` when it never had one.
    pub last_activity_at: Option<DateTime<Utc>>,
    /// Revenue of its counted orders before `to`.
    pub revenue: Money,
}

/// How customers are interacted with.
#[derive(Debug, Serialize, ToSchema)]
pub struct Interactions {
    pub window: Window,
    pub filters: CustomerFilters,
    /// Activities in the window on customers in scope.
    pub activities: i64,
    /// Every activity type, in the order of the enum.
    pub by_type: Vec<TypeCount>,
    /// Customers existing at `to`.
    pub customers: i64,
    /// Customers with at least one activity in the window.
    pub customers_contacted: i64,
    /// customers_contacted / customers.
    pub contacted_share: Option<f64>,
    /// Activities per contacted customer in the window: mean, median, 90th percentile.
    pub per_customer: Distribution,
    /// The days used for `uncontacted`.
    pub inactive_days: i64,
    /// Customers existing at `to` without an activity in the `inactive_days` before `to`.
    pub uncontacted: i64,
    /// The uncontacted customers with the most revenue to date.
    pub top_uncontacted: Vec<UncontactedCustomer>,
}

/// `FROM activities a JOIN customers c … WHERE` the activity is live and
/// its customer passes the filters and the caller's scope.
fn push_activities(sql: &mut Sql, caller: &AuthUser, filters: &CustomerFilters) {
    sql.push(" FROM activities a JOIN customers c ON c.id = a.customer_id WHERE a.deleted_at IS NULL");
    push_customer_conditions(sql, caller, filters);
}

/// `FROM customers c WHERE` the customer exists at `to` and passes the
/// filters and scope.
fn push_customers(sql: &mut Sql, caller: &AuthUser, filters: &CustomerFilters, to: DateTime<Utc>) {
    sql.push(" FROM customers c WHERE c.created_at < ")
        .bind(to)
        .push(" AND (c.deleted_at IS NULL OR c.deleted_at >= ")
        .bind(to)
        .push(")");
    push_customer_conditions(sql, caller, filters);
}

/// `NOT EXISTS` an activity of `c` in [since, to).
fn push_uncontacted(sql: &mut Sql, since: DateTime<Utc>, to: DateTime<Utc>) {
    sql.push(
        "NOT EXISTS (SELECT 1 FROM activities r WHERE r.customer_id = c.id AND r.deleted_at IS NULL \
         AND r.occurred_at >= ",
    )
    .bind(since)
    .push(" AND r.occurred_at < ")
    .bind(to)
    .push(")");
}

pub async fn interactions(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &InteractionQuery,
    calendar: Calendar,
) -> AppResult<Interactions> {
    let window = query.window(calendar)?;
    let filters = query.filters();
    let inactive_days = query.inactive_days.unwrap_or(30);
    let since = window.to - Duration::days(inactive_days);
    let backend = db.get_database_backend();
    let in_window = |sql: &mut Sql| {
        sql.push(" AND a.occurred_at >= ").bind(window.from).push(" AND a.occurred_at < ").bind(window.to);
    };

    // Activities of the window by type and direction.
    let mut sql = Sql::new(backend);
    sql.push("SELECT a.type AS activity_type, a.direction AS direction, CAST(COUNT(*) AS BIGINT) AS n");
    push_activities(&mut sql, caller, &filters);
    in_window(&mut sql);
    sql.push(" GROUP BY a.type, a.direction");
    let mut counts = std::collections::HashMap::new();
    for row in db.query_all_raw(sql.statement()).await? {
        let key: (String, Option<String>) = (row.try_get("", "activity_type")?, row.try_get("", "direction")?);
        counts.insert(key, row.try_get::<i64>("", "n")?);
    }
    let activities: i64 = counts.values().sum();
    let by_type = ActivityType::ALL
        .iter()
        .map(|kind| {
            let count = |direction: Option<Direction>| {
                counts
                    .get(&(kind.as_str().to_string(), direction.map(|d| d.as_str().to_string())))
                    .copied()
                    .unwrap_or(0)
            };
            let (inbound, outbound, unspecified) =
                (count(Some(Direction::Inbound)), count(Some(Direction::Outbound)), count(None));
            let total = inbound + outbound + unspecified;
            TypeCount {
                activity_type: *kind,
                activities: total,
                inbound,
                outbound,
                unspecified,
                share: ratio(total, activities),
            }
        })
        .collect();

    // Activities per contacted customer.
    let mut sql = Sql::new(backend);
    push_grouped_distribution(&mut sql, &[], |sql| {
        sql.push("SELECT COUNT(*) AS x");
        push_activities(sql, caller, &filters);
        in_window(sql);
        sql.push(" GROUP BY a.customer_id");
    });
    let (per_customer, customers_contacted) = Distribution::read(&one_row(db, sql).await?)?;

    // Customers existing at `to`, and those without a recent activity.
    let mut sql = Sql::new(backend);
    sql.push("SELECT CAST(COUNT(*) AS BIGINT) AS customers, CAST(COALESCE(SUM(CASE WHEN ");
    push_uncontacted(&mut sql, since, window.to);
    sql.push(" THEN 1 ELSE 0 END), 0) AS BIGINT) AS uncontacted");
    push_customers(&mut sql, caller, &filters, window.to);
    let row = one_row(db, sql).await?;
    let (customers, uncontacted): (i64, i64) = (row.try_get("", "customers")?, row.try_get("", "uncontacted")?);

    let mut sql = Sql::new(backend);
    sql.push(
        "SELECT c.id AS id, c.name AS name, c.owner_id AS owner_id, \
         (SELECT MAX(l.occurred_at) FROM activities l WHERE l.customer_id = c.id AND l.deleted_at IS NULL \
         AND l.occurred_at < ",
    )
    .bind(window.to)
    .push(&format!(
        ") AS last_at, CAST(COALESCE((SELECT SUM(oi.line_amount) FROM orders o JOIN order_items oi ON oi.order_id = o.id \
         WHERE o.customer_id = c.id AND o.deleted_at IS NULL AND {} AND o.ordered_at < ",
        OrderStatus::counted_sql("o")
    ))
    .bind(window.to)
    .push("), 0) AS BIGINT) AS revenue");
    push_customers(&mut sql, caller, &filters, window.to);
    sql.push(" AND ");
    push_uncontacted(&mut sql, since, window.to);
    sql.push(" ORDER BY revenue DESC, c.id LIMIT ").bind(query.limit.unwrap_or(100) as i64);
    let mut top_uncontacted = vec![];
    for row in db.query_all_raw(sql.statement()).await? {
        top_uncontacted.push(UncontactedCustomer {
            customer_id: row.try_get("", "id")?,
            label: row.try_get("", "name")?,
            owner_id: row.try_get("", "owner_id")?,
            last_activity_at: row.try_get("", "last_at")?,
            revenue: Money(row.try_get("", "revenue")?),
        });
    }

    Ok(Interactions {
        window,
        filters,
        activities,
        by_type,
        customers,
        customers_contacted,
        contacted_share: ratio(customers_contacted, customers),
        per_customer,
        inactive_days,
        uncontacted,
        top_uncontacted,
    })
}
