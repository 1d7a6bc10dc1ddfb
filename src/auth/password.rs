//! argon2id password hashing, off the async executor (a hash takes tens of
//! milliseconds of CPU by design).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

use crate::error::AppError;

pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let mut salt_bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut salt_bytes);
        let salt = SaltString::encode_b64(&salt_bytes)?;
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)
}

/// Verifies `password` against a stored hash. With no stored hash (unknown
/// account) it still does the work of one verification, so response time
/// does not reveal which emails have accounts.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_string());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && stored != DUMMY_HASH
    })
    .await
    .map_err(AppError::internal)
}

/// The argon2id hash of a random string nobody knows, with default
/// parameters.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0Zbgj5ql6rz9zzQ8zSS4xYr3kiGm0N1p1l8c8IJl2uA";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash("correct horse".into()).await.unwrap_or_default();
        let b = hash("correct horse".into()).await.unwrap_or_default();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salted");
        assert_eq!(verify("correct horse".into(), Some(a.clone())).await.ok(), Some(true));
        assert_eq!(verify("wrong".into(), Some(a)).await.ok(), Some(false));
        assert_eq!(verify("anything".into(), None).await.ok(), Some(false));
    }
}
