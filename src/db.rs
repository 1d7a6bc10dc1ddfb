//! Connecting to SQLite or PostgreSQL and keeping the schema current.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

use crate::config::Settings;

/// Opens the connection pool. SQLite gets WAL (readers never wait for the
/// writer), `synchronous=NORMAL` (durable at every checkpoint, safe against
/// process crashes, the usual WAL pairing), a busy timeout so concurrent
/// writers queue instead of failing, and foreign keys, which SQLite leaves
/// off unless asked.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .max_connections(settings.db_max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(settings.db_timeout_secs))
        .acquire_timeout(Duration::from_secs(settings.db_timeout_secs))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// Runs the migrations, then gives the organization its settings row on
/// the first start, in `zone` (`CRM_TIME_ZONE`), with the rollups (which
/// the migrations build on UTC days) rebuilt on its local days; and builds
/// the distinct-buyer bitmaps and the service rollup of a database
/// migrated from before them.
pub async fn migrate(db: &DatabaseConnection, zone: chrono_tz::Tz) -> Result<(), DbErr> {
    Migrator::up(db, None).await?;
    let txn = begin_write(db).await?;
    let created = crate::calendar::create_if_missing(&txn, zone).await?;
    let rebuild = created.filter(|_| zone != chrono_tz::Tz::UTC);
    let built = match rebuild {
        Some(calendar) => {
            crate::rollup::rebuild_days(&txn, &calendar).await?;
            true
        }
        None => {
            let calendar = crate::calendar::load_for_write(&txn).await?.calendar;
            crate::rollup::build_missing(&txn, &calendar).await?
        }
    };
    txn.commit().await?;
    if built {
        crate::rollup::tidy_days(db).await?;
    }
    Ok(())
}

/// `SELECT 1`, for readiness checks.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Sqlite => "sqlite",
        DbBackend::Postgres => "postgres",
        _ => "other",
    }
}

/// Starts a write transaction. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy timeout
/// instead of failing when a read turns into a write; PostgreSQL ignores
/// the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// A connection that records every query it runs, for the tools that
/// replay or explain what a statistic asks of the database (the index
/// test, the benchmarks).
pub struct Recording {
    inner: DatabaseConnection,
    statements: std::sync::Mutex<Vec<sea_orm::Statement>>,
}

impl Recording {
    pub fn new(inner: DatabaseConnection) -> Self {
        Recording { inner, statements: std::sync::Mutex::new(vec![]) }
    }

    /// The statements run since the last call.
    pub fn take(&self) -> Vec<sea_orm::Statement> {
        self.statements.lock().map(|mut s| std::mem::take(&mut *s)).unwrap_or_default()
    }

    fn record(&self, statement: &sea_orm::Statement) {
        if let Ok(mut statements) = self.statements.lock() {
            statements.push(statement.clone());
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Recording {
    fn get_database_backend(&self) -> DbBackend {
        self.inner.get_database_backend()
    }

    async fn execute_raw(&self, stmt: sea_orm::Statement) -> Result<sea_orm::ExecResult, DbErr> {
        self.record(&stmt);
        self.inner.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
        self.inner.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: sea_orm::Statement) -> Result<Option<sea_orm::QueryResult>, DbErr> {
        self.record(&stmt);
        self.inner.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: sea_orm::Statement) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        self.record(&stmt);
        self.inner.query_all_raw(stmt).await
    }
}

/// A raw statement written with PostgreSQL's `$n` placeholders, as
/// SQLite's `?` on SQLite: the values in order, each placeholder used once.
pub fn statement(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    let sql = if backend == DbBackend::Postgres {
        sql.to_string()
    } else {
        let mut out = String::with_capacity(sql.len());
        let mut chars = sql.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                out.push('?');
            } else {
                out.push(c);
            }
        }
        out
    };
    Statement::from_sql_and_values(backend, sql, values)
}
