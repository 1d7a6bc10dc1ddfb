//! Demo and benchmark data: `crm seed --demo` / `--scale N` generate a
//! realistic company, deterministically from a seed, and bulk-load it.
//! `--scale 1` is the demo (about 10,000 orders over three years);
//! `--scale 100` is about a million orders.

mod company;
mod load;
mod rng;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait};

pub use company::DEMO_LOGINS;

/// The seed of the demo company.
pub const DEFAULT_SEED: u64 = 42;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// 1 = the demo company; the volume grows linearly with it.
    pub scale: f64,
    /// The same seed gives the same company.
    pub seed: u64,
    /// The last day of history (exclusive): records run up to its midnight.
    pub until: NaiveDate,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
}

/// What was loaded.
#[derive(Debug)]
pub struct Report {
    pub rows: BTreeMap<&'static str, u64>,
    pub total: u64,
    pub elapsed: Duration,
    /// The password of every demo user.
    pub password: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the database already holds customers or orders; seed an empty database")]
    NotEmpty,
    #[error("the scale must be between 0.01 and 1000")]
    Scale,
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Other(String),
}

/// Whether the database holds no business records yet.
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    Ok(entity::customer::Entity::find().count(db).await? == 0 && entity::order::Entity::find().count(db).await? == 0)
}

/// Generates the company and loads it into an empty database.
pub async fn run(db: &DatabaseConnection, options: Options) -> Result<Report, SeedError> {
    if !(0.01..=1000.0).contains(&options.scale) {
        return Err(SeedError::Scale);
    }
    if !is_empty(db).await? {
        return Err(SeedError::NotEmpty);
    }
    let started = Instant::now();
    let password = company::demo_password();
    let hash = crate::auth::password::hash(password.clone()).await.map_err(|e| SeedError::Other(e.to_string()))?;
    // One transaction: the company appears whole or not at all.
    let transaction = crate::db::begin_write(db).await?;
    let sqlite = db.get_database_backend() == DbBackend::Sqlite;
    if sqlite {
        // A page cache that holds the indexes being built (default 2 MB).
        transaction.execute_unprepared("PRAGMA cache_size = -262144").await?;
    } else {
        transaction.execute_unprepared("SET LOCAL maintenance_work_mem = '256MB'").await?;
    }
    let indexes = load::drop_indexes(&transaction).await?;
    let mut loader = load::Loader::new(&transaction, options.progress);
    let result = company::generate(&mut loader, options, &hash).await;
    loader.finish();
    result?;
    let (total, rows) = (loader.total(), loader.rows);
    tracing::info!(indexes = indexes.len(), "building the indexes");
    load::create_indexes(&transaction, &indexes).await?;
    tracing::info!("building the rollups");
    let calendar = crate::calendar::load(&transaction).await?.calendar;
    crate::rollup::rebuild(&transaction, &calendar).await?;
    transaction.execute_unprepared("ANALYZE").await?;
    if sqlite {
        transaction.execute_unprepared("PRAGMA cache_size = -2000").await?;
    }
    transaction.commit().await?;
    if sqlite {
        // Fold the load back into the database file and shrink the WAL.
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    } else {
        // Mark the loaded pages all-visible (outside the transaction, as
        // VACUUM must be): until autovacuum gets there, no index-only scan
        // — the distinct buyers of a quarter took 516 ms instead of 50.
        tracing::info!("vacuuming");
        db.execute_unprepared("VACUUM (ANALYZE)").await?;
    }
    Ok(Report { total, rows, elapsed: started.elapsed(), password })
}
