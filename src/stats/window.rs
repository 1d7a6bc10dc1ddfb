//! The window of a statistics request (`from`/`to` or a `range` preset),
//! its comparison window, and the time buckets of a series: the
//! parameters every statistic shares (`stats_query!`).

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc};
use sea_orm::{DbBackend, Value};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::time::now;
use crate::error::{AppError, AppResult};
use crate::sql::{Sql, bucket_text_sql, push_values_join};

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
            pub range: Option<$crate::stats::window::RangePreset>,
            $($compare)*
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            fn window(&self) -> $crate::error::AppResult<$crate::stats::window::Window> {
                $crate::stats::window::resolve_window(self.from.as_deref(), self.to.as_deref(), self.range)
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
                pub compare: Option<$crate::stats::window::Compare>,
            ]
            $($rest)*
        }
    };
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

/// Days since 1970-01-01 of a date (see [`day_number_sql`]).
pub fn day_number(day: NaiveDate) -> i64 {
    (day - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days()
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
