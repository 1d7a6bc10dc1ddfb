use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::api::users::dto::User;

/// Credentials.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "admin@example.com", "password": "change-me-please"}))]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 254))]
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[validate(length(min = 1, max = 1024))]
    #[schema(format = Password, max_length = 1024)]
    pub password: String,
}

/// A new pair of tokens. Send the access token as
/// `Authorization: Bearer <access_token>`; when it expires, trade the
/// refresh token for a new pair at `/auth/refresh` (each refresh token works
/// once).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...",
    "token_type": "Bearer",
    "expires_in": 900,
    "refresh_token": "rt_3q2-7wEXAMPLE",
    "refresh_expires_in": 2592000,
    "user": {"id": "0193a3b2-7c1e-7d2a-9f4e-2b8c1d5e6f70", "name": "Admin", "email": "admin@example.com", "role": "admin", "team_id": null, "active": true, "last_login_at": "2026-01-05T09:30:00Z", "external_id": null, "created_at": "2026-01-05T09:30:00Z", "updated_at": "2026-01-05T09:30:00Z", "version": 1, "deleted_at": null}
}))]
pub struct TokenResponse {
    /// A JWT (HS256), valid for `expires_in` seconds.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime of the access token, in seconds.
    pub expires_in: i64,
    /// An opaque token for `/auth/refresh`, usable once.
    pub refresh_token: String,
    /// Lifetime of the refresh token, in seconds.
    pub refresh_expires_in: i64,
    /// The signed-in user.
    pub user: User,
}

/// A refresh token to trade for a new token pair.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "rt_3q2-7wEXAMPLE"}))]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 200))]
    pub refresh_token: String,
}

/// The session to end.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "rt_3q2-7wEXAMPLE", "all_sessions": false}))]
pub struct LogoutRequest {
    #[validate(length(min = 1, max = 200))]
    pub refresh_token: String,
    /// End every session of this user, on every device (default `false`).
    pub all_sessions: Option<bool>,
}
