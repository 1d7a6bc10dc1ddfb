//! Employee and team performance: revenue, deals, customers, pipeline,
//! tasks, tickets, activities and revenue targets per person, summed per
//! team. Every figure is a query grouped by window and person, so a
//! scorecard's time series costs the same few queries as one window.

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Value};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::figures::{average_cents, change, change_opt, ratio};
use super::window::{
    Compare, Granularity, Window, bucket_windows, push_indexed_windows_join, push_windows_join, series_buckets,
};
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::calendar::Calendar;
use crate::domain::enums::{ActivityType, OrderStatus};
use crate::domain::{Money, Role};
use crate::error::{AppError, AppResult};
use crate::sql::{Sql, count_distinct, minutes_between, push_values_join, sum};

crate::stats_query! {
    /// Parameters of employee and team performance.
    pub struct PerformanceQuery {
        /// Only members of this team.
        pub team_id: Option<Uuid>,
        /// Only users of this role.
        pub role: Option<Role>,
    }
}

crate::stats_query! {
    /// Parameters of an employee's scorecard. The comparison window is the
    /// previous period unless `compare` says otherwise.
    pub struct ScorecardQuery {
        /// Bucket size of the time series; default `day` for windows up to 31 days, `month` otherwise.
        pub granularity: Option<Granularity>,
    }
}

/// The filters applied to a performance statistic.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct PeopleFilters {
    /// The `team_id` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    /// The `role` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The one employee of a scorecard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
}

/// Activities per type.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct ActivityCounts {
    /// Activities of type `call`.
    pub call: i64,
    /// Activities of type `email`.
    pub email: i64,
    /// Activities of type `meeting`.
    pub meeting: i64,
    /// Activities of type `visit`.
    pub visit: i64,
    /// Activities of type `social`.
    pub social: i64,
    /// Activities of type `note`.
    pub note: i64,
    /// All types.
    pub total: i64,
}

/// The performance figures of an employee (or a team) in a window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct PerformanceFigures {
    /// Revenue of the counted orders credited to them, placed in the window.
    pub revenue: Money,
    /// Those orders.
    pub orders: i64,
    /// Opportunities they own won in the window (closed in it).
    pub deals_won: i64,
    /// Opportunities they own lost in the window.
    pub deals_lost: i64,
    /// deals_won / (deals_won + deals_lost).
    pub win_rate: Option<f64>,
    /// Customers created in the window (and existing at `to`) that they own now.
    pub new_customers: i64,
    /// Won amount / deals won, rounded half-up to the cent.
    pub avg_deal_size: Option<Money>,
    /// The amount of their open opportunities now.
    pub pipeline: Money,
    /// Their tasks due in the window (cancelled tasks do not count).
    pub tasks_due: i64,
    /// Of those, completed before `to` and no later than due.
    pub tasks_completed_on_time: i64,
    /// Tasks due in the window completed before `to` / tasks due.
    pub task_completion_rate: Option<f64>,
    /// Tickets assigned to them resolved in the window.
    pub tickets_resolved: i64,
    /// Mean minutes to first response of the tickets assigned to them and created in the window, answered before `to`.
    pub first_response_minutes_avg: Option<f64>,
    /// Mean rating (1–5) of the tickets assigned to them and created in the window.
    pub csat_avg: Option<f64>,
    /// Activities they logged in the window, per type.
    pub activities: ActivityCounts,
    /// Their revenue targets whose period lies inside the window.
    pub target: Money,
    /// revenue / target; `null` without a target.
    pub attainment: Option<f64>,
}

/// The relative change of the headline figures.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct PerformanceChange {
    /// Relative change of `revenue`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub revenue: Option<f64>,
    /// Relative change of `orders`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub orders: Option<f64>,
    /// Relative change of `deals_won`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub deals_won: Option<f64>,
    /// Relative change of `win_rate`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub win_rate: Option<f64>,
    /// Relative change of `new_customers`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub new_customers: Option<f64>,
    /// Relative change of `tickets_resolved`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub tickets_resolved: Option<f64>,
    /// Relative change of `task_completion_rate`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub task_completion_rate: Option<f64>,
    /// Relative change of `attainment`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub attainment: Option<f64>,
}

/// Everything counted for one person in one window; sums, so that teams
/// add up their members.
#[derive(Clone, Debug, Default)]
struct Sums {
    revenue: i64,
    orders: i64,
    won: i64,
    lost: i64,
    won_amount: i64,
    new_customers: i64,
    pipeline: i64,
    tasks_due: i64,
    tasks_completed: i64,
    tasks_on_time: i64,
    tickets_resolved: i64,
    response_minutes: f64,
    responses: i64,
    csat_sum: i64,
    csat_count: i64,
    activities: [i64; 6],
    target: i64,
}

impl Sums {
    fn add(&mut self, other: &Sums) {
        self.revenue += other.revenue;
        self.orders += other.orders;
        self.won += other.won;
        self.lost += other.lost;
        self.won_amount += other.won_amount;
        self.new_customers += other.new_customers;
        self.pipeline += other.pipeline;
        self.tasks_due += other.tasks_due;
        self.tasks_completed += other.tasks_completed;
        self.tasks_on_time += other.tasks_on_time;
        self.tickets_resolved += other.tickets_resolved;
        self.response_minutes += other.response_minutes;
        self.responses += other.responses;
        self.csat_sum += other.csat_sum;
        self.csat_count += other.csat_count;
        for (mine, theirs) in self.activities.iter_mut().zip(other.activities) {
            *mine += theirs;
        }
        self.target += other.target;
    }

    fn figures(&self) -> PerformanceFigures {
        let [call, email, meeting, visit, social, note] = self.activities;
        PerformanceFigures {
            revenue: Money(self.revenue),
            orders: self.orders,
            deals_won: self.won,
            deals_lost: self.lost,
            win_rate: ratio(self.won, self.won + self.lost),
            new_customers: self.new_customers,
            avg_deal_size: average_cents(self.won_amount, self.won).map(Money),
            pipeline: Money(self.pipeline),
            tasks_due: self.tasks_due,
            tasks_completed_on_time: self.tasks_on_time,
            task_completion_rate: ratio(self.tasks_completed, self.tasks_due),
            tickets_resolved: self.tickets_resolved,
            first_response_minutes_avg: (self.responses > 0).then(|| self.response_minutes / self.responses as f64),
            csat_avg: ratio(self.csat_sum, self.csat_count),
            activities: ActivityCounts {
                call,
                email,
                meeting,
                visit,
                social,
                note,
                total: self.activities.iter().sum(),
            },
            target: Money(self.target),
            attainment: ratio(self.revenue, self.target),
        }
    }
}

fn money(m: Money) -> f64 {
    m.cents() as f64
}

fn figure_change(current: &PerformanceFigures, previous: &PerformanceFigures) -> PerformanceChange {
    let count = |c: i64, p: i64| change(c as f64, p as f64);
    PerformanceChange {
        revenue: change(money(current.revenue), money(previous.revenue)),
        orders: count(current.orders, previous.orders),
        deals_won: count(current.deals_won, previous.deals_won),
        win_rate: change_opt(current.win_rate, previous.win_rate),
        new_customers: count(current.new_customers, previous.new_customers),
        tickets_resolved: count(current.tickets_resolved, previous.tickets_resolved),
        task_completion_rate: change_opt(current.task_completion_rate, previous.task_completion_rate),
        attainment: change_opt(current.attainment, previous.attainment),
    }
}

/// An employee in scope.
struct Person {
    id: Uuid,
    name: String,
    team_id: Option<Uuid>,
    active: bool,
}

/// `AND column` is an employee the caller may see and the filters keep.
fn push_people(sql: &mut Sql, caller: &AuthUser, column: &str, filters: &PeopleFilters) {
    Scope::owned(caller).push_and(sql, column);
    sql.and_id(column, filters.user_id);
    sql.and_in_team(column, filters.team_id);
    if let Some(role) = filters.role {
        sql.push(&format!(" AND {column} IN (SELECT id FROM users WHERE role = ")).bind(role.as_str()).push(")");
    }
}

async fn people(db: &impl ConnectionTrait, caller: &AuthUser, filters: &PeopleFilters) -> AppResult<Vec<Person>> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT u.id AS id, u.name AS name, u.team_id AS team_id, u.active AS active FROM users u WHERE u.deleted_at IS NULL");
    push_people(&mut sql, caller, "u.id", filters);
    let mut out = vec![];
    for row in db.query_all_raw(sql.statement()).await? {
        out.push(Person {
            id: row.try_get("", "id")?,
            name: row.try_get("", "name")?,
            team_id: row.try_get("", "team_id")?,
            active: row.try_get("", "active")?,
        });
    }
    Ok(out)
}

/// The first and last `period_start` of the month, quarter and year
/// periods that lie inside `window`.
fn period_bounds(window: &Window) -> Vec<Value> {
    let (first, end) = window.whole_days();
    let mut row = vec![];
    for months in [1, 3, 12] {
        row.push(Value::from(first));
        row.push(Value::from(end.checked_sub_months(Months::new(months)).unwrap_or(NaiveDate::MIN)));
    }
    row
}

/// `JOIN` the windows' target periods as `tw` and keep the targets whose
/// period lies inside each.
fn push_target_periods(sql: &mut Sql, windows: &[Window]) {
    let rows = windows.iter().enumerate().map(|(index, window)| {
        let mut row = vec![Value::from(index as i64)];
        row.extend(period_bounds(window));
        row
    });
    push_values_join(
        sql,
        "tw",
        &["i", "m1", "m2", "q1", "q2", "y1", "y2"],
        rows,
        "(tg.period = 'month' AND tg.period_start >= tw.m1 AND tg.period_start <= tw.m2) \
         OR (tg.period IN ('quarter', 'fiscal_quarter') AND tg.period_start >= tw.q1 AND tg.period_start <= tw.q2) \
         OR (tg.period IN ('year', 'fiscal_year') AND tg.period_start >= tw.y1 AND tg.period_start <= tw.y2)",
    );
}

type Grid = HashMap<(usize, Uuid), Sums>;

/// Runs a query grouped by window (`bucket`) and person (`person`) and
/// folds each row into the grid.
async fn fold(
    db: &impl ConnectionTrait,
    grid: &mut Grid,
    sql: Sql,
    mut apply: impl FnMut(&mut Sums, &QueryResult) -> AppResult<()>,
) -> AppResult<()> {
    for row in db.query_all_raw(sql.statement()).await? {
        let Some(person) = row.try_get::<Option<Uuid>>("", "person")? else { continue };
        let bucket = row.try_get::<i64>("", "bucket")? as usize;
        apply(grid.entry((bucket, person)).or_default(), &row)?;
    }
    Ok(())
}

fn get(row: &QueryResult, name: &str) -> AppResult<i64> {
    row.try_get::<i64>("", name).map_err(AppError::from)
}

/// Each window's whole days (`[index, first, end)` rows for a values
/// join) where a daily rollup may be read, and the rest of it (the parts
/// of a day at either end, or the whole window), by window index.
fn split_for_rollup(windows: &[Window]) -> (Vec<Vec<Value>>, Vec<(usize, Window)>) {
    let (mut days, mut rest) = (vec![], vec![]);
    for (index, window) in windows.iter().enumerate() {
        match window.split_days().filter(|_| crate::rollup::enabled()) {
            Some(((first, end), edges)) => {
                days.push(vec![Value::from(index as i64), first.into(), end.into()]);
                rest.extend(edges.into_iter().map(|edge| (index, edge)));
            }
            None => rest.push((index, *window)),
        }
    }
    (days, rest)
}

/// Revenue and orders per person and window: the whole days of each window
/// from the daily sales rollup (when it may be read), the rest of a day at
/// either end from the order lines.
async fn sales(
    db: &impl ConnectionTrait,
    grid: &mut Grid,
    caller: &AuthUser,
    windows: &[Window],
    filters: &PeopleFilters,
) -> AppResult<()> {
    let backend = db.get_database_backend();
    let (days, rest) = split_for_rollup(windows);
    let add = |s: &mut Sums, row: &QueryResult| {
        s.revenue += get(row, "revenue")?;
        s.orders += get(row, "orders")?;
        Ok(())
    };
    if !rest.is_empty() {
        let mut sql = Sql::new(backend);
        sql.push(&format!(
            "SELECT b.i AS bucket, o.owner_id AS person, {} AS revenue, {} AS orders \
             FROM orders o JOIN order_items oi ON oi.order_id = o.id",
            sum("oi.line_amount"),
            count_distinct("o.id")
        ));
        push_indexed_windows_join(&mut sql, "b", rest, "o.ordered_at >= b.s AND o.ordered_at < b.e");
        sql.push(&format!(" WHERE o.deleted_at IS NULL AND {}", OrderStatus::counted_sql("o")));
        push_people(&mut sql, caller, "o.owner_id", filters);
        sql.push(" GROUP BY b.i, o.owner_id");
        fold(db, grid, sql, add).await?;
    }
    if !days.is_empty() {
        let mut sql = Sql::new(backend);
        sql.push(&format!(
            "SELECT b.i AS bucket, r.owner_id AS person, {} AS revenue, {} AS orders FROM {} r",
            sum("r.revenue"),
            sum("r.first_orders"),
            migration::sales_rollup::OWNERS.table
        ));
        push_values_join(&mut sql, "b", &["i", "s", "e"], days, "r.day >= b.s AND r.day < b.e");
        sql.push(" WHERE r.owner_id <> ").bind(migration::sales_rollup::NO_OWNER);
        push_people(&mut sql, caller, "r.owner_id", filters);
        sql.push(" GROUP BY b.i, r.owner_id");
        fold(db, grid, sql, add).await?;
    }
    Ok(())
}

/// Activities per person, type and window: the whole days of each window
/// from the daily activity rollup (when it may be read), the rest of a day
/// at either end from the activities.
async fn activities(
    db: &impl ConnectionTrait,
    grid: &mut Grid,
    caller: &AuthUser,
    windows: &[Window],
    filters: &PeopleFilters,
) -> AppResult<()> {
    let backend = db.get_database_backend();
    let (days, rest) = split_for_rollup(windows);
    let add = |s: &mut Sums, row: &QueryResult| {
        let kind: String = row.try_get("", "activity_type")?;
        if let Some(index) = ActivityType::ALL.iter().position(|t| t.as_str() == kind) {
            s.activities[index] += get(row, "n")?;
        }
        Ok(())
    };
    if !rest.is_empty() {
        let mut sql = Sql::new(backend);
        sql.push(
            "SELECT b.i AS bucket, a.owner_id AS person, a.type AS activity_type, CAST(COUNT(*) AS BIGINT) AS n \
             FROM activities a",
        );
        push_indexed_windows_join(&mut sql, "b", rest, "a.occurred_at >= b.s AND a.occurred_at < b.e");
        sql.push(" WHERE a.deleted_at IS NULL");
        push_people(&mut sql, caller, "a.owner_id", filters);
        sql.push(" GROUP BY b.i, a.owner_id, a.type");
        fold(db, grid, sql, add).await?;
    }
    if !days.is_empty() {
        let mut sql = Sql::new(backend);
        sql.push(&format!(
            "SELECT b.i AS bucket, r.owner_id AS person, r.type AS activity_type, {} AS n FROM {} r",
            sum("r.activities"),
            migration::activity_rollup::TABLE
        ));
        push_values_join(&mut sql, "b", &["i", "s", "e"], days, "r.day >= b.s AND r.day < b.e");
        sql.push(" WHERE r.owner_id <> ").bind(migration::sales_rollup::NO_OWNER);
        push_people(&mut sql, caller, "r.owner_id", filters);
        sql.push(" GROUP BY b.i, r.owner_id, r.type");
        fold(db, grid, sql, add).await?;
    }
    Ok(())
}

/// ` AND column IN (only)`, when only some people are asked for.
fn push_only(sql: &mut Sql, column: &str, only: Option<&[Uuid]>) {
    if let Some(only) = only {
        sql.push(&format!(" AND {column} IN ("));
        for (n, id) in only.iter().enumerate() {
            sql.push(if n == 0 { "" } else { ", " }).bind(*id);
        }
        if only.is_empty() {
            sql.push("NULL");
        }
        sql.push(")");
    }
}

/// Opportunities won and lost (and the amount won) per person and window,
/// by when they closed.
async fn deals(
    db: &impl ConnectionTrait,
    grid: &mut Grid,
    caller: &AuthUser,
    windows: &[Window],
    filters: &PeopleFilters,
    only: Option<&[Uuid]>,
) -> AppResult<()> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT b.i AS bucket, op.owner_id AS person, \
         CAST(COUNT(CASE WHEN op.stage = 'won' THEN 1 END) AS BIGINT) AS won, \
         CAST(COUNT(CASE WHEN op.stage = 'lost' THEN 1 END) AS BIGINT) AS lost, \
         CAST(COALESCE(SUM(CASE WHEN op.stage = 'won' THEN op.amount ELSE 0 END), 0) AS BIGINT) AS won_amount \
         FROM opportunities op",
    );
    push_windows_join(&mut sql, "b", windows, "op.closed_at >= b.s AND op.closed_at < b.e");
    sql.push(" WHERE op.deleted_at IS NULL");
    push_people(&mut sql, caller, "op.owner_id", filters);
    push_only(&mut sql, "op.owner_id", only);
    sql.push(" GROUP BY b.i, op.owner_id");
    fold(db, grid, sql, |s, row| {
        (s.won, s.lost, s.won_amount) = (get(row, "won")?, get(row, "lost")?, get(row, "won_amount")?);
        Ok(())
    })
    .await
}

/// Revenue targets per person and window (the periods inside each).
async fn targets(
    db: &impl ConnectionTrait,
    grid: &mut Grid,
    caller: &AuthUser,
    windows: &[Window],
    filters: &PeopleFilters,
    only: Option<&[Uuid]>,
) -> AppResult<()> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT tw.i AS bucket, tg.owner_id AS person, CAST(COALESCE(SUM(tg.target_value), 0) AS BIGINT) AS target FROM targets tg");
    push_target_periods(&mut sql, windows);
    sql.push(" WHERE tg.deleted_at IS NULL AND tg.metric = 'revenue'");
    push_people(&mut sql, caller, "tg.owner_id", filters);
    push_only(&mut sql, "tg.owner_id", only);
    sql.push(" GROUP BY tw.i, tg.owner_id");
    fold(db, grid, sql, |s, row| {
        s.target = get(row, "target")?;
        Ok(())
    })
    .await
}

/// Every person's sums in every window, from one query per source table.
async fn grid(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    windows: &[Window],
    filters: &PeopleFilters,
) -> AppResult<Grid> {
    let backend = db.get_database_backend();
    let mut grid = Grid::new();
    let scoped = |select: &str, from: &str, on: &str, column: &str, rest: &str| {
        let mut sql = Sql::new(backend);
        sql.push(&format!("SELECT b.i AS bucket, {column} AS person, {select} FROM {from}"));
        push_windows_join(&mut sql, "b", windows, on);
        sql.push(&format!(" WHERE {rest}"));
        push_people(&mut sql, caller, column, filters);
        sql.push(&format!(" GROUP BY b.i, {column}"));
        sql
    };

    sales(db, &mut grid, caller, windows, filters).await?;

    deals(db, &mut grid, caller, windows, filters, None).await?;

    let sql = scoped(
        "CAST(COUNT(*) AS BIGINT) AS n",
        "customers c",
        "c.created_at >= b.s AND c.created_at < b.e",
        "c.owner_id",
        "(c.deleted_at IS NULL OR c.deleted_at >= b.e)",
    );
    fold(db, &mut grid, sql, |s, row| {
        s.new_customers = get(row, "n")?;
        Ok(())
    })
    .await?;

    let sql = scoped(
        "CAST(COUNT(*) AS BIGINT) AS due, CAST(COUNT(CASE WHEN k.completed_at < b.e THEN 1 END) AS BIGINT) AS completed, \
         CAST(COUNT(CASE WHEN k.completed_at < b.e AND k.completed_at <= k.due_at THEN 1 END) AS BIGINT) AS on_time",
        "tasks k",
        "k.due_at >= b.s AND k.due_at < b.e",
        "k.assignee_id",
        "k.deleted_at IS NULL AND k.status <> 'cancelled'",
    );
    fold(db, &mut grid, sql, |s, row| {
        (s.tasks_due, s.tasks_completed, s.tasks_on_time) =
            (get(row, "due")?, get(row, "completed")?, get(row, "on_time")?);
        Ok(())
    })
    .await?;

    let sql = scoped(
        "CAST(COUNT(*) AS BIGINT) AS n",
        "tickets t",
        "t.resolved_at >= b.s AND t.resolved_at < b.e",
        "t.assignee_id",
        "t.deleted_at IS NULL",
    );
    fold(db, &mut grid, sql, |s, row| {
        s.tickets_resolved = get(row, "n")?;
        Ok(())
    })
    .await?;

    let minutes = minutes_between(backend, "t.created_at", "t.first_response_at");
    let response_sum = if backend == DbBackend::Postgres {
        format!("CAST(SUM(CASE WHEN t.first_response_at < b.e THEN {minutes} END) AS DOUBLE PRECISION)")
    } else {
        format!("SUM(CASE WHEN t.first_response_at < b.e THEN {minutes} END)")
    };
    let sql = scoped(
        &format!(
            "{response_sum} AS response_minutes, \
             CAST(COUNT(CASE WHEN t.first_response_at < b.e THEN 1 END) AS BIGINT) AS responses, \
             CAST(COALESCE(SUM(t.satisfaction_score), 0) AS BIGINT) AS csat_sum, \
             CAST(COUNT(t.satisfaction_score) AS BIGINT) AS csat_count"
        ),
        "tickets t",
        "t.created_at >= b.s AND t.created_at < b.e",
        "t.assignee_id",
        "t.deleted_at IS NULL",
    );
    fold(db, &mut grid, sql, |s, row| {
        s.response_minutes = row.try_get::<Option<f64>>("", "response_minutes")?.unwrap_or(0.0);
        (s.responses, s.csat_sum, s.csat_count) =
            (get(row, "responses")?, get(row, "csat_sum")?, get(row, "csat_count")?);
        Ok(())
    })
    .await?;

    activities(db, &mut grid, caller, windows, filters).await?;

    targets(db, &mut grid, caller, windows, filters, None).await?;

    // The open pipeline now, the same in every window.
    let mut sql = Sql::new(backend);
    sql.push(
        "SELECT op.owner_id AS person, CAST(COALESCE(SUM(op.amount), 0) AS BIGINT) AS pipeline FROM opportunities op \
         WHERE op.deleted_at IS NULL AND op.closed_at IS NULL",
    );
    push_people(&mut sql, caller, "op.owner_id", filters);
    sql.push(" GROUP BY op.owner_id");
    for row in db.query_all_raw(sql.statement()).await? {
        let Some(person) = row.try_get::<Option<Uuid>>("", "person")? else { continue };
        let pipeline = get(&row, "pipeline")?;
        for index in 0..windows.len() {
            grid.entry((index, person)).or_default().pipeline = pipeline;
        }
    }
    Ok(grid)
}

/// One employee's performance.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmployeeRow {
    /// The employee.
    pub user_id: Uuid,
    /// The employee's name.
    pub name: String,
    /// The employee's team now.
    pub team_id: Option<Uuid>,
    /// 1 for the highest revenue.
    pub rank: usize,
    #[serde(flatten)]
    pub figures: PerformanceFigures,
    /// The same figures in the comparison window, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<PerformanceFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<PerformanceChange>,
}

/// Employee performance, ranked by revenue.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmployeePerformance {
    pub window: Window,
    pub filters: PeopleFilters,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    /// Every employee in scope, highest revenue first (then by name).
    pub rows: Vec<EmployeeRow>,
    /// The figures summed over the rows.
    pub total: PerformanceFigures,
}

fn windows_of(window: Window, compare: Option<Compare>) -> (Vec<Window>, Option<Window>) {
    let previous = compare.map(|c| window.previous(c));
    (std::iter::once(window).chain(previous).collect(), previous)
}

pub async fn performance(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &PerformanceQuery,
    calendar: Calendar,
) -> AppResult<EmployeePerformance> {
    let window = query.window(calendar)?;
    let filters = PeopleFilters { team_id: query.team_id, role: query.role, user_id: None };
    ranking(db, caller, window, query.compare, filters).await
}

/// The order of a ranking, of (revenue, name, id): the highest revenue
/// first, then by name, then by id.
fn rank_order(a: (i64, &str, Uuid), b: (i64, &str, Uuid)) -> std::cmp::Ordering {
    b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)).then_with(|| a.2.cmp(&b.2))
}

/// The employees in scope ranked by revenue in `window`.
pub async fn ranking(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: Window,
    compare: Option<Compare>,
    filters: PeopleFilters,
) -> AppResult<EmployeePerformance> {
    let (windows, previous_window) = windows_of(window, compare);
    let people = people(db, caller, &filters).await?;
    let mut grid = grid(db, caller, &windows, &filters).await?;
    let mut total = Sums::default();
    let mut rows: Vec<(i64, EmployeeRow)> = people
        .into_iter()
        .map(|person| {
            let sums = grid.remove(&(0, person.id)).unwrap_or_default();
            total.add(&sums);
            let figures = sums.figures();
            let previous = previous_window.map(|_| grid.remove(&(1, person.id)).unwrap_or_default().figures());
            let change = previous.as_ref().map(|previous| figure_change(&figures, previous));
            let row = EmployeeRow {
                user_id: person.id,
                name: person.name,
                team_id: person.team_id,
                rank: 0,
                figures,
                previous,
                change,
            };
            (sums.revenue, row)
        })
        .collect();
    rows.sort_by(|(a, x), (b, y)| rank_order((*a, &x.name, x.user_id), (*b, &y.name, y.user_id)));
    let rows = rows.into_iter().enumerate().map(|(index, (_, row))| EmployeeRow { rank: index + 1, ..row }).collect();
    Ok(EmployeePerformance { window, filters, previous_window, rows, total: total.figures() })
}

/// The `n` employees in scope with the highest revenue in `window`, ranked
/// as [`ranking`] ranks them, with their revenue, deals and targets only
/// (what the dashboard shows of them; the other figures are 0): the
/// revenue of everyone from the daily rollup, the rest for those `n`.
pub async fn top(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: Window,
    n: usize,
) -> AppResult<Vec<EmployeeRow>> {
    let filters = PeopleFilters::default();
    let windows = [window];
    let people = people(db, caller, &filters).await?;
    let mut grid = Grid::new();
    sales(db, &mut grid, caller, &windows, &filters).await?;
    let revenue = |person: &Person| grid.get(&(0, person.id)).map_or(0, |sums| sums.revenue);
    let mut ranked: Vec<(i64, Person)> = people.into_iter().map(|person| (revenue(&person), person)).collect();
    ranked.sort_by(|(a, x), (b, y)| rank_order((*a, &x.name, x.id), (*b, &y.name, y.id)));
    ranked.truncate(n);
    let only: Vec<Uuid> = ranked.iter().map(|(_, person)| person.id).collect();
    deals(db, &mut grid, caller, &windows, &filters, Some(&only)).await?;
    targets(db, &mut grid, caller, &windows, &filters, Some(&only)).await?;
    Ok(ranked
        .into_iter()
        .enumerate()
        .map(|(index, (_, person))| EmployeeRow {
            user_id: person.id,
            name: person.name,
            team_id: person.team_id,
            rank: index + 1,
            figures: grid.remove(&(0, person.id)).unwrap_or_default().figures(),
            previous: None,
            change: None,
        })
        .collect())
}

/// One bucket of a scorecard.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScorecardPeriod {
    /// The first instant of the bucket, with the organization's offset (`2026-04-01T00:00:00+08:00`).
    pub period_start: crate::calendar::LocalTime,
    #[serde(flatten)]
    pub figures: PerformanceFigures,
}

/// One employee's performance with the previous period and a time series.
#[derive(Debug, Serialize, ToSchema)]
pub struct Scorecard {
    pub window: Window,
    /// The employee.
    pub user_id: Uuid,
    /// The employee's name.
    pub name: String,
    /// The employee's team now.
    pub team_id: Option<Uuid>,
    #[serde(flatten)]
    pub figures: PerformanceFigures,
    pub previous_window: Window,
    pub previous: PerformanceFigures,
    pub change: PerformanceChange,
    pub granularity: Granularity,
    /// The figures per bucket (each a window of its own), every bucket present.
    pub rows: Vec<ScorecardPeriod>,
}

pub async fn scorecard(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    user_id: Uuid,
    query: &ScorecardQuery,
    calendar: Calendar,
) -> AppResult<Scorecard> {
    let window = query.window(calendar)?;
    let filters = PeopleFilters { user_id: Some(user_id), ..Default::default() };
    let person = people(db, caller, &filters).await?.into_iter().next().ok_or_else(|| AppError::not_found("user"))?;
    let previous_window = window.previous(query.compare.unwrap_or(Compare::PreviousPeriod));
    let (granularity, starts) = series_buckets(&window, query.granularity)?;
    let mut windows = vec![window, previous_window];
    windows.extend(bucket_windows(granularity, &starts, &window));
    let mut grid = grid(db, caller, &windows, &filters).await?;
    let mut take = |index: usize| grid.remove(&(index, person.id)).unwrap_or_default().figures();
    let (figures, previous) = (take(0), take(1));
    let rows = starts
        .iter()
        .enumerate()
        .map(|(index, start)| ScorecardPeriod {
            period_start: window.calendar.period_start(*start),
            figures: take(index + 2),
        })
        .collect();
    Ok(Scorecard {
        window,
        user_id: person.id,
        name: person.name,
        team_id: person.team_id,
        change: figure_change(&figures, &previous),
        figures,
        previous_window,
        previous,
        granularity,
        rows,
    })
}

/// One team's performance: its members' figures summed.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamRow {
    /// The team.
    pub team_id: Uuid,
    /// The team's name.
    pub name: String,
    /// Active members now.
    pub members: i64,
    /// 1 for the highest revenue.
    pub rank: usize,
    #[serde(flatten)]
    pub figures: PerformanceFigures,
    /// revenue / active members, rounded half-up to the cent.
    pub revenue_per_member: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<PerformanceFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<PerformanceChange>,
}

/// Team performance, ranked by revenue.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamPerformance {
    pub window: Window,
    pub filters: PeopleFilters,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    /// Every team in scope, highest revenue first (then by name).
    pub rows: Vec<TeamRow>,
}

/// The teams' own revenue targets per window, where they have any.
async fn team_targets(
    db: &impl ConnectionTrait,
    windows: &[Window],
    teams: &[Uuid],
) -> AppResult<HashMap<(usize, Uuid), i64>> {
    let mut out = HashMap::new();
    if teams.is_empty() {
        return Ok(out);
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT tw.i AS bucket, tg.team_id AS team_id, CAST(COALESCE(SUM(tg.target_value), 0) AS BIGINT) AS target FROM targets tg");
    push_target_periods(&mut sql, windows);
    sql.push(" WHERE tg.deleted_at IS NULL AND tg.metric = 'revenue' AND tg.team_id IN (");
    for (index, team) in teams.iter().enumerate() {
        sql.push(if index > 0 { ", " } else { "" }).bind(*team);
    }
    sql.push(") GROUP BY tw.i, tg.team_id");
    for row in db.query_all_raw(sql.statement()).await? {
        let team: Uuid = row.try_get("", "team_id")?;
        out.insert((row.try_get::<i64>("", "bucket")? as usize, team), get(&row, "target")?);
    }
    Ok(out)
}

pub async fn teams(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &PerformanceQuery,
    calendar: Calendar,
) -> AppResult<TeamPerformance> {
    let window = query.window(calendar)?;
    let filters = PeopleFilters { team_id: query.team_id, role: query.role, user_id: None };
    let (windows, previous_window) = windows_of(window, query.compare);
    let people = people(db, caller, &filters).await?;
    let grid = grid(db, caller, &windows, &filters).await?;

    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT t.id AS id, t.name AS name FROM teams t WHERE t.deleted_at IS NULL");
    sql.and_id("t.id", query.team_id);
    if caller.role == Role::Manager {
        sql.push(" AND t.id IN ");
        crate::auth::scope::push_my_teams(&mut sql, caller.id);
    }
    let mut teams = vec![];
    for row in db.query_all_raw(sql.statement()).await? {
        teams.push((row.try_get::<Uuid>("", "id")?, row.try_get::<String>("", "name")?));
    }
    let ids: Vec<Uuid> = teams.iter().map(|(id, _)| *id).collect();
    let own_targets = team_targets(db, &windows, &ids).await?;

    let sums_of = |team: Uuid, index: usize| {
        let mut sums = Sums::default();
        for person in people.iter().filter(|p| p.team_id == Some(team)) {
            if let Some(theirs) = grid.get(&(index, person.id)) {
                sums.add(theirs);
            }
        }
        if let Some(target) = own_targets.get(&(index, team)) {
            sums.target = *target;
        }
        sums
    };
    let mut rows: Vec<(i64, TeamRow)> = teams
        .into_iter()
        .map(|(team_id, name)| {
            let sums = sums_of(team_id, 0);
            let members = people.iter().filter(|p| p.team_id == Some(team_id) && p.active).count() as i64;
            let figures = sums.figures();
            let previous = previous_window.map(|_| sums_of(team_id, 1).figures());
            let change = previous.as_ref().map(|previous| figure_change(&figures, previous));
            let row = TeamRow {
                team_id,
                name,
                members,
                rank: 0,
                revenue_per_member: average_cents(sums.revenue, members).map(Money),
                figures,
                previous,
                change,
            };
            (sums.revenue, row)
        })
        .collect();
    rows.sort_by(|(a, x), (b, y)| rank_order((*a, &x.name, x.team_id), (*b, &y.name, y.team_id)));
    let rows = rows.into_iter().enumerate().map(|(index, (_, row))| TeamRow { rank: index + 1, ..row }).collect();
    Ok(TeamPerformance { window, filters, previous_window, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_periods_inside_the_window() {
        let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default();
        let utc = crate::calendar::Calendar::utc();
        let window = Window::new(utc, utc.midnight(day("2025-01-01")), utc.midnight(day("2025-04-01")));
        let bounds = period_bounds(&window);
        let expected: Vec<Value> = ["2025-01-01", "2025-03-01", "2025-01-01", "2025-01-01", "2025-01-01", "2024-04-01"]
            .iter()
            .map(|d| Value::from(day(d)))
            .collect();
        assert_eq!(bounds, expected);
    }
}
