//! The outermost middleware: gives every request an id, logs it, turns
//! panics into 500s and makes sure every error response — ours or the
//! framework's — is `application/problem+json`.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError};
use futures_util::FutureExt;
use tracing::Instrument;

use crate::error::{AppError, PROBLEM_JSON, problem_for_status, problem_response};
use crate::request_context::{REQUEST_ID_HEADER, RequestContext, request_id};

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = request_id(req.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()));
    // Only the path: query strings may carry personal data (search terms).
    let path = req.path().to_owned();
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);
    let context = RequestContext { id: id.clone(), path };
    let started = Instant::now();

    // Errors and panics have no `ServiceResponse` to carry them (the request
    // cannot be kept aside while routing uses it), so they leave as an
    // `Error` that renders the response built here, inside the context.
    let outcome: Result<ServiceResponse<BoxBody>, HttpResponse> = crate::request_context::scope(
        context,
        async move {
            match AssertUnwindSafe(next.call(req)).catch_unwind().await {
                Ok(Ok(response)) => {
                    let (request, response) = response.map_into_boxed_body().into_parts();
                    Ok(ServiceResponse::new(request, ensure_problem_body(response)))
                }
                Ok(Err(error)) => Err(ensure_problem_body(error.error_response())),
                Err(panic) => {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".into());
                    Err(AppError::Internal(format!("handler panicked: {message}")).error_response())
                }
            }
        }
        .instrument(span.clone()),
    )
    .await;

    let request_id_value = HeaderValue::from_str(&id).ok();
    let finish = |headers: &mut header::HeaderMap, status: u16| {
        if let Some(value) = request_id_value.clone() {
            headers.insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
        }
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        span.in_scope(|| {
            if status >= 500 {
                tracing::error!(status, elapsed_ms, "request failed");
            } else {
                tracing::info!(status, elapsed_ms, "request finished");
            }
        });
    };
    match outcome {
        Ok(mut response) => {
            let status = response.status().as_u16();
            finish(response.headers_mut(), status);
            Ok(response)
        }
        Err(mut response) => {
            let status = response.status().as_u16();
            finish(response.headers_mut(), status);
            Err(InternalError::from_response("request failed", response).into())
        }
    }
}

/// Replaces the plain-text body of an error produced outside our handlers
/// (actix's own 404/405/413, CORS rejections, ...) with a problem document,
/// keeping the headers that matter to the client.
fn ensure_problem_body(response: HttpResponse) -> HttpResponse {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let mut replacement = problem_response(&problem_for_status(status));
    for name in [header::ALLOW, header::WWW_AUTHENTICATE, header::RETRY_AFTER] {
        if let Some(value) = response.headers().get(&name) {
            replacement.headers_mut().insert(name, value.clone());
        }
    }
    replacement
}
