//! Turning a statistics request into SQL: the window (`from`/`to` or a
//! `range` preset), the comparison window, the filters and the caller's
//! scope; and the small dialect layer where SQLite and PostgreSQL differ
//! (date buckets, casts). Every figure is an aggregate computed by the
//! database; results are as many rows as there are groups.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc};
use sea_orm::{DbBackend, Statement, Value};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::Role;
use crate::domain::time::now;
use crate::error::{AppError, AppResult};

/// Declares a statistics query: the window and comparison every statistic
/// takes, then the endpoint's filters and parameters. `without compare;`
/// in front leaves the comparison out, for statistics that have none.
#[macro_export]
macro_rules! stats_query {
    (@build [$($compare:tt)*] $(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams, validator::Validate)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// Window start, inclusive: RFC 3339 or `YYYY-MM-DD` (midnight UTC). Default: the first day of this month.
            #[param(schema_with = $crate::api::fields::instant_schema)]
            pub from: Option<String>,
            /// Window end, exclusive. Default: now.
            #[param(schema_with = $crate::api::fields::instant_schema)]
            pub to: Option<String>,
            /// A preset window instead of `from`/`to`.
            pub range: Option<$crate::stats::query::RangePreset>,
            $($compare)*
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            fn window(&self) -> $crate::error::AppResult<$crate::stats::query::Window> {
                $crate::stats::query::resolve_window(self.from.as_deref(), self.to.as_deref(), self.range)
            }
        }
    };
    (without compare; $($rest:tt)*) => {
        $crate::stats_query! { @build [] $($rest)* }
    };
    ($($rest:tt)*) => {
        $crate::stats_query! {
            @build [
                /// Add the same figures for an earlier window, and their relative change.
                pub compare: Option<$crate::stats::query::Compare>,
            ]
            $($rest)*
        }
    };
}

/// SQL text with bound values, written once for both databases.
pub struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(backend: DbBackend) -> Self {
        Sql { backend, text: String::new(), values: vec![] }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        if self.backend == DbBackend::Postgres {
            self.text.push_str(&format!("${}", self.values.len()));
        } else {
            self.text.push('?');
        }
        self
    }

    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// ` AND column = value` when the filter is given (text trimmed).
    pub fn and_eq(&mut self, column: &str, value: Option<&String>) -> &mut Self {
        if let Some(value) = value {
            self.push(&format!(" AND {column} = ")).bind(value.trim().to_string());
        }
        self
    }

    /// ` AND column = id` when the filter is given.
    pub fn and_id(&mut self, column: &str, id: Option<Uuid>) -> &mut Self {
        if let Some(id) = id {
            self.push(&format!(" AND {column} = ")).bind(id);
        }
        self
    }

    /// ` AND user_column` is a member of team `id`, when the filter is given.
    pub fn and_in_team(&mut self, user_column: &str, team_id: Option<Uuid>) -> &mut Self {
        if let Some(team_id) = team_id {
            self.push(&format!(" AND {user_column} IN (SELECT id FROM users WHERE team_id = ")).bind(team_id).push(")");
        }
        self
    }

    pub fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// Runs an aggregate query that always returns one row.
pub async fn one_row(db: &impl sea_orm::ConnectionTrait, sql: Sql) -> AppResult<sea_orm::QueryResult> {
    db.query_one_raw(sql.statement()).await?.ok_or_else(|| AppError::internal("aggregate returned no row"))
}

/// `SUM(expr)` as an exact BIGINT, 0 when there are no rows (PostgreSQL
/// widens integer sums to NUMERIC).
pub fn sum(expr: &str) -> String {
    format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)")
}

/// `COUNT(DISTINCT expr)` as BIGINT.
pub fn count_distinct(expr: &str) -> String {
    format!("CAST(COUNT(DISTINCT {expr}) AS BIGINT)")
}

/// Time-series buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Day,
    /// ISO weeks, starting on Monday.
    Week,
    Month,
    Quarter,
    Year,
}

impl Granularity {
    /// The first day of the bucket holding `day`.
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        let first_of = |month: u32| NaiveDate::from_ymd_opt(day.year(), month, 1).unwrap_or(day);
        match self {
            Granularity::Day => day,
            Granularity::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
            Granularity::Month => first_of(day.month()),
            Granularity::Quarter => first_of((day.month() - 1) / 3 * 3 + 1),
            Granularity::Year => first_of(1),
        }
    }

    pub fn next(self, start: NaiveDate) -> NaiveDate {
        match self {
            Granularity::Day => start + Duration::days(1),
            Granularity::Week => start + Duration::days(7),
            Granularity::Month => start + Months::new(1),
            Granularity::Quarter => start + Months::new(3),
            Granularity::Year => start + Months::new(12),
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
            Granularity::Quarter => "quarter",
            Granularity::Year => "year",
        }
    }

    /// The same for a `DATE` column (a rollup's UTC day).
    pub fn bucket_sql_of_day(self, backend: DbBackend, column: &str) -> String {
        if backend == DbBackend::Postgres {
            return format!("to_char(date_trunc('{}', {column}::timestamp), 'YYYY-MM-DD')", self.unit());
        }
        // SQLite stores a date as `YYYY-MM-DD` text, which its date functions read.
        self.bucket_sql(backend, column)
    }

    /// An SQL expression giving the bucket's first day of a UTC timestamp
    /// column, as `YYYY-MM-DD` text, on either database.
    pub fn bucket_sql(self, backend: DbBackend, column: &str) -> String {
        bucket_text_sql(backend, &self.bucket_start_sql(backend, column))
    }

    /// The bucket of a UTC timestamp column as the most compact value to
    /// group or deduplicate by (PostgreSQL: a `timestamp`; SQLite: the
    /// text); [`bucket_text_sql`] formats it. Grouping by the timestamp
    /// instead of its text halves PostgreSQL's distinct buyers per bucket
    /// (narrower rows, `to_char` once per bucket, and a hash instead of a
    /// spilling sort whatever the plan).
    pub fn bucket_start_sql(self, backend: DbBackend, column: &str) -> String {
        if backend == DbBackend::Postgres {
            return format!("date_trunc('{}', {column} AT TIME ZONE 'UTC')", self.unit());
        }
        // SQLite reads the stored RFC 3339 text (with its offset) as UTC.
        match self {
            Granularity::Day => format!("date({column})"),
            Granularity::Week => {
                format!("date({column}, '-' || ((CAST(strftime('%w', {column}) AS INTEGER) + 6) % 7) || ' days')")
            }
            Granularity::Month => format!("strftime('%Y-%m-01', {column})"),
            Granularity::Quarter => format!(
                "printf('%s-%02d-01', strftime('%Y', {column}), ((CAST(strftime('%m', {column}) AS INTEGER) - 1) / 3) * 3 + 1)"
            ),
            Granularity::Year => format!("strftime('%Y-01-01', {column})"),
        }
    }

    /// Every bucket start from the one holding `from` to the last before `to`.
    pub fn buckets(self, window: &Window) -> Vec<NaiveDate> {
        let mut out = vec![];
        let mut start = self.start_of(window.from.date_naive());
        while midnight(start) < window.to {
            out.push(start);
            start = self.next(start);
        }
        out
    }
}

/// A value of [`Granularity::bucket_start_sql`] as `YYYY-MM-DD` text.
pub fn bucket_text_sql(backend: DbBackend, bucket: &str) -> String {
    if backend == DbBackend::Postgres { format!("to_char({bucket}, 'YYYY-MM-DD')") } else { bucket.to_string() }
}

pub fn midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// Range presets, resolved in UTC (the organization's time zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RangePreset {
    Today,
    Yesterday,
    ThisWeek,
    LastWeek,
    ThisMonth,
    LastMonth,
    ThisQuarter,
    LastQuarter,
    ThisYear,
    LastYear,
    #[serde(rename = "last_7_days")]
    Last7Days,
    #[serde(rename = "last_30_days")]
    Last30Days,
    #[serde(rename = "last_90_days")]
    Last90Days,
    #[serde(rename = "last_12_months")]
    Last12Months,
    YearToDate,
}

impl RangePreset {
    pub fn resolve(self, at: DateTime<Utc>) -> Window {
        let today = at.date_naive();
        let period = |g: Granularity, back: u32| {
            let mut start = g.start_of(today);
            for _ in 0..back {
                start = g.start_of(start - Duration::days(1));
            }
            Window { from: midnight(start), to: midnight(g.next(start)) }
        };
        let trailing = |days: i64| Window {
            from: midnight(today - Duration::days(days - 1)),
            to: midnight(today + Duration::days(1)),
        };
        match self {
            RangePreset::Today => period(Granularity::Day, 0),
            RangePreset::Yesterday => period(Granularity::Day, 1),
            RangePreset::ThisWeek => period(Granularity::Week, 0),
            RangePreset::LastWeek => period(Granularity::Week, 1),
            RangePreset::ThisMonth => period(Granularity::Month, 0),
            RangePreset::LastMonth => period(Granularity::Month, 1),
            RangePreset::ThisQuarter => period(Granularity::Quarter, 0),
            RangePreset::LastQuarter => period(Granularity::Quarter, 1),
            RangePreset::ThisYear => period(Granularity::Year, 0),
            RangePreset::LastYear => period(Granularity::Year, 1),
            RangePreset::Last7Days => trailing(7),
            RangePreset::Last30Days => trailing(30),
            RangePreset::Last90Days => trailing(90),
            RangePreset::Last12Months => Window {
                from: midnight(today + Duration::days(1) - Months::new(12)),
                to: midnight(today + Duration::days(1)),
            },
            RangePreset::YearToDate => Window { from: midnight(Granularity::Year.start_of(today)), to: at },
        }
    }
}

/// How to compare with an earlier window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    /// The window of equal length just before.
    PreviousPeriod,
    /// The same window one year earlier.
    PreviousYear,
}

/// A half-open time window: `from` inclusive, `to` exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Window {
    /// Start, inclusive.
    pub from: DateTime<Utc>,
    /// End, exclusive.
    pub to: DateTime<Utc>,
}

impl Window {
    /// The first whole UTC day inside the window and the day the window
    /// ends in: `[first, end)` are its whole days (none when `first >= end`).
    pub fn whole_days(&self) -> (NaiveDate, NaiveDate) {
        let from = self.from.date_naive();
        let first = if midnight(from) == self.from { from } else { from + Duration::days(1) };
        (first, self.to.date_naive())
    }

    /// The whole UTC days inside the window, `[first, end)`, and the parts
    /// of a day left over at either end — how a rollup of days and the raw
    /// rows together answer the window. `None` when it holds no whole day.
    pub fn split_days(&self) -> Option<((NaiveDate, NaiveDate), Vec<Window>)> {
        let (first, end) = self.whole_days();
        if first >= end {
            return None;
        }
        let mut edges = vec![];
        if self.from < midnight(first) {
            edges.push(Window { from: self.from, to: midnight(first) });
        }
        if midnight(end) < self.to {
            edges.push(Window { from: midnight(end), to: self.to });
        }
        Some(((first, end), edges))
    }

    pub fn previous(&self, compare: Compare) -> Window {
        match compare {
            Compare::PreviousPeriod => Window { from: self.from - (self.to - self.from), to: self.from },
            Compare::PreviousYear => Window { from: self.from - Months::new(12), to: self.to - Months::new(12) },
        }
    }
}

const MAX_WINDOW_DAYS: i64 = 3653;

/// Resolves `from`/`to`/`range` into a window. Defaults: `to` now, `from`
/// the first day of the current month.
pub fn resolve_window(from: Option<&str>, to: Option<&str>, range: Option<RangePreset>) -> AppResult<Window> {
    let at = now();
    if let Some(preset) = range {
        if from.is_some() || to.is_some() {
            return Err(AppError::validation("range", "conflict", "give either range or from/to, not both"));
        }
        return Ok(preset.resolve(at));
    }
    let parse = crate::domain::time::instant_param;
    let to = parse("to", to)?.unwrap_or(at);
    let from = parse("from", from)?.unwrap_or_else(|| midnight(Granularity::Month.start_of(at.date_naive())));
    if from >= to {
        return Err(AppError::validation("to", "range", "must be later than from"));
    }
    if to - from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(AppError::validation("from", "range", "the window may be at most 10 years long"));
    }
    Ok(Window { from, to })
}

/// The common filters of sales-type statistics, as the request gave them.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Filters {
    /// The `owner_id` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
    /// The `team_id` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    /// The `region` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The `channel` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The `product_category` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_category: Option<String>,
    /// The `customer_segment` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_segment: Option<String>,
}

/// `AND <owner> IN <the caller's scope>`: a sales rep their own records, a
/// manager their team's, admins and analysts everyone's.
pub fn push_scope(sql: &mut Sql, caller: &AuthUser, owner_column: &str) {
    match caller.role {
        Role::Admin | Role::Analyst => {}
        Role::Manager => {
            sql.push(&format!(" AND ({owner_column} = ")).bind(caller.id);
            sql.push(&format!(" OR {owner_column} IN "));
            push_team_members(sql, caller);
            sql.push(")");
        }
        Role::Sales | Role::Marketing | Role::Service => {
            sql.push(&format!(" AND {owner_column} = ")).bind(caller.id);
        }
    }
}

/// `(SELECT id FROM users …)`: the members of the teams the caller manages
/// or belongs to — one `IN` over a union, which an index on `users.team_id`
/// serves.
pub fn push_team_members(sql: &mut Sql, caller: &AuthUser) {
    sql.push("(SELECT id FROM users WHERE team_id IN ");
    push_my_teams(sql, caller);
    sql.push(")");
}

/// `(SELECT id FROM teams …)`: the teams the caller manages or belongs to.
pub fn push_my_teams(sql: &mut Sql, caller: &AuthUser) {
    sql.push("(SELECT id FROM teams WHERE manager_id = ")
        .bind(caller.id)
        .push(" UNION SELECT team_id FROM users WHERE id = ")
        .bind(caller.id)
        .push(")");
}

/// A ratio, `null` when the denominator is 0.
pub fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator != 0).then(|| numerator as f64 / denominator as f64)
}

/// A money average in cents, rounded half-up (away from zero) to the cent.
pub fn average_cents(total: i64, count: i64) -> Option<i64> {
    if count == 0 {
        return None;
    }
    let (total, count) = (i128::from(total), i128::from(count));
    let rounded = (2 * total.abs() + count) / (2 * count);
    Some((if total < 0 { -rounded } else { rounded }) as i64)
}

/// The relative change of two optional figures, `null` when either is
/// absent or previous is 0.
pub fn change_opt(current: Option<f64>, previous: Option<f64>) -> Option<f64> {
    current.zip(previous).and_then(|(current, previous)| change(current, previous))
}

/// `(current - previous) / previous`, `null` when previous is 0.
pub fn change(current: f64, previous: f64) -> Option<f64> {
    (previous != 0.0).then(|| (current - previous) / previous)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn buckets_start_where_they_should() {
        assert_eq!(
            Granularity::Week.start_of(day("2025-06-01")),
            day("2025-05-26"),
            "Sunday belongs to the week of Monday 26th"
        );
        assert_eq!(Granularity::Quarter.start_of(day("2025-08-15")), day("2025-07-01"));
        let window = Window { from: midnight(day("2025-01-15")), to: midnight(day("2025-04-01")) };
        assert_eq!(Granularity::Month.buckets(&window), vec![day("2025-01-01"), day("2025-02-01"), day("2025-03-01")]);
    }

    #[test]
    fn presets_resolve_in_utc() {
        let at = midnight(day("2025-06-18")) + Duration::hours(15);
        let w = RangePreset::LastMonth.resolve(at);
        assert_eq!((w.from, w.to), (midnight(day("2025-05-01")), midnight(day("2025-06-01"))));
        let w = RangePreset::LastQuarter.resolve(at);
        assert_eq!((w.from, w.to), (midnight(day("2025-01-01")), midnight(day("2025-04-01"))));
        let w = RangePreset::Last7Days.resolve(at);
        assert_eq!((w.from, w.to), (midnight(day("2025-06-12")), midnight(day("2025-06-19"))));
        let w = RangePreset::LastWeek.resolve(at);
        assert_eq!((w.from, w.to), (midnight(day("2025-06-09")), midnight(day("2025-06-16"))));
    }

    #[test]
    fn averages_round_half_up_and_ratios_guard_zero() {
        assert_eq!(average_cents(1000, 3), Some(333));
        assert_eq!(average_cents(5, 2), Some(3));
        assert_eq!(average_cents(-5, 2), Some(-3));
        assert_eq!(average_cents(1, 0), None);
        assert_eq!(ratio(1, 0), None);
        assert_eq!(change(5.0, 0.0), None);
        assert_eq!(change(54.0, 30.0), Some(0.8));
    }

    #[test]
    fn presets_have_the_documented_names() {
        let names = [
            "today",
            "yesterday",
            "this_week",
            "last_week",
            "this_month",
            "last_month",
            "this_quarter",
            "last_quarter",
            "this_year",
            "last_year",
            "last_7_days",
            "last_30_days",
            "last_90_days",
            "last_12_months",
            "year_to_date",
        ];
        for name in names {
            let preset: Result<RangePreset, _> = serde_json::from_value(serde_json::json!(name));
            assert!(preset.is_ok(), "{name}");
        }
    }

    #[test]
    fn windows_are_validated() {
        assert!(resolve_window(Some("2025-03-01"), Some("2025-03-01"), None).is_err());
        assert!(resolve_window(Some("2000-01-01"), Some("2025-03-01"), None).is_err());
        assert!(resolve_window(Some("2025-03-01"), None, Some(RangePreset::Today)).is_err());
        let w = resolve_window(Some("2025-03-01"), Some("2025-04-01"), None).ok();
        assert_eq!(w.map(|w| w.previous(Compare::PreviousYear).from), Some(midnight(day("2024-03-01"))));
    }
}

/// Appends `SELECT <groups>, avg, p50, p90, n` over the column `x` of the
/// rows the `values` closure selects (`SELECT <groups>, … AS x FROM … WHERE
/// …`), one row per group. Percentiles interpolate linearly between
/// neighbours (PostgreSQL's `percentile_cont`); SQLite, which has no
/// percentile function, ranks the values with window functions and
/// interpolates the same way.
pub fn push_grouped_distribution(sql: &mut Sql, groups: &[&str], values: impl FnOnce(&mut Sql)) {
    let columns: String = groups.iter().map(|g| format!("{g}, ")).collect();
    let group_by = if groups.is_empty() { String::new() } else { format!(" GROUP BY {}", groups.join(", ")) };
    if sql.backend() == DbBackend::Postgres {
        sql.push(&format!(
            "SELECT {columns}AVG(x)::float8 AS avg, percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS p50, \
             percentile_cont(0.9) WITHIN GROUP (ORDER BY x) AS p90, COUNT(x) AS n FROM ("
        ));
        values(sql);
        sql.push(&format!(") AS v WHERE x IS NOT NULL{group_by}"));
        return;
    }
    let at = |p: &str| {
        format!(
            "SUM(CASE WHEN i = CAST({p} * (n - 1) AS INTEGER) THEN x * (1 - ({p} * (n - 1) - CAST({p} * (n - 1) AS INTEGER))) \
             WHEN i = CAST({p} * (n - 1) AS INTEGER) + 1 THEN x * ({p} * (n - 1) - CAST({p} * (n - 1) AS INTEGER)) ELSE 0 END)"
        )
    };
    let partition = if groups.is_empty() { String::new() } else { format!("PARTITION BY {} ", groups.join(", ")) };
    sql.push(&format!("SELECT {columns}AVG(x) AS avg, ")).push(&at("0.5")).push(" AS p50, ").push(&at("0.9")).push(
        &format!(
            " AS p90, COUNT(x) AS n FROM (SELECT {columns}x, ROW_NUMBER() OVER ({partition}ORDER BY x) - 1 AS i, \
             COUNT(*) OVER ({partition}) AS n FROM ("
        ),
    );
    values(sql);
    sql.push(&format!(") AS v WHERE x IS NOT NULL) AS ranked{group_by}"));
}

/// The most buckets one time series may have.
pub const MAX_BUCKETS: usize = 1_000;

/// The granularity of a time series (default `day` for windows up to 31
/// days, `month` otherwise) and its bucket starts; 422 past [`MAX_BUCKETS`].
pub fn series_buckets(window: &Window, granularity: Option<Granularity>) -> AppResult<(Granularity, Vec<NaiveDate>)> {
    let granularity = granularity.unwrap_or(if window.to - window.from <= Duration::days(31) {
        Granularity::Day
    } else {
        Granularity::Month
    });
    let buckets = granularity.buckets(window);
    if buckets.len() > MAX_BUCKETS {
        return Err(AppError::validation(
            "granularity",
            "too_many_buckets",
            format!("the window has {} buckets at this granularity; at most {MAX_BUCKETS}", buckets.len()),
        ));
    }
    Ok((granularity, buckets))
}

/// Each bucket as a window of its own, clipped to `window`.
pub fn bucket_windows(granularity: Granularity, starts: &[NaiveDate], window: &Window) -> Vec<Window> {
    starts
        .iter()
        .map(|start| Window {
            from: midnight(*start).max(window.from),
            to: midnight(granularity.next(*start)).min(window.to),
        })
        .collect()
}

/// ` JOIN` the windows as a derived table `alias(i, s, e)` (index, start,
/// end) `ON <condition>`: one query computes every window's figures, each
/// as of its own end `alias.e`.
pub fn push_windows_join(sql: &mut Sql, alias: &str, windows: &[Window], condition: &str) {
    push_indexed_windows_join(sql, alias, windows.iter().copied().enumerate(), condition);
}

/// The same with the index of each window given (parts of windows).
pub fn push_indexed_windows_join(
    sql: &mut Sql,
    alias: &str,
    windows: impl IntoIterator<Item = (usize, Window)>,
    condition: &str,
) {
    let rows = windows.into_iter().map(|(index, w)| vec![Value::from(index as i64), w.from.into(), w.to.into()]);
    push_values_join(sql, alias, &["i", "s", "e"], rows, condition);
}

/// ` JOIN` bound rows as a derived table `alias(columns…) ON <condition>`
/// (a `VALUES` list, which both databases name `column1`, `column2`, …).
pub fn push_values_join(
    sql: &mut Sql,
    alias: &str,
    columns: &[&str],
    rows: impl IntoIterator<Item = Vec<Value>>,
    condition: &str,
) {
    let names: Vec<String> = columns.iter().enumerate().map(|(n, c)| format!("column{} AS {c}", n + 1)).collect();
    sql.push(&format!(" JOIN (SELECT {} FROM (VALUES ", names.join(", ")));
    for (index, row) in rows.into_iter().enumerate() {
        sql.push(if index > 0 { ", (" } else { "(" });
        for (n, value) in row.into_iter().enumerate() {
            if n > 0 {
                sql.push(", ");
            }
            sql.bind(value);
        }
        sql.push(")");
    }
    sql.push(&format!(") AS {alias}_values) AS {alias} ON {condition}"));
}

/// Pairs the groups of a window with those of its comparison window: every
/// key of either, in key order, with its current value (default when
/// absent) and, with a comparison, its previous one.
pub fn paired<K: Ord + std::hash::Hash + Clone, V: Default>(
    mut current: std::collections::HashMap<K, V>,
    mut previous: Option<std::collections::HashMap<K, V>>,
) -> Vec<(K, V, Option<V>)> {
    let keys: std::collections::BTreeSet<K> =
        current.keys().chain(previous.iter().flat_map(|p| p.keys())).cloned().collect();
    keys.into_iter()
        .map(|key| {
            let now = current.remove(&key).unwrap_or_default();
            let before = previous.as_mut().map(|p| p.remove(&key).unwrap_or_default());
            (key, now, before)
        })
        .collect()
}

/// A group's key: ids as their text form, `null` when unset.
pub fn group_key(row: &sea_orm::QueryResult, column: &str, is_id: bool) -> AppResult<Option<String>> {
    Ok(if is_id {
        row.try_get::<Option<Uuid>>("", column)?.map(|id| id.to_string())
    } else {
        row.try_get::<Option<String>>("", column)?
    })
}

/// The UTC day of a timestamp column as a whole number of days since
/// 1970-01-01 (negative before), on either database; [`day_number`] gives
/// the same for a date.
pub fn day_number_sql(backend: DbBackend, column: &str) -> String {
    if backend == DbBackend::Postgres {
        format!("(CAST({column} AT TIME ZONE 'UTC' AS DATE) - DATE '1970-01-01')")
    } else {
        // julianday of a date is a whole day + 0.5: the difference is exact.
        format!("CAST(julianday(date({column})) - 2440587.5 AS INTEGER)")
    }
}

/// Days since 1970-01-01 of a date (see [`day_number_sql`]).
pub fn day_number(day: NaiveDate) -> i64 {
    (day - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days()
}

/// Minutes from `start` to `end` (two timestamp columns) as a float.
pub fn minutes_between(backend: DbBackend, start: &str, end: &str) -> String {
    if backend == DbBackend::Postgres {
        format!("CAST(EXTRACT(EPOCH FROM ({end} - {start})) / 60.0 AS DOUBLE PRECISION)")
    } else {
        format!("((unixepoch({end}, 'subsec') - unixepoch({start}, 'subsec')) / 60.0)")
    }
}

/// The average, median and 90th percentile of a duration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Distribution {
    /// Mean; `null` without values.
    pub avg: Option<f64>,
    /// Median (linear interpolation).
    pub p50: Option<f64>,
    /// 90th percentile (linear interpolation).
    pub p90: Option<f64>,
}

impl Distribution {
    pub fn read(row: &sea_orm::QueryResult) -> AppResult<(Self, i64)> {
        let get = |name: &str| row.try_get::<Option<f64>>("", name).map_err(AppError::from);
        let count: i64 = row.try_get("", "n")?;
        if count == 0 {
            return Ok((Distribution::default(), 0));
        }
        Ok((Distribution { avg: get("avg")?, p50: get("p50")?, p90: get("p90")? }, count))
    }

    /// The same distribution in another unit (minutes → hours: 1/60).
    pub fn scaled(&self, factor: f64) -> Self {
        Distribution {
            avg: self.avg.map(|v| v * factor),
            p50: self.p50.map(|v| v * factor),
            p90: self.p90.map(|v| v * factor),
        }
    }
}
