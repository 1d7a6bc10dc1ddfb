//! Authentication (JWT access tokens, refresh tokens, argon2 passwords) and
//! authorization (role policies declared in each handler's signature).

pub mod api_keys;
pub mod caller;
pub mod callers;
pub mod credentials;
pub mod extractor;
pub mod jwt;
pub mod password;
pub mod policy;
pub mod scope;

pub use caller::AuthUser;
pub use extractor::Authorized;

/// Lower-case hex of bytes (digests, signatures).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a high-entropy secret (refresh token, API key) as hex: what
/// is stored instead of the secret.
pub fn secret_hash(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(secret.as_bytes()))
}
