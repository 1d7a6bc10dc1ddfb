//! `/api/v1/opportunities`: deals in the sales funnel. Every stage change
//! is kept in the opportunity's history (`GET /opportunities/{id}/history`).

pub mod dto;
pub mod service;

use actix_web::{get, web};

use crate::api::resource;
use crate::auth::Authorized;
use crate::auth::policy::{SalesReaders, SalesWriters};
use crate::error::AppResult;
use crate::state::AppState;
use dto::{CreateOpportunity, Opportunity, OpportunityListQuery, StageChange, UpdateOpportunity};
use service::Opportunities;

crate::crud_handlers! {
    resource: Opportunities, dto: Opportunity, create: CreateOpportunity, update: UpdateOpportunity, query: OpportunityListQuery,
    read: SalesReaders, write: SalesWriters,
    tag: "opportunities", list_path: "/opportunities", item_path: "/opportunities/{id}",
    singular: "opportunity", plural: "opportunities",
    export: "/opportunities/export", bulk: "/opportunities/bulk",
    actions: actions,
}

/// The stage history of an opportunity
///
/// Every stage it entered, oldest first, with who moved it and when.
#[utoipa::path(
    tag = "opportunities",
    params(("id" = uuid::Uuid, Path, description = "The opportunity's id.")),
    responses((status = 200, description = "The stage changes, oldest first.", body = Vec<StageChange>)),
    security(("bearer" = []))
)]
#[get("/opportunities/{id}/history")]
pub async fn history(
    auth: Authorized<SalesReaders>,
    state: web::Data<AppState>,
    id: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<Vec<StageChange>>> {
    let opportunity = resource::get::<Opportunities>(&state.db, &auth, id.into_inner()).await?;
    Ok(web::Json(service::history(&state.db, opportunity.id).await?))
}

/// The opportunity's stage history.
fn actions(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(history);
}
