//! Bulk loading: rows are buffered per table and written as multi-row
//! `INSERT`s of up to ~30,000 bound values (under SQLite's and PostgreSQL's
//! limits), with a progress bar on a terminal and log lines otherwise.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement, Value};

const MAX_VALUES: usize = 30_000;

/// Rows waiting to be written to one table.
pub struct Batch {
    table: &'static str,
    columns: &'static [&'static str],
    values: Vec<Value>,
    /// Written as soon as a statement's worth is buffered; off for rows
    /// that refer to rows of another batch, which the caller flushes first.
    auto: bool,
}

impl Batch {
    pub fn new(table: &'static str, columns: &'static [&'static str]) -> Self {
        Batch { table, columns, values: Vec::with_capacity(MAX_VALUES), auto: true }
    }

    /// A batch written only when the caller says (after its parents).
    pub fn manual(table: &'static str, columns: &'static [&'static str]) -> Self {
        Batch { auto: false, ..Batch::new(table, columns) }
    }

    /// Rows buffered.
    pub fn rows(&self) -> usize {
        self.values.len() / self.columns.len()
    }
}

pub struct Loader<'a> {
    db: &'a DatabaseTransaction,
    bar: Option<ProgressBar>,
    started: Instant,
    logged: Instant,
    pub rows: BTreeMap<&'static str, u64>,
    total: u64,
}

impl<'a> Loader<'a> {
    pub fn new(db: &'a DatabaseTransaction, progress: bool) -> Self {
        let bar = (progress && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed_precise} {human_pos} rows ({per_sec}) {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar
        });
        Loader { db, bar, started: Instant::now(), logged: Instant::now(), rows: BTreeMap::new(), total: 0 }
    }

    /// Adds one row (its values in the batch's column order), writing the
    /// batch when it is full.
    pub async fn add(&mut self, batch: &mut Batch, row: impl IntoIterator<Item = Value>) -> Result<(), DbErr> {
        let before = batch.values.len();
        batch.values.extend(row);
        debug_assert_eq!(batch.values.len() - before, batch.columns.len(), "{}", batch.table);
        if batch.auto && batch.values.len() + batch.columns.len() > MAX_VALUES {
            self.flush(batch).await?;
        }
        Ok(())
    }

    /// Runs one statement (an update between loads), `?` standing for
    /// each value.
    pub async fn execute(&self, sql: &str, values: Vec<Value>) -> Result<(), DbErr> {
        let backend = self.db.get_database_backend();
        let sql = if backend == DbBackend::Postgres {
            let mut n = 0;
            sql.chars()
                .map(|c| {
                    if c == '?' {
                        n += 1;
                        format!("${n}")
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        } else {
            sql.to_string()
        };
        self.db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await.map(|_| ())
    }

    /// Writes what the batch holds, a statement of up to ~30,000 values at
    /// a time.
    pub async fn flush(&mut self, batch: &mut Batch) -> Result<(), DbErr> {
        let values = std::mem::take(&mut batch.values);
        let per_statement = (MAX_VALUES / batch.columns.len()).max(1) * batch.columns.len();
        let mut values = values.into_iter().peekable();
        while values.peek().is_some() {
            let chunk: Vec<Value> = values.by_ref().take(per_statement).collect();
            self.write(batch.table, batch.columns, chunk).await?;
        }
        Ok(())
    }

    async fn write(&mut self, table: &'static str, columns: &[&str], values: Vec<Value>) -> Result<(), DbErr> {
        let rows = values.len() / columns.len();
        if rows == 0 {
            return Ok(());
        }
        let backend = self.db.get_database_backend();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for row in 0..rows {
            sql.push_str(if row > 0 { ", (" } else { "(" });
            for column in 0..columns.len() {
                if column > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                if backend == DbBackend::Postgres {
                    sql.push_str(&format!("${n}"));
                } else {
                    sql.push('?');
                }
            }
            sql.push(')');
        }
        self.db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        *self.rows.entry(table).or_default() += rows as u64;
        self.total += rows as u64;
        match &self.bar {
            Some(bar) => {
                bar.set_position(self.total);
                bar.set_message(table);
            }
            None if self.logged.elapsed().as_secs() >= 5 => {
                self.logged = Instant::now();
                let rate = self.total as f64 / self.started.elapsed().as_secs_f64().max(0.001);
                tracing::info!(rows = self.total, rows_per_second = rate as u64, table, "loading");
            }
            None => {}
        }
        Ok(())
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The tables the generator fills in bulk.
const BULK_TABLES: &[&str] = &[
    "customers",
    "leads",
    "orders",
    "order_items",
    "opportunities",
    "opportunity_stage_history",
    "activities",
    "campaign_members",
    "tickets",
    "feedback",
    "tasks",
    "targets",
];

/// The secondary indexes of the bulk tables, as (name, definition): they
/// are dropped for the load and built once at the end, a sort each instead
/// of millions of scattered index updates. (In the same transaction: a
/// failed load leaves the schema as it was.)
pub async fn drop_indexes(db: &DatabaseTransaction) -> Result<Vec<(String, String)>, DbErr> {
    let backend = db.get_database_backend();
    let tables = BULK_TABLES.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ");
    let sql = if backend == DbBackend::Postgres {
        format!(
            "SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i \
             WHERE i.schemaname = current_schema() AND i.tablename IN ({tables}) \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) ORDER BY i.indexname"
        )
    } else {
        format!(
            "SELECT name AS name, sql AS definition FROM sqlite_master \
             WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({tables}) ORDER BY name"
        )
    };
    let mut indexes = vec![];
    for row in db.query_all_raw(Statement::from_string(backend, sql)).await? {
        indexes.push((row.try_get::<String>("", "name")?, row.try_get::<String>("", "definition")?));
    }
    for (name, _) in &indexes {
        db.execute_unprepared(&format!("DROP INDEX \"{name}\"")).await?;
    }
    Ok(indexes)
}

pub async fn create_indexes(db: &DatabaseTransaction, indexes: &[(String, String)]) -> Result<(), DbErr> {
    for (_, definition) in indexes {
        db.execute_unprepared(definition).await?;
    }
    Ok(())
}
