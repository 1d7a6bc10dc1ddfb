//! Abuse resistance: sign-in attempt limits, the per-client request limit,
//! page-size and query limits, NUL characters, and the security headers.

use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, spawn_app, spawn_app_with_settings};

#[tokio::test]
async fn sign_in_attempts_are_limited_per_account_and_per_address() {
    let app = spawn_app_with_settings(&[("CRM_LOGIN_ATTEMPTS", "3")]).await;
    let admin = app.admin_token().await;
    // Successful sign-ins do not count.
    for _ in 0..5 {
        assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status, 200);
    }
    for _ in 0..3 {
        app.login(ADMIN_EMAIL, "wrong password").await.assert_problem(401);
    }
    // The account is locked for a while, whatever the password.
    for password in ["wrong again", ADMIN_PASSWORD] {
        let refused = app.login(ADMIN_EMAIL, password).await;
        refused.assert_problem(429);
        let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=300).contains(&wait), "one attempt comes back within 15 min / 3: {wait}");
        assert_eq!(refused.body["type"], "/problems/too-many-requests");
    }
    // The same address may still try other accounts, up to four times the
    // per-account figure (3 used so far).
    let (id, _) = app.user_with_role(&admin, "sales", None).await;
    let email = app.get(&format!("/api/v1/users/{id}"), Some(&admin)).await.body["email"].as_str().unwrap().to_string();
    assert_eq!(app.login(&email, "user-password-123").await.status, 200);
    let mut statuses = vec![];
    for n in 0..12 {
        statuses.push(app.login(&format!("nobody{n}@test.example"), "guess").await.status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 9, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 3, "{statuses:?}");
    // Access already granted is not affected.
    assert_eq!(app.get("/api/v1/auth/me", Some(&admin)).await.status, 200);
}

#[tokio::test]
async fn each_client_has_a_request_budget_announced_in_headers() {
    let app = spawn_app_with_settings(&[("CRM_RATE_LIMIT", "5")]).await;
    let admin = app.admin_token().await;
    let (_, analyst) = app.user_with_role(&admin, "analyst", None).await;
    // Signing in and creating the analyst used some of the address's and
    // the admin's budgets; the analyst's own is untouched.
    let mut remaining = vec![];
    for _ in 0..5 {
        let reply = app.get("/api/v1/products", Some(&analyst)).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.header("ratelimit-limit"), Some("5"));
        assert_eq!(reply.header("ratelimit-policy"), Some("5;w=60"));
        assert!(reply.header("ratelimit-reset").unwrap().parse::<u64>().unwrap() <= 60);
        remaining.push(reply.header("ratelimit-remaining").unwrap().parse::<u64>().unwrap());
    }
    assert_eq!(remaining, [4, 3, 2, 1, 0]);
    let refused = app.get("/api/v1/products", Some(&analyst)).await;
    refused.assert_problem(429);
    assert_eq!(refused.header("ratelimit-remaining"), Some("0"));
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=12).contains(&wait), "a request comes back every 12 s: {wait}");
    // Probes are never limited.
    for _ in 0..10 {
        assert_eq!(app.get("/healthz", None).await.status, 200);
    }
}

#[tokio::test]
async fn page_sizes_and_query_windows_are_bounded() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for limit in ["0", "501", "1000000", "-1", "null"] {
        let reply = app.get(&format!("/api/v1/customers?limit={limit}"), Some(&admin)).await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), ["limit"], "{limit}: {}", reply.text);
    }
    assert_eq!(app.get("/api/v1/customers?limit=500", Some(&admin)).await.status, 200);
    // Exports take the list's parameters, malformed ones included.
    app.get("/api/v1/customers/export?limit=null", Some(&admin)).await.assert_problem(422);

    // A daily series over ten years would be 3,653 buckets.
    let daily =
        app.get("/api/v1/stats/sales/timeseries?from=2015-01-01&to=2025-01-01&granularity=day", Some(&admin)).await;
    daily.assert_problem(422);
    assert_eq!(daily.error_fields(), ["granularity"], "{}", daily.text);
    let monthly =
        app.get("/api/v1/stats/sales/timeseries?from=2015-01-01&to=2025-01-01&granularity=month", Some(&admin)).await;
    assert_eq!(monthly.status, 200, "{}", monthly.text);
    // A window of centuries is refused outright.
    let ages = app.get("/api/v1/stats/sales/summary?from=0434-09-19&to=2025-01-01", Some(&admin)).await;
    ages.assert_problem(422);
}

#[tokio::test]
async fn nul_characters_are_refused_with_the_field_named() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = app.post("/api/v1/customers", Some(&admin), &json!({"name": "Tea\u{0}House"})).await;
    body.assert_problem(422);
    assert_eq!(body.error_fields(), ["name"]);
    let nested = app.post("/api/v1/customers", Some(&admin), &json!({"name": "Tea", "tags": ["ok", "b\u{0}d"]})).await;
    assert_eq!(nested.error_fields(), ["tags[1]"], "{}", nested.text);
    let query = app.get("/api/v1/feedback?q=H%00i", Some(&admin)).await;
    query.assert_problem(422);
    assert_eq!(query.error_fields(), ["q"]);
    // An escaped backslash before "u0000" is just text.
    let fine = app.post("/api/v1/customers", Some(&admin), &json!({"name": "C:\\u0000 folder"})).await;
    assert_eq!(fine.status, 201, "{}", fine.text);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let replies = [
        app.get("/api/v1/customers", Some(&admin)).await,
        app.get("/api/v1/customers", None).await,
        app.get("/no/such/path", None).await,
        app.get("/healthz", None).await,
    ];
    for reply in &replies {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(reply.header("content-security-policy"), Some("default-src 'none'; frame-ancestors 'none'"));
        assert!(reply.header("strict-transport-security").unwrap().starts_with("max-age="));
        assert_eq!(reply.header("cross-origin-opener-policy"), Some("same-origin"));
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{}", reply.text);
    }
    // Swagger UI may load its own scripts and styles, nothing else.
    let docs = app.get("/swagger-ui/", None).await;
    assert_eq!(docs.status, 200);
    let policy = docs.header("content-security-policy").unwrap();
    assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-eval"), "{policy}");
    assert_eq!(docs.header("x-frame-options"), Some("DENY"));
}
