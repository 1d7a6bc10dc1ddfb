//! The window of a statistics request (`from`/`to` or a `range` preset),
//! its comparison window, and the time buckets of a series: the
//! parameters every statistic shares (`stats_query!`).

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use sea_orm::{DbBackend, Value};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::{Calendar, LocalSql, Span};
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
            /// Window start, inclusive: an RFC 3339 instant, or a date `YYYY-MM-DD` meaning midnight in the organization's time zone. Default: the first day of this month there.
            #[param(schema_with = $crate::api::fields::instant_schema)]
            pub from: Option<String>,
            /// Window end, exclusive, written as `from`. Default: now.
            #[param(schema_with = $crate::api::fields::instant_schema)]
            pub to: Option<String>,
            /// A preset window instead of `from`/`to`.
            pub range: Option<$crate::stats::window::RangePreset>,
            $($compare)*
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            fn window(&self, calendar: $crate::calendar::Calendar) -> $crate::error::AppResult<$crate::stats::window::Window> {
                $crate::stats::window::resolve_window(self.from.as_deref(), self.to.as_deref(), self.range, calendar)
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

pub use crate::calendar::Granularity;

/// Range presets, resolved on the organization's calendar (its time zone,
/// week start and fiscal year).
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
    ThisFiscalQuarter,
    LastFiscalQuarter,
    ThisFiscalYear,
    LastFiscalYear,
    FiscalYearToDate,
}

impl RangePreset {
    pub fn resolve(self, at: DateTime<Utc>, calendar: Calendar) -> Window {
        let today = calendar.date_of(at);
        let days =
            |from: NaiveDate, to: NaiveDate| Window::new(calendar, calendar.midnight(from), calendar.midnight(to));
        let period = |g: Granularity, back: u32| {
            let mut start = calendar.start_of(g, today);
            for _ in 0..back {
                start = calendar.previous(g, start);
            }
            days(start, calendar.next(g, start))
        };
        let tomorrow = today + Duration::days(1);
        let to_date = |g: Granularity| Window::new(calendar, calendar.midnight(calendar.start_of(g, today)), at);
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
            RangePreset::Last7Days => days(tomorrow - Duration::days(7), tomorrow),
            RangePreset::Last30Days => days(tomorrow - Duration::days(30), tomorrow),
            RangePreset::Last90Days => days(tomorrow - Duration::days(90), tomorrow),
            RangePreset::Last12Months => days(tomorrow - Months::new(12), tomorrow),
            RangePreset::YearToDate => to_date(Granularity::Year),
            RangePreset::ThisFiscalQuarter => period(Granularity::FiscalQuarter, 0),
            RangePreset::LastFiscalQuarter => period(Granularity::FiscalQuarter, 1),
            RangePreset::ThisFiscalYear => period(Granularity::FiscalYear, 0),
            RangePreset::LastFiscalYear => period(Granularity::FiscalYear, 1),
            RangePreset::FiscalYearToDate => to_date(Granularity::FiscalYear),
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

/// A half-open time window, `from` inclusive, `to` exclusive, on the
/// organization's calendar: its days, buckets and comparison windows are
/// local ones, and it is written with the zone's offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ToSchema)]
pub struct Window {
    /// Start, inclusive.
    #[schema(value_type = String, format = DateTime)]
    pub from: DateTime<Utc>,
    /// End, exclusive.
    #[schema(value_type = String, format = DateTime)]
    pub to: DateTime<Utc>,
    #[schema(ignore)]
    pub calendar: Calendar,
}

impl Serialize for Window {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("Window", 2)?;
        out.serialize_field("from", &self.calendar.show(self.from))?;
        out.serialize_field("to", &self.calendar.show(self.to))?;
        out.end()
    }
}

impl Window {
    pub fn new(calendar: Calendar, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        Window { from, to, calendar }
    }

    /// Another window on the same calendar.
    pub fn with(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        Window { from, to, calendar: self.calendar }
    }

    /// The instant a local day starts.
    pub fn midnight(&self, day: NaiveDate) -> DateTime<Utc> {
        self.calendar.midnight(day)
    }

    /// The first whole local day inside the window and the day the window
    /// ends in: `[first, end)` are its whole days (none when `first >= end`).
    pub fn whole_days(&self) -> (NaiveDate, NaiveDate) {
        let from = self.calendar.date_of(self.from);
        let first = if self.midnight(from) == self.from { from } else { from + Duration::days(1) };
        (first, self.calendar.date_of(self.to))
    }

    /// The whole local days inside the window, `[first, end)`, and the
    /// parts of a day left over at either end — how a rollup of days and
    /// the raw rows together answer the window. `None` when it holds no
    /// whole day.
    pub fn split_days(&self) -> Option<((NaiveDate, NaiveDate), Vec<Window>)> {
        let (first, end) = self.whole_days();
        if first >= end {
            return None;
        }
        let mut edges = vec![];
        if self.from < self.midnight(first) {
            edges.push(self.with(self.from, self.midnight(first)));
        }
        if self.midnight(end) < self.to {
            edges.push(self.with(self.midnight(end), self.to));
        }
        Some(((first, end), edges))
    }

    pub fn previous(&self, compare: Compare) -> Window {
        match compare {
            Compare::PreviousPeriod => self.with(self.from - (self.to - self.from), self.from),
            Compare::PreviousYear => {
                self.with(self.calendar.add_months(self.from, -12), self.calendar.add_months(self.to, -12))
            }
        }
    }

    /// The start of every bucket of `granularity` from the one holding
    /// `from` to the last starting before `to`.
    pub fn buckets(&self, granularity: Granularity) -> Vec<NaiveDate> {
        let calendar = &self.calendar;
        let mut out = vec![];
        let mut start = calendar.start_of(granularity, calendar.date_of(self.from));
        while calendar.midnight(start) < self.to {
            out.push(start);
            start = calendar.next(granularity, start);
        }
        out
    }

    /// The local time of a timestamp column the window filters: right for
    /// every instant inside it.
    pub fn local_sql(&self, backend: DbBackend, column: &str) -> LocalSql {
        self.calendar.local_sql(backend, column, Span::Between(self.from, self.to))
    }

    /// The bucket of `granularity` of a timestamp column the window
    /// filters, as the most compact value to group or deduplicate by
    /// (PostgreSQL: a `timestamp`; SQLite: the `YYYY-MM-DD` text);
    /// [`bucket_text_sql`] formats it. Grouping by the timestamp instead of
    /// its text halves PostgreSQL's distinct buyers per bucket (narrower
    /// rows, `to_char` once per bucket, and a hash instead of a spilling
    /// sort whatever the plan).
    pub fn bucket_start_sql(&self, granularity: Granularity, backend: DbBackend, column: &str) -> String {
        self.calendar.bucket_start_sql(granularity, backend, &self.local_sql(backend, column))
    }

    /// The same as `YYYY-MM-DD` text, on either database.
    pub fn bucket_sql(&self, granularity: Granularity, backend: DbBackend, column: &str) -> String {
        bucket_text_sql(backend, &self.bucket_start_sql(granularity, backend, column))
    }

    /// The bucket of a `DATE` column holding local days (a rollup's day,
    /// an expected close date) as `YYYY-MM-DD` text.
    pub fn bucket_sql_of_day(&self, granularity: Granularity, backend: DbBackend, column: &str) -> String {
        let day = crate::calendar::date_column(backend, column);
        bucket_text_sql(backend, &self.calendar.bucket_start_sql(granularity, backend, &day))
    }
}

const MAX_WINDOW_DAYS: i64 = 3653;

/// Resolves `from`/`to`/`range` into a window on the calendar. Defaults:
/// `to` now, `from` the first day of the current local month.
pub fn resolve_window(
    from: Option<&str>,
    to: Option<&str>,
    range: Option<RangePreset>,
    calendar: Calendar,
) -> AppResult<Window> {
    let at = now();
    if let Some(preset) = range {
        if from.is_some() || to.is_some() {
            return Err(AppError::validation("range", "conflict", "give either range or from/to, not both"));
        }
        return Ok(preset.resolve(at, calendar));
    }
    let to = calendar.instant_param("to", to)?.unwrap_or(at);
    let from = match calendar.instant_param("from", from)? {
        Some(from) => from,
        None => calendar.midnight(calendar.start_of(Granularity::Month, calendar.date_of(at))),
    };
    if from >= to {
        return Err(AppError::validation("to", "range", "must be later than from"));
    }
    if to - from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(AppError::validation("from", "range", "the window may be at most 10 years long"));
    }
    Ok(Window::new(calendar, from, to))
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
    let buckets = window.buckets(granularity);
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
    let calendar = &window.calendar;
    starts
        .iter()
        .map(|start| {
            window.with(
                calendar.midnight(*start).max(window.from),
                calendar.midnight(calendar.next(granularity, *start)).min(window.to),
            )
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

/// Days since 1970-01-01 of a date (see [`Calendar::day_number_sql`]).
pub fn day_number(day: NaiveDate) -> i64 {
    (day - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    const UTC: Calendar = Calendar::utc();

    fn midnight(day: NaiveDate) -> DateTime<Utc> {
        UTC.midnight(day)
    }

    #[test]
    fn buckets_start_where_they_should() {
        assert_eq!(
            UTC.start_of(Granularity::Week, day("2025-06-01")),
            day("2025-05-26"),
            "Sunday belongs to the week of Monday 26th"
        );
        assert_eq!(UTC.start_of(Granularity::Quarter, day("2025-08-15")), day("2025-07-01"));
        let window = Window::new(UTC, midnight(day("2025-01-15")), midnight(day("2025-04-01")));
        assert_eq!(window.buckets(Granularity::Month), vec![day("2025-01-01"), day("2025-02-01"), day("2025-03-01")]);
    }

    #[test]
    fn presets_resolve_in_utc() {
        let at = midnight(day("2025-06-18")) + Duration::hours(15);
        let w = RangePreset::LastMonth.resolve(at, UTC);
        assert_eq!((w.from, w.to), (midnight(day("2025-05-01")), midnight(day("2025-06-01"))));
        let w = RangePreset::LastQuarter.resolve(at, UTC);
        assert_eq!((w.from, w.to), (midnight(day("2025-01-01")), midnight(day("2025-04-01"))));
        let w = RangePreset::Last7Days.resolve(at, UTC);
        assert_eq!((w.from, w.to), (midnight(day("2025-06-12")), midnight(day("2025-06-19"))));
        let w = RangePreset::LastWeek.resolve(at, UTC);
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
            "this_fiscal_quarter",
            "last_fiscal_quarter",
            "this_fiscal_year",
            "last_fiscal_year",
            "fiscal_year_to_date",
        ];
        for name in names {
            let preset: Result<RangePreset, _> = serde_json::from_value(serde_json::json!(name));
            assert!(preset.is_ok(), "{name}");
        }
    }

    #[test]
    fn presets_and_dates_resolve_on_the_local_calendar() {
        let shanghai = Calendar { zone: crate::calendar::parse_zone("Asia/Shanghai").unwrap_or_default(), ..UTC };
        let april = Calendar { fiscal_year_start_month: 4, ..shanghai };
        // 2026-03-31T16:30Z is 00:30 on 1 April in Shanghai.
        let at = midnight(day("2026-03-31")) + Duration::minutes(16 * 60 + 30);
        let w = RangePreset::Today.resolve(at, shanghai);
        assert_eq!(w.from, midnight(day("2026-03-31")) + Duration::hours(16));
        assert_eq!(w.to - w.from, Duration::days(1));
        let w = RangePreset::LastQuarter.resolve(at, shanghai);
        assert_eq!(w.from, shanghai.midnight(day("2026-01-01")));
        assert_eq!(w.to, shanghai.midnight(day("2026-04-01")));
        let w = RangePreset::ThisFiscalYear.resolve(at, april);
        assert_eq!((w.from, w.to), (april.midnight(day("2026-04-01")), april.midnight(day("2027-04-01"))));
        let w = RangePreset::LastFiscalQuarter.resolve(at, april);
        assert_eq!((w.from, w.to), (april.midnight(day("2026-01-01")), april.midnight(day("2026-04-01"))));
        let sunday = Calendar { week_start: crate::calendar::WeekStart::Sunday, ..UTC };
        // Wednesday 2026-03-11.
        let w = RangePreset::ThisWeek.resolve(midnight(day("2026-03-11")), sunday);
        assert_eq!(w.from, midnight(day("2026-03-08")));
        let w = resolve_window(Some("2026-04-01"), Some("2026-04-01T12:00:00Z"), None, shanghai).ok();
        assert_eq!(w.map(|w| w.from), Some(midnight(day("2026-03-31")) + Duration::hours(16)));
        let json = w.and_then(|w| serde_json::to_value(w).ok()).unwrap_or_default();
        assert_eq!(json, serde_json::json!({"from": "2026-04-01T00:00:00+08:00", "to": "2026-04-01T20:00:00+08:00"}));
    }

    #[test]
    fn windows_are_validated() {
        assert!(resolve_window(Some("2025-03-01"), Some("2025-03-01"), None, UTC).is_err());
        assert!(resolve_window(Some("2000-01-01"), Some("2025-03-01"), None, UTC).is_err());
        assert!(resolve_window(Some("2025-03-01"), None, Some(RangePreset::Today), UTC).is_err());
        let w = resolve_window(Some("2025-03-01"), Some("2025-04-01"), None, UTC).ok();
        assert_eq!(w.map(|w| w.previous(Compare::PreviousYear).from), Some(midnight(day("2024-03-01"))));
    }
}
