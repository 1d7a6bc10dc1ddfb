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
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

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
    let mut loader = load::Loader::new(db, options.progress);
    let result = company::generate(&mut loader, options, &hash).await;
    loader.finish();
    result?;
    Ok(Report { total: loader.total(), rows: loader.rows, elapsed: started.elapsed(), password })
}
