//! API keys: created by administrators and shown once, stored hashed,
//! scoped per resource and action, accepted as a bearer token or
//! `X-API-Key`, noted when used, revocable and expiring.

use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{create, spawn_app};

#[tokio::test]
async fn scoped_keys_are_shown_once_used_and_revoked() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let customer = create(&app, &admin, "customers", json!({"name": "Keyed AG"})).await;

    let reply = app
        .post(
            "/api/v1/api-keys",
            Some(&admin),
            &json!({"name": "ERP", "scopes": ["customers:read", "stats:read", "customers:write"]}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let secret = reply.body["secret"].as_str().unwrap().to_string();
    let id = reply.body["id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("crm_") && secret.len() == 44);
    assert_eq!(reply.body["prefix"], &secret[..12]);
    assert_eq!(reply.body["scopes"], json!(["customers:read", "customers:write", "stats:read"]));
    assert_eq!(reply.body["last_used_at"], serde_json::Value::Null);
    assert_eq!(reply.header("cache-control"), Some("no-store"));

    // Never shown again, nor stored in clear.
    let listed = app.get("/api/v1/api-keys", Some(&admin)).await;
    assert_eq!(listed.status, 200);
    assert!(!listed.text.contains(&secret[12..]), "{}", listed.text);
    assert!(listed.body["data"][0].get("secret").is_none());
    let stored = app
        .state
        .db
        .query_all_raw(sea_orm::Statement::from_string(app.state.db.get_database_backend(), "SELECT * FROM api_keys"))
        .await
        .unwrap();
    for row in stored {
        let hash: String = row.try_get("", "secret_hash").unwrap();
        assert_ne!(hash, secret);
        assert_eq!(hash.len(), 64);
    }

    // What the scopes allow, with either header.
    let read = app.with_key(Method::GET, &format!("/api/v1/customers/{customer}"), &secret, None).await;
    assert_eq!(read.status, 200, "{}", read.text);
    let bearer = app.get("/api/v1/customers", Some(&secret)).await;
    assert_eq!(bearer.status, 200, "{}", bearer.text);
    assert_eq!(app.with_key(Method::GET, "/api/v1/stats/sales/summary", &secret, None).await.status, 200);
    assert_eq!(app.with_key(Method::GET, "/api/v1/reports/monthly?period=2025-06", &secret, None).await.status, 200);
    let created = app.with_key(Method::POST, "/api/v1/customers", &secret, Some(&json!({"name": "By key"}))).await;
    assert_eq!(created.status, 201, "{}", created.text);
    // Audited as the administrator who created the key.
    let new_id = created.body["id"].as_str().unwrap();
    let audit = app.get(&format!("/api/v1/audit?resource=customers&record_id={new_id}"), Some(&admin)).await;
    let me = app.get("/api/v1/auth/me", Some(&admin)).await;
    assert_eq!(audit.body["data"][0]["actor_id"], me.body["id"], "{}", audit.text);

    // And what they do not.
    for (method, path, body) in [
        (Method::GET, "/api/v1/orders".to_string(), None),
        (Method::POST, "/api/v1/products".to_string(), Some(json!({"sku": "K", "name": "K", "unit_price": "1.00"}))),
        (Method::GET, "/api/v1/api-keys".to_string(), None),
        (Method::POST, "/api/v1/api-keys".to_string(), Some(json!({"name": "escalate", "scopes": ["orders:write"]}))),
        (
            Method::POST,
            "/api/v1/users".to_string(),
            Some(json!({"name": "X", "email": "x@example.com", "role": "admin", "password": "correct horse battery"})),
        ),
    ] {
        let reply = app.with_key(method.clone(), &path, &secret, body.as_ref()).await;
        reply.assert_problem(403);
    }

    // Used: noted.
    let key = app.get(&format!("/api/v1/api-keys/{id}"), Some(&admin)).await;
    assert!(key.body["last_used_at"].is_string(), "{}", key.text);

    // Revoked: 401 at once, still listed.
    assert_eq!(app.delete(&format!("/api/v1/api-keys/{id}"), Some(&admin)).await.status, 204);
    app.with_key(Method::GET, "/api/v1/customers", &secret, None).await.assert_problem(401);
    app.get("/api/v1/customers", Some(&secret)).await.assert_problem(401);
    let key = app.get(&format!("/api/v1/api-keys/{id}"), Some(&admin)).await;
    assert!(key.body["revoked_at"].is_string());
    app.with_key(Method::GET, "/api/v1/customers", "crm_not-a-key", None).await.assert_problem(401);

    // Expired keys stop working.
    let reply = app
        .post(
            "/api/v1/api-keys",
            Some(&admin),
            &json!({"name": "Short", "scopes": ["customers:read"], "expires_at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    let short = reply.body["secret"].as_str().unwrap().to_string();
    assert_eq!(app.with_key(Method::GET, "/api/v1/customers", &short, None).await.status, 200);
    let past = if app.state.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        "UPDATE api_keys SET expires_at = now() - interval '1 second'"
    } else {
        "UPDATE api_keys SET expires_at = '2000-01-01T00:00:00+00:00'"
    };
    app.state.db.execute_unprepared(past).await.unwrap();
    app.with_key(Method::GET, "/api/v1/customers", &short, None).await.assert_problem(401);

    // Only administrators manage keys; bad scopes and dates are named.
    let (_, manager) = app.user_with_role(&admin, "manager", None).await;
    app.post("/api/v1/api-keys", Some(&manager), &json!({"name": "M", "scopes": ["customers:read"]}))
        .await
        .assert_problem(403);
    let reply = app
        .post("/api/v1/api-keys", Some(&admin), &json!({"name": "Bad", "scopes": ["customers:read", "users:write", "everything"], "expires_at": "2001-01-01T00:00:00Z"}))
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), ["scopes[1]", "scopes[2]", "expires_at"]);
    let reply = app.post("/api/v1/api-keys", Some(&admin), &json!({"name": "Empty", "scopes": []})).await;
    assert_eq!(reply.error_fields(), ["scopes"]);
}
