use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_and_readyz_answer() {
    let app = spawn_app().await;
    let health = app.get("/healthz", None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body["status"], "ok");
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body["status"], "ready");
    let expected =
        if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) { "postgres" } else { "sqlite" };
    assert_eq!(ready.body["database"], expected);
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_security_headers() {
    let app = spawn_app().await;
    let reply = app.get("/healthz", None).await;
    assert!(reply.header("x-request-id").is_some_and(|id| !id.is_empty()));
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));

    // A caller's own well-formed request id is kept, a malformed one replaced.
    let kept = app.send(app.request(reqwest::Method::GET, "/healthz", None).header("x-request-id", "abc-123")).await;
    assert_eq!(kept.header("x-request-id"), Some("abc-123"));
    let replaced = app
        .send(app.request(reqwest::Method::GET, "/healthz", None).header("x-request-id", "bad id\twith spaces"))
        .await;
    assert_ne!(replaced.header("x-request-id"), Some("bad id\twith spaces"));
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let app = spawn_app().await;
    let preflight = app
        .send(
            app.request(reqwest::Method::OPTIONS, "/api/v1/users", None)
                .header("origin", "https://app.example.com")
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "authorization, content-type"),
        )
        .await;
    assert_eq!(preflight.status, 200, "{}", preflight.text);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("https://app.example.com"));

    let other =
        app.send(app.request(reqwest::Method::GET, "/healthz", None).header("origin", "https://evil.example")).await;
    assert_eq!(other.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn responses_are_compressed_when_asked() {
    let app = spawn_app().await;
    let response =
        app.client.get(app.url("/api-docs/openapi.json")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some("gzip"));
}

#[tokio::test]
async fn swagger_ui_is_served_without_downloads() {
    let app = spawn_app().await;
    let page = app.get("/swagger-ui/", None).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("swagger"), "{}", &page.text[..page.text.len().min(200)]);
    let init = app.get("/swagger-ui/swagger-initializer.js", None).await;
    assert_eq!(init.status, 200);
    assert!(init.text.contains("/api-docs/openapi.json"));
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = spawn_app().await;
    let db = &app.state.db;
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let pragma = |name: &str| Statement::from_string(DbBackend::Sqlite, format!("PRAGMA {name}"));
    let mode = db.query_one_raw(pragma("journal_mode")).await.unwrap().unwrap();
    assert_eq!(mode.try_get_by_index::<String>(0).unwrap(), "wal");
    let fks = db.query_one_raw(pragma("foreign_keys")).await.unwrap().unwrap();
    assert_eq!(fks.try_get_by_index::<i32>(0).unwrap(), 1);
}
