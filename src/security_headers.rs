//! The security headers every response carries, in one place: the
//! middleware that adds them to the app's responses and the refusals the
//! HTTP parser makes (`refusals`) both take them from here.

use actix_web::http::header;

/// The security headers of every response (with a content security policy:
/// [`API_CSP`], or [`DOCS_CSP`] for Swagger UI).
pub const SECURITY_HEADERS: [(&str, &str); 6] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("strict-transport-security", "max-age=63072000; includeSubDomains"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
];

/// The content security policy of API responses: they are data, never
/// pages, so nothing may load from them or frame them.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Swagger UI loads its own scripts, styles and images, nothing else.
pub const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                            script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/// Security headers on every response (a handler's own `Cache-Control`,
/// e.g. on the OpenAPI document, is kept).
pub async fn middleware(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let docs = req.path().starts_with("/swagger-ui");
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    let fixed = SECURITY_HEADERS
        .iter()
        .map(|(name, value)| (header::HeaderName::from_static(name), *value))
        .chain([(header::CONTENT_SECURITY_POLICY, if docs { DOCS_CSP } else { API_CSP })]);
    for (name, value) in fixed {
        headers.insert(name, header::HeaderValue::from_static(value));
    }
    if !docs && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    }
    Ok(response)
}
