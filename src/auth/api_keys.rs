//! API keys for integrations. A key is a random secret (`crm_` and 40
//! letters and digits, about 238 bits) shown once when an administrator
//! creates it; the database keeps its SHA-256 (a fast hash is enough for a
//! secret with this much entropy, unlike a password). A key sees every
//! record (as an administrator would) but may only do what its scopes
//! name: `<resource>:read`, `<resource>:write`, `stats:read` (statistics,
//! reports and alerts). It never reaches sign-in, users and teams
//! changes, or the API keys themselves.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use super::AuthUser;
use crate::db::statement;
use crate::domain::Role;
use crate::error::AppError;

/// The beginning of every secret: a bearer token starting with it is a key.
pub const SECRET_PREFIX: &str = "crm_";

/// Resources a key may read and write.
pub const WRITABLE: &[&str] = &[
    "customers",
    "contacts",
    "products",
    "orders",
    "leads",
    "opportunities",
    "activities",
    "campaigns",
    "tickets",
    "feedback",
    "targets",
    "tasks",
];

/// Resources a key may only read (`stats` = statistics, reports, alerts).
pub const READ_ONLY: &[&str] = &["stats", "teams", "users", "audit"];

/// Every scope a key may hold, in a stable order.
pub fn all_scopes() -> Vec<String> {
    let mut scopes = vec![];
    for resource in WRITABLE {
        scopes.push(format!("{resource}:read"));
        scopes.push(format!("{resource}:write"));
    }
    scopes.extend(READ_ONLY.iter().map(|resource| format!("{resource}:read")));
    scopes
}

/// The scopes a request needs: its resource (the first path segment under
/// `/api/v1`; statistics, reports and alerts are `stats`) and `read` for
/// `GET`/`HEAD`, `write` otherwise; and for an endpoint that spans
/// resources, every resource it reads or writes. `None` for what no key
/// may do.
pub fn required_scopes(method: &actix_web::http::Method, path: &str) -> Option<Vec<String>> {
    let segments: Vec<&str> = path.strip_prefix("/api/v1/")?.split('/').collect();
    let read = method == actix_web::http::Method::GET || method == actix_web::http::Method::HEAD;
    let scopes = |resources: &[&str], action: &str| Some(resources.iter().map(|r| format!("{r}:{action}")).collect());
    match (segments.as_slice(), read) {
        // A data subject's export holds every record about the customer.
        (["customers", _, "export"], true) => {
            return scopes(
                &[
                    "customers",
                    "contacts",
                    "leads",
                    "orders",
                    "opportunities",
                    "activities",
                    "tickets",
                    "feedback",
                    "tasks",
                    "audit",
                ],
                "read",
            );
        }
        // Erasure is irreversible: administrators only, never a key.
        (["customers", _, "erase"], _) => return None,
        // A conversion creates (or links) a customer and an opportunity.
        (["leads", _, "convert"], false) => return scopes(&["leads", "customers", "opportunities"], "write"),
        _ => {}
    }
    let resource = match *segments.first()? {
        "stats" | "reports" | "alerts" => "stats",
        other => other,
    };
    let allowed =
        if read { WRITABLE.contains(&resource) || READ_ONLY.contains(&resource) } else { WRITABLE.contains(&resource) };
    allowed.then(|| vec![format!("{resource}:{}", if read { "read" } else { "write" })])
}

/// A new secret.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let body: String = (0..40).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    format!("{SECRET_PREFIX}{body}")
}

pub fn hash(secret: &str) -> String {
    super::secret_hash(secret)
}

/// The first characters of a secret, shown in lists.
pub fn prefix(secret: &str) -> String {
    secret.chars().take(12).collect()
}

/// A key found by its secret.
#[derive(Clone, Debug)]
pub struct Found {
    pub id: Uuid,
    pub created_by: Uuid,
    pub scopes: Vec<String>,
}

/// The live key with this secret: not revoked, not expired, and created by
/// a user who is still an active administrator (a key acts as one, so it
/// ends with its creator's rights: deactivation, deletion or demotion).
pub async fn lookup(db: &impl ConnectionTrait, secret: &str) -> Result<Option<Found>, DbErr> {
    let at = crate::domain::time::now();
    let row = db
        .query_one_raw(statement(
            db.get_database_backend(),
            "SELECT k.id, k.created_by, k.scopes FROM api_keys k JOIN users u ON u.id = k.created_by \
             WHERE k.secret_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $2) \
             AND u.active AND u.deleted_at IS NULL AND u.role = 'admin'",
            vec![hash(secret).into(), at.into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let scopes: String = row.try_get("", "scopes")?;
    Ok(Some(Found {
        id: row.try_get("", "id")?,
        created_by: row.try_get("", "created_by")?,
        scopes: serde_json::from_str(&scopes).unwrap_or_default(),
    }))
}

/// Notes the use, at most once a minute per key.
async fn touch(db: &impl ConnectionTrait, id: Uuid, at: DateTime<Utc>) -> Result<(), DbErr> {
    db.execute_raw(statement(
        db.get_database_backend(),
        "UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        vec![at.into(), id.into(), (at - Duration::minutes(1)).into()],
    ))
    .await?;
    Ok(())
}

/// The caller a key stands for, if the key was found (401 otherwise) and
/// holds every scope the request needs (403 otherwise).
pub async fn authenticate(
    db: &impl ConnectionTrait,
    key: Option<Found>,
    method: &actix_web::http::Method,
    path: &str,
) -> Result<AuthUser, AppError> {
    let key = key.ok_or_else(|| {
        AppError::Unauthorized(
            "The API key is not valid: unknown, revoked or expired, or its creator is no longer an active administrator."
                .into(),
        )
    })?;
    let Some(needed) = required_scopes(method, path) else {
        return Err(AppError::Forbidden("API keys may not do this.".into()));
    };
    if let Some(missing) = needed.iter().find(|scope| !key.scopes.contains(scope)) {
        let all = if needed.len() > 1 { format!(" (it needs {})", needed.join(", ")) } else { String::new() };
        return Err(AppError::Forbidden(format!("This API key does not hold the scope `{missing}`{all}.")));
    }
    let at = crate::domain::time::now();
    if let Err(error) = touch(db, key.id, at).await {
        tracing::warn!(%error, "noting an API key's use failed");
    }
    Ok(AuthUser { id: key.created_by, role: Role::Admin, team_id: None, api_key: Some(key.id) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::Method;

    #[test]
    fn scopes_follow_the_path_and_method() {
        let one = |method: Method, path: &str| required_scopes(&method, path).map(|s| s.join(" "));
        assert_eq!(one(Method::GET, "/api/v1/customers").as_deref(), Some("customers:read"));
        assert_eq!(one(Method::GET, "/api/v1/customers/export").as_deref(), Some("customers:read"));
        assert_eq!(one(Method::PATCH, "/api/v1/orders/1").as_deref(), Some("orders:write"));
        assert_eq!(one(Method::POST, "/api/v1/tickets/1/respond").as_deref(), Some("tickets:write"));
        assert_eq!(one(Method::GET, "/api/v1/stats/sales/summary").as_deref(), Some("stats:read"));
        assert_eq!(one(Method::GET, "/api/v1/reports/monthly").as_deref(), Some("stats:read"));
        assert_eq!(one(Method::GET, "/api/v1/users").as_deref(), Some("users:read"));
        assert_eq!(
            one(Method::POST, "/api/v1/leads/1/convert").as_deref(),
            Some("leads:write customers:write opportunities:write")
        );
        assert_eq!(required_scopes(&Method::GET, "/api/v1/customers/1/export").map(|s| s.len()), Some(10));
        for (method, path) in [
            (Method::POST, "/api/v1/users"),
            (Method::GET, "/api/v1/api-keys"),
            (Method::POST, "/api/v1/auth/logout"),
            (Method::POST, "/api/v1/stats/x"),
            (Method::POST, "/api/v1/customers/1/erase"),
        ] {
            assert_eq!(required_scopes(&method, path), None, "{method} {path}");
        }
    }

    #[test]
    fn secrets_are_long_and_hashed() {
        let secret = generate();
        assert!(secret.starts_with(SECRET_PREFIX) && secret.len() == 44);
        assert_ne!(secret, generate());
        assert_eq!(hash(&secret).len(), 64);
        assert_eq!(prefix(&secret).len(), 12);
    }
}
