//! SQL text with bound values, written once for SQLite and PostgreSQL, and
//! the small dialect layer where the two differ (durations, percentiles,
//! `VALUES` lists; local days and periods are the calendar module's). The
//! statistics build their queries with it; the scope rules render into it
//! (`auth::scope`).

use sea_orm::{DbBackend, Statement, Value};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

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

/// A bucket start (`Calendar::bucket_start_sql`) as `YYYY-MM-DD` text.
pub fn bucket_text_sql(backend: DbBackend, bucket: &str) -> String {
    if backend == DbBackend::Postgres { format!("to_char({bucket}, 'YYYY-MM-DD')") } else { bucket.to_string() }
}

/// Minutes from `start` to `end` (two timestamp columns) as a float, from
/// their exact difference in microseconds.
pub fn minutes_between(backend: DbBackend, start: &str, end: &str) -> String {
    if backend == DbBackend::Postgres {
        format!("CAST(EXTRACT(EPOCH FROM ({end} - {start})) / 60.0 AS DOUBLE PRECISION)")
    } else {
        format!("(({} - {}) / 60000000.0)", sqlite_micros(end), sqlite_micros(start))
    }
}

/// Microseconds since the epoch of a timestamp column on SQLite, exactly.
/// SQLite's own date functions keep milliseconds (and round a fraction
/// of .9995 s up to the next second), so the whole seconds come from the
/// text without its fraction and the microseconds from the fraction's
/// digits: the column holds RFC 3339 text in UTC
/// (`2026-03-01T10:00:00.123456+00:00`, the fraction 0, 3 or 6 digits).
pub fn sqlite_micros(column: &str) -> String {
    format!(
        "(unixepoch(substr({column}, 1, 19)) * 1000000 + CASE WHEN substr({column}, 20, 1) = '.' \
         THEN CAST(substr(substr({column}, 21, instr({column}, '+') - 21) || '00000', 1, 6) AS INTEGER) ELSE 0 END)"
    )
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

/// A group's key: ids as their text form, `null` when unset.
pub fn group_key(row: &sea_orm::QueryResult, column: &str, is_id: bool) -> AppResult<Option<String>> {
    Ok(if is_id {
        row.try_get::<Option<Uuid>>("", column)?.map(|id| id.to_string())
    } else {
        row.try_get::<Option<String>>("", column)?
    })
}
