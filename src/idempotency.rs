//! `Idempotency-Key` on `POST`: the first response to a key is kept for
//! 24 hours and a retry with the same key and the same request gets it
//! again (with `Idempotent-Replayed: true`) instead of running twice. The
//! same key with another request is a 409; a retry while the first is
//! still running is a 409 too. Keys belong to the caller (the
//! authenticated user, or the API key); requests without valid
//! credentials, sign-in and API key creation (whose answers hold secrets,
//! which are never stored) are not subject to it. A first request that fails with a 5xx releases its key,
//! so that the retry runs; one that was cut off by a server stop keeps it
//! reserved (409) until it expires, rather than risking a second record.

use actix_web::body::{BoxBody, MessageBody, to_bytes_limited};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::db::statement;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

/// How long a key is remembered.
pub const TTL_HOURS: i64 = 24;

/// The response headers kept with the body (the rest are per response).
const KEPT_HEADERS: [HeaderName; 4] =
    [header::CONTENT_TYPE, header::ETAG, header::LOCATION, header::CONTENT_DISPOSITION];

/// The largest response body kept (larger ones are answered but not kept,
/// and the key is released).
const MAX_STORED_BODY: usize = 4 * 1024 * 1024;

/// A key as sent: 1 to 255 visible ASCII characters.
fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic())
}

fn hash(req: &ServiceRequest, body: &[u8]) -> String {
    let mut digest = Sha256::new();
    digest.update(req.method().as_str());
    digest.update([0]);
    digest.update(req.path());
    digest.update([0]);
    digest.update(req.query_string());
    digest.update([0]);
    digest.update(body);
    crate::auth::hex(&digest.finalize())
}

/// A stored first response.
struct Stored {
    hash: String,
    status: Option<i32>,
    headers: Option<String>,
    body: Option<Vec<u8>>,
}

async fn lookup(db: &impl ConnectionTrait, scope: &str, key: &str, at: DateTime<Utc>) -> Result<Option<Stored>, DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(statement(
            backend,
            "SELECT request_hash, status, headers, body FROM idempotency_keys \
             WHERE scope = $1 AND idempotency_key = $2 AND expires_at > $3",
            vec![scope.into(), key.into(), at.into()],
        ))
        .await?;
    row.map(|row| {
        Ok(Stored {
            hash: row.try_get("", "request_hash")?,
            status: row.try_get("", "status")?,
            headers: row.try_get("", "headers")?,
            body: row.try_get("", "body")?,
        })
    })
    .transpose()
}

/// Reserves the key for this request; `false` when another request holds it.
async fn claim(
    db: &impl ConnectionTrait,
    scope: &str,
    key: &str,
    request: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    // Forget expired keys (this one's included) before reserving.
    db.execute_raw(statement(backend, "DELETE FROM idempotency_keys WHERE expires_at <= $1", vec![at.into()])).await?;
    let inserted = db
        .execute_raw(statement(
            backend,
            "INSERT INTO idempotency_keys (scope, idempotency_key, request_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            vec![scope.into(), key.into(), request.into(), at.into(), (at + Duration::hours(TTL_HOURS)).into()],
        ))
        .await?;
    Ok(inserted.rows_affected() == 1)
}

async fn store(
    db: &impl ConnectionTrait,
    scope: &str,
    key: &str,
    status: u16,
    headers: String,
    body: Vec<u8>,
) -> Result<(), DbErr> {
    db.execute_raw(statement(
        db.get_database_backend(),
        "UPDATE idempotency_keys SET status = $1, headers = $2, body = $3 WHERE scope = $4 AND idempotency_key = $5",
        vec![i32::from(status).into(), headers.into(), body.into(), scope.into(), key.into()],
    ))
    .await?;
    Ok(())
}

async fn release(db: &impl ConnectionTrait, scope: &str, key: &str) -> Result<(), DbErr> {
    db.execute_raw(statement(
        db.get_database_backend(),
        "DELETE FROM idempotency_keys WHERE scope = $1 AND idempotency_key = $2 AND status IS NULL",
        vec![scope.into(), key.into()],
    ))
    .await?;
    Ok(())
}

fn replay(stored: Stored) -> Result<HttpResponse, AppError> {
    let status = stored
        .status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| AppError::internal("stored idempotent response without a status"))?;
    let mut response = HttpResponse::build(status);
    let headers: serde_json::Map<String, serde_json::Value> =
        stored.headers.as_deref().and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
    for (name, value) in headers {
        if let (Ok(name), Some(Ok(value))) =
            (HeaderName::try_from(name.as_str()), value.as_str().map(HeaderValue::from_str))
        {
            response.insert_header((name, value));
        }
    }
    response.insert_header((HeaderName::from_static(REPLAYED), HeaderValue::from_static("true")));
    Ok(response.body(stored.body.unwrap_or_default()))
}

/// Replaces the kept first answers that mention `record` (a record whose
/// personal data is being erased) with a 409 problem: the request was
/// carried out once and a retry must still not repeat it, but its answer
/// held personal data. An answer that merely names the record (an order of
/// the erased customer, say) is replaced too: matching by id is what makes
/// sure that none is missed.
pub async fn forget_answers_about(db: &impl ConnectionTrait, record: uuid::Uuid) -> Result<u64, DbErr> {
    let problem = crate::error::Problem {
        instance: None,
        request_id: None,
        ..conflict(
            "The request sent with this Idempotency-Key was carried out; its answer was removed \
             when the personal data it held was erased.",
        )
        .to_problem()
    };
    let body = serde_json::to_vec(&problem).map_err(|error| DbErr::Custom(error.to_string()))?;
    let headers = serde_json::json!({ "content-type": crate::error::PROBLEM_JSON }).to_string();
    let pattern = format!("%{record}%").into_bytes();
    let changed = db
        .execute_raw(statement(
            db.get_database_backend(),
            "UPDATE idempotency_keys SET status = $1, headers = $2, body = $3 WHERE status IS NOT NULL AND body LIKE $4",
            vec![409i32.into(), headers.into(), body.into(), pattern.into()],
        ))
        .await?;
    Ok(changed.rows_affected())
}

fn conflict(detail: &str) -> AppError {
    AppError::Conflict { detail: detail.to_string(), errors: vec![] }
}

/// Whether a `POST` to this path takes an `Idempotency-Key`. Sign-in and
/// API key answers hold secrets, which are never stored; a webhook
/// subscription's creation answers its signing secret.
pub fn applies_to(path: &str) -> bool {
    !path.starts_with("/api/v1/auth/") && !path.starts_with("/api/v1/api-keys") && path != "/api/v1/webhooks"
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = req.headers().get(HEADER).map(|v| v.to_str().map(str::to_owned));
    let applies = req.method() == actix_web::http::Method::POST && applies_to(req.path());
    let (Some(key), true) = (key, applies) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let Ok(key) =
        key.map(|k| k.trim().to_owned()).map_err(|_| ()).and_then(|k| if valid_key(&k) { Ok(k) } else { Err(()) })
    else {
        let error = AppError::validation("Idempotency-Key", "invalid", "must be 1 to 255 visible ASCII characters");
        return Ok(req.error_response(error));
    };
    // The key belongs to the caller; without a valid token the handler answers 401.
    let Ok(caller) = crate::auth::extractor::authenticate(req.request()).await else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    // The handler's extractor takes the caller from here (no second key lookup).
    req.extensions_mut().insert(caller.clone());
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let limit = crate::api::extract::body_limit(req.request());

    // Read the body (within the limit) to fingerprint the request, then
    // hand it on unchanged.
    let mut payload = req.take_payload();
    let body = match crate::api::extract::read_limited(&mut payload, limit).await {
        Ok(body) => body.freeze(),
        Err(error) => return Ok(req.error_response(error)),
    };
    let fingerprint = hash(&req, &body);
    let scope = match caller.api_key {
        Some(key) => format!("key:{key}"),
        None => caller.id.to_string(),
    };
    let at = crate::domain::time::now();
    let db = &state.db;

    let outcome: Result<Option<HttpResponse>, AppError> = async {
        if let Some(stored) = lookup(db, &scope, &key, at).await? {
            if stored.hash != fingerprint {
                return Err(conflict("This Idempotency-Key was used with a different request."));
            }
            if stored.status.is_none() {
                return Err(conflict("A request with this Idempotency-Key is still being processed; retry later."));
            }
            return replay(stored).map(Some);
        }
        if !claim(db, &scope, &key, &fingerprint, at).await? {
            return Err(conflict("A request with this Idempotency-Key is still being processed; retry later."));
        }
        Ok(None)
    }
    .await;
    match outcome {
        Err(error) => return Ok(req.error_response(error)),
        Ok(Some(response)) => return Ok(req.into_response(response)),
        Ok(None) => {}
    }

    let (_, mut replacement) = actix_http::h1::Payload::create(true);
    replacement.unread_data(body);
    req.set_payload(replacement.into());
    let response = match next.call(req).await {
        Ok(response) => response,
        Err(error) => {
            release(db, &scope, &key).await.ok();
            return Err(error);
        }
    };
    let status = response.status();
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let bytes = match to_bytes_limited(body, MAX_STORED_BODY).await {
        Ok(Ok(bytes)) => bytes,
        _ => {
            release(db, &scope, &key).await.ok();
            let error = AppError::internal("an idempotent response could not be read back");
            return Ok(ServiceResponse::new(request, actix_web::ResponseError::error_response(&error)));
        }
    };
    if status.is_server_error() {
        release(db, &scope, &key).await.ok();
    } else {
        let kept: serde_json::Map<String, serde_json::Value> = KEPT_HEADERS
            .iter()
            .filter_map(|name| {
                let value = head.headers().get(name)?.to_str().ok()?;
                Some((name.as_str().to_string(), serde_json::Value::from(value)))
            })
            .collect();
        let headers = serde_json::Value::Object(kept).to_string();
        if let Err(error) = store(db, &scope, &key, status.as_u16(), headers, bytes.to_vec()).await {
            tracing::error!(%error, "storing an idempotent response failed");
            release(db, &scope, &key).await.ok();
        }
    }
    let response = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(request, response))
}
