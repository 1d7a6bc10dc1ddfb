//! The per-client request budget as a middleware: who a request counts
//! against, the `RateLimit-*` headers on every limited answer, and the 429
//! past the budget (the buckets are `rate_limit`'s).

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};

use crate::auth::credentials::{LookedUpKey, VerifiedToken, api_key_secret, verified_token};
use crate::error::AppError;
use crate::rate_limit::{Decision, RateLimits, applies_to};
use crate::state::AppState;

/// Who a request counts against: a valid API key, the signed-in user (a
/// valid access token), or else the client address — also for a key that
/// does not exist, so that random keys do not each get a budget. What was
/// found is handed to the `Authorized` extractor, which does not look again.
async fn client_key(state: &AppState, limits: &RateLimits, req: &ServiceRequest) -> String {
    let http = req.request();
    if let Ok(Some(secret)) = api_key_secret(http) {
        match crate::auth::api_keys::lookup(&state.db, &secret).await {
            Ok(found) => {
                let key = found.as_ref().map(|found| format!("key:{}", found.id));
                req.extensions_mut().insert(LookedUpKey(found));
                if let Some(key) = key {
                    return key;
                }
            }
            // The extractor looks again and answers for the database.
            Err(error) => tracing::warn!(%error, "looking up an API key for the request budget failed"),
        }
    } else if let Ok(claims) = verified_token(&state.jwt, http) {
        let key = format!("user:{}", claims.sub);
        req.extensions_mut().insert(VerifiedToken(claims));
        return key;
    }
    format!("ip:{}", limits.client_address(http))
}

fn number(value: u64) -> HeaderValue {
    HeaderValue::from(value)
}

fn announce(headers: &mut HeaderMap, limit: u64, remaining: u64, reset_secs: u64) {
    headers.insert(HeaderName::from_static("ratelimit-limit"), number(limit));
    headers.insert(HeaderName::from_static("ratelimit-remaining"), number(remaining));
    headers.insert(HeaderName::from_static("ratelimit-reset"), number(reset_secs));
    if let Ok(policy) = HeaderValue::from_str(&format!("{limit};w=60")) {
        headers.insert(HeaderName::from_static("ratelimit-policy"), policy);
    }
}

/// The general per-client limit.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let limited = req.method() != actix_web::http::Method::OPTIONS && applies_to(req.path());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let Some(state) = state.filter(|_| limited) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let Some(limiter) = state.limits.requests.as_ref() else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let key = client_key(&state, &state.limits, &req).await;
    match limiter.take(&key) {
        Decision::Allowed { remaining, reset_secs } => {
            let mut response = next.call(req).await?.map_into_boxed_body();
            announce(response.headers_mut(), limiter.capacity(), remaining, reset_secs);
            Ok(response)
        }
        Decision::Refused { retry_after_secs } => {
            let error = AppError::TooManyRequests {
                detail: format!("Too many requests; at most {} a minute per client.", limiter.capacity()),
                retry_after_secs,
            };
            let mut response = error.error_response();
            announce(response.headers_mut(), limiter.capacity(), 0, retry_after_secs);
            Ok(req.into_response(response))
        }
    }
}
