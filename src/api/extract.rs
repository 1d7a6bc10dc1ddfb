//! Request extractors that fail with problem+json: `Json<T>` (content type,
//! size limit, syntax, unknown fields, validation) and `Query<T>`.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use validator::Validate;

use super::decode;
use crate::error::{AppError, FieldError};

pub use super::limits::{BodyLimit, body_limit};

/// A JSON request body, deserialized strictly and validated.
pub struct Json<T>(pub T);

fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A JSON value (one record of a bulk call) as `T`, strictly and
/// validated, with the same field errors as a request body; `problems`
/// are the record's own parse problems (duplicate keys, NUL characters).
pub fn from_value<T: DeserializeOwned + Validate>(
    value: serde_json::Value,
    problems: Vec<FieldError>,
) -> Result<T, AppError> {
    decode::json(value, problems)
}

/// A JSON body as `T`, strictly and validated, naming every bad field.
pub fn parse_json<T: DeserializeOwned + Validate>(body: &[u8]) -> Result<T, AppError> {
    let parsed = decode::parse(body)?;
    decode::json(parsed.value, parsed.problems)
}

/// Reads a request body whole, within `limit` bytes (413 beyond it, also
/// for a body sent without a length).
pub async fn read_limited(payload: &mut Payload, limit: usize) -> Result<BytesMut, AppError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::BadRequest("The request body could not be read.".into()))?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads a JSON request body whole: JSON content type, within the body
/// limit (also when sent without a length), not empty.
fn read_body(req: &HttpRequest, payload: &mut Payload) -> LocalBoxFuture<'static, Result<BytesMut, AppError>> {
    let limit = body_limit(req);
    let declared_length =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
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
        let body = read_limited(&mut payload, limit).await?;
        if body.is_empty() {
            return Err(AppError::BadRequest("The request body is empty; send a JSON object.".into()));
        }
        Ok(body)
    })
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(req, payload);
        Box::pin(async move { Ok(Json(parse_json(&body.await?)?)) })
    }
}

/// A JSON body whose items under `items_key` are decoded one by one later
/// (the records of a bulk call): the parse problems found inside an item
/// (duplicate keys, NUL characters) stay with that item, named from the
/// item's own root, instead of failing the whole body.
pub struct Items<T> {
    pub body: T,
    /// Per item, in order: its parse problems.
    pub problems: Vec<Vec<FieldError>>,
}

/// The key of the list whose items are decoded one by one.
pub trait HasItems {
    const ITEMS: &'static str;
    fn item_count(&self) -> usize;
}

/// Splits parse problems into those of the items of `key` (by index,
/// renamed from the item's root) and the others.
fn split_item_problems(problems: Vec<FieldError>, key: &str, count: usize) -> (Vec<FieldError>, Vec<Vec<FieldError>>) {
    let mut per_item = vec![Vec::new(); count];
    let mut rest = Vec::new();
    let prefix = format!("{key}[");
    for problem in problems {
        let item = problem.field.strip_prefix(&prefix).and_then(|tail| {
            let (index, inner) = tail.split_once(']')?;
            let index: usize = index.parse().ok()?;
            let inner = inner.strip_prefix('.').unwrap_or(inner);
            Some((index, if inner.is_empty() { "body".to_string() } else { inner.to_string() }))
        });
        match item {
            Some((index, field)) if index < count => {
                per_item[index].push(FieldError::new(field, problem.code, problem.message));
            }
            _ => rest.push(problem),
        }
    }
    (rest, per_item)
}

impl<T: DeserializeOwned + Validate + HasItems + 'static> FromRequest for Items<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(req, payload);
        Box::pin(async move {
            let parsed = decode::parse(&body.await?)?;
            let count = parsed.value.get(T::ITEMS).and_then(|v| v.as_array()).map_or(0, Vec::len);
            let (rest, problems) = split_item_problems(parsed.problems, T::ITEMS, count);
            let body: T = decode::json_except(parsed.value, rest, Some(T::ITEMS))?;
            let problems =
                if problems.len() == body.item_count() { problems } else { vec![Vec::new(); body.item_count()] };
            Ok(Items { body, problems })
        })
    }
}

/// Query parameters, deserialized strictly (unknown parameters are an
/// error, so a misspelt filter is not silently ignored) and validated.
pub struct Query<T>(pub T);

/// A query string as `T`, strictly and validated, naming every bad
/// parameter.
pub fn parse_query<T: DeserializeOwned + Validate>(query: &str) -> Result<T, AppError> {
    decode::query(query)
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Query<T> {
    type Error = AppError;
    type Future = futures_util::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        futures_util::future::ready(parse_query::<T>(req.query_string()).map(Query))
    }
}
