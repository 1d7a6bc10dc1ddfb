//! The credentials a request carries — a bearer access token or an API key
//! — read from its headers, and what the request limiter found of them,
//! handed on to the `Authorized` extractor so that nothing is verified or
//! looked up twice.

use actix_web::HttpRequest;
use actix_web::http::header;

use super::jwt::{Claims, JwtKeys};
use crate::error::AppError;

/// The bearer token of the `Authorization` header (a 401 without one).
pub(crate) fn bearer_token(req: &HttpRequest) -> Result<&str, AppError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| AppError::Unauthorized("Send an access token as `Authorization: Bearer <token>`.".into()))?;
    let text =
        value.to_str().map_err(|_| AppError::Unauthorized("The Authorization header is not valid text.".into()))?;
    let (scheme, token) = text.trim().split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AppError::Unauthorized("Use the Bearer authorization scheme.".into()));
    }
    Ok(token.trim())
}

/// The API key secret of the request: `X-API-Key`, or a bearer token
/// that starts like one.
pub(crate) fn api_key_secret(req: &HttpRequest) -> Result<Option<String>, AppError> {
    if let Some(value) = req.headers().get("x-api-key") {
        let text =
            value.to_str().map_err(|_| AppError::Unauthorized("The X-API-Key header is not valid text.".into()))?;
        return Ok(Some(text.trim().to_string()));
    }
    Ok(bearer_token(req).ok().filter(|token| token.starts_with(super::api_keys::SECRET_PREFIX)).map(str::to_owned))
}

/// A verified access token, handed by the request limiter (which keys the
/// budget by its user) to the extractor, so that it is verified once.
#[derive(Clone, Debug)]
pub(crate) struct VerifiedToken(pub Claims);

/// An API key looked up by the request limiter (which keys the budget by
/// it, or by the address when there is no such key), handed on the same way.
#[derive(Clone)]
pub(crate) struct LookedUpKey(pub Option<super::api_keys::Found>);

/// The access token of a request, verified (signature, issuer, audience,
/// times); it says who the caller is, not what they may do now.
pub(crate) fn verified_token(jwt: &JwtKeys, req: &HttpRequest) -> Result<Claims, AppError> {
    jwt.verify(bearer_token(req)?)
}
