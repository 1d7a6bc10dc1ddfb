//! One error type for the whole API, rendered as `application/problem+json`
//! (RFC 9457). Causes of server-side failures go to the log, never to the
//! client: a 5xx body carries only the request id to quote to an operator.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;

use crate::request_context;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"field": "email", "code": "email", "message": "must be a valid email address"}))]
pub struct FieldError {
    /// The field, as a dotted path into the request body or the query
    /// parameter name (`items[2].quantity`, `limit`).
    pub field: String,
    /// A stable machine-readable code (`required`, `length`, `email`,
    /// `range`, `unknown_field`, `duplicate_field`, `invalid_type`,
    /// `invalid_value`, `invalid_character`, `unique`, ...).
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), code: code.into(), message: message.into() }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation-error",
    "title": "Validation failed",
    "status": 422,
    "detail": "The request has 1 invalid field.",
    "instance": "/api/v1/users",
    "request_id": "0193a3b2-7c1e-7d2a-9f4e-2b8c1d5e6f70",
    "errors": [{"field": "email", "code": "email", "message": "must be a valid email address"}]
}))]
pub struct Problem {
    /// A URI reference naming the kind of problem; stable, switch on it.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// The request path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The request id, also in the `X-Request-Id` header and in every log
    /// line of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// For validation errors: every invalid field (wrong types, unknown
    /// enum values, unknown or repeated fields and rule errors together,
    /// sorted by field; at most 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<String> },
    #[error("conflict: {detail}")]
    Conflict { detail: String, errors: Vec<FieldError> },
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("too many requests: {detail}")]
    TooManyRequests { detail: String, retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn validation(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("No {what} with this id exists, or you may not see it."))
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        AppError::Internal(cause.to_string())
    }

    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            AppError::BadRequest(_) => ("bad-request", "Bad request"),
            AppError::Unauthorized(_) => ("unauthorized", "Authentication required"),
            AppError::Forbidden(_) => ("forbidden", "Not allowed"),
            AppError::NotFound(_) => ("not-found", "Not found"),
            AppError::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            AppError::Conflict { .. } => ("conflict", "Conflict"),
            AppError::PreconditionFailed(_) => ("precondition-failed", "Precondition failed"),
            AppError::PayloadTooLarge { .. } => ("payload-too-large", "Request body too large"),
            AppError::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            AppError::Validation(_) => ("validation-error", "Validation failed"),
            AppError::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            AppError::Unavailable(_) => ("service-unavailable", "Service unavailable"),
            AppError::Internal(_) => ("internal-error", "Internal server error"),
        }
    }

    /// The client-facing explanation. Server-side causes stay in the log.
    fn detail(&self) -> String {
        match self {
            AppError::BadRequest(d)
            | AppError::Unauthorized(d)
            | AppError::Forbidden(d)
            | AppError::NotFound(d)
            | AppError::PreconditionFailed(d)
            | AppError::UnsupportedMediaType(d) => d.clone(),
            AppError::Conflict { detail, .. } | AppError::TooManyRequests { detail, .. } => detail.clone(),
            AppError::MethodNotAllowed { allow } => {
                format!("This path does not support this method; it supports {}.", allow.join(", "))
            }
            AppError::PayloadTooLarge { limit } => format!("The request body exceeds the limit of {limit} bytes."),
            AppError::Validation(errors) => match errors.len() {
                1 => format!("The request has 1 invalid field: {}.", errors[0].field),
                n => format!("The request has {n} invalid fields."),
            },
            AppError::Unavailable(_) => {
                "The database is unavailable; retry shortly. Quote the request id if this persists.".into()
            }
            AppError::Internal(_) => "An unexpected error occurred. Quote the request id when reporting it.".into(),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let (slug, title) = self.kind();
        let context = request_context::current();
        Problem {
            problem_type: format!("/problems/{slug}"),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            instance: context.as_ref().map(|c| c.path.clone()),
            request_id: context.map(|c| c.id),
            errors: match self {
                AppError::Validation(errors) => Some(errors.clone()),
                AppError::Conflict { errors, .. } if !errors.is_empty() => Some(errors.clone()),
                _ => None,
            },
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(cause) => tracing::error!(cause = %cause, "internal error"),
            AppError::Unavailable(cause) => tracing::warn!(cause = %cause, "database unavailable"),
            _ => {}
        }
        let mut response = problem_response(&self.to_problem());
        let headers = response.headers_mut();
        match self {
            AppError::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"crm\""));
            }
            AppError::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
                    headers.insert(header::ALLOW, value);
                }
            }
            AppError::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            AppError::TooManyRequests { retry_after_secs, .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

pub fn problem_response(problem: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_else(|_| b"{}".to_vec());
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// A problem for a status produced outside our handlers (the framework, a
/// middleware), where only the status is known.
pub fn problem_for_status(status: StatusCode) -> Problem {
    let error = match status.as_u16() {
        400 => AppError::BadRequest("The request could not be understood.".into()),
        401 => AppError::Unauthorized("Missing or invalid credentials.".into()),
        403 => AppError::Forbidden("You may not do this.".into()),
        404 => AppError::NotFound("No resource exists at this path.".into()),
        413 => AppError::PayloadTooLarge { limit: 0 },
        415 => AppError::UnsupportedMediaType("Send the request body as application/json.".into()),
        503 => AppError::Unavailable(String::new()),
        s if s >= 500 => AppError::Internal(String::new()),
        _ => {
            let context = request_context::current();
            return Problem {
                problem_type: "about:blank".into(),
                title: status.canonical_reason().unwrap_or("Error").into(),
                status: status.as_u16(),
                detail: status.canonical_reason().unwrap_or("Error").into(),
                instance: context.as_ref().map(|c| c.path.clone()),
                request_id: context.map(|c| c.id),
                errors: None,
            };
        }
    };
    let mut problem = error.to_problem();
    if status.as_u16() == 413 {
        problem.detail = "The request body is too large.".into();
    }
    problem
}

/// Whether a database error means "the database is not reachable right now"
/// (the request may succeed if retried) rather than a bug.
fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as SqlxError;
    let runtime = match err {
        // No connection could be had or made: whatever the server said
        // (shutting down, not accepting connections, too many clients),
        // the database is not available to this request.
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(r) | DbErr::Query(r) => r,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx_err) = runtime else {
        return false;
    };
    match sqlx_err.as_ref() {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => true,
        SqlxError::Protocol(_) => true,
        SqlxError::Database(db) => {
            let code = db.code().unwrap_or_default();
            // PostgreSQL: connection exceptions (08), operator intervention
            // (57P0x: shutdown, cannot connect now), too many connections,
            // and a transaction rolled back to break a deadlock (40P01) or
            // a serialization failure (40001), PostgreSQL's twin of
            // SQLite's busy: nothing was written, and the same request
            // succeeds when sent again.
            // SQLite: BUSY (5) and LOCKED (6), with their extended codes,
            // after the busy timeout.
            let sqlite = db.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>().is_some();
            if sqlite {
                matches!(code.parse::<i32>(), Ok(c) if c & 0xff == 5 || c & 0xff == 6)
            } else {
                code.starts_with("08")
                    || code.starts_with("57P")
                    || matches!(code.as_ref(), "53300" | "40P01" | "40001")
            }
        }
        _ => false,
    }
}

/// The column a unique-constraint violation is about: from the index name
/// (`ux_<table>_<column>`) and table PostgreSQL reports, or from SQLite's
/// message (`UNIQUE constraint failed: users.email`).
pub fn unique_violation_field(err: &DbErr) -> Option<String> {
    let Some(SqlErr::UniqueConstraintViolation(message)) = err.sql_err() else {
        return None;
    };
    if let Some(rest) = message.split("UNIQUE constraint failed: ").nth(1) {
        let first = rest.split(',').next().unwrap_or(rest).trim();
        return Some(first.rsplit('.').next().unwrap_or(first).to_string());
    }
    let (DbErr::Exec(RuntimeErr::SqlxError(sqlx_err)) | DbErr::Query(RuntimeErr::SqlxError(sqlx_err))) = err else {
        return None;
    };
    let database_error = sqlx_err.as_database_error()?;
    let constraint = database_error.constraint()?;
    let table = database_error.table().unwrap_or_default();
    let field = constraint.strip_prefix(&format!("ux_{table}_")).unwrap_or(constraint);
    Some(field.to_string())
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if is_unavailable(&err) {
            return AppError::Unavailable(err.to_string());
        }
        if let Some(field) = unique_violation_field(&err) {
            return AppError::Conflict {
                detail: format!("Another record already has this {field}."),
                errors: vec![FieldError::new(field, "unique", "is already taken")],
            };
        }
        AppError::Internal(err.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;
