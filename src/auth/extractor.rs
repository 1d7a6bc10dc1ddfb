//! The `Authorized<P>` extractor: a missing or invalid bearer token is a
//! 401 (never "anonymous"), a valid token whose role the policy `P` does
//! not list is a 403.

use std::marker::PhantomData;
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{Ready, ready};
use uuid::Uuid;

use super::policy::Policy;
use crate::domain::Role;
use crate::error::AppError;
use crate::state::AppState;

/// The caller, as their access token describes them.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: Uuid,
    pub role: Role,
    pub team_id: Option<Uuid>,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// An authenticated caller whose role passes policy `P`.
pub struct Authorized<P: Policy> {
    pub user: AuthUser,
    policy: PhantomData<P>,
}

impl<P: Policy> Deref for Authorized<P> {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.user
    }
}

fn bearer_token(req: &HttpRequest) -> Result<&str, AppError> {
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

pub fn authenticate(req: &HttpRequest) -> Result<AuthUser, AppError> {
    let token = bearer_token(req)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("application state is not configured"))?;
    let claims = state.jwt.verify(token)?;
    Ok(AuthUser { id: claims.sub, role: claims.role, team_id: claims.team_id })
}

impl<P: Policy> FromRequest for Authorized<P> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|user| {
            if P::ROLES.contains(&user.role) {
                Ok(Authorized { user, policy: PhantomData })
            } else {
                Err(AppError::Forbidden(format!("The {} role may not do this.", user.role)))
            }
        }))
    }
}
