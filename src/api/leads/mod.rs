//! `/api/v1/leads`: prospective customers, and their conversion.

pub mod dto;
pub mod service;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};

use crate::api::etag::IfMatch;
use crate::api::extract::Json;
use crate::api::respond;
use crate::auth::Authorized;
use crate::auth::policy::{LeadReaders, LeadWriters, SalesWriters};
use crate::error::AppResult;
use crate::state::AppState;
use dto::{ConversionResult, ConvertLead, CreateLead, Lead, LeadListQuery, UpdateLead};
use service::Leads;

crate::crud_handlers! {
    resource: Leads, dto: Lead, create: CreateLead, update: UpdateLead, query: LeadListQuery,
    read: LeadReaders, write: LeadWriters,
    tag: "leads", list_path: "/leads", item_path: "/leads/{id}",
    singular: "lead", plural: "leads",
    export: "/leads/export", bulk: "/leads/bulk", import: "/imports/leads",
    actions: actions,
}

/// Convert a lead
///
/// In one transaction: links an existing customer or creates one from the
/// lead, optionally opens an opportunity (attributed to the lead's
/// campaign), and marks the lead converted. A converted lead cannot be
/// converted again (409).
#[utoipa::path(
    tag = "leads",
    params(
        ("id" = uuid::Uuid, Path, description = "The lead's id."),
        ("If-Match" = Option<String>, Header, description = "The lead's `ETag`; a stale one is refused with 412."),
    ),
    request_body = ConvertLead,
    responses(
        (status = 200, description = "The converted lead, its customer and any new opportunity.", body = ConversionResult,
            headers(("ETag" = String, description = "The lead's new version."))),
        (status = 409, description = "The lead is already converted.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not name the current version.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/leads/{id}/convert")]
pub async fn convert(
    auth: Authorized<SalesWriters>,
    state: web::Data<AppState>,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: Json<ConvertLead>,
) -> AppResult<HttpResponse> {
    let (version, result) = service::convert(&state.db, &auth, id.into_inner(), body.0, &if_match).await?;
    Ok(respond::record(StatusCode::OK, version, None, &result))
}

/// The lead's actions: conversion.
fn actions(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(convert);
}
