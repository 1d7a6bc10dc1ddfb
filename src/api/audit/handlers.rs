use actix_web::{get, web};

use super::dto::{AuditEntry, AuditQuery};
use super::service;
use crate::api::extract::Query;
use crate::api::list::Page;
use crate::auth::Authorized;
use crate::auth::policy::AdminOrManager;
use crate::error::AppResult;
use crate::state::AppState;

/// The audit log
///
/// Every create, update, delete and stage change of a CRM record, newest
/// first. Administrators see all of it, managers the changes made by their
/// team.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    responses((status = 200, description = "A page of audit entries.", body = Page<AuditEntry>)),
    security(("bearer" = []))
)]
#[get("/audit")]
pub async fn list_audit(
    auth: Authorized<AdminOrManager>,
    state: web::Data<AppState>,
    query: Query<AuditQuery>,
) -> AppResult<web::Json<Page<AuditEntry>>> {
    Ok(web::Json(service::list(&state.db, &auth, &query.0).await?))
}
