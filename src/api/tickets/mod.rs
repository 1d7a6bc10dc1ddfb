//! `/api/v1/tickets`: customer service requests, moved along by the
//! `respond`, `resolve`, `close` and `rate` actions.

pub mod dto;
pub mod service;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};

use crate::api::etag::IfMatch;
use crate::api::extract::Json;
use crate::api::respond;
use crate::auth::Authorized;
use crate::auth::policy::{ServiceReaders, ServiceWriters};
use crate::error::AppResult;
use crate::state::AppState;
use dto::{CreateTicket, RateTicket, Ticket, TicketListQuery, UpdateTicket};
use service::{Action, Tickets};

crate::crud_handlers! {
    resource: Tickets, dto: Ticket, create: CreateTicket, update: UpdateTicket, query: TicketListQuery,
    read: ServiceReaders, write: ServiceWriters,
    tag: "tickets", list_path: "/tickets", item_path: "/tickets/{id}",
    singular: "ticket", plural: "tickets",
    export: "/tickets/export", bulk: "/tickets/bulk",
    actions: configure_actions,
}

async fn run(
    state: &AppState,
    auth: &crate::auth::AuthUser,
    id: uuid::Uuid,
    action: Action,
    if_match: &IfMatch,
) -> AppResult<HttpResponse> {
    let (version, ticket) = service::act(&state.db, auth, id, action, if_match).await?;
    Ok(respond::record(StatusCode::OK, version, None, &ticket))
}

/// Respond to a ticket
///
/// Records the first response (if none yet); an open ticket becomes
/// pending. 409 on a resolved or closed ticket.
#[utoipa::path(
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The ticket's id."), ("If-Match" = Option<String>, Header, description = "The ticket's `ETag`.")),
    responses(
        (status = 200, description = "The ticket.", body = Ticket, headers(("ETag" = String, description = "The new version."))),
        (status = 409, description = "The ticket is resolved or closed.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not name the current version.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/tickets/{id}/respond")]
pub async fn respond_ticket(
    auth: Authorized<ServiceWriters>,
    state: web::Data<AppState>,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    run(&state, &auth, id.into_inner(), Action::Respond, &if_match).await
}

/// Resolve a ticket
///
/// Sets `resolved_at` (and `first_response_at` if the ticket was never
/// answered). 409 when already resolved or closed.
#[utoipa::path(
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The ticket's id."), ("If-Match" = Option<String>, Header, description = "The ticket's `ETag`.")),
    responses(
        (status = 200, description = "The ticket.", body = Ticket, headers(("ETag" = String, description = "The new version."))),
        (status = 409, description = "The ticket is already resolved or closed.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not name the current version.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/tickets/{id}/resolve")]
pub async fn resolve_ticket(
    auth: Authorized<ServiceWriters>,
    state: web::Data<AppState>,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    run(&state, &auth, id.into_inner(), Action::Resolve, &if_match).await
}

/// Close a ticket
///
/// Sets `closed_at`; closing a ticket that was never resolved sets
/// `resolved_at` too. 409 when already closed.
#[utoipa::path(
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The ticket's id."), ("If-Match" = Option<String>, Header, description = "The ticket's `ETag`.")),
    responses(
        (status = 200, description = "The ticket.", body = Ticket, headers(("ETag" = String, description = "The new version."))),
        (status = 409, description = "The ticket is already closed.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not name the current version.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/tickets/{id}/close")]
pub async fn close_ticket(
    auth: Authorized<ServiceWriters>,
    state: web::Data<AppState>,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    run(&state, &auth, id.into_inner(), Action::Close, &if_match).await
}

/// Rate a ticket
///
/// Records the customer's satisfaction (CSAT 1–5) with a resolved or
/// closed ticket; rating again replaces the score.
#[utoipa::path(
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The ticket's id."), ("If-Match" = Option<String>, Header, description = "The ticket's `ETag`.")),
    request_body = RateTicket,
    responses(
        (status = 200, description = "The ticket.", body = Ticket, headers(("ETag" = String, description = "The new version."))),
        (status = 409, description = "The ticket is not resolved yet.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not name the current version.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/tickets/{id}/rate")]
pub async fn rate_ticket(
    auth: Authorized<ServiceWriters>,
    state: web::Data<AppState>,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: Json<RateTicket>,
) -> AppResult<HttpResponse> {
    let (version, ticket) = service::rate(&state.db, &auth, id.into_inner(), body.0, &if_match).await?;
    Ok(respond::record(StatusCode::OK, version, None, &ticket))
}

/// Registers the ticket actions.
pub fn configure_actions(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(respond_ticket).service(resolve_ticket).service(close_ticket).service(rate_ticket);
}
