use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use super::dto::{CreateTeam, Team, TeamListQuery, UpdateTeam};
use super::service;
use crate::api::etag::IfMatch;
use crate::api::extract::{Json, Query};
use crate::api::list::{Page, Searched};
use crate::api::respond;
use crate::auth::Authorized;
use crate::auth::policy::{AdminOnly, AnyUser};
use crate::error::AppResult;
use crate::state::AppState;

/// List teams
///
/// Every signed-in user can read teams. Sortable by `created_at`,
/// `updated_at`, `name`; `q` searches the name.
#[utoipa::path(
    tag = "teams",
    params(Searched<service::TeamList, TeamListQuery>),
    responses((status = 200, description = "A page of teams.", body = Page<Team>)),
    security(("bearer" = []))
)]
#[get("/teams")]
pub async fn list_teams(
    _auth: Authorized<AnyUser>,
    state: web::Data<AppState>,
    query: Query<TeamListQuery>,
) -> AppResult<web::Json<Page<Team>>> {
    let (rows, next_cursor, total) = service::list(&state.db, &query.0).await?;
    Ok(web::Json(Page { data: rows.into_iter().map(Team::from).collect(), next_cursor, total }))
}

/// Create a team
#[utoipa::path(
    tag = "teams",
    request_body = CreateTeam,
    responses(
        (status = 201, description = "The team was created.", body = Team,
            headers(("ETag" = String, description = "The record version."), ("Location" = String, description = "The team's URL."))),
        (status = 409, description = "The name or external id is taken.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/teams")]
pub async fn create_team(
    auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    body: Json<CreateTeam>,
) -> AppResult<HttpResponse> {
    let team = service::create_audited(&state.db, &auth, body.0).await?;
    let location = format!("/api/v1/teams/{}", team.id);
    Ok(respond::record(StatusCode::CREATED, team.version, Some(location), &Team::from(team)))
}

/// Get a team
#[utoipa::path(
    tag = "teams",
    params(("id" = Uuid, Path, description = "The team's id.")),
    responses((status = 200, description = "The team.", body = Team, headers(("ETag" = String, description = "The record version.")))),
    security(("bearer" = []))
)]
#[get("/teams/{id}")]
pub async fn get_team(
    _auth: Authorized<AnyUser>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let team = service::get(&state.db, id.into_inner()).await?;
    Ok(respond::record(StatusCode::OK, team.version, None, &Team::from(team)))
}

/// Update a team
///
/// A JSON merge patch.
#[utoipa::path(
    tag = "teams",
    params(
        ("id" = Uuid, Path, description = "The team's id."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on; a stale one is refused with 412."),
    ),
    request_body(content((UpdateTeam = "application/merge-patch+json"), (UpdateTeam = "application/json"))),
    responses(
        (status = 200, description = "The updated team.", body = Team, headers(("ETag" = String, description = "The new record version."))),
        (status = 409, description = "The name or external id is taken.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not name the current version.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/teams/{id}")]
pub async fn update_team(
    auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateTeam>,
) -> AppResult<HttpResponse> {
    let team = service::update(&state.db, &auth, id.into_inner(), body.0, &if_match).await;
    // Members' teams may have changed.
    state.callers.forget_all();
    let team = team?;
    Ok(respond::record(StatusCode::OK, team.version, None, &Team::from(team)))
}

/// Delete a team
///
/// A soft delete, refused while the team has members. Sync clients see
/// the tombstone with `include_deleted=true`.
#[utoipa::path(
    tag = "teams",
    params(
        ("id" = Uuid, Path, description = "The team's id."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the deletion is based on; a stale one is refused with 412."),
    ),
    responses(
        (status = 204, description = "The team was deleted."),
        (status = 409, description = "The team still has members.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not name the current version.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/teams/{id}")]
pub async fn delete_team(
    auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    let deleted = service::delete(&state.db, &auth, id.into_inner(), &if_match).await;
    state.callers.forget_all();
    deleted?;
    Ok(HttpResponse::NoContent().finish())
}
