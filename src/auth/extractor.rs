//! The `Authorized<P>` extractor: a missing or invalid bearer token is a
//! 401 (never "anonymous"), a valid token whose role the policy `P` does
//! not list is a 403.

use std::marker::PhantomData;
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use super::jwt::Claims;
use super::policy::Policy;
use crate::domain::Role;
use crate::error::AppError;
use crate::state::AppState;

/// The caller, as their access token describes them.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user (for an API key: the administrator who created it, who is
    /// the actor of its changes in the audit log).
    pub id: Uuid,
    pub role: Role,
    pub team_id: Option<Uuid>,
    /// The API key the request came with, if it did.
    pub api_key: Option<Uuid>,
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

/// The API key secret of the request: `X-API-Key`, or a bearer token
/// that starts like one.
pub(crate) fn api_key_secret(req: &HttpRequest) -> Result<Option<String>, AppError> {
    if let Some(value) = req.headers().get("x-api-key") {
        let text =
            value.to_str().map_err(|_| AppError::Unauthorized("The X-API-Key header is not valid text.".into()))?;
        return Ok(Some(text.trim().to_string()));
    }
    Ok(bearer_token(req).ok().filter(|token| token.starts_with(super::api_keys::SECRET_PREFIX)).map(str::to_owned))
}

/// A verified access token, handed by the request limiter (which keys the
/// budget by its user) to the extractor, so that it is verified once.
#[derive(Clone, Debug)]
pub(crate) struct VerifiedToken(pub Claims);

/// An API key looked up by the request limiter (which keys the budget by
/// it, or by the address when there is no such key), handed on the same way.
#[derive(Clone)]
pub(crate) struct LookedUpKey(pub Option<super::api_keys::Found>);

/// The access token of a request, verified (signature, issuer, audience,
/// times); it says who the caller is, not what they may do now.
pub(crate) fn verified_token(state: &AppState, req: &HttpRequest) -> Result<Claims, AppError> {
    state.jwt.verify(bearer_token(req)?)
}

/// The caller: an access token's user as the database has them now (role,
/// team, active; see `callers`), or an API key (checked against the scopes
/// the request needs). Kept on the request once found.
pub async fn authenticate(req: &HttpRequest) -> Result<AuthUser, AppError> {
    // Already authenticated by a middleware on this request.
    if let Some(user) = req.extensions().get::<AuthUser>().cloned() {
        return Ok(user);
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("application state is not configured"))?;
    let user = if let Some(secret) = api_key_secret(req)? {
        let looked_up = req.extensions().get::<LookedUpKey>().cloned();
        let key = match looked_up {
            Some(LookedUpKey(key)) => key,
            None => super::api_keys::lookup(&state.db, &secret).await?,
        };
        super::api_keys::authenticate(&state.db, key, req.method(), req.path()).await?
    } else {
        let verified = req.extensions().get::<VerifiedToken>().cloned();
        let claims = match verified {
            Some(VerifiedToken(claims)) => claims,
            None => verified_token(state, req)?,
        };
        let account = state
            .callers
            .account(&state.db, claims.sub)
            .await?
            .ok_or_else(|| AppError::Unauthorized("This account no longer exists or is inactive.".into()))?;
        AuthUser { id: claims.sub, role: account.role, team_id: account.team_id, api_key: None }
    };
    req.extensions_mut().insert(user.clone());
    Ok(user)
}

impl<P: Policy> FromRequest for Authorized<P> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = authenticate(&req).await?;
            if P::ROLES.contains(&user.role) {
                Ok(Authorized { user, policy: PhantomData })
            } else {
                Err(AppError::Forbidden(format!("The {} role may not do this.", user.role)))
            }
        })
    }
}
