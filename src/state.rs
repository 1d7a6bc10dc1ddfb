use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::jwt::JwtKeys;
use crate::config::Settings;

/// What every handler may need; cloned into each worker (all fields are
/// cheap handles).
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub jwt: Arc<JwtKeys>,
    pub settings: Arc<Settings>,
    pub limits: Arc<crate::rate_limit::RateLimits>,
    /// Callers' current roles and active flags, briefly cached.
    pub callers: Arc<crate::auth::callers::Callers>,
    /// The server's multi-threaded runtime, for long work a request waits
    /// for off its worker (imports).
    pub background: tokio::runtime::Handle,
}
