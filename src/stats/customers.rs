//! Customer statistics.

use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::figures::{change, ratio};
use super::window::Window;
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::calendar::{Calendar, Span};
use crate::domain::Money;
use crate::domain::enums::{LifecycleStage, OrderStatus};
use crate::error::AppResult;
use crate::sql::{Sql, one_row};

/// Declares a customer statistics query: the window (and comparison,
/// unless `without compare;` comes first), the endpoint's own parameters,
/// then the customer filters, with `filters()` to read them.
macro_rules! customer_query {
    (@build [$($mode:tt)*] $(#[$meta:meta])* pub struct $name:ident { $($rest:tt)* }) => {
        crate::stats_query! {
            $($mode)*
            $(#[$meta])*
            pub struct $name {
                $($rest)*
                /// Only customers owned by this user.
                pub owner_id: Option<Uuid>,
                /// Only customers owned by members of this team.
                pub team_id: Option<Uuid>,
                /// Only customers of this region.
                pub region: Option<String>,
                /// Only customers of this segment.
                pub customer_segment: Option<String>,
            }
        }

        impl $name {
            fn filters(&self) -> CustomerFilters {
                CustomerFilters {
                    owner_id: self.owner_id,
                    team_id: self.team_id,
                    region: self.region.clone(),
                    customer_segment: self.customer_segment.clone(),
                }
            }
        }
    };
    (without compare; $($rest:tt)*) => {
        customer_query! { @build [without compare;] $($rest)* }
    };
    ($($rest:tt)*) => {
        customer_query! { @build [] $($rest)* }
    };
}
pub(super) use customer_query;

customer_query! {
    /// Parameters of the customer overview.
    pub struct CustomerQuery {}
}

/// The filters applied to a customer statistic.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct CustomerFilters {
    /// The `owner_id` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
    /// The `team_id` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    /// The `region` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The `customer_segment` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_segment: Option<String>,
}

/// Customers per lifecycle stage.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct StageCount {
    pub lifecycle_stage: LifecycleStage,
    /// Customers existing at `to` in the stage.
    pub customers: i64,
}

/// The customer figures of a window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct CustomerFigures {
    /// Customers existing at `to`.
    pub total: i64,
    /// Customers created in the window.
    pub new: i64,
    /// Customers with at least one counted order in the window.
    pub active: i64,
    /// Customers whose first counted order ever is in the window.
    pub first_time_buyers: i64,
    /// Share of active customers with two or more counted orders in the window.
    pub repeat_rate: Option<f64>,
    /// Customers existing at `to`, per current lifecycle stage (every stage listed).
    pub by_lifecycle_stage: Vec<StageCount>,
}

/// The relative change of the counts.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct CustomerChange {
    /// Relative change of `total`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub total: Option<f64>,
    /// Relative change of `new`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub new: Option<f64>,
    /// Relative change of `active`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub active: Option<f64>,
    /// Relative change of `first_time_buyers`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub first_time_buyers: Option<f64>,
    /// Relative change of `repeat_rate`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub repeat_rate: Option<f64>,
}

/// The customer overview.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerOverview {
    pub window: Window,
    pub filters: CustomerFilters,
    #[serde(flatten)]
    pub figures: CustomerFigures,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<CustomerFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<CustomerChange>,
}

/// `AND` the customer `c` passes the filters and the caller's scope.
pub(super) fn push_customer_conditions(sql: &mut Sql, caller: &AuthUser, filters: &CustomerFilters) {
    sql.and_id("c.owner_id", filters.owner_id);
    sql.and_in_team("c.owner_id", filters.team_id);
    sql.and_eq("c.region", filters.region.as_ref());
    sql.and_eq("c.segment", filters.customer_segment.as_ref());
    Scope::owned(caller).push_and(sql, "c.owner_id");
}

/// Counted orders (paid or completed) of customers in scope.
pub(super) fn push_counted_orders(sql: &mut Sql, caller: &AuthUser, filters: &CustomerFilters) {
    sql.push(&format!(
        " FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.deleted_at IS NULL AND {}",
        OrderStatus::counted_sql("o")
    ));
    push_customer_conditions(sql, caller, filters);
}

impl CustomerFilters {
    fn is_empty(&self) -> bool {
        self.owner_id.is_none() && self.team_id.is_none() && self.region.is_none() && self.customer_segment.is_none()
    }
}

/// The customers created in `window` (and not deleted before its end), and
/// those with a counted order in it, in scope: what the dashboard shows of
/// the customers. The buyers are every buyer of the window (the daily
/// bitmaps) intersected with the numbers of the customers in scope, or,
/// where the bitmaps cannot answer, counted from the orders; `buyers` is
/// how many customers bought in the window, where the caller counted them
/// already (the sales figures of an unscoped caller).
pub async fn new_and_active(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    filters: &CustomerFilters,
    buyers: Option<i64>,
) -> AppResult<(i64, i64)> {
    let backend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    sql.push("SELECT CAST(COUNT(*) AS BIGINT) AS new_customers FROM customers c WHERE c.created_at >= ")
        .bind(window.from)
        .push(" AND c.created_at < ")
        .bind(window.to)
        .push(" AND (c.deleted_at IS NULL OR c.deleted_at >= ")
        .bind(window.to)
        .push(")");
    push_customer_conditions(&mut sql, caller, filters);
    let new: i64 = one_row(db, sql).await?.try_get("", "new_customers")?;
    let everyone = filters.is_empty() && Scope::owned(caller).is_everything();
    if let (Some(buyers), true) = (buyers, everyone) {
        return Ok((new, buyers));
    }
    let active = match super::sales::every_buyer(db, window).await? {
        Some(buyers) if everyone => buyers.len() as i64,
        Some(buyers) => {
            let mut sql = Sql::new(backend);
            sql.push(&format!(
                "SELECT CAST(n.number AS BIGINT) AS number FROM {} n JOIN customers c ON c.id = n.customer_id \
                 WHERE TRUE",
                migration::sales_buyers::NUMBERS
            ));
            push_customer_conditions(&mut sql, caller, filters);
            let mut seen = roaring::RoaringBitmap::new();
            for row in db.query_all_raw(sql.statement()).await? {
                if let Ok(number) = u32::try_from(row.try_get::<i64>("", "number")?) {
                    seen.insert(number);
                }
            }
            buyers.intersection_len(&seen) as i64
        }
        None => {
            let mut sql = Sql::new(backend);
            sql.push(&format!("SELECT {} AS active", crate::sql::count_distinct("o.customer_id")));
            push_counted_orders(&mut sql, caller, filters);
            sql.push(" AND o.ordered_at >= ").bind(window.from).push(" AND o.ordered_at < ").bind(window.to);
            one_row(db, sql).await?.try_get("", "active")?
        }
    };
    Ok((new, active))
}

pub async fn figures(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    filters: &CustomerFilters,
) -> AppResult<CustomerFigures> {
    let backend = db.get_database_backend();

    // Existing at `to`, per stage; and created in the window.
    let mut sql = Sql::new(backend);
    sql.push(
        "SELECT c.lifecycle_stage AS stage, CAST(COUNT(*) AS BIGINT) AS total, CAST(COUNT(CASE WHEN c.created_at >= ",
    )
    .bind(window.from)
    .push(" THEN 1 END) AS BIGINT) AS new_customers FROM customers c WHERE c.created_at < ")
    .bind(window.to)
    .push(" AND (c.deleted_at IS NULL OR c.deleted_at >= ")
    .bind(window.to)
    .push(")");
    push_customer_conditions(&mut sql, caller, filters);
    sql.push(" GROUP BY c.lifecycle_stage");
    let (mut total, mut new) = (0, 0);
    let mut by_stage: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for row in db.query_all_raw(sql.statement()).await? {
        let count: i64 = row.try_get("", "total")?;
        total += count;
        new += row.try_get::<i64>("", "new_customers")?;
        by_stage.insert(row.try_get("", "stage")?, count);
    }
    let by_lifecycle_stage = LifecycleStage::ALL
        .iter()
        .map(|stage| StageCount {
            lifecycle_stage: *stage,
            customers: by_stage.get(stage.as_str()).copied().unwrap_or(0),
        })
        .collect();

    // Active customers and repeat buyers in the window.
    let mut sql = Sql::new(backend);
    sql.push("SELECT CAST(COUNT(*) AS BIGINT) AS active, CAST(COUNT(CASE WHEN n >= 2 THEN 1 END) AS BIGINT) AS repeaters FROM (SELECT o.customer_id, COUNT(*) AS n");
    push_counted_orders(&mut sql, caller, filters);
    sql.push(" AND o.ordered_at >= ")
        .bind(window.from)
        .push(" AND o.ordered_at < ")
        .bind(window.to)
        .push(" GROUP BY o.customer_id) AS a");
    let row = one_row(db, sql).await?;
    let (active, repeaters): (i64, i64) = (row.try_get("", "active")?, row.try_get("", "repeaters")?);

    // Customers whose first counted order falls in the window: a buyer of
    // the window with no counted order before it (read through the
    // customer's own orders, not the whole history).
    let mut sql = Sql::new(backend);
    sql.push(&format!("SELECT {} AS first_time", crate::sql::count_distinct("o.customer_id")));
    push_counted_orders(&mut sql, caller, filters);
    sql.push(" AND o.ordered_at >= ")
        .bind(window.from)
        .push(" AND o.ordered_at < ")
        .bind(window.to)
        .push(&format!(
            " AND NOT EXISTS (SELECT 1 FROM orders p WHERE p.customer_id = o.customer_id AND p.deleted_at IS NULL \
             AND {} AND p.ordered_at < ",
            OrderStatus::counted_sql("p")
        ))
        .bind(window.from)
        .push(")");
    let first_time_buyers: i64 = one_row(db, sql).await?.try_get("", "first_time")?;

    Ok(CustomerFigures {
        total,
        new,
        active,
        first_time_buyers,
        repeat_rate: ratio(repeaters, active),
        by_lifecycle_stage,
    })
}

pub async fn overview(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &CustomerQuery,
    calendar: Calendar,
) -> AppResult<CustomerOverview> {
    let window = query.window(calendar)?;
    let filters = query.filters();
    let current = figures(db, caller, &window, &filters).await?;
    let (previous_window, previous, change_figures) = match query.compare {
        Some(compare) => {
            let previous_window = window.previous(compare);
            let previous = figures(db, caller, &previous_window, &filters).await?;
            let change_figures = CustomerChange {
                total: change(current.total as f64, previous.total as f64),
                new: change(current.new as f64, previous.new as f64),
                active: change(current.active as f64, previous.active as f64),
                first_time_buyers: change(current.first_time_buyers as f64, previous.first_time_buyers as f64),
                repeat_rate: super::figures::change_opt(current.repeat_rate, previous.repeat_rate),
            };
            (Some(previous_window), Some(previous), Some(change_figures))
        }
        None => (None, None, None),
    };
    Ok(CustomerOverview { window, filters, figures: current, previous_window, previous, change: change_figures })
}

/// What a customer distribution groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerDimension {
    Region,
    City,
    Industry,
    Segment,
    Source,
    LifecycleStage,
    Gender,
    /// under_25, 25_34, 35_44, 45_54, 55_64, 65_plus, unknown — age at `to`.
    AgeBand,
    Occupation,
}

customer_query! {
    /// Parameters of the customer distribution.
    pub struct DistributionQuery {
        /// The dimension to group by.
        pub by: Option<CustomerDimension>,
    }
}

/// The figures of one value of the dimension.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct DistributionFigures {
    /// Customers existing at `to` with this value.
    pub customers: i64,
    /// Their share of all customers existing at `to`.
    pub share: Option<f64>,
    /// Revenue of their counted orders in the window.
    pub revenue: Money,
}

/// The relative change of a value's figures.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct DistributionChange {
    /// Relative change of `customers`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub customers: Option<f64>,
    /// Relative change of `share`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub share: Option<f64>,
    /// Relative change of `revenue`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub revenue: Option<f64>,
}

/// One value of the dimension.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionRow {
    /// The value; `null` for customers without one.
    pub key: Option<String>,
    #[serde(flatten)]
    pub figures: DistributionFigures,
    /// The value's figures in the comparison window, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<DistributionFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<DistributionChange>,
}

/// Customers per value of a dimension, most customers first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Distribution {
    pub window: Window,
    pub filters: CustomerFilters,
    pub by: CustomerDimension,
    /// Every value held at `to` (or, with `compare`, at the comparison window's end).
    pub rows: Vec<DistributionRow>,
    /// Customers existing at `to`.
    pub total: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    /// Customers existing at the comparison window's end, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_total: Option<i64>,
}

/// The SQL of the group key for a dimension; ages are taken at `to`.
fn dimension_sql(sql: &mut Sql, by: CustomerDimension, window: &Window) -> String {
    let column = match by {
        CustomerDimension::Region => "c.region",
        CustomerDimension::City => "c.city",
        CustomerDimension::Industry => "c.industry",
        CustomerDimension::Segment => "c.segment",
        CustomerDimension::Source => "c.source",
        CustomerDimension::LifecycleStage => "c.lifecycle_stage",
        CustomerDimension::Gender => "c.gender",
        CustomerDimension::Occupation => "c.occupation",
        CustomerDimension::AgeBand => {
            let day = window.calendar.date_of(window.to).format("%Y-%m-%d").to_string();
            // Whole years between the birth date and `to`, on either database.
            let age = if sql.backend() == sea_orm::DbBackend::Postgres {
                format!("CAST(date_part('year', age(DATE '{day}', c.birth_date)) AS INTEGER)")
            } else {
                format!(
                    "(CAST(strftime('%Y', '{day}') AS INTEGER) - CAST(strftime('%Y', c.birth_date) AS INTEGER) \
                     - (strftime('%m-%d', '{day}') < strftime('%m-%d', c.birth_date)))"
                )
            };
            return format!(
                "CASE WHEN c.birth_date IS NULL THEN 'unknown' WHEN {age} < 25 THEN 'under_25' WHEN {age} < 35 THEN '25_34' \
                 WHEN {age} < 45 THEN '35_44' WHEN {age} < 55 THEN '45_54' WHEN {age} < 65 THEN '55_64' ELSE '65_plus' END"
            );
        }
    };
    // Blank text counts as no value.
    format!("NULLIF(TRIM({column}), '')")
}

pub async fn distribution(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &DistributionQuery,
    calendar: Calendar,
) -> AppResult<Distribution> {
    let by = query.by.ok_or_else(|| crate::error::AppError::validation("by", "required", "is required"))?;
    let window = query.window(calendar)?;
    let filters = query.filters();
    let (current, total) = distribution_groups(db, caller, by, &window, &filters).await?;
    let (previous_window, previous, previous_total) = match query.compare {
        Some(compare) => {
            let previous_window = window.previous(compare);
            let (groups, total) = distribution_groups(db, caller, by, &previous_window, &filters).await?;
            (Some(previous_window), Some(groups), Some(total))
        }
        None => (None, None, None),
    };
    let mut rows: Vec<DistributionRow> = super::figures::paired(current, previous)
        .into_iter()
        .map(|(key, figures, before)| {
            let change = before.as_ref().map(|before| DistributionChange {
                customers: change(figures.customers as f64, before.customers as f64),
                share: super::figures::change_opt(figures.share, before.share),
                revenue: change(figures.revenue.cents() as f64, before.revenue.cents() as f64),
            });
            DistributionRow { key, figures, previous: before, change }
        })
        .collect();
    rows.sort_by(|a, b| b.figures.customers.cmp(&a.figures.customers).then_with(|| a.key.cmp(&b.key)));
    Ok(Distribution { window, filters, by, rows, total, previous_window, previous_total })
}

/// The customers existing at the window's end per value, with their
/// revenue in the window; and their number.
async fn distribution_groups(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    by: CustomerDimension,
    window: &Window,
    filters: &CustomerFilters,
) -> AppResult<(std::collections::HashMap<Option<String>, DistributionFigures>, i64)> {
    let mut sql = Sql::new(db.get_database_backend());
    let key = dimension_sql(&mut sql, by, window);
    // Customers existing at `to`, each with the revenue of its counted
    // orders in the window, then grouped by the dimension.
    sql.push(&format!("SELECT {key} AS group_key, CAST(COUNT(*) AS BIGINT) AS customers, CAST(COALESCE(SUM(r.revenue), 0) AS BIGINT) AS revenue FROM customers c LEFT JOIN (SELECT o.customer_id, SUM(oi.line_amount) AS revenue FROM orders o JOIN order_items oi ON oi.order_id = o.id WHERE o.deleted_at IS NULL AND {counted} AND o.ordered_at >= ", counted = OrderStatus::counted_sql("o")))
        .bind(window.from)
        .push(" AND o.ordered_at < ")
        .bind(window.to)
        .push(" GROUP BY o.customer_id) r ON r.customer_id = c.id WHERE c.created_at < ")
        .bind(window.to)
        .push(" AND (c.deleted_at IS NULL OR c.deleted_at >= ")
        .bind(window.to)
        .push(")");
    push_customer_conditions(&mut sql, caller, filters);
    sql.push(" GROUP BY 1");
    let mut groups = std::collections::HashMap::new();
    let mut total = 0;
    for row in db.query_all_raw(sql.statement()).await? {
        let customers: i64 = row.try_get("", "customers")?;
        total += customers;
        let figures = DistributionFigures { customers, share: None, revenue: Money(row.try_get("", "revenue")?) };
        groups.insert(row.try_get("", "group_key")?, figures);
    }
    for figures in groups.values_mut() {
        figures.share = ratio(figures.customers, total);
    }
    Ok((groups, total))
}

/// Customer retention between the previous window and this one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Retention {
    pub window: Window,
    /// The window of equal length just before.
    pub previous_window: Window,
    pub filters: CustomerFilters,
    /// Customers with a counted order in the previous window.
    pub previously_active: i64,
    /// Of those, customers with a counted order in this window too.
    pub retained: i64,
    /// Of those, customers with none in this window.
    pub churned: i64,
    /// churned / previously_active.
    pub churn_rate: Option<f64>,
    /// 1 − churn_rate.
    pub retention_rate: Option<f64>,
}

/// `SELECT DISTINCT customer_id` of the counted orders in `window`.
fn push_active_customers(sql: &mut Sql, caller: &AuthUser, filters: &CustomerFilters, window: &Window) {
    sql.push("SELECT DISTINCT o.customer_id");
    push_counted_orders(sql, caller, filters);
    sql.push(" AND o.ordered_at >= ").bind(window.from).push(" AND o.ordered_at < ").bind(window.to);
}

pub async fn retention(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &CustomerQuery,
    calendar: Calendar,
) -> AppResult<Retention> {
    let window = query.window(calendar)?;
    // Retention is a comparison itself: `compare` picks the base window.
    let previous_window = window.previous(query.compare.unwrap_or(super::window::Compare::PreviousPeriod));
    let filters = query.filters();
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT CAST(COUNT(*) AS BIGINT) AS previously_active, CAST(COUNT(cur.customer_id) AS BIGINT) AS retained FROM (");
    push_active_customers(&mut sql, caller, &filters, &previous_window);
    sql.push(") p LEFT JOIN (");
    push_active_customers(&mut sql, caller, &filters, &window);
    sql.push(") cur ON cur.customer_id = p.customer_id");
    let row = one_row(db, sql).await?;
    let (previously_active, retained): (i64, i64) =
        (row.try_get("", "previously_active")?, row.try_get("", "retained")?);
    let churned = previously_active - retained;
    let churn_rate = ratio(churned, previously_active);
    Ok(Retention {
        window,
        previous_window,
        filters,
        previously_active,
        retained,
        churned,
        churn_rate,
        retention_rate: churn_rate.map(|rate| 1.0 - rate),
    })
}

customer_query! {
    /// Parameters of the customer lifetime value.
    pub struct ClvQuery {
        /// Expected customer lifespan in months (default 36).
        #[param(minimum = 1, maximum = 600)]
        #[validate(range(min = 1, max = 600))]
        pub lifespan_months: Option<i64>,
        /// How many top customers to list (default 10, at most 100).
        #[param(minimum = 1, maximum = 100)]
        #[validate(range(min = 1, max = 100))]
        pub top: Option<u64>,
    }
}

/// A customer by revenue to date.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopCustomer {
    /// The customer.
    pub customer_id: Uuid,
    /// The customer's name.
    pub label: String,
    /// Revenue of its counted orders before `to`.
    pub revenue: Money,
    /// Its counted orders before `to`.
    pub orders: i64,
}

/// The lifetime value figures of a window.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ClvFigures {
    /// Revenue / counted orders in the window.
    pub average_order_value: Option<Money>,
    /// Counted orders per active customer per month of the window (a month is 30.4375 days).
    pub purchase_frequency: Option<f64>,
    /// The expected lifespan used, in months.
    pub lifespan_months: i64,
    /// average_order_value × purchase_frequency × lifespan_months, rounded half-up to the cent.
    pub clv: Option<Money>,
}

/// The relative change of the lifetime value figures.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ClvChange {
    /// Relative change of `average_order_value`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub average_order_value: Option<f64>,
    /// Relative change of `purchase_frequency`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub purchase_frequency: Option<f64>,
    /// Relative change of `clv`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub clv: Option<f64>,
}

/// Customer lifetime value, as the source documents compute it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Clv {
    pub window: Window,
    pub filters: CustomerFilters,
    #[serde(flatten)]
    pub figures: ClvFigures,
    /// The customers with the most revenue to date (counted orders before `to`).
    pub top_customers: Vec<TopCustomer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<ClvFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<ClvChange>,
}

/// Days in an average month.
const MONTH_DAYS: f64 = 30.4375;

pub async fn clv(db: &impl ConnectionTrait, caller: &AuthUser, query: &ClvQuery, calendar: Calendar) -> AppResult<Clv> {
    let window = query.window(calendar)?;
    let filters = query.filters();
    let lifespan_months = query.lifespan_months.unwrap_or(36);
    let figures = clv_figures(db, caller, &window, &filters, lifespan_months).await?;
    let (previous_window, previous, change_figures) = match query.compare {
        Some(compare) => {
            let previous_window = window.previous(compare);
            let previous = clv_figures(db, caller, &previous_window, &filters, lifespan_months).await?;
            let money = |m: Option<Money>| m.map(|m| m.cents() as f64);
            let change_figures = ClvChange {
                average_order_value: super::figures::change_opt(
                    money(figures.average_order_value),
                    money(previous.average_order_value),
                ),
                purchase_frequency: super::figures::change_opt(figures.purchase_frequency, previous.purchase_frequency),
                clv: super::figures::change_opt(money(figures.clv), money(previous.clv)),
            };
            (Some(previous_window), Some(previous), Some(change_figures))
        }
        None => (None, None, None),
    };
    let top_customers = top_customers(db, caller, &window, &filters, query.top.unwrap_or(10)).await?;
    Ok(Clv { window, filters, figures, top_customers, previous_window, previous, change: change_figures })
}

async fn clv_figures(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    filters: &CustomerFilters,
    lifespan_months: i64,
) -> AppResult<ClvFigures> {
    let backend = db.get_database_backend();

    let mut sql = Sql::new(backend);
    sql.push(&format!(
        "SELECT CAST(COALESCE(SUM(t.revenue), 0) AS BIGINT) AS revenue, CAST(COUNT(*) AS BIGINT) AS orders, \
         {} AS customers FROM (SELECT o.id, o.customer_id, SUM(oi.line_amount) AS revenue",
        crate::sql::count_distinct("t.customer_id")
    ));
    sql.push(&format!(
        " FROM orders o JOIN order_items oi ON oi.order_id = o.id JOIN customers c ON c.id = o.customer_id \
         WHERE o.deleted_at IS NULL AND {}",
        OrderStatus::counted_sql("o")
    ));
    push_customer_conditions(&mut sql, caller, filters);
    sql.push(" AND o.ordered_at >= ")
        .bind(window.from)
        .push(" AND o.ordered_at < ")
        .bind(window.to)
        .push(" GROUP BY o.id, o.customer_id) t");
    let row = one_row(db, sql).await?;
    let (revenue, orders, customers): (i64, i64, i64) =
        (row.try_get("", "revenue")?, row.try_get("", "orders")?, row.try_get("", "customers")?);
    let months = (window.to - window.from).num_microseconds().unwrap_or(0) as f64 / 86_400_000_000.0 / MONTH_DAYS;
    let average_order_value = super::figures::average_cents(revenue, orders);
    let purchase_frequency = ratio(orders, customers).map(|per_customer| per_customer / months);
    let clv = average_order_value.zip(purchase_frequency).map(|(aov, frequency)| {
        let cents = aov as f64 * frequency * lifespan_months as f64;
        Money((cents + 0.5).floor() as i64)
    });
    Ok(ClvFigures { average_order_value: average_order_value.map(Money), purchase_frequency, lifespan_months, clv })
}

/// The customers with the most revenue from counted orders before `to`.
async fn top_customers(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    filters: &CustomerFilters,
    top: u64,
) -> AppResult<Vec<TopCustomer>> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(&format!(
        "SELECT c.id AS id, MAX(c.name) AS name, CAST(SUM(oi.line_amount) AS BIGINT) AS revenue, CAST(COUNT(DISTINCT o.id) AS BIGINT) AS orders \
         FROM orders o JOIN order_items oi ON oi.order_id = o.id JOIN customers c ON c.id = o.customer_id \
         WHERE o.deleted_at IS NULL AND {}",
        OrderStatus::counted_sql("o")
    ));
    push_customer_conditions(&mut sql, caller, filters);
    sql.push(" AND o.ordered_at < ")
        .bind(window.to)
        .push(" GROUP BY c.id ORDER BY revenue DESC, c.id LIMIT ")
        .bind(top as i64);
    let mut top_customers = vec![];
    for row in db.query_all_raw(sql.statement()).await? {
        top_customers.push(TopCustomer {
            customer_id: row.try_get("", "id")?,
            label: row.try_get("", "name")?,
            revenue: Money(row.try_get("", "revenue")?),
            orders: row.try_get("", "orders")?,
        });
    }
    Ok(top_customers)
}

customer_query! {
    without compare;
    /// Parameters of the retention cohorts.
    pub struct CohortQuery {
        /// Cohort and period size: `day`, `week`, `month` (default), `quarter` or `year`; at most 120 cohorts.
        pub granularity: Option<super::window::Granularity>,
    }
}

/// One period of a cohort.
#[derive(Debug, Serialize, ToSchema)]
pub struct CohortPeriod {
    /// The period's first day.
    pub period: chrono::NaiveDate,
    /// Periods since the cohort's own (0 = the cohort's period).
    pub offset: usize,
    /// Customers of the cohort with a counted order in the period (before `to`).
    pub customers: i64,
    /// customers / the cohort's size.
    pub share: Option<f64>,
}

/// The customers whose first counted order fell in one period.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cohort {
    /// The period of the first counted order (its first day).
    pub cohort: chrono::NaiveDate,
    /// Customers in the cohort.
    pub customers: i64,
    /// Every period from the cohort's own to the last before `to`.
    pub periods: Vec<CohortPeriod>,
}

/// Retention by cohort.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cohorts {
    /// The resolved window: the cohorts are the periods it covers; orders count until its end.
    pub window: Window,
    /// The filters applied.
    pub filters: CustomerFilters,
    /// The period size.
    pub granularity: super::window::Granularity,
    /// One per period of the window, oldest first (empty cohorts too).
    pub cohorts: Vec<Cohort>,
}

/// At most this many cohorts per request (7,260 cells): ten years by
/// month, two years by week, four months by day.
pub const MAX_COHORTS: usize = 120;

/// Customers grouped by the period of their first counted order ever, and
/// for each later period the number and share that ordered in it: each
/// customer's distinct active periods before `to`, joined to its first.
pub async fn cohorts(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &CohortQuery,
    calendar: Calendar,
) -> AppResult<Cohorts> {
    use super::window::{Granularity, series_buckets};
    use crate::sql::bucket_text_sql;
    let window = query.window(calendar)?;
    let granularity = query.granularity.unwrap_or(Granularity::Month);
    let (granularity, starts) = series_buckets(&window, Some(granularity))?;
    // The matrix is triangular: n cohorts have n(n+1)/2 periods.
    if starts.len() > MAX_COHORTS {
        return Err(crate::error::AppError::validation(
            "granularity",
            "too_many_cohorts",
            format!("the window has {} cohorts at this granularity; at most {MAX_COHORTS}", starts.len()),
        ));
    }
    let filters = query.filters();
    let backend = db.get_database_backend();
    // Every order before `to` counts, however early: its local period.
    let local =
        calendar.local_sql(backend, "o.ordered_at", Span::Between(chrono::DateTime::<chrono::Utc>::MIN_UTC, window.to));
    let bucket = calendar.bucket_start_sql(granularity, backend, &local);
    let mut sql = Sql::new(backend);
    sql.push(&format!("WITH activity AS (SELECT DISTINCT o.customer_id, {bucket} AS bucket"));
    push_counted_orders(&mut sql, caller, &filters);
    sql.push(" AND o.ordered_at < ").bind(window.to).push(
        "), firsts AS (SELECT customer_id, MIN(bucket) AS cohort FROM activity GROUP BY customer_id) \
         SELECT ",
    );
    sql.push(&format!(
        "{} AS cohort, {} AS period, CAST(COUNT(*) AS BIGINT) AS customers \
         FROM firsts f JOIN activity a ON a.customer_id = f.customer_id GROUP BY f.cohort, a.bucket",
        bucket_text_sql(backend, "f.cohort"),
        bucket_text_sql(backend, "a.bucket")
    ));
    let mut counts = std::collections::HashMap::new();
    for row in db.query_all_raw(sql.statement()).await? {
        let date = |column: &str| -> AppResult<chrono::NaiveDate> {
            let text: String = row.try_get("", column)?;
            chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map_err(|e| crate::error::AppError::internal(format!("bucket {text}: {e}")))
        };
        counts.insert((date("cohort")?, date("period")?), row.try_get::<i64>("", "customers")?);
    }
    let cohorts = starts
        .into_iter()
        .map(|cohort| {
            let size = counts.get(&(cohort, cohort)).copied().unwrap_or(0);
            let periods = window
                .with(calendar.midnight(cohort), window.to)
                .buckets(granularity)
                .into_iter()
                .enumerate()
                .map(|(offset, period)| {
                    let customers = counts.get(&(cohort, period)).copied().unwrap_or(0);
                    CohortPeriod { period, offset, customers, share: ratio(customers, size) }
                })
                .collect();
            Cohort { cohort, customers: size, periods }
        })
        .collect();
    Ok(Cohorts { window, filters, granularity, cohorts })
}
