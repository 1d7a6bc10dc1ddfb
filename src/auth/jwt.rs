//! Short-lived HS256 access tokens. Only HS256 is accepted: a token whose
//! header names another algorithm (`none`, RS256 for key confusion) fails
//! verification, as does one without a valid signature, issuer, audience,
//! or time claims.

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::Role;
use crate::error::AppError;

pub const ISSUER: &str = "crm";
pub const AUDIENCE: &str = "crm-api";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: Uuid,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_secs: i64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], access_ttl_secs: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl_secs,
        }
    }

    pub fn issue(&self, user_id: Uuid, role: Role, team_id: Option<Uuid>) -> Result<String, AppError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            role,
            team_id,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            nbf: now,
            exp: now + self.access_ttl_secs,
            jti: Uuid::now_v7(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(AppError::internal)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims).map_err(|err| {
            tracing::debug!(reason = %err, "rejected access token");
            AppError::Unauthorized("The access token is invalid or expired.".into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn issued_tokens_verify() {
        let keys = JwtKeys::new(SECRET, 60);
        let id = Uuid::now_v7();
        let token = keys.issue(id, Role::Sales, None);
        let claims = token.and_then(|t| keys.verify(&t)).ok();
        assert_eq!(claims.map(|c| (c.sub, c.role)), Some((id, Role::Sales)));
    }

    #[test]
    fn other_secrets_and_expired_tokens_fail() {
        let keys = JwtKeys::new(SECRET, 60);
        let other = JwtKeys::new(b"another-secret-another-secret-xx", 60);
        let token = other.issue(Uuid::now_v7(), Role::Admin, None).unwrap_or_default();
        assert!(keys.verify(&token).is_err());
        let expired = JwtKeys::new(SECRET, -120).issue(Uuid::now_v7(), Role::Admin, None).unwrap_or_default();
        assert!(keys.verify(&expired).is_err());
    }
}
