use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use super::dto::{CreateUser, UpdateUser, User, UserListQuery};
use super::service;
use crate::api::etag::IfMatch;
use crate::api::extract::{Json, Query};
use crate::api::list::{Page, Searched};
use crate::api::respond;
use crate::auth::Authorized;
use crate::auth::policy::{AdminOnly, AdminOrManager};
use crate::error::AppResult;
use crate::state::AppState;

/// List users
///
/// Administrators see every user, managers the members of their team.
/// Sortable by `created_at`, `updated_at`, `name`, `email`; `q` searches
/// name and email.
#[utoipa::path(
    tag = "users",
    params(Searched<service::UserList, UserListQuery>),
    responses((status = 200, description = "A page of users.", body = Page<User>)),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(
    auth: Authorized<AdminOrManager>,
    state: web::Data<AppState>,
    query: Query<UserListQuery>,
) -> AppResult<web::Json<Page<User>>> {
    let (rows, next_cursor, total) = service::list(&state.db, &auth, &query.0).await?;
    Ok(web::Json(Page { data: rows.into_iter().map(User::from).collect(), next_cursor, total }))
}

/// Create a user
#[utoipa::path(
    tag = "users",
    request_body = CreateUser,
    responses(
        (status = 201, description = "The user was created.", body = User,
            headers(("ETag" = String, description = "The record version."), ("Location" = String, description = "The user's URL."))),
        (status = 409, description = "The email or external id is taken.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    body: Json<CreateUser>,
) -> AppResult<HttpResponse> {
    let user = service::create_audited(&state.db, &auth, body.0).await?;
    let location = format!("/api/v1/users/{}", user.id);
    Ok(respond::record(StatusCode::CREATED, user.version, Some(location), &User::from(user)))
}

/// Get a user
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "The user's id.")),
    responses((status = 200, description = "The user.", body = User, headers(("ETag" = String, description = "The record version.")))),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(
    auth: Authorized<AdminOrManager>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let user = service::get(&state.db, &auth, id.into_inner()).await?;
    Ok(respond::record(StatusCode::OK, user.version, None, &User::from(user)))
}

/// Update a user
///
/// A JSON merge patch. Changing the password or role, or deactivating the
/// user, ends their sessions. The last active administrator cannot be
/// demoted or deactivated.
#[utoipa::path(
    tag = "users",
    params(
        ("id" = Uuid, Path, description = "The user's id."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on; a stale one is refused with 412."),
    ),
    request_body(content((UpdateUser = "application/merge-patch+json"), (UpdateUser = "application/json"))),
    responses(
        (status = 200, description = "The updated user.", body = User, headers(("ETag" = String, description = "The new record version."))),
        (status = 409, description = "The email or external id is taken, or this would remove the last administrator.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not name the current version.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateUser>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let user = service::update(&state.db, &auth, id, body.0, &if_match).await;
    // A new role, team or status applies to the user's next request.
    state.callers.forget(id);
    let user = user?;
    Ok(respond::record(StatusCode::OK, user.version, None, &User::from(user)))
}

/// Delete a user
///
/// A soft delete: the user can no longer sign in, their sessions end, and
/// records they own keep pointing at them. Sync clients see the tombstone
/// with `include_deleted=true`.
#[utoipa::path(
    tag = "users",
    params(
        ("id" = Uuid, Path, description = "The user's id."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the deletion is based on; a stale one is refused with 412."),
    ),
    responses(
        (status = 204, description = "The user was deleted."),
        (status = 409, description = "Deleting yourself or the last administrator is refused.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not name the current version.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/users/{id}")]
pub async fn delete_user(
    auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let deleted = service::delete(&state.db, &auth, id, &if_match).await;
    state.callers.forget(id);
    deleted?;
    Ok(HttpResponse::NoContent().finish())
}
