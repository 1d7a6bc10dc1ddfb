//! The OpenAPI document: generated from the handlers (utoipa), then
//! completed with the errors every operation can return, so that each
//! path documents its error responses and security without repeating them
//! in every handler.

use actix_web::App;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "CRM API",
        description = "A statistics-first CRM API: customer relationship records and exact statistics over them.\n\nAuthenticate with `POST /api/v1/auth/login`, then send `Authorization: Bearer <access_token>` (the **Authorize** button). Errors are `application/problem+json` (RFC 9457); validation errors list every invalid field in `errors`. Lists use cursor pagination (`limit`, `cursor` → `next_cursor`). Records carry a `version`, returned as `ETag`; send it as `If-Match` on `PATCH`/`DELETE` to avoid lost updates. Send an `Idempotency-Key` header on a `POST` to make it safe to retry.",
        license(name = "MIT", identifier = "MIT")
    ),
    tags(
        (name = "auth", description = "Sign in, refresh and sign out."),
        (name = "users", description = "The people who use the CRM, and their roles."),
        (name = "teams", description = "Sales and service teams."),
        (name = "customers", description = "Individuals and companies the business sells to."),
        (name = "contacts", description = "People at a customer."),
        (name = "products", description = "The catalog orders are made of."),
        (name = "orders", description = "Sales, with their items; totals are computed from the items."),
        (name = "leads", description = "Prospective customers, and their conversion."),
        (name = "opportunities", description = "Deals in the sales funnel, with their stage history."),
        (name = "activities", description = "Calls, emails, meetings, visits and notes."),
        (name = "campaigns", description = "Marketing campaigns and their members."),
        (name = "tickets", description = "Customer service tickets and their respond/resolve/close/rate actions."),
        (name = "feedback", description = "NPS survey answers."),
        (name = "targets", description = "Sales targets per employee or team and period."),
        (name = "tasks", description = "To-dos, optionally about a record."),
        (name = "settings", description = "The organization's calendar: time zone, week start and fiscal year, which the statistics, reports and targets follow."),
        (name = "audit", description = "Who changed what, when."),
        (name = "statistics", description = "Figures computed by the database over the caller's scope; definitions in docs/metrics.md."),
        (name = "reports", description = "Periodic reports of the statistics, as JSON, CSV or XLSX."),
        (name = "alerts", description = "What needs attention now: SLA, stale deals, churn risk, targets."),
        (name = "api-keys", description = "Keys for integrations: created by administrators, shown once, scoped, revocable."),
        (name = "imports", description = "CSV imports with validation reports, dry runs and duplicate detection."),
        (name = "webhooks", description = "Signed event posts from a durable outbox, with retries and a delivery log."),
        (name = "health", description = "Liveness and readiness probes."),
    ),
    components(schemas(
        Problem,
        FieldError,
        crate::api::export::ExportFormat,
        crate::api::imports::OnDuplicate,
        crate::stats::reports::ReportFormat,
        crate::stats::window::RangePreset,
        crate::stats::window::Compare
    )),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("The `access_token` from `POST /api/v1/auth/login`, or an API key (`crm_…`, also accepted as `X-API-Key`)."))
                    .build(),
            ),
        );
    }
}

/// The standard error responses: (status, component name, description).
const ERRORS: &[(&str, &str, &str)] = &[
    ("400", "BadRequest", "Malformed JSON or query string."),
    ("401", "Unauthorized", "Missing, expired or invalid access token."),
    ("403", "Forbidden", "Signed in, but the role may not do this."),
    ("404", "NotFound", "No such record, or one the caller may not see."),
    (
        "409",
        "IdempotencyConflict",
        "The `Idempotency-Key` was used with a different request, or its first request is still being processed.",
    ),
    ("413", "PayloadTooLarge", "The request body is too large."),
    ("415", "UnsupportedMediaType", "The request body is not JSON."),
    ("422", "ValidationFailed", "Validation failed; `errors` names every invalid field."),
    (
        "429",
        "TooManyRequests",
        "Rate limited (per client, or sign-in attempts per account and address); retry after `Retry-After` seconds. \
         Limited responses carry `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy`.",
    ),
    ("500", "InternalError", "Unexpected error; the body carries a request id to report, never internals."),
    ("503", "ServiceUnavailable", "The database is unavailable; retry after `Retry-After` seconds."),
];

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            crate::error::PROBLEM_JSON,
            ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
        )
        .build()
}

fn add_error(operation: &mut Operation, status: &str) {
    if operation.responses.responses.contains_key(status) {
        return;
    }
    if let Some((_, name, _)) = ERRORS.iter().find(|(s, _, _)| *s == status) {
        operation.responses.responses.insert(status.to_string(), RefOr::Ref(Ref::from_response_name(*name)));
    }
}

/// Adds to every operation the errors it can produce.
fn document_errors(doc: &mut OpenApiDoc) {
    let components = doc.components.get_or_insert_with(Default::default);
    for (_, name, description) in ERRORS {
        components.responses.insert(name.to_string(), RefOr::T(problem_response(description)));
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let is_health = path == "/healthz";
        let operations = [
            (false, &mut item.get),
            (true, &mut item.post),
            (false, &mut item.put),
            (false, &mut item.patch),
            (false, &mut item.delete),
        ];
        for (is_post, operation) in operations.into_iter().filter_map(|(p, o)| Some((p, o.as_mut()?))) {
            let secured = operation.security.as_ref().is_some_and(|reqs| {
                reqs.iter().any(|r| serde_json::to_value(r).is_ok_and(|v| v.get("bearer").is_some()))
            });
            let parameters = operation.parameters.as_deref().unwrap_or_default();
            let has_path_param =
                parameters.iter().any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
            let has_query = parameters.iter().any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
            let has_body = operation.request_body.is_some();
            let mut statuses = vec![];
            if has_body || has_query {
                statuses.push("400");
            }
            if secured {
                statuses.extend(["401", "403"]);
            }
            if has_path_param {
                statuses.push("404");
            }
            if has_body {
                statuses.extend(["413", "415"]);
            }
            // Actions without a body (a ticket's `close`) still refuse a
            // move the record's state does not allow.
            if has_body || has_query || is_post {
                statuses.push("422");
            }
            // Sign-in, refresh and sign-out answer 401 to bad credentials.
            if path.starts_with("/api/v1/auth/") {
                statuses.push("401");
            }
            if crate::rate_limit::applies_to(path) {
                statuses.push("429");
            }
            statuses.push("500");
            if !is_health {
                statuses.push("503");
            }
            for status in statuses {
                add_error(operation, status);
            }
        }
        if let Some(operation) = item.post.as_mut().filter(|_| crate::idempotency::applies_to(path)) {
            let secured = operation.security.as_ref().is_some_and(|reqs| {
                reqs.iter().any(|r| serde_json::to_value(r).is_ok_and(|v| v.get("bearer").is_some()))
            });
            if secured {
                document_idempotency(operation);
            }
        }
    }
}

/// Every signed-in `POST` takes an `Idempotency-Key` (see `crate::idempotency`).
fn document_idempotency(operation: &mut Operation) {
    use utoipa::openapi::Required;
    use utoipa::openapi::path::ParameterBuilder;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let parameter = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes the request safe to retry: a retry with the same key and request gets the first response again \
             (with `Idempotent-Replayed: true`) and changes nothing; keys are the caller's and kept for 24 hours.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[\\x21-\\x7E]+$")),
        ))
        .build();
    operation.parameters.get_or_insert_with(Vec::new).push(RefOr::T(parameter));
    add_error(operation, "409");
}

/// The complete document, as served at `/api-docs/openapi.json` and
/// printed by `crm openapi`.
pub fn document() -> OpenApiDoc {
    let (_, mut doc) =
        App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(crate::api::configure).split_for_parts();
    document_errors(&mut doc);
    document_examples(&mut doc);
    doc
}

/// Puts the recorded example of each statistic (and a slice of the
/// catalog) on its `200` response.
fn document_examples(doc: &mut OpenApiDoc) {
    let shanghai =
        crate::calendar::Calendar { zone: chrono_tz::Tz::Asia__Shanghai, ..crate::calendar::Calendar::utc() };
    let mut catalog = crate::stats::registry::catalog(shanghai);
    catalog.endpoints.truncate(2);
    let examples = crate::stats::examples::examples()
        .filter_map(|(path, _, text)| Some((path, serde_json::from_str::<serde_json::Value>(text).ok()?)))
        .chain(serde_json::to_value(catalog).ok().map(|catalog| ("/api/v1/stats/metrics".to_string(), catalog)));
    for (path, example) in examples {
        let Some(operation) = doc.paths.paths.get_mut(&path).and_then(|item| item.get.as_mut()) else { continue };
        if let Some(RefOr::T(response)) = operation.responses.responses.get_mut("200")
            && let Some(RefOr::T(content)) = response.content.get_mut("application/json")
        {
            content.example = Some(example);
        }
    }
}

/// The document as the committed `openapi/openapi.json` holds it.
pub fn to_pretty_json(doc: &OpenApiDoc) -> String {
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.push('\n');
    text
}
