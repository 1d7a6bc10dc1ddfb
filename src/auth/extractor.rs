//! The `Authorized<P>` extractor: a missing or invalid bearer token is a
//! 401 (never "anonymous"), a valid token whose role the policy `P` does
//! not list is a 403.

use std::marker::PhantomData;
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

pub use super::caller::AuthUser;
use super::credentials::{LookedUpKey, VerifiedToken, api_key_secret, verified_token};
use super::policy::Policy;
use crate::error::AppError;
use crate::state::AppState;

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
            None => verified_token(&state.jwt, req)?,
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
