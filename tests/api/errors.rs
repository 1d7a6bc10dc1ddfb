//! Every error the API or the framework produces is problem+json with a
//! request id and no internals.

use actix_web::{HttpResponse, web};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let reply = app
        .send(
            app.request(Method::POST, "/api/v1/teams", Some(&token))
                .header("content-type", "application/json")
                .body("{\"name\": "),
        )
        .await;
    reply.assert_problem(400);
    let trailing = app
        .send(
            app.request(Method::POST, "/api/v1/teams", Some(&token))
                .header("content-type", "application/json")
                .body("{\"name\": \"A\"} x"),
        )
        .await;
    trailing.assert_problem(400);
}

#[tokio::test]
async fn missing_credentials_are_401_with_a_challenge() {
    let app = spawn_app().await;
    let reply = app.get("/api/v1/users", None).await;
    reply.assert_problem(401);
    assert!(reply.header("www-authenticate").is_some_and(|v| v.starts_with("Bearer")));
    app.get("/api/v1/users", Some("not-a-jwt")).await.assert_problem(401);
    app.send(app.request(Method::GET, "/api/v1/users", None).header("authorization", "Basic YWRtaW46YWRtaW4="))
        .await
        .assert_problem(401);
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405() {
    let app = spawn_app().await;
    app.get("/api/v1/nothing-here", None).await.assert_problem(404);
    app.get("/api/v2/users", None).await.assert_problem(404);

    let reply = app.send(app.request(Method::PUT, "/api/v1/users", None).json(&json!({}))).await;
    reply.assert_problem(405);
    assert_eq!(reply.header("allow"), Some("GET, POST"));
    let reply = app.send(app.request(Method::POST, "/api/v1/users/0193a3b2-7c1e-7d2a-9f4e-2b8c1d5e6f70", None)).await;
    reply.assert_problem(405);
    assert_eq!(reply.header("allow"), Some("DELETE, GET, PATCH"));
}

#[tokio::test]
async fn malformed_ids_are_404() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    app.get("/api/v1/users/not-a-uuid", Some(&token)).await.assert_problem(404);
    app.get("/api/v1/users/0193a3b2-7c1e-7d2a-9f4e-2b8c1d5e6f70", Some(&token)).await.assert_problem(404);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    // The test server accepts 64 KiB.
    let big = json!({"name": "x".repeat(70 * 1024)});
    app.post("/api/v1/teams", Some(&token), &big).await.assert_problem(413);
    // Also without a Content-Length (chunked).
    let stream = futures_util::stream::iter((0..80).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024])));
    let reply = app
        .send(
            app.request(Method::POST, "/api/v1/teams", Some(&token))
                .header("content-type", "application/json")
                .body(reqwest::Body::wrap_stream(stream)),
        )
        .await;
    reply.assert_problem(413);
}

#[tokio::test]
async fn non_json_bodies_are_415() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let reply = app
        .send(
            app.request(Method::POST, "/api/v1/teams", Some(&token))
                .header("content-type", "text/plain")
                .body("name=A"),
        )
        .await;
    reply.assert_problem(415);
    let reply = app.send(app.request(Method::POST, "/api/v1/teams", Some(&token)).body("{\"name\":\"A\"}")).await;
    reply.assert_problem(415);
}

#[tokio::test]
async fn validation_errors_are_422_naming_every_field() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let reply = app
        .post(
            "/api/v1/users",
            Some(&token),
            &json!({"name": " ", "email": "not-an-email", "password": "short", "role": "admin"}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["email", "name", "password"]);
    for error in reply.body["errors"].as_array().unwrap() {
        assert!(error["code"].is_string() && error["message"].is_string());
    }

    // Unknown fields are rejected, naming the field.
    let reply = app.post("/api/v1/teams", Some(&token), &json!({"name": "A", "colour": "red"})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["colour"]);
    assert_eq!(reply.body["errors"][0]["code"], "unknown_field");

    // Unknown enum values and wrong types name the field.
    let reply = app
        .post(
            "/api/v1/users",
            Some(&token),
            &json!({"name": "A", "email": "a@b.example", "password": "long enough", "role": "root"}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["role"]);
    let reply = app.post("/api/v1/teams", Some(&token), &json!({"name": 5})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["name"]);
    let reply = app.post("/api/v1/teams", Some(&token), &json!({})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["name"]);
    assert_eq!(reply.body["errors"][0]["code"], "required");

    // Query parameters too.
    let reply = app.get("/api/v1/users?limit=100000", Some(&token)).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["limit"]);
    let reply = app.get("/api/v1/users?owner=me", Some(&token)).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["owner"]);
    let reply = app.get("/api/v1/users?role=root", Some(&token)).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["role"]);
}

#[tokio::test]
async fn a_panic_is_a_500_with_a_request_id_and_the_server_keeps_serving() {
    let app = spawn_app_with(|cfg| {
        cfg.route(
            "/test/panic",
            web::get().to(|| async {
                if std::hint::black_box(true) {
                    panic!("secret internal state at src/handler.rs:42");
                }
                HttpResponse::Ok().finish()
            }),
        );
    })
    .await;
    let reply = app.get("/test/panic", None).await;
    reply.assert_problem(500);
    assert!(!reply.text.contains("secret internal state"));
    assert_eq!(app.get("/healthz", None).await.status, 200);
}

#[tokio::test]
async fn a_database_error_is_a_500_without_sql() {
    let app = spawn_app_with(|cfg| {
        cfg.route(
            "/test/bad-sql",
            web::get().to(|state: web::Data<crm::state::AppState>| async move {
                use sea_orm::ConnectionTrait;
                state
                    .db
                    .execute_unprepared("SELECT no_such_column FROM no_such_table")
                    .await
                    .map_err(crm::error::AppError::from)?;
                Ok::<_, crm::error::AppError>(HttpResponse::Ok().finish())
            }),
        );
    })
    .await;
    let reply = app.get("/test/bad-sql", None).await;
    reply.assert_problem(500);
    assert!(!reply.text.contains("no_such"));
}

#[tokio::test]
async fn an_unreachable_database_is_a_503() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    app.state.db.close_by_ref().await.unwrap();
    let reply = app.get("/api/v1/users", Some(&token)).await;
    reply.assert_problem(503);
    assert!(reply.header("retry-after").is_some());
    app.get("/readyz", None).await.assert_problem(503);
    // Liveness does not depend on the database.
    assert_eq!(app.get("/healthz", None).await.status, 200);
}
