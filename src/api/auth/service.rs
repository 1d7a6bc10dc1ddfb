//! Sign-in and refresh-token rotation.
//!
//! Refresh tokens are random, stored only as their SHA-256, and rotated:
//! each use revokes the token and issues a new one. Presenting a token that
//! was already rotated means it was copied, so every session of that user
//! is ended.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::dto::TokenResponse;
use crate::api::users::dto::User;
use crate::api::users::service::{normalize_email, revoke_sessions};
use crate::auth::password;
use crate::domain::Role;
use crate::domain::time::now;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use entity::{refresh_token, user};

fn invalid_credentials() -> AppError {
    AppError::Unauthorized("The email or password is wrong, or the account is inactive.".into())
}

fn invalid_refresh_token() -> AppError {
    AppError::Unauthorized("The refresh token is invalid, expired or already used; sign in again.".into())
}

async fn issue_tokens(
    db: &impl ConnectionTrait,
    state: &AppState,
    user: user::Model,
    token_id: Uuid,
) -> AppResult<TokenResponse> {
    let role: Role = user.role.parse().map_err(AppError::internal)?;
    let access_token = state.jwt.issue(user.id, role, user.team_id)?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let refresh = format!("rt_{}", URL_SAFE_NO_PAD.encode(bytes));
    let at = now();
    let ttl = state.settings.refresh_token_ttl_secs;
    refresh_token::ActiveModel {
        id: Set(token_id),
        user_id: Set(user.id),
        token_hash: Set(crate::auth::secret_hash(&refresh)),
        created_at: Set(at),
        expires_at: Set(at + Duration::seconds(ttl)),
        revoked_at: Set(None),
        replaced_by: Set(None),
    }
    .insert(db)
    .await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.jwt.access_ttl_secs,
        refresh_token: refresh,
        refresh_expires_in: ttl,
        user: User::from(user),
    })
}

pub async fn login(state: &AppState, email: &str, password_text: String) -> AppResult<TokenResponse> {
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(normalize_email(email)))
        .filter(user::Column::DeletedAt.is_null())
        .one(&state.db)
        .await?;
    let stored_hash = found.as_ref().map(|u| u.password_hash.clone());
    let password_ok = password::verify(password_text, stored_hash).await?;
    let user = match found {
        Some(user) if password_ok && user.active => user,
        _ => return Err(invalid_credentials()),
    };
    let txn = crate::db::begin_write(&state.db).await?;
    let at = now();
    user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Expr::value(at))
        .filter(user::Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    let user = user::Model { last_login_at: Some(at), ..user };
    let tokens = issue_tokens(&txn, state, user, Uuid::now_v7()).await?;
    txn.commit().await?;
    Ok(tokens)
}

pub async fn refresh(state: &AppState, token: &str) -> AppResult<TokenResponse> {
    let txn = crate::db::begin_write(&state.db).await?;
    let stored = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(crate::auth::secret_hash(token)))
        .one(&txn)
        .await?
        .ok_or_else(invalid_refresh_token)?;
    if stored.replaced_by.is_some() {
        tracing::warn!(user_id = %stored.user_id, "revoked refresh token presented; ending all sessions of the user");
        revoke_sessions(&txn, stored.user_id).await?;
        txn.commit().await?;
        return Err(invalid_refresh_token());
    }
    let at = now();
    if stored.revoked_at.is_some() || stored.expires_at <= at {
        return Err(invalid_refresh_token());
    }
    // Guarded by `revoked_at IS NULL`: of two concurrent uses, one wins.
    let successor = Uuid::now_v7();
    let revoked = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(at))
        .col_expr(refresh_token::Column::ReplacedBy, Expr::value(successor))
        .filter(refresh_token::Column::Id.eq(stored.id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if revoked.rows_affected == 0 {
        return Err(invalid_refresh_token());
    }
    let user = user::Entity::find_by_id(stored.user_id)
        .filter(user::Column::DeletedAt.is_null())
        .filter(user::Column::Active.eq(true))
        .one(&txn)
        .await?
        .ok_or_else(invalid_refresh_token)?;
    let tokens = issue_tokens(&txn, state, user, successor).await?;
    txn.commit().await?;
    Ok(tokens)
}

/// Ends the session of `token` (or all of its user's sessions). Unknown
/// tokens are ignored: signing out is idempotent.
pub async fn logout(state: &AppState, token: &str, all_sessions: bool) -> AppResult<()> {
    let Some(stored) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(crate::auth::secret_hash(token)))
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    if all_sessions {
        return revoke_sessions(&state.db, stored.user_id).await;
    }
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now()))
        .filter(refresh_token::Column::Id.eq(stored.id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&state.db)
        .await?;
    Ok(())
}

pub async fn me(state: &AppState, id: Uuid) -> AppResult<user::Model> {
    user::Entity::find_by_id(id)
        .filter(user::Column::DeletedAt.is_null())
        .filter(user::Column::Active.eq(true))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::Unauthorized("This account no longer exists or is inactive.".into()))
}
