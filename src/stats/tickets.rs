//! Ticket statistics: volumes, backlog, first response and resolution
//! times (average, median, 90th percentile) and CSAT, in total, per bucket
//! and per category, priority, channel or agent. Satisfaction (CSAT and
//! NPS) is `satisfaction.rs`, SLA attainment `sla.rs`.

use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use std::collections::HashMap;

mod rollup;

use super::figures::{Distribution, change, ratio};
use super::window::{Granularity, Window, bucket_windows, push_windows_join, series_buckets};
use crate::auth::AuthUser;
use crate::calendar::Calendar;
use crate::domain::enums::Priority;
use crate::error::{AppError, AppResult};
use crate::sql::{Sql, group_key, minutes_between, one_row, push_grouped_distribution};

/// Declares a service statistics query: the window and comparison, the
/// ticket filters, then the endpoint's own parameters.
macro_rules! service_query {
    ($(#[$meta:meta])* pub struct $name:ident { $($rest:tt)* }) => {
        crate::stats_query! {
            $(#[$meta])*
            pub struct $name {
                /// Only tickets assigned to this user.
                pub assignee_id: Option<Uuid>,
                /// Only tickets assigned to members of this team.
                pub team_id: Option<Uuid>,
                /// Only tickets of this channel.
                pub channel: Option<String>,
                /// Only tickets of this category.
                pub category: Option<String>,
                pub priority: Option<Priority>,
                /// Only tickets of customers of this segment.
                pub customer_segment: Option<String>,
                $($rest)*
            }
        }

        impl $name {
            fn filters(&self) -> ServiceFilters {
                ServiceFilters {
                    assignee_id: self.assignee_id,
                    team_id: self.team_id,
                    channel: self.channel.clone(),
                    category: self.category.clone(),
                    priority: self.priority,
                    customer_segment: self.customer_segment.clone(),
                }
            }
        }
    };
}

service_query! {
    /// Parameters of the service summary.
    pub struct ServiceQuery {}
}

service_query! {
    /// Parameters of the service time series.
    pub struct ServiceTimeseriesQuery {
        /// Bucket size; default `day` for windows up to 31 days, `month` otherwise.
        pub granularity: Option<Granularity>,
    }
}

/// What a service breakdown groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceDimension {
    Category,
    Priority,
    Channel,
    /// The assigned agent (`key` is the user id, `label` the name).
    Agent,
}

impl ServiceDimension {
    /// The grouping expression, and whether it is an id labelled by a user name.
    fn column(self) -> (&'static str, bool) {
        match self {
            ServiceDimension::Category => ("t.category", false),
            ServiceDimension::Priority => ("t.priority", false),
            ServiceDimension::Channel => ("t.channel", false),
            ServiceDimension::Agent => ("t.assignee_id", true),
        }
    }
}

service_query! {
    /// Parameters of the service breakdown.
    pub struct ServiceBreakdownQuery {
        /// The dimension to group by.
        pub by: Option<ServiceDimension>,
    }
}

/// The filters applied to a service statistic.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ServiceFilters {
    /// The `assignee_id` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<Uuid>,
    /// The `team_id` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    /// The `channel` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The `category` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The `priority` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// The `customer_segment` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_segment: Option<String>,
}

/// Customer satisfaction from ticket ratings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Csat {
    /// Mean score, 1–5; `null` without ratings.
    pub avg: Option<f64>,
    /// Ratings given.
    pub responses: i64,
    /// Share of ratings of 4 or 5.
    pub satisfied_rate: Option<f64>,
}

/// The service figures of a window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct ServiceFigures {
    /// Tickets created in the window.
    pub created: i64,
    /// Of those, resolved before `to`.
    pub resolved: i64,
    /// resolved / created.
    pub resolution_rate: Option<f64>,
    /// Tickets created before `to` and neither resolved nor closed before `to`, whenever created.
    pub backlog: i64,
    /// Minutes from creation to first response, over the window's tickets answered before `to`.
    pub first_response_minutes: Distribution,
    /// Hours from creation to resolution, over the window's tickets resolved before `to`.
    pub resolution_hours: Distribution,
    /// Ratings of the window's tickets.
    pub csat: Csat,
}

/// The relative change of the headline figures.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ServiceChange {
    /// Relative change of `created`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub created: Option<f64>,
    /// Relative change of `resolved`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub resolved: Option<f64>,
    /// Relative change of `resolution_rate`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub resolution_rate: Option<f64>,
    /// Relative change of `backlog`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub backlog: Option<f64>,
    /// Relative change of `first_response_minutes_avg`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub first_response_minutes_avg: Option<f64>,
    /// Relative change of `resolution_hours_avg`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub resolution_hours_avg: Option<f64>,
    /// Relative change of `csat_avg`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub csat_avg: Option<f64>,
}

/// The service summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceSummary {
    pub window: Window,
    pub filters: ServiceFilters,
    #[serde(flatten)]
    pub figures: ServiceFigures,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<ServiceFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<ServiceChange>,
}

/// `AND` the ticket (`t`) is in the caller's scope ([`Scope::tickets`]).
pub(super) fn push_ticket_scope(sql: &mut Sql, caller: &AuthUser) {
    crate::auth::scope::Scope::tickets(caller).push_and(sql, "t.assignee_id");
}

/// `FROM tickets t … WHERE` the filters and scope hold (no time
/// condition), with `join` (a windows join, see [`push_windows_join`])
/// right after the tickets, and the agents as `u` when `users` is set.
pub(super) fn push_tickets(
    sql: &mut Sql,
    caller: &AuthUser,
    filters: &ServiceFilters,
    users: bool,
    join: impl FnOnce(&mut Sql),
) {
    sql.push(" FROM tickets t");
    join(sql);
    if filters.customer_segment.is_some() {
        sql.push(" JOIN customers c ON c.id = t.customer_id");
    }
    if users || filters.team_id.is_some() {
        sql.push(" LEFT JOIN users u ON u.id = t.assignee_id");
    }
    sql.push(" WHERE t.deleted_at IS NULL");
    sql.and_id("t.assignee_id", filters.assignee_id);
    sql.and_id("u.team_id", filters.team_id);
    if let Some(priority) = filters.priority {
        sql.push(" AND t.priority = ").bind(priority.as_str());
    }
    sql.and_eq("t.channel", filters.channel.as_ref());
    sql.and_eq("t.category", filters.category.as_ref());
    sql.and_eq("c.segment", filters.customer_segment.as_ref());
    push_ticket_scope(sql, caller);
}

/// The tickets created in each window `b`.
const CREATED_IN_B: &str = "t.created_at >= b.s AND t.created_at < b.e";

/// The CSAT columns over the selected tickets, read by [`Csat::read`].
const CSAT_COLUMNS: &str = "CAST(COUNT(t.satisfaction_score) AS BIGINT) AS csat_responses, \
     CAST(COALESCE(SUM(t.satisfaction_score), 0) AS BIGINT) AS csat_sum, \
     CAST(COUNT(CASE WHEN t.satisfaction_score >= 4 THEN 1 END) AS BIGINT) AS csat_satisfied";
impl Csat {
    fn read(row: &sea_orm::QueryResult) -> AppResult<Self> {
        let get = |name: &str| row.try_get::<i64>("", name).map_err(AppError::from);
        let (responses, score_sum, satisfied) = (get("csat_responses")?, get("csat_sum")?, get("csat_satisfied")?);
        Ok(Csat { avg: ratio(score_sum, responses), responses, satisfied_rate: ratio(satisfied, responses) })
    }
}

/// A group of the service figures: the index of its window and, in a
/// breakdown, the dimension's value.
type GroupKey = (usize, Option<String>);

/// What the grouped queries found for one group.
#[derive(Default)]
struct Tally {
    created: i64,
    resolved: i64,
    /// Tickets of the group resolved in its window, whenever created.
    resolved_in_window: i64,
    first_response_minutes: Distribution,
    resolution_minutes: Distribution,
    csat: Csat,
}

/// The grouping columns `bucket` (the window's index) and, with a
/// dimension, `group_key` and `group_label`.
fn push_group_columns(sql: &mut Sql, dimension: Option<ServiceDimension>, bucket: bool) {
    sql.push("SELECT ");
    if bucket {
        sql.push("b.i AS bucket, ");
    }
    if let Some(dimension) = dimension {
        let (key, is_id) = dimension.column();
        let label = if is_id { "MAX(u.name)" } else { "NULL" };
        sql.push(&format!("{key} AS group_key, {label} AS group_label, "));
    }
}

fn push_group_by(sql: &mut Sql, dimension: Option<ServiceDimension>, bucket: bool) {
    let mut columns = vec![];
    if bucket {
        columns.push("b.i");
    }
    if let Some(dimension) = dimension {
        columns.push(dimension.column().0);
    }
    if !columns.is_empty() {
        sql.push(&format!(" GROUP BY {}", columns.join(", ")));
    }
}

/// The service figures of each window (each as of its own end) and, with
/// a dimension, of each of its values: from the daily service rollup
/// where it keeps what the request names (`rollup`), else a
/// handful of aggregate queries
/// whose results have one row per group. Rows are keyed by the window's
/// index and the value; labels name the agents.
async fn grouped_figures(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    windows: &[Window],
    dimension: Option<ServiceDimension>,
    filters: &ServiceFilters,
) -> AppResult<(HashMap<GroupKey, ServiceFigures>, HashMap<String, String>)> {
    if let Some(grain) = rollup::grain(caller, dimension, filters) {
        return rollup::figures(db, caller, windows, dimension, filters, grain).await;
    }
    let backend = db.get_database_backend();
    let is_id = dimension.is_some_and(|d| d.column().1);
    let users = is_id;
    let mut tallies: HashMap<GroupKey, Tally> = HashMap::new();
    let mut labels: HashMap<String, String> = HashMap::new();
    let mut read_key = |row: &sea_orm::QueryResult, bucket: bool| -> AppResult<GroupKey> {
        let index = if bucket { row.try_get::<i64>("", "bucket")? as usize } else { 0 };
        let key = match dimension {
            Some(_) => group_key(row, "group_key", is_id)?,
            None => None,
        };
        if let (Some(key), true) = (&key, is_id)
            && let Some(label) = row.try_get::<Option<String>>("", "group_label")?
        {
            labels.insert(key.clone(), label);
        }
        Ok((index, key))
    };

    // Created, resolved (as of each window's end) and CSAT.
    let mut sql = Sql::new(backend);
    push_group_columns(&mut sql, dimension, true);
    sql.push(&format!(
        "CAST(COUNT(*) AS BIGINT) AS created, CAST(COUNT(CASE WHEN t.resolved_at < b.e THEN 1 END) AS BIGINT) AS resolved, {CSAT_COLUMNS}"
    ));
    push_tickets(&mut sql, caller, filters, users, |sql| push_windows_join(sql, "b", windows, CREATED_IN_B));
    push_group_by(&mut sql, dimension, true);
    for row in db.query_all_raw(sql.statement()).await? {
        let tally = tallies.entry(read_key(&row, true)?).or_default();
        tally.created = row.try_get("", "created")?;
        tally.resolved = row.try_get("", "resolved")?;
        tally.csat = Csat::read(&row)?;
    }

    // Resolutions in each window, for the backlog.
    let mut sql = Sql::new(backend);
    push_group_columns(&mut sql, dimension, true);
    sql.push("CAST(COUNT(*) AS BIGINT) AS n");
    push_tickets(&mut sql, caller, filters, users, |sql| {
        push_windows_join(sql, "b", windows, "t.resolved_at >= b.s AND t.resolved_at < b.e")
    });
    push_group_by(&mut sql, dimension, true);
    for row in db.query_all_raw(sql.statement()).await? {
        tallies.entry(read_key(&row, true)?).or_default().resolved_in_window = row.try_get("", "n")?;
    }

    // Response and resolution times of the tickets answered (resolved)
    // before their window's end.
    let groups: &[&str] = if dimension.is_some() { &["bucket", "group_key"] } else { &["bucket"] };
    for (event, resolution) in [("t.first_response_at", false), ("t.resolved_at", true)] {
        let mut sql = Sql::new(backend);
        push_grouped_distribution(&mut sql, groups, |sql| {
            sql.push("SELECT b.i AS bucket, ");
            if let Some(dimension) = dimension {
                sql.push(&format!("{} AS group_key, ", dimension.column().0));
            }
            sql.push(&format!("{} AS x", minutes_between(backend, "t.created_at", event)));
            push_tickets(sql, caller, filters, false, |sql| push_windows_join(sql, "b", windows, CREATED_IN_B));
            sql.push(&format!(" AND {event} IS NOT NULL AND {event} < b.e"));
        });
        for row in db.query_all_raw(sql.statement()).await? {
            let index = row.try_get::<i64>("", "bucket")? as usize;
            let key = if dimension.is_some() { group_key(&row, "group_key", is_id)? } else { None };
            let tally = tallies.entry((index, key)).or_default();
            let (distribution, _) = Distribution::read(&row)?;
            if resolution {
                tally.resolution_minutes = distribution;
            } else {
                tally.first_response_minutes = distribution;
            }
        }
    }

    // The backlog at the first window's start; each window's end adds its
    // created and takes away its resolved tickets (the windows are
    // consecutive, and a ticket is never resolved before it is created).
    let mut backlog: HashMap<Option<String>, i64> = HashMap::new();
    if let Some(first) = windows.first() {
        let mut sql = Sql::new(backend);
        push_group_columns(&mut sql, dimension, false);
        sql.push("CAST(COUNT(*) AS BIGINT) AS n");
        push_tickets(&mut sql, caller, filters, users, |_| {});
        sql.push(" AND t.created_at < ")
            .bind(first.from)
            .push(" AND (t.resolved_at IS NULL OR t.resolved_at >= ")
            .bind(first.from)
            .push(")");
        push_group_by(&mut sql, dimension, false);
        for row in db.query_all_raw(sql.statement()).await? {
            let (_, key) = read_key(&row, false)?;
            backlog.insert(key, row.try_get("", "n")?);
        }
    }
    let keys: std::collections::BTreeSet<Option<String>> =
        tallies.keys().map(|(_, key)| key.clone()).chain(backlog.keys().cloned()).collect();
    let mut out = HashMap::new();
    for key in keys {
        let mut open = backlog.get(&key).copied().unwrap_or(0);
        for index in 0..windows.len() {
            let tally = tallies.remove(&(index, key.clone())).unwrap_or_default();
            open += tally.created - tally.resolved_in_window;
            out.insert(
                (index, key.clone()),
                ServiceFigures {
                    created: tally.created,
                    resolved: tally.resolved,
                    resolution_rate: ratio(tally.resolved, tally.created),
                    backlog: open,
                    first_response_minutes: tally.first_response_minutes,
                    resolution_hours: tally.resolution_minutes.scaled(1.0 / 60.0),
                    csat: tally.csat,
                },
            );
        }
    }
    Ok((out, labels))
}

/// The service figures of one window.
pub async fn figures(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    filters: &ServiceFilters,
) -> AppResult<ServiceFigures> {
    let (mut groups, _) = grouped_figures(db, caller, std::slice::from_ref(window), None, filters).await?;
    Ok(groups.remove(&(0, None)).unwrap_or_default())
}

/// CSAT over the ratings of the tickets created in the window.
pub async fn csat(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    filters: &ServiceFilters,
) -> AppResult<Csat> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT ").push(CSAT_COLUMNS);
    push_tickets(&mut sql, caller, filters, false, |sql| {
        push_windows_join(sql, "b", std::slice::from_ref(window), CREATED_IN_B)
    });
    Csat::read(&one_row(db, sql).await?)
}

fn figure_change(current: &ServiceFigures, previous: &ServiceFigures) -> ServiceChange {
    ServiceChange {
        created: change(current.created as f64, previous.created as f64),
        resolved: change(current.resolved as f64, previous.resolved as f64),
        resolution_rate: super::figures::change_opt(current.resolution_rate, previous.resolution_rate),
        backlog: change(current.backlog as f64, previous.backlog as f64),
        first_response_minutes_avg: super::figures::change_opt(
            current.first_response_minutes.avg,
            previous.first_response_minutes.avg,
        ),
        resolution_hours_avg: super::figures::change_opt(current.resolution_hours.avg, previous.resolution_hours.avg),
        csat_avg: super::figures::change_opt(current.csat.avg, previous.csat.avg),
    }
}

pub async fn summary(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &ServiceQuery,
    calendar: Calendar,
) -> AppResult<ServiceSummary> {
    let window = query.window(calendar)?;
    let filters = query.filters();
    let current = figures(db, caller, &window, &filters).await?;
    let (previous_window, previous, change) = match query.compare {
        Some(compare) => {
            let previous_window = window.previous(compare);
            let previous = figures(db, caller, &previous_window, &filters).await?;
            let change = figure_change(&current, &previous);
            (Some(previous_window), Some(previous), Some(change))
        }
        None => (None, None, None),
    };
    Ok(ServiceSummary { window, filters, figures: current, previous_window, previous, change })
}

/// One bucket of the service time series, a window of its own: the
/// figures of the tickets created in it, as of its end.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServicePeriod {
    /// The first instant of the bucket, with the organization's offset (`2026-04-01T00:00:00+08:00`).
    pub period_start: crate::calendar::LocalTime,
    #[serde(flatten)]
    pub figures: ServiceFigures,
}

/// The service figures per bucket, every bucket of the window present.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceTimeseries {
    pub window: Window,
    pub filters: ServiceFilters,
    pub granularity: Granularity,
    /// Every bucket of the window, in order.
    pub rows: Vec<ServicePeriod>,
    /// The figures of the whole window.
    pub total: ServiceFigures,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    /// The comparison window's buckets, with `compare`: aligned with `rows` by position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_rows: Option<Vec<ServicePeriod>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_total: Option<ServiceFigures>,
    /// The relative change of the totals, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<ServiceChange>,
}

pub async fn timeseries(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &ServiceTimeseriesQuery,
    calendar: Calendar,
) -> AppResult<ServiceTimeseries> {
    let window = query.window(calendar)?;
    let filters = query.filters();
    let (granularity, starts) = series_buckets(&window, query.granularity)?;
    let rows = periods(db, caller, &window, granularity, &starts, &filters).await?;
    let total = figures(db, caller, &window, &filters).await?;
    let mut out = ServiceTimeseries {
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
        let starts = previous_window.buckets(granularity);
        out.previous_rows = Some(periods(db, caller, &previous_window, granularity, &starts, &out.filters).await?);
        let previous_total = figures(db, caller, &previous_window, &out.filters).await?;
        out.change = Some(figure_change(&out.total, &previous_total));
        out.previous_total = Some(previous_total);
        out.previous_window = Some(previous_window);
    }
    Ok(out)
}

/// The figures of each bucket of `window`, each as of its own end.
async fn periods(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    granularity: Granularity,
    starts: &[chrono::NaiveDate],
    filters: &ServiceFilters,
) -> AppResult<Vec<ServicePeriod>> {
    let windows = bucket_windows(granularity, starts, window);
    let (mut groups, _) = grouped_figures(db, caller, &windows, None, filters).await?;
    Ok(starts
        .iter()
        .enumerate()
        .map(|(index, start)| ServicePeriod {
            period_start: window.calendar.period_start(*start),
            figures: groups.remove(&(index, None)).unwrap_or_default(),
        })
        .collect())
}

/// One value of a service breakdown.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceGroup {
    /// The value: the agent's user id for `agent`, else the text; `null` when unset.
    pub key: Option<String>,
    /// The agent's name, for `agent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(flatten)]
    pub figures: ServiceFigures,
    /// The value's share of the tickets created in the window.
    pub share: Option<f64>,
    /// The value's figures in the comparison window, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<ServiceFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<ServiceChange>,
}

/// The service figures per value of a dimension, most tickets first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceBreakdown {
    pub window: Window,
    pub filters: ServiceFilters,
    pub by: ServiceDimension,
    /// Every value with tickets created in the window or in the backlog at `to` (with `compare`, in either window).
    pub rows: Vec<ServiceGroup>,
    pub total: ServiceFigures,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_total: Option<ServiceFigures>,
}

pub async fn breakdown(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &ServiceBreakdownQuery,
    calendar: Calendar,
) -> AppResult<ServiceBreakdown> {
    let window = query.window(calendar)?;
    let filters = query.filters();
    let by = query.by.ok_or_else(|| AppError::validation("by", "required", "is required"))?;
    let (current, mut labels) = grouped_figures(db, caller, std::slice::from_ref(&window), Some(by), &filters).await?;
    let total = figures(db, caller, &window, &filters).await?;
    let previous_window = query.compare.map(|compare| window.previous(compare));
    let (previous, previous_total) = match &previous_window {
        Some(previous_window) => {
            let (groups, more) =
                grouped_figures(db, caller, std::slice::from_ref(previous_window), Some(by), &filters).await?;
            labels.extend(more);
            (Some(groups), Some(figures(db, caller, previous_window, &filters).await?))
        }
        None => (None, None),
    };
    // One window each: drop the window index from the keys.
    let strip = |groups: HashMap<GroupKey, ServiceFigures>| -> HashMap<Option<String>, ServiceFigures> {
        groups.into_iter().map(|((_, key), figures)| (key, figures)).collect()
    };
    let mut rows: Vec<ServiceGroup> = super::figures::paired(strip(current), previous.map(strip))
        .into_iter()
        .map(|(key, figures, before)| ServiceGroup {
            label: key.as_ref().and_then(|key| labels.get(key).cloned()),
            share: ratio(figures.created, total.created),
            change: before.as_ref().map(|before| figure_change(&figures, before)),
            previous: before,
            key,
            figures,
        })
        .collect();
    rows.sort_by(|a, b| {
        (b.figures.created, b.figures.backlog)
            .cmp(&(a.figures.created, a.figures.backlog))
            .then_with(|| a.key.cmp(&b.key))
    });
    Ok(ServiceBreakdown { window, filters, by, rows, total, previous_window, previous_total })
}
