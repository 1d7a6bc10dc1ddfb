use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET, spawn_app};

#[tokio::test]
async fn the_configured_admin_signs_in_creates_a_sales_user_who_may_not_list_users() {
    let app = spawn_app().await;
    let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(login.status, 200, "{}", login.text);
    assert_eq!(login.body["token_type"], "Bearer");
    assert!(login.body["expires_in"].as_i64().unwrap() > 0);
    assert!(login.body["refresh_token"].as_str().unwrap().starts_with("rt_"));
    assert!(login.body["user"].get("password").is_none() && login.body["user"].get("password_hash").is_none());
    let admin = login.body["access_token"].as_str().unwrap().to_string();

    let me = app.get("/api/v1/auth/me", Some(&admin)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], ADMIN_EMAIL);
    assert_eq!(me.body["role"], "admin");
    assert!(me.body["last_login_at"].is_string());

    let created = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"name": "Sam Sales", "email": "Sam.Sales@Example.com", "password": "sales-password", "role": "sales"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["email"], "sam.sales@example.com", "emails are stored lower-case");
    assert!(created.text.find("password").is_none(), "no password or hash in {}", created.text);

    let sales = app.login("sam.sales@example.com", "sales-password").await;
    assert_eq!(sales.status, 200);
    let sales_token = sales.body["access_token"].as_str().unwrap();
    let reply = app.get("/api/v1/users", Some(sales_token)).await;
    reply.assert_problem(403);
    app.post("/api/v1/teams", Some(sales_token), &json!({"name": "Mine"})).await.assert_problem(403);
    let me = app.get("/api/v1/auth/me", Some(sales_token)).await;
    assert_eq!(me.body["role"], "sales");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_accounts_are_401_alike() {
    let app = spawn_app().await;
    let wrong = app.login(ADMIN_EMAIL, "wrong-password").await;
    wrong.assert_problem(401);
    let unknown = app.login("nobody@test.example", "wrong-password").await;
    unknown.assert_problem(401);
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
}

#[tokio::test]
async fn inactive_users_cannot_sign_in() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, _) = app.user_with_role(&admin, "sales", None).await;
    let user = app.get(&format!("/api/v1/users/{id}"), Some(&admin)).await;
    let email = user.body["email"].as_str().unwrap().to_string();
    let patched = app.patch(&format!("/api/v1/users/{id}"), Some(&admin), &json!({"active": false})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    app.login(&email, "user-password-123").await.assert_problem(401);
}

fn forge(claims: &Value, secret: &[u8], algorithm: Algorithm) -> String {
    jsonwebtoken::encode(&Header::new(algorithm), claims, &EncodingKey::from_secret(secret)).unwrap()
}

fn claims_for(me: &Value, offset_secs: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": me["id"], "role": "admin", "iss": "crm", "aud": "crm-api",
        "iat": now + offset_secs, "nbf": now + offset_secs, "exp": now + offset_secs + 600,
        "jti": uuid::Uuid::now_v7(),
    })
}

#[tokio::test]
async fn bad_tokens_are_401() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let me = app.get("/api/v1/auth/me", Some(&admin)).await.body;

    // A correctly forged token works (the harness knows the secret)...
    let valid = forge(&claims_for(&me, 0), JWT_SECRET.as_bytes(), Algorithm::HS256);
    assert_eq!(app.get("/api/v1/users", Some(&valid)).await.status, 200);

    let secret = JWT_SECRET.as_bytes();
    let mut other_issuer = claims_for(&me, 0);
    other_issuer["iss"] = json!("someone-else");
    let mut other_audience = claims_for(&me, 0);
    other_audience["aud"] = json!("another-api");
    // Tampered payload: the subject changed after signing.
    let parts: Vec<&str> = admin.split('.').collect();
    let mut payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["sub"] = json!(uuid::Uuid::now_v7());
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(payload.to_string()), parts[2]);
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims_for(&me, 0).to_string());

    let cases: Vec<(&str, String)> = vec![
        ("expired", forge(&claims_for(&me, -3600), secret, Algorithm::HS256)),
        ("not yet valid", forge(&claims_for(&me, 3600), secret, Algorithm::HS256)),
        ("wrong key", forge(&claims_for(&me, 0), b"some-other-secret-some-other-secret!!", Algorithm::HS256)),
        ("another algorithm", forge(&claims_for(&me, 0), secret, Algorithm::HS512)),
        ("issuer", forge(&other_issuer, secret, Algorithm::HS256)),
        ("audience", forge(&other_audience, secret, Algorithm::HS256)),
        ("tampered", tampered),
        ("alg none", format!("{none_header}.{body}.")),
        ("unsigned", format!("{}.{body}.", parts[0])),
        ("two parts", format!("{}.{body}", parts[0])),
    ];

    for (name, token) in cases {
        let reply = app.get("/api/v1/users", Some(&token)).await;
        assert_eq!(reply.status, 401, "{name}: {}", reply.text);
        reply.assert_problem(401);
    }
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_ends_all_sessions() {
    let app = spawn_app().await;
    let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let first = login.body["refresh_token"].as_str().unwrap().to_string();

    let refreshed = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": first})).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    let second = refreshed.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    let access = refreshed.body["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/auth/me", Some(access)).await.status, 200);

    // Reusing the first token is refused and revokes the second as well.
    app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": first})).await.assert_problem(401);
    app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": second})).await.assert_problem(401);

    app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": "rt_made_up"})).await.assert_problem(401);
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let a = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.body;
    let b = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.body;
    let c = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.body;

    let out = app.post("/api/v1/auth/logout", None, &json!({"refresh_token": a["refresh_token"]})).await;
    assert_eq!(out.status, 204);
    app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": a["refresh_token"]})).await.assert_problem(401);
    // Other sessions continue...
    let b2 = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": b["refresh_token"]})).await;
    assert_eq!(b2.status, 200, "{}", b2.text);
    // ...until every session is ended.
    let all = app
        .post("/api/v1/auth/logout", None, &json!({"refresh_token": c["refresh_token"], "all_sessions": true}))
        .await;
    assert_eq!(all.status, 204);
    app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": b2.body["refresh_token"]}))
        .await
        .assert_problem(401);
    // Signing out twice is fine.
    assert_eq!(app.post("/api/v1/auth/logout", None, &json!({"refresh_token": a["refresh_token"]})).await.status, 204);
}
