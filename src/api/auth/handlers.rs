use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use super::dto::{LoginRequest, LogoutRequest, RefreshRequest, TokenResponse};
use super::service;
use crate::api::extract::Json;
use crate::api::respond;
use crate::api::users::dto::User;
use crate::auth::Authorized;
use crate::auth::policy::AnyUser;
use crate::error::AppResult;
use crate::state::AppState;

/// Sign in
///
/// Trades an email and password for an access token (short-lived JWT) and
/// a refresh token. Attempts are limited per account and per client
/// address (`CRM_LOGIN_ATTEMPTS` per 15 minutes, an address four times as
/// many); past the limit the answer is 429 with `Retry-After`, whatever the
/// password. A successful sign-in does not count.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses((status = 200, description = "Signed in.", body = TokenResponse)),
    security(())
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<LoginRequest>,
) -> AppResult<web::Json<TokenResponse>> {
    let LoginRequest { email, password } = body.0;
    let address = state.limits.client_address(&req);
    state.limits.login_attempt(&email, &address)?;
    let tokens = service::login(&state, &email, password).await?;
    state.limits.login_succeeded(&email, &address);
    Ok(web::Json(tokens))
}

/// Refresh tokens
///
/// Trades a refresh token for a new pair. Each refresh token works once;
/// presenting a used one ends every session of its user.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, description = "A new token pair.", body = TokenResponse)),
    security(())
)]
#[post("/auth/refresh")]
pub async fn refresh(state: web::Data<AppState>, body: Json<RefreshRequest>) -> AppResult<web::Json<TokenResponse>> {
    Ok(web::Json(service::refresh(&state, &body.0.refresh_token).await?))
}

/// Sign out
///
/// Revokes the refresh token (or, with `all_sessions`, every refresh token
/// of its user). Access tokens already issued stay valid until they expire
/// (at most `expires_in` seconds).
#[utoipa::path(
    tag = "auth",
    request_body = LogoutRequest,
    responses((status = 204, description = "Signed out.")),
    security(())
)]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, body: Json<LogoutRequest>) -> AppResult<HttpResponse> {
    service::logout(&state, &body.0.refresh_token, body.0.all_sessions.unwrap_or(false)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "The caller's own user record.", body = User)),
    security(("bearer" = []))
)]
#[get("/auth/me")]
pub async fn me(auth: Authorized<AnyUser>, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let user = service::me(&state, auth.id).await?;
    Ok(respond::record(StatusCode::OK, user.version, None, &User::from(user)))
}
