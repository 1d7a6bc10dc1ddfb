//! The organization's calendar: its time zone, the day its weeks start on
//! and the month its fiscal year starts in (`GET /settings/organization`).
//! Every calendar-shaped thing the statistics do goes through it: what a
//! date in a query means, where a day, week, month, quarter or fiscal
//! period starts and ends, and the SQL that puts a stored instant into its
//! local day or period.
//!
//! SQLite has no time zone database, so the zone's offsets are computed
//! here (chrono-tz) and written into the SQL: a fixed offset as a constant,
//! a zone with daylight saving time as a balanced `CASE` over the instants
//! its offset changes at (within the span the query reads). PostgreSQL is
//! given the same expressions, so both databases cut periods at the same
//! instants, and the Rust side (bucket lists, `period_start`) agrees with
//! them by construction.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, Months, NaiveDate, NaiveDateTime, Offset, SecondsFormat, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::sql::Sql;

pub use crate::domain::enums::{FiscalYearLabel, WeekStart};

impl WeekStart {
    pub fn weekday(self) -> Weekday {
        match self {
            WeekStart::Monday => Weekday::Mon,
            WeekStart::Sunday => Weekday::Sun,
        }
    }
}

/// Calendar periods a series is bucketed by or a report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Day,
    /// Weeks starting on the organization's `week_start` (Monday: ISO weeks).
    Week,
    Month,
    Quarter,
    Year,
    /// Quarters of the fiscal year (`fiscal_year_start_month`).
    FiscalQuarter,
    /// Fiscal years.
    FiscalYear,
}

/// The organization's calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Calendar {
    pub zone: Tz,
    pub week_start: WeekStart,
    /// 1 (January, the default) to 12.
    pub fiscal_year_start_month: u32,
    pub fiscal_year_label: FiscalYearLabel,
}

/// Parses an IANA time zone name (`Asia/Shanghai`), exactly as the
/// database spells it (`UTC` and `Etc/UTC` are both names).
pub fn parse_zone(name: &str) -> Option<Tz> {
    Tz::from_str(name).ok()
}

impl Calendar {
    /// UTC, ISO weeks, the fiscal year = the calendar year.
    pub const fn utc() -> Self {
        Calendar {
            zone: Tz::UTC,
            week_start: WeekStart::Monday,
            fiscal_year_start_month: 1,
            fiscal_year_label: FiscalYearLabel::StartYear,
        }
    }

    /// The offset from UTC at an instant, in seconds.
    pub fn offset_at(&self, at: DateTime<Utc>) -> i32 {
        offset_of(self.zone, at)
    }

    /// An instant as the organization's wall clock shows it.
    pub fn local(&self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        let offset = FixedOffset::east_opt(self.offset_at(at)).unwrap_or_else(|| Utc.fix());
        at.with_timezone(&offset)
    }

    /// The local date of an instant.
    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        self.local(at).date_naive()
    }

    /// The instant a local wall-clock time names: the earlier of two when
    /// the clock is set back, and the instant the clock jumps when it
    /// skips the time (a day that starts at 01:00 starts then).
    pub fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        if let Some(at) = self.zone.from_local_datetime(&local).earliest() {
            return at.with_timezone(&Utc);
        }
        // In a gap: the jump is the first instant whose local time is past
        // `local`.
        let (low, high) = ((local - Duration::days(2)).and_utc(), (local + Duration::days(2)).and_utc());
        first_second(low, high, |at| self.local(at).naive_local() >= local)
    }

    /// The instant a local day starts.
    pub fn midnight(&self, day: NaiveDate) -> DateTime<Utc> {
        self.instant(day.and_time(chrono::NaiveTime::MIN))
    }

    /// The first day of the period of `granularity` holding `day`.
    pub fn start_of(&self, granularity: Granularity, day: NaiveDate) -> NaiveDate {
        let first_of_month = day.with_day(1).unwrap_or(day);
        let back = |months: u32| first_of_month - Months::new(months);
        match granularity {
            Granularity::Day => day,
            Granularity::Week => day - Duration::days(i64::from(day.weekday().days_since(self.week_start.weekday()))),
            Granularity::Month => first_of_month,
            Granularity::Quarter => back((day.month0()) % 3),
            Granularity::Year => back(day.month0()),
            Granularity::FiscalQuarter => back(self.months_into_fiscal_year(day) % 3),
            Granularity::FiscalYear => back(self.months_into_fiscal_year(day)),
        }
    }

    /// The first day of the period after the one starting on `start`.
    pub fn next(&self, granularity: Granularity, start: NaiveDate) -> NaiveDate {
        match granularity {
            Granularity::Day => start + Duration::days(1),
            Granularity::Week => start + Duration::days(7),
            Granularity::Month => start + Months::new(1),
            Granularity::Quarter | Granularity::FiscalQuarter => start + Months::new(3),
            Granularity::Year | Granularity::FiscalYear => start + Months::new(12),
        }
    }

    /// The first day of the period before the one starting on `start`.
    pub fn previous(&self, granularity: Granularity, start: NaiveDate) -> NaiveDate {
        self.start_of(granularity, start - Duration::days(1))
    }

    /// How many months `day`'s month is past the fiscal year's first month.
    fn months_into_fiscal_year(&self, day: NaiveDate) -> u32 {
        (day.month() + 12 - self.fiscal_year_start_month) % 12
    }

    /// The fiscal year holding `day`, by its name (`2026` for `FY2026`).
    pub fn fiscal_year(&self, day: NaiveDate) -> i32 {
        let start = self.start_of(Granularity::FiscalYear, day);
        match self.fiscal_year_label {
            FiscalYearLabel::StartYear => start.year(),
            FiscalYearLabel::EndYear => (self.next(Granularity::FiscalYear, start) - Duration::days(1)).year(),
        }
    }

    /// The fiscal quarter holding `day`: its fiscal year and number (1–4).
    pub fn fiscal_quarter(&self, day: NaiveDate) -> (i32, u32) {
        (self.fiscal_year(day), self.months_into_fiscal_year(day) / 3 + 1)
    }

    /// The first day of fiscal year `year` (by its name).
    pub fn fiscal_year_start(&self, year: i32) -> Option<NaiveDate> {
        let month = self.fiscal_year_start_month;
        let start_year = match self.fiscal_year_label {
            FiscalYearLabel::StartYear => year,
            FiscalYearLabel::EndYear if month == 1 => year,
            FiscalYearLabel::EndYear => year - 1,
        };
        NaiveDate::from_ymd_opt(start_year, month, 1)
    }

    /// A period's start as the organization writes it: local midnight with
    /// the zone's offset (`2026-04-01T00:00:00+08:00`).
    pub fn period_start(&self, day: NaiveDate) -> LocalTime {
        self.show(self.midnight(day))
    }

    /// A query parameter naming an instant: an RFC 3339 instant as it is, a
    /// date `YYYY-MM-DD` as local midnight; a 422 naming `field` otherwise
    /// (see `domain::time::instant_param`).
    pub fn instant_param(
        &self,
        field: &str,
        text: Option<&str>,
    ) -> Result<Option<DateTime<Utc>>, crate::error::AppError> {
        let Some(text) = text else {
            return Ok(None);
        };
        if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
            && crate::domain::time::YEARS.contains(&day.year())
        {
            return Ok(Some(self.midnight(day)));
        }
        crate::domain::time::instant_param(field, Some(text))
    }

    /// An instant with the zone's offset.
    pub fn show(&self, at: DateTime<Utc>) -> LocalTime {
        LocalTime(self.local(at))
    }

    /// The same instant, months later (or earlier) on the local calendar:
    /// midnight of 1 March a year earlier is midnight of 1 March, whatever
    /// daylight saving time did in between.
    pub fn add_months(&self, at: DateTime<Utc>, months: i32) -> DateTime<Utc> {
        let local = self.local(at).naive_local();
        let moved = if months >= 0 {
            local.checked_add_months(Months::new(months.unsigned_abs()))
        } else {
            local.checked_sub_months(Months::new(months.unsigned_abs()))
        };
        moved.map_or(at, |moved| self.instant(moved))
    }

    /// The zone's offsets over `span`: the offset at its start and every
    /// change within it.
    fn offsets(&self, span: Span) -> Offsets {
        let (from, to) = match span {
            Span::Between(from, to) => (from, to),
            Span::All => (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC),
        };
        let changes = changes_of(self.zone);
        let first = changes.partition_point(|(at, _)| *at <= from);
        let last = changes.partition_point(|(at, _)| *at < to);
        let initial = if first == 0 { self.offset_at(from.max(earliest_scanned())) } else { changes[first - 1].1 };
        Offsets { initial, changes: changes[first..last].to_vec() }
    }

    /// The local wall-clock time of a timestamp column, for the instants
    /// of `span` (rows outside it may be put in the wrong local day; the
    /// query must not read them).
    pub fn local_sql(&self, backend: DbBackend, column: &str, span: Span) -> LocalSql {
        let offsets = self.offsets(span);
        let expression = offsets.tree(backend, column);
        match backend {
            DbBackend::Postgres => LocalSql(match expression {
                Some(interval) => format!("({column} AT TIME ZONE 'UTC' + {interval})"),
                None => format!("({column} AT TIME ZONE 'UTC')"),
            }),
            _ => LocalSql(match expression {
                Some(modifier) => format!("{column}, {modifier}"),
                None => column.to_string(),
            }),
        }
    }

    /// An SQL expression giving the first day of the period of
    /// `granularity` that holds a local time (PostgreSQL: a `timestamp`,
    /// SQLite: `YYYY-MM-DD` text; `sql::bucket_text_sql` formats either as
    /// text).
    pub fn bucket_start_sql(&self, granularity: Granularity, backend: DbBackend, local: &LocalSql) -> String {
        let local = &local.0;
        let fiscal = self.fiscal_year_start_month - 1;
        if backend == DbBackend::Postgres {
            let trunc = |unit: &str| format!("date_trunc('{unit}', {local})");
            let shifted = |unit: &str| {
                if fiscal == 0 {
                    return trunc(unit);
                }
                format!(
                    "(date_trunc('{unit}', date_trunc('month', {local}) - INTERVAL '{fiscal} months') + INTERVAL '{fiscal} months')"
                )
            };
            return match granularity {
                Granularity::Day => trunc("day"),
                Granularity::Week if self.week_start == WeekStart::Sunday => {
                    format!("(date_trunc('week', {local} + INTERVAL '1 day') - INTERVAL '1 day')")
                }
                Granularity::Week => trunc("week"),
                Granularity::Month => trunc("month"),
                Granularity::Quarter => trunc("quarter"),
                Granularity::Year => trunc("year"),
                Granularity::FiscalQuarter => shifted("quarter"),
                Granularity::FiscalYear => shifted("year"),
            };
        }
        // SQLite: the date functions take the time and its modifiers.
        let quarter_of = |time: &str| {
            format!(
                "printf('%s-%02d-01', strftime('%Y', {time}), ((CAST(strftime('%m', {time}) AS INTEGER) - 1) / 3) * 3 + 1)"
            )
        };
        let shifted = |whole_year: bool| {
            let moved = format!("date({local}, 'start of month', '-{fiscal} months')");
            let start = if whole_year { format!("strftime('%Y-01-01', {moved})") } else { quarter_of(&moved) };
            if fiscal == 0 { start } else { format!("date({start}, '+{fiscal} months')") }
        };
        let weekday_back = match self.week_start {
            WeekStart::Monday => "+ 6",
            WeekStart::Sunday => "+ 0",
        };
        match granularity {
            Granularity::Day => format!("date({local})"),
            Granularity::Week => {
                format!(
                    "date({local}, '-' || ((CAST(strftime('%w', {local}) AS INTEGER) {weekday_back}) % 7) || ' days')"
                )
            }
            Granularity::Month => format!("strftime('%Y-%m-01', {local})"),
            Granularity::Quarter => quarter_of(local),
            Granularity::Year => format!("strftime('%Y-01-01', {local})"),
            Granularity::FiscalQuarter => shifted(false),
            Granularity::FiscalYear => shifted(true),
        }
    }

    /// The local date of a local time, as a `DATE` (PostgreSQL) or
    /// `YYYY-MM-DD` text (SQLite).
    pub fn date_sql(backend: DbBackend, local: &LocalSql) -> String {
        match backend {
            DbBackend::Postgres => format!("CAST({} AS DATE)", local.0),
            _ => format!("date({})", local.0),
        }
    }

    /// The local date of a local time as whole days since 1970-01-01
    /// (negative before); `stats::window::day_number` gives the same of a
    /// date.
    pub fn day_number_sql(backend: DbBackend, local: &LocalSql) -> String {
        match backend {
            DbBackend::Postgres => format!("(CAST({} AS DATE) - DATE '1970-01-01')", local.0),
            // julianday of a date is a whole day + 0.5: the difference is exact.
            _ => format!("CAST(julianday(date({})) - 2440587.5 AS INTEGER)", local.0),
        }
    }
}

/// A `DATE` column (a day already on the local calendar: a rollup's day,
/// an expected close date) as a local time [`Calendar::bucket_start_sql`]
/// reads.
pub fn date_column(backend: DbBackend, column: &str) -> LocalSql {
    match backend {
        DbBackend::Postgres => LocalSql(format!("{column}::timestamp")),
        _ => LocalSql(column.to_string()),
    }
}

/// The instants a local-time expression has to be right for.
#[derive(Clone, Copy, Debug)]
pub enum Span {
    /// `[from, to)`: what the query's window lets through.
    Between(DateTime<Utc>, DateTime<Utc>),
    /// Any instant.
    All,
}

/// A local wall-clock time in SQL: PostgreSQL a `timestamp` expression,
/// SQLite a time value with its modifiers (the arguments of `date()`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalSql(pub String);

/// An instant written with the organization's offset
/// (`2026-04-01T00:00:00+08:00`; `Z` where the offset is zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocalTime(pub DateTime<FixedOffset>);

impl std::fmt::Display for LocalTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl Serialize for LocalTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl utoipa::PartialSchema for LocalTime {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("An instant with the organization's UTC offset at that instant."))
            .examples(["2026-04-01T00:00:00+08:00"])
            .into()
    }
}

impl ToSchema for LocalTime {}

/// The offset at the start of a span and its changes within it.
struct Offsets {
    initial: i32,
    changes: Vec<(DateTime<Utc>, i32)>,
}

impl Offsets {
    /// The offset of `column` as an SQL expression (PostgreSQL an
    /// interval, SQLite a date modifier), `None` when it is zero
    /// throughout. Changes make a balanced `CASE` tree: a row takes
    /// log₂(changes) comparisons.
    fn tree(&self, backend: DbBackend, column: &str) -> Option<String> {
        if self.changes.is_empty() && self.initial == 0 {
            return None;
        }
        let mut segments = vec![(None, self.initial)];
        segments.extend(self.changes.iter().map(|(at, offset)| (Some(*at), *offset)));
        Some(tree(backend, column, &segments))
    }
}

fn offset_literal(backend: DbBackend, seconds: i32) -> String {
    match backend {
        DbBackend::Postgres => format!("INTERVAL '{seconds} seconds'"),
        _ => format!("'{seconds:+} seconds'"),
    }
}

/// An instant as a literal compared with stored timestamps: SQLite
/// compares the text sqlx writes (`2026-03-08T07:00:00+00:00`).
fn instant_literal(backend: DbBackend, at: DateTime<Utc>) -> String {
    match backend {
        DbBackend::Postgres => format!("TIMESTAMPTZ '{}'", at.format("%Y-%m-%d %H:%M:%S+00")),
        _ => format!("'{}'", at.to_rfc3339_opts(SecondsFormat::AutoSi, false)),
    }
}

/// `segments`: (the instant each starts at, its offset), the first
/// starting before anything.
fn tree(backend: DbBackend, column: &str, segments: &[(Option<DateTime<Utc>>, i32)]) -> String {
    if let [(_, offset)] = segments {
        return offset_literal(backend, *offset);
    }
    let middle = segments.len() / 2;
    let (before, after) = segments.split_at(middle);
    let at = after[0].0.unwrap_or(DateTime::<Utc>::MIN_UTC);
    format!(
        "CASE WHEN {column} < {} THEN {} ELSE {} END",
        instant_literal(backend, at),
        tree(backend, column, before),
        tree(backend, column, after)
    )
}

/// The years whose offset changes are known: tz data has history back to
/// the 19th century and rules up to 2037 and beyond; stored instants lie
/// in 1900–9999 (`domain::time::YEARS`), and after the last change found
/// the offset holds.
fn earliest_scanned() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(1900, 1, 1, 0, 0, 0).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn latest_scanned() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2200, 1, 1, 0, 0, 0).single().unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A zone's offset from UTC at an instant, in seconds.
fn offset_of(zone: Tz, at: DateTime<Utc>) -> i32 {
    zone.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc()
}

/// The first whole second in `(low, high]` from which `after` holds, for a
/// predicate false at `low` and true from some second on (offsets change on
/// whole seconds): a binary search.
fn first_second(low: DateTime<Utc>, high: DateTime<Utc>, after: impl Fn(DateTime<Utc>) -> bool) -> DateTime<Utc> {
    let at = |second: i64| DateTime::<Utc>::from_timestamp(second, 0).unwrap_or_default();
    let (mut low, mut high) = (low.timestamp(), high.timestamp());
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if after(at(middle)) { high = middle } else { low = middle }
    }
    at(high)
}

type Changes = Arc<Vec<(DateTime<Utc>, i32)>>;

static CHANGES: LazyLock<Mutex<HashMap<Tz, Changes>>> = LazyLock::new(Mutex::default);

/// Every instant between 1900 and 2200 the zone's offset changes at, and
/// the offset from then on; computed once per zone (a few milliseconds).
fn changes_of(zone: Tz) -> Changes {
    if let Some(known) = CHANGES.lock().ok().and_then(|known| known.get(&zone).cloned()) {
        return known;
    }
    let offset = |at: DateTime<Utc>| offset_of(zone, at);
    let mut changes = vec![];
    let mut at = earliest_scanned();
    let mut current = offset(at);
    // No zone changes its offset twice within six hours.
    let step = Duration::hours(6);
    while at < latest_scanned() {
        let next = at + step;
        let then = offset(next);
        if then != current {
            changes.push((first_second(at, next, |t| offset(t) != current), then));
            current = then;
        }
        at = next;
    }
    let changes = Arc::new(changes);
    if let Ok(mut known) = CHANGES.lock() {
        known.insert(zone, changes.clone());
    }
    changes
}

/// The calendar as stored, with the version `If-Match` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    pub calendar: Calendar,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT time_zone, week_start, fiscal_year_start_month, fiscal_year_label, version, updated_at \
                      FROM organization_settings WHERE id = 1";

fn read(row: &sea_orm::QueryResult) -> Result<Stored, DbErr> {
    let text = |column: &str| row.try_get::<String>("", column);
    let invalid = |column: &str, value: String| DbErr::Custom(format!("organization_settings.{column} is {value:?}"));
    let zone = text("time_zone")?;
    let week_start = text("week_start")?;
    let label = text("fiscal_year_label")?;
    let month: i32 = row.try_get("", "fiscal_year_start_month")?;
    let calendar = Calendar {
        zone: parse_zone(&zone).ok_or_else(|| invalid("time_zone", zone.clone()))?,
        week_start: week_start.parse().map_err(|_| invalid("week_start", week_start.clone()))?,
        fiscal_year_start_month: u32::try_from(month)
            .ok()
            .filter(|m| (1..=12).contains(m))
            .ok_or_else(|| invalid("fiscal_year_start_month", month.to_string()))?,
        fiscal_year_label: label.parse().map_err(|_| invalid("fiscal_year_label", label.clone()))?,
    };
    Ok(Stored { calendar, version: row.try_get("", "version")?, updated_at: row.try_get("", "updated_at")? })
}

/// The settings row, read with `lock` appended (PostgreSQL only; SQLite's
/// write transactions are serial), if it exists.
async fn select(db: &impl ConnectionTrait, lock: &str) -> Result<Option<Stored>, DbErr> {
    let backend = db.get_database_backend();
    let lock = if backend == DbBackend::Postgres { lock } else { "" };
    match db.query_one_raw(Statement::from_string(backend, format!("{SELECT}{lock}"))).await? {
        Some(row) => read(&row).map(Some),
        None => Ok(None),
    }
}

/// The organization's calendar. The row exists from the first start on
/// ([`create_if_missing`]); before, the calendar is UTC's.
pub async fn load(db: &impl ConnectionTrait) -> Result<Stored, DbErr> {
    let unset = Stored { calendar: Calendar::utc(), version: 0, updated_at: DateTime::<Utc>::UNIX_EPOCH };
    Ok(select(db, "").await?.unwrap_or(unset))
}

/// The calendar a write that keeps the rollups reads, in its transaction:
/// on PostgreSQL the row is share-locked, so a change of the zone (which
/// rebuilds the rollups under `FOR UPDATE`) waits for the write and the
/// write for the change — a rollup row is never written on the calendar
/// that is being replaced.
pub async fn load_for_write(db: &impl ConnectionTrait) -> Result<Stored, DbErr> {
    match select(db, " FOR KEY SHARE").await? {
        Some(stored) => Ok(stored),
        None => load(db).await,
    }
}

/// The same, locked for a change (`FOR UPDATE`).
pub async fn load_for_update(db: &impl ConnectionTrait) -> Result<Stored, DbErr> {
    select(db, " FOR UPDATE").await?.ok_or_else(|| DbErr::RecordNotFound("organization_settings".into()))
}

/// Writes the calendar with the next version.
pub async fn store(
    db: &impl ConnectionTrait,
    calendar: &Calendar,
    version: i64,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("UPDATE organization_settings SET time_zone = ").bind(calendar.zone.name());
    sql.push(", week_start = ").bind(calendar.week_start.as_str());
    sql.push(", fiscal_year_start_month = ").bind(calendar.fiscal_year_start_month as i32);
    sql.push(", fiscal_year_label = ").bind(calendar.fiscal_year_label.as_str());
    sql.push(", version = ").bind(version).push(", updated_at = ").bind(at).push(" WHERE id = 1");
    db.execute_raw(sql.statement()).await?;
    Ok(())
}

/// Creates the settings row on the first start, in `zone` (from
/// `CRM_TIME_ZONE`), unless it exists: the setting, once made, is the
/// administrators'. Returns the calendar it created. (`db::migrate` then
/// puts the rollups, which the migrations built on UTC days, on its days.)
pub async fn create_if_missing(db: &impl ConnectionTrait, zone: Tz) -> Result<Option<Calendar>, DbErr> {
    let calendar = Calendar { zone, ..Calendar::utc() };
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "INSERT INTO organization_settings (id, time_zone, week_start, fiscal_year_start_month, fiscal_year_label, \
         version, updated_at) VALUES (1, ",
    );
    sql.bind(zone.name()).push(", ").bind(calendar.week_start.as_str()).push(", 1, ");
    sql.bind(calendar.fiscal_year_label.as_str()).push(", 1, ").bind(crate::domain::time::now());
    sql.push(") ON CONFLICT (id) DO NOTHING");
    let inserted = db.execute_raw(sql.statement()).await?.rows_affected() == 1;
    Ok(inserted.then_some(calendar))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    fn instant(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).unwrap_or_default()
    }

    fn zone(name: &str) -> Calendar {
        Calendar { zone: parse_zone(name).unwrap_or(Tz::UTC), ..Calendar::utc() }
    }

    #[test]
    fn local_days_start_at_local_midnight() {
        let shanghai = zone("Asia/Shanghai");
        assert_eq!(shanghai.midnight(day("2026-04-01")), instant("2026-03-31T16:00:00Z"));
        assert_eq!(shanghai.date_of(instant("2026-03-31T15:59:59Z")), day("2026-03-31"));
        assert_eq!(shanghai.date_of(instant("2026-03-31T16:00:00Z")), day("2026-04-01"));
        assert_eq!(shanghai.period_start(day("2026-04-01")).to_string(), "2026-04-01T00:00:00+08:00");
        assert_eq!(Calendar::utc().period_start(day("2026-04-01")).to_string(), "2026-04-01T00:00:00Z");
    }

    #[test]
    fn daylight_saving_days_have_23_and_25_hours() {
        let new_york = zone("America/New_York");
        let hours = |d: &str| (new_york.midnight(day(d) + Duration::days(1)) - new_york.midnight(day(d))).num_hours();
        assert_eq!(hours("2026-03-08"), 23);
        assert_eq!(hours("2026-11-01"), 25);
        assert_eq!(hours("2026-06-01"), 24);
        assert_eq!(new_york.period_start(day("2026-07-01")).to_string(), "2026-07-01T00:00:00-04:00");
        assert_eq!(new_york.period_start(day("2026-12-01")).to_string(), "2026-12-01T00:00:00-05:00");
        // 02:30 does not exist on 8 March: it is the instant of the jump.
        let skipped = day("2026-03-08").and_hms_opt(2, 30, 0).unwrap_or_default();
        assert_eq!(new_york.instant(skipped), instant("2026-03-08T07:00:00Z"));
    }

    #[test]
    fn a_day_without_midnight_starts_when_the_clock_jumps() {
        // Chile moved its clocks forward at 24:00 on 2026-09-05 (Santiago).
        let santiago = zone("America/Santiago");
        let start = santiago.midnight(day("2026-09-06"));
        assert_eq!(santiago.date_of(start), day("2026-09-06"));
        assert_eq!(santiago.date_of(start - Duration::seconds(1)), day("2026-09-05"));
    }

    #[test]
    fn weeks_start_on_the_organizations_day() {
        let monday = Calendar::utc();
        let sunday = Calendar { week_start: WeekStart::Sunday, ..monday };
        // Wednesday 2026-03-11.
        assert_eq!(monday.start_of(Granularity::Week, day("2026-03-11")), day("2026-03-09"));
        assert_eq!(sunday.start_of(Granularity::Week, day("2026-03-11")), day("2026-03-08"));
        assert_eq!(sunday.start_of(Granularity::Week, day("2026-03-08")), day("2026-03-08"));
        assert_eq!(monday.start_of(Granularity::Week, day("2026-03-08")), day("2026-03-02"));
    }

    #[test]
    fn fiscal_periods_follow_the_start_month() {
        let april = Calendar { fiscal_year_start_month: 4, ..Calendar::utc() };
        assert_eq!(april.start_of(Granularity::FiscalYear, day("2026-03-31")), day("2025-04-01"));
        assert_eq!(april.start_of(Granularity::FiscalYear, day("2026-04-01")), day("2026-04-01"));
        assert_eq!(april.start_of(Granularity::FiscalQuarter, day("2026-03-31")), day("2026-01-01"));
        assert_eq!(april.start_of(Granularity::FiscalQuarter, day("2026-08-15")), day("2026-07-01"));
        assert_eq!(april.fiscal_quarter(day("2026-03-31")), (2025, 4));
        assert_eq!(april.fiscal_quarter(day("2026-04-01")), (2026, 1));
        assert_eq!(april.fiscal_year_start(2026), Some(day("2026-04-01")));
        let by_end = Calendar { fiscal_year_label: FiscalYearLabel::EndYear, ..april };
        assert_eq!(by_end.fiscal_quarter(day("2026-04-01")), (2027, 1));
        assert_eq!(by_end.fiscal_year_start(2027), Some(day("2026-04-01")));
        let october = Calendar { fiscal_year_start_month: 10, ..Calendar::utc() };
        assert_eq!(october.start_of(Granularity::FiscalQuarter, day("2026-12-31")), day("2026-10-01"));
        assert_eq!(october.start_of(Granularity::FiscalQuarter, day("2027-01-01")), day("2027-01-01"));
        assert_eq!(Calendar::utc().fiscal_quarter(day("2026-12-31")), (2026, 4));
        assert_eq!(
            Calendar { fiscal_year_label: FiscalYearLabel::EndYear, ..Calendar::utc() }.fiscal_year(day("2026-12-31")),
            2026
        );
    }

    #[test]
    fn offsets_within_a_span() {
        let new_york = zone("America/New_York");
        let year = Span::Between(instant("2026-01-01T05:00:00Z"), instant("2027-01-01T05:00:00Z"));
        let offsets = new_york.offsets(year);
        assert_eq!(offsets.initial, -5 * 3600);
        assert_eq!(
            offsets.changes,
            vec![(instant("2026-03-08T07:00:00Z"), -4 * 3600), (instant("2026-11-01T06:00:00Z"), -5 * 3600)]
        );
        let shanghai = zone("Asia/Shanghai").offsets(Span::All);
        assert!(shanghai.changes.iter().all(|(at, _)| *at < instant("1992-01-01T00:00:00Z")));
        assert_eq!(
            zone("Asia/Shanghai").local_sql(DbBackend::Sqlite, "o.ordered_at", year).0,
            "o.ordered_at, '+28800 seconds'"
        );
        assert_eq!(
            Calendar::utc().local_sql(DbBackend::Postgres, "o.ordered_at", Span::All).0,
            "(o.ordered_at AT TIME ZONE 'UTC')"
        );
        let sql = new_york.local_sql(DbBackend::Sqlite, "t", year).0;
        assert_eq!(
            sql,
            "t, CASE WHEN t < '2026-03-08T07:00:00+00:00' THEN '-18000 seconds' ELSE \
             CASE WHEN t < '2026-11-01T06:00:00+00:00' THEN '-14400 seconds' ELSE '-18000 seconds' END END"
        );
    }

    #[test]
    fn months_move_on_the_local_calendar() {
        let new_york = zone("America/New_York");
        let march = new_york.midnight(day("2026-03-10"));
        assert_eq!(new_york.add_months(march, -12), new_york.midnight(day("2025-03-10")));
        assert_eq!(new_york.add_months(new_york.midnight(day("2026-03-31")), -1), new_york.midnight(day("2026-02-28")));
    }
}
