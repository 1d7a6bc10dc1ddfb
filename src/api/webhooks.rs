//! Webhook subscriptions and their delivery log (administrators). See
//! `crate::webhooks` for the events, the signature and the retries.

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
use crate::auth::policy::AdminOnly;
use crate::db::statement;
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;

/// A webhook subscription (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    /// Where events are posted.
    pub url: String,
    /// The event types it receives: `*`, `<resource>.*` or `<resource>.<event>` (`customers.created`, `opportunities.stage_changed`, `tickets.resolved`, `alerts.raised`, `alerts.cleared`).
    pub events: Vec<String>,
    pub active: bool,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

/// A new subscription with its signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// Verify `X-CRM-Signature` with it: `v1=` + hex HMAC-SHA256 of `"<X-CRM-Timestamp>.<body>"`.
    pub secret: String,
}

/// A new subscription.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://erp.example.com/crm-events", "events": ["orders.*", "opportunities.stage_changed", "tickets.resolved"]}))]
pub struct CreateWebhook {
    /// An `https` URL (`http` outside production) on a public address.
    #[validate(length(min = 1, max = 2000))]
    pub url: String,
    #[validate(length(min = 1, max = 50))]
    pub events: Vec<String>,
}

/// Every subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub data: Vec<Webhook>,
}

/// One delivery of an event to a subscriber.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    /// The event's id (the `X-CRM-Event-Id` header), the same for every subscriber.
    pub event_id: Uuid,
    pub event_type: String,
    /// `pending`, `delivered` or `failed` (after 10 attempts).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The JSON posted.
    pub payload: serde_json::Value,
}

/// The latest deliveries of a subscription, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub data: Vec<Delivery>,
}

const COLUMNS: &str = "id, url, events, active, created_by, created_at";

fn read(row: &sea_orm::QueryResult) -> AppResult<Webhook> {
    let events: String = row.try_get("", "events")?;
    Ok(Webhook {
        id: row.try_get("", "id")?,
        url: row.try_get("", "url")?,
        events: serde_json::from_str(&events).map_err(AppError::internal)?,
        active: row.try_get("", "active")?,
        created_by: row.try_get("", "created_by")?,
        created_at: row.try_get("", "created_at")?,
    })
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Webhook> {
    let sql = format!("SELECT {COLUMNS} FROM webhook_subscriptions WHERE id = $1 AND deleted_at IS NULL");
    let row = db.query_one_raw(statement(db.get_database_backend(), &sql, vec![id.into()])).await?;
    read(&row.ok_or_else(|| AppError::not_found("webhook"))?)
}

fn valid_pattern(pattern: &str) -> bool {
    let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    pattern == "*"
        || pattern.split_once('.').is_some_and(|(resource, event)| word(resource) && (event == "*" || word(event)))
}

/// Subscribe to events
///
/// Events are posted to `url` as they happen (see the README,
/// "Integrating"). The answer holds the signing secret, shown this once.
#[utoipa::path(
    tag = "webhooks",
    request_body = CreateWebhook,
    responses((status = 201, description = "The subscription, with its secret.", body = CreatedWebhook,
        headers(("Location" = String, description = "The subscription's URL.")))),
    security(("bearer" = []))
)]
#[post("/webhooks")]
pub async fn create_webhook(
    auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    body: Json<CreateWebhook>,
) -> AppResult<HttpResponse> {
    let input = body.0;
    let mut errors: Vec<FieldError> = input
        .events
        .iter()
        .enumerate()
        .filter(|(_, pattern)| !valid_pattern(pattern))
        .map(|(i, _)| {
            FieldError::new(format!("events[{i}]"), "invalid_value", "expected *, <resource>.* or <resource>.<event>")
        })
        .collect();
    let settings = &state.settings;
    if let Err(reason) =
        crate::webhooks::check_target(input.url.trim(), settings.is_production(), settings.webhook_allow_private).await
    {
        errors.insert(0, FieldError::new("url", "invalid_target", reason));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let id = Uuid::now_v7();
    let secret = format!("whsec_{}", crate::auth::api_keys::generate().trim_start_matches("crm_"));
    let events = serde_json::to_string(&input.events).map_err(AppError::internal)?;
    let txn = crate::db::begin_write(&state.db).await?;
    txn.execute_raw(statement(
        txn.get_database_backend(),
        "INSERT INTO webhook_subscriptions (id, url, events, secret, active, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            id.into(),
            input.url.trim().into(),
            events.into(),
            secret.clone().into(),
            true.into(),
            auth.id.into(),
            crate::domain::time::now().into(),
        ],
    ))
    .await?;
    let webhook = find(&txn, id).await?;
    let view = serde_json::to_value(&webhook).map_err(AppError::internal)?;
    audit::record(&txn, "webhooks", id, "create", Some(auth.id), audit::diff(None, Some(&view))).await?;
    txn.commit().await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header(("Location", format!("/api/v1/webhooks/{id}")))
        .insert_header(("Cache-Control", "no-store"))
        .json(CreatedWebhook { webhook, secret }))
}

/// List subscriptions
#[utoipa::path(tag = "webhooks", responses((status = 200, description = "The subscriptions.", body = WebhookList)), security(("bearer" = [])))]
#[get("/webhooks")]
pub async fn list_webhooks(
    _auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
) -> AppResult<web::Json<WebhookList>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webhook_subscriptions WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC"
    );
    let rows = state.db.query_all_raw(statement(state.db.get_database_backend(), &sql, vec![])).await?;
    Ok(web::Json(WebhookList { data: rows.iter().map(read).collect::<AppResult<_>>()? }))
}

/// Unsubscribe
///
/// No further deliveries are made, pending ones included.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription's id.")),
    responses((status = 204, description = "Unsubscribed.")),
    security(("bearer" = []))
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let txn = crate::db::begin_write(&state.db).await?;
    let webhook = find(&txn, id).await?;
    txn.execute_raw(statement(
        txn.get_database_backend(),
        "UPDATE webhook_subscriptions SET deleted_at = $1, active = $2 WHERE id = $3",
        vec![crate::domain::time::now().into(), false.into(), id.into()],
    ))
    .await?;
    let view = serde_json::to_value(&webhook).map_err(AppError::internal)?;
    audit::record(&txn, "webhooks", id, "delete", Some(auth.id), audit::diff(Some(&view), None)).await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

const DELIVERY_COLUMNS: &str = "id, event_id, event_type, status, attempts, next_attempt_at, last_status_code, \
     last_error, delivered_at, created_at, payload";

fn read_delivery(row: &sea_orm::QueryResult) -> AppResult<Delivery> {
    let payload: String = row.try_get("", "payload")?;
    Ok(Delivery {
        id: row.try_get("", "id")?,
        event_id: row.try_get("", "event_id")?,
        event_type: row.try_get("", "event_type")?,
        status: row.try_get("", "status")?,
        attempts: row.try_get("", "attempts")?,
        next_attempt_at: row.try_get("", "next_attempt_at")?,
        last_status_code: row.try_get("", "last_status_code")?,
        last_error: row.try_get("", "last_error")?,
        delivered_at: row.try_get("", "delivered_at")?,
        created_at: row.try_get("", "created_at")?,
        payload: serde_json::from_str(&payload).map_err(AppError::internal)?,
    })
}

/// Delivery log
///
/// The subscription's latest 100 deliveries, newest first.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The subscription's id.")),
    responses((status = 200, description = "The deliveries.", body = DeliveryList)),
    security(("bearer" = []))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    _auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<DeliveryList>> {
    let id = id.into_inner();
    find(&state.db, id).await?;
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100"
    );
    let rows = state.db.query_all_raw(statement(state.db.get_database_backend(), &sql, vec![id.into()])).await?;
    Ok(web::Json(DeliveryList { data: rows.iter().map(read_delivery).collect::<AppResult<_>>()? }))
}

/// Redeliver
///
/// Sends a delivery again (as soon as the worker runs), whatever its
/// status; its attempts start over.
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = Uuid, Path, description = "The subscription's id."),
        ("delivery_id" = Uuid, Path, description = "The delivery's id.")
    ),
    responses((status = 202, description = "Queued again.", body = Delivery)),
    security(("bearer" = []))
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    _auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (id, delivery_id) = path.into_inner();
    find(&state.db, id).await?;
    let db = &state.db;
    let changed = db
        .execute_raw(statement(
            db.get_database_backend(),
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1 \
             WHERE id = $2 AND subscription_id = $3",
            vec![crate::domain::time::now().into(), delivery_id.into(), id.into()],
        ))
        .await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::not_found("delivery"));
    }
    let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1");
    let row = db.query_one_raw(statement(db.get_database_backend(), &sql, vec![delivery_id.into()])).await?;
    let delivery = read_delivery(&row.ok_or_else(|| AppError::not_found("delivery"))?)?;
    Ok(HttpResponse::Accepted().json(delivery))
}

/// Registers the webhook endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_webhook)
        .service(list_webhooks)
        .service(delete_webhook)
        .service(list_deliveries)
        .service(redeliver);
}
