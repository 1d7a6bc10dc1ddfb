//! Request extractors that fail with problem+json: `Json<T>` (content type,
//! size limit, syntax, unknown fields, validation) and `Query<T>`.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use validator::Validate;

use super::validation::describe_serde_error;
use crate::error::{AppError, FieldError};

/// The largest request body accepted, in bytes (app data).
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

/// The body limit of a request: the configured one, or more for a bulk
/// call (`…/bulk`) and an import (`/imports/…`).
pub fn body_limit(req: &HttpRequest) -> usize {
    let limit = req.app_data::<web::Data<BodyLimit>>().map(|l| l.0).unwrap_or(1024 * 1024);
    if req.path().starts_with("/api/v1/imports/") {
        limit.max(crate::api::imports::BODY_BYTES)
    } else if req.path().ends_with("/bulk") {
        limit.max(crate::api::bulk::BODY_BYTES)
    } else {
        limit
    }
}

/// A JSON request body, deserialized strictly and validated.
pub struct Json<T>(pub T);

fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Joins a serde path (`.` for the root) and a field name.
fn join_path(path: &str, field: Option<String>) -> String {
    let path = if path == "." { "" } else { path };
    match field {
        // serde_path_to_error already ends the path with an unknown field.
        Some(f) if path == f || path.ends_with(&format!(".{f}")) => path.to_string(),
        Some(f) if path.is_empty() => f,
        Some(f) => format!("{path}.{f}"),
        None if path.is_empty() => "body".into(),
        None => path.into(),
    }
}

/// A deserialization error as a field error (data) or a 400 (syntax).
fn json_error(err: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            let (field, code, message) = describe_serde_error(&inner.to_string());
            AppError::Validation(vec![FieldError::new(join_path(&path, field), code, message)])
        }
        _ => AppError::BadRequest(format!("The request body is not valid JSON: {inner}.")),
    }
}

/// The path of the first string (or key) holding a NUL character, which
/// no text column stores (PostgreSQL refuses it).
fn nul_field(value: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    let join = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match value {
        Value::String(text) if text.contains('\0') => Some(if path.is_empty() { "body".into() } else { path.into() }),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| nul_field(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(key, v)| {
            if key.contains('\0') { Some(join(&key.replace('\0', "\\0"))) } else { nul_field(v, &join(key)) }
        }),
        _ => None,
    }
}

fn nul_error(field: String) -> AppError {
    AppError::validation(field, "invalid_character", "must not contain NUL characters")
}

/// A JSON value (one record of a bulk call) as `T`, strictly, with the
/// same field errors as a request body.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    if let Some(field) = nul_field(&value, "") {
        return Err(nul_error(field));
    }
    serde_path_to_error::deserialize::<_, T>(value).map_err(json_error)
}

/// Whether a JSON text may hold a NUL character: the escape `\u0000`
/// (a raw NUL byte is not JSON).
fn may_hold_nul(body: &[u8]) -> bool {
    body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    if may_hold_nul(body)
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
        && let Some(field) = nul_field(&value, "")
    {
        return Err(nul_error(field));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize::<_, T>(&mut deserializer).map_err(json_error)?;
    deserializer.end().map_err(|err| AppError::BadRequest(format!("The request body is not valid JSON: {err}.")))?;
    Ok(value)
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = body_limit(req);
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let json = is_json_content_type(req);
        let mut payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(AppError::UnsupportedMediaType(
                    "Send the request body as JSON with `Content-Type: application/json`.".into(),
                ));
            }
            if declared_length.is_some_and(|n| n > limit) {
                return Err(AppError::PayloadTooLarge { limit });
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| AppError::BadRequest("The request body could not be read.".into()))?;
                if body.len() + chunk.len() > limit {
                    return Err(AppError::PayloadTooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            if body.is_empty() {
                return Err(AppError::BadRequest("The request body is empty; send a JSON object.".into()));
            }
            let value: T = parse_json(&body)?;
            value.validate()?;
            Ok(Json(value))
        })
    }
}

/// Query parameters, deserialized strictly (unknown parameters are an
/// error, so a misspelt filter is not silently ignored) and validated.
pub struct Query<T>(pub T);

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    if let Some((key, _)) = form_urlencoded::parse(query.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(nul_error(key.replace('\0', "\\0")));
    }
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize::<_, T>(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let (field, code, message) = describe_serde_error(&err.into_inner().to_string());
        let field = join_path(&path, field);
        let field = if field == "body" { "query".to_string() } else { field };
        let message = if code == "unknown_field" { "is not a known query parameter".to_string() } else { message };
        AppError::Validation(vec![FieldError::new(field, code, message)])
    })
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Query<T> {
    type Error = AppError;
    type Future = futures_util::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        futures_util::future::ready(parse_query::<T>(req.query_string()).and_then(|value| {
            value.validate()?;
            Ok(Query(value))
        }))
    }
}
