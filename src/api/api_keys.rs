//! API key management: administrators create keys (the secret is in the
//! creation answer only), list them, and revoke them. See
//! `crate::auth::api_keys` for what a key may do.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::audit;
use crate::api::extract::Json;
use crate::auth::Authorized;
use crate::auth::api_keys::{all_scopes, generate, hash, prefix};
use crate::auth::policy::AdminOnly;
use crate::db::statement;
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;

/// An API key (never its secret).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a2047b-9d00-7000-8000-000000000001", "name": "ERP nightly sync", "prefix": "crm_Q2xv8Tz1",
    "scopes": ["customers:read", "customers:write", "orders:write", "stats:read"],
    "created_by": "01a2047b-5a00-7000-8000-000000000001", "created_at": "2025-06-01T08:00:00Z",
    "expires_at": null, "last_used_at": "2025-06-20T02:00:13Z", "revoked_at": null
}))]
pub struct ApiKey {
    pub id: Uuid,
    /// What the key is for.
    pub name: String,
    /// The first 12 characters of the secret, to recognize it.
    pub prefix: String,
    pub scopes: Vec<String>,
    /// The administrator who created it (the actor of its changes in the audit log).
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The last request made with it (noted at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new key with its secret: shown this once, never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// Send it as `X-API-Key: <secret>` or `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// A new API key.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "ERP nightly sync", "scopes": ["customers:read", "customers:write", "orders:write", "stats:read"]}))]
pub struct CreateApiKey {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `<resource>:read` or `<resource>:write` for customers, contacts, products, orders, leads, opportunities, activities, campaigns, tickets, feedback, targets, tasks; `stats:read` (statistics, reports, alerts), `teams:read`, `users:read`, `audit:read`.
    #[validate(length(min = 1, max = 64))]
    pub scopes: Vec<String>,
    /// When it stops working (in the future); default never.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Every API key, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    pub data: Vec<ApiKey>,
}

const COLUMNS: &str = "id, name, prefix, scopes, created_by, created_at, expires_at, last_used_at, revoked_at";

fn read(row: &sea_orm::QueryResult) -> AppResult<ApiKey> {
    let scopes: String = row.try_get("", "scopes")?;
    Ok(ApiKey {
        id: row.try_get("", "id")?,
        name: row.try_get("", "name")?,
        prefix: row.try_get("", "prefix")?,
        scopes: serde_json::from_str(&scopes).map_err(AppError::internal)?,
        created_by: row.try_get("", "created_by")?,
        created_at: row.try_get("", "created_at")?,
        expires_at: row.try_get("", "expires_at")?,
        last_used_at: row.try_get("", "last_used_at")?,
        revoked_at: row.try_get("", "revoked_at")?,
    })
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<ApiKey> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE id = $1");
    let row = db.query_one_raw(statement(db.get_database_backend(), &sql, vec![id.into()])).await?;
    read(&row.ok_or_else(|| AppError::not_found("API key"))?)
}

fn audit_view(key: &ApiKey) -> AppResult<serde_json::Value> {
    serde_json::to_value(key).map_err(AppError::internal)
}

/// Create an API key
///
/// The answer holds the secret, which is never shown again (only its first
/// characters, `prefix`). Administrators only.
#[utoipa::path(
    tag = "api-keys",
    request_body = CreateApiKey,
    responses((status = 201, description = "The key, with its secret.", body = CreatedApiKey,
        headers(("Location" = String, description = "The key's URL.")))),
    security(("bearer" = []))
)]
#[post("/api-keys")]
pub async fn create_api_key(
    auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    body: Json<CreateApiKey>,
) -> AppResult<HttpResponse> {
    let input = body.0;
    let known = all_scopes();
    let mut errors: Vec<FieldError> = input
        .scopes
        .iter()
        .enumerate()
        .filter(|(_, scope)| !known.contains(scope))
        .map(|(i, scope)| FieldError::new(format!("scopes[{i}]"), "invalid_value", format!("unknown scope {scope:?}")))
        .collect();
    let now = crate::domain::time::now();
    if input.expires_at.is_some_and(|at| at <= now) {
        errors.push(FieldError::new("expires_at", "in_past", "must be in the future"));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut scopes: Vec<String> = known.into_iter().filter(|scope| input.scopes.contains(scope)).collect();
    scopes.dedup();
    let secret = generate();
    let id = Uuid::now_v7();
    let scopes_json = serde_json::to_string(&scopes).map_err(AppError::internal)?;
    let txn = crate::db::begin_write(&state.db).await?;
    txn.execute_raw(statement(
        txn.get_database_backend(),
        "INSERT INTO api_keys (id, name, prefix, secret_hash, scopes, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            id.into(),
            input.name.trim().into(),
            prefix(&secret).into(),
            hash(&secret).into(),
            scopes_json.into(),
            auth.id.into(),
            now.into(),
            input.expires_at.map(crate::domain::time::truncate).into(),
        ],
    ))
    .await?;
    let key = find(&txn, id).await?;
    audit::record(&txn, "api_keys", id, "create", Some(auth.id), audit::diff(None, Some(&audit_view(&key)?))).await?;
    txn.commit().await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header(("Location", format!("/api/v1/api-keys/{id}")))
        .insert_header(("Cache-Control", "no-store"))
        .json(CreatedApiKey { key, secret }))
}

/// List API keys
///
/// Every key, revoked ones too, newest first; never their secrets.
#[utoipa::path(
    tag = "api-keys",
    responses((status = 200, description = "The keys.", body = ApiKeyList)),
    security(("bearer" = []))
)]
#[get("/api-keys")]
pub async fn list_api_keys(
    _auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
) -> AppResult<web::Json<ApiKeyList>> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys ORDER BY created_at DESC, id DESC");
    let rows = state.db.query_all_raw(statement(state.db.get_database_backend(), &sql, vec![])).await?;
    Ok(web::Json(ApiKeyList { data: rows.iter().map(read).collect::<AppResult<_>>()? }))
}

/// Get an API key
#[utoipa::path(
    tag = "api-keys",
    params(("id" = Uuid, Path, description = "The key's id.")),
    responses((status = 200, description = "The key.", body = ApiKey)),
    security(("bearer" = []))
)]
#[get("/api-keys/{id}")]
pub async fn get_api_key(
    _auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<ApiKey>> {
    Ok(web::Json(find(&state.db, id.into_inner()).await?))
}

/// Revoke an API key
///
/// The key stops working at once; it stays listed with `revoked_at`.
/// Revoking a revoked key changes nothing.
#[utoipa::path(
    tag = "api-keys",
    params(("id" = Uuid, Path, description = "The key's id.")),
    responses((status = 204, description = "The key is revoked.")),
    security(("bearer" = []))
)]
#[delete("/api-keys/{id}")]
pub async fn revoke_api_key(
    auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let txn = crate::db::begin_write(&state.db).await?;
    let before = find(&txn, id).await?;
    if before.revoked_at.is_none() {
        txn.execute_raw(statement(
            txn.get_database_backend(),
            "UPDATE api_keys SET revoked_at = $1 WHERE id = $2",
            vec![crate::domain::time::now().into(), id.into()],
        ))
        .await?;
        let after = find(&txn, id).await?;
        let changes = audit::diff(Some(&audit_view(&before)?), Some(&audit_view(&after)?));
        audit::record(&txn, "api_keys", id, "revoke", Some(auth.id), changes).await?;
    }
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the API key endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_api_key).service(list_api_keys).service(get_api_key).service(revoke_api_key);
}
