use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Liveness or readiness.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// `ok` (process up) or `ready` (database reachable).
    pub status: &'static str,
    /// `sqlite` or `postgres`, on `/readyz`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// Liveness
///
/// 200 while the process is up; does not touch the database.
#[utoipa::path(tag = "health", responses((status = 200, description = "The process is up.", body = Health)), security(()))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok", database: None })
}

/// Readiness
///
/// 200 when the database answers, 503 otherwise; load balancers send
/// traffic only to ready instances.
#[utoipa::path(tag = "health", responses((status = 200, description = "Ready to serve.", body = Health)), security(()))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> AppResult<web::Json<Health>> {
    crate::db::ping(&state.db).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(web::Json(Health { status: "ready", database: Some(crate::db::backend_name(&state.db)) }))
}
