//! The test harness: every test starts the real application on a random
//! port against a fresh database and talks HTTP to it.
//!
//! SQLite by default (a new file per test). With `TEST_DATABASE_URL` set to
//! a PostgreSQL URL, each test gets a new database on that server, dropped
//! when the test ends.

use std::sync::Arc;

use actix_web::web;
use crm::config::Settings;
use crm::startup::Application;
use crm::state::AppState;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};
use uuid::Uuid;

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const ADMIN_EMAIL: &str = "admin@test.example";
pub const ADMIN_PASSWORD: &str = "admin-password-123";

enum TestDatabase {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    async fn create() -> (Self, String) {
        match std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) {
            Some(admin_url) => {
                let name = format!("crm_test_{}", Uuid::now_v7().simple());
                let mut conn = connect_pg(&admin_url).await;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let url = replace_database(&admin_url, &name);
                (TestDatabase::Postgres { admin_url, name }, url)
            }
            None => {
                let dir = std::env::temp_dir().join("crm-tests");
                std::fs::create_dir_all(&dir).expect("temp dir");
                let path = dir.join(format!("{}.db", Uuid::now_v7().simple()));
                let url = format!("sqlite://{}?mode=rwc", path.display());
                (TestDatabase::Sqlite(path), url)
            }
        }
    }
}

async fn connect_pg(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url).await.expect("connect to TEST_DATABASE_URL")
}

/// The same server URL with another database name.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map(|(b, q)| (b, Some(q))).unwrap_or((url, None));
    let (server, _) = base.rsplit_once('/').expect("database URL has a path");
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self {
            TestDatabase::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            TestDatabase::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime; use a thread of our own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                    runtime.block_on(async {
                        let mut conn = connect_pg(&admin_url).await;
                        let _ =
                            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                                .execute(&mut conn)
                                .await;
                    });
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    handle: actix_web::dev::ServerHandle,
    // Dropped last: the server must let go of the database first.
    _database: Arc<TestDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        drop(handle.stop(false));
    }
}

pub fn base_settings(database_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", database_url.to_string()),
        ("CRM_BIND", "127.0.0.1:0".into()),
        ("CRM_JWT_SECRET", JWT_SECRET.into()),
        ("CRM_ENV", "development".into()),
        ("CRM_ADMIN_EMAIL", ADMIN_EMAIL.into()),
        ("CRM_ADMIN_PASSWORD", ADMIN_PASSWORD.into()),
        ("CRM_DEMO_DATA", "false".into()),
        ("CRM_WORKERS", "1".into()),
        ("CRM_DB_MAX_CONNECTIONS", "4".into()),
        ("CRM_CORS_ORIGINS", "https://app.example.com".into()),
        ("CRM_MAX_BODY_BYTES", "65536".into()),
    ]
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app with extra routes (used to provoke failures).
pub async fn spawn_app_with<F>(extra_routes: F) -> TestApp
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    crm::telemetry::init(crm::config::LogFormat::Text);
    let (database, url) = TestDatabase::create().await;
    let settings = Settings::from_source(&base_settings(&url)).expect("settings");
    let app = Application::build_with(settings, extra_routes).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    TestApp { address, client, state, handle, _database: Arc::new(database) }
}

/// A response read to the end: status, headers and JSON body.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub async fn from(response: Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, headers, body, text }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json error with this status and no internals.
    pub fn assert_problem(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "status of {}", self.text);
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "content type of {}", self.text);
        assert_eq!(self.body["status"], json!(status), "{}", self.text);
        for key in ["type", "title", "detail"] {
            assert!(self.body[key].is_string(), "{key} missing in {}", self.text);
        }
        assert!(self.body["request_id"].is_string(), "request_id missing in {}", self.text);
        assert_eq!(self.body["request_id"].as_str(), self.header("x-request-id"));
        let lower = self.text.to_lowercase();
        for leak in
            ["select ", "insert ", "sqlx", "sqlite", "postgres", "panicked", "src/", ".rs:", "backtrace", "stack"]
        {
            assert!(!lower.contains(leak), "problem leaks {leak:?}: {}", self.text);
        }
        self
    }

    /// The field names of a validation error.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| errors.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn send(&self, builder: RequestBuilder) -> Reply {
        Reply::from(builder.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(self.request(Method::GET, path, token)).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(self.request(Method::POST, path, token).json(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(self.request(Method::PATCH, path, token).json(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(self.request(Method::DELETE, path, token)).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post("/api/v1/auth/login", None, &json!({"email": email, "password": password})).await
    }

    /// The access token of the bootstrap administrator.
    pub async fn admin_token(&self) -> String {
        let reply = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.body["access_token"].as_str().expect("token").to_string()
    }

    /// Creates a user as admin and returns (id, access token).
    pub async fn user_with_role(&self, admin: &str, role: &str, team_id: Option<&str>) -> (String, String) {
        let email = format!("{role}-{}@test.example", Uuid::now_v7().simple());
        let password = "user-password-123";
        let reply = self
            .post(
                "/api/v1/users",
                Some(admin),
                &json!({"name": format!("A {role}"), "email": email, "password": password, "role": role, "team_id": team_id}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        let id = reply.body["id"].as_str().expect("id").to_string();
        let login = self.login(&email, password).await;
        assert_eq!(login.status, 200, "{}", login.text);
        (id, login.body["access_token"].as_str().expect("token").to_string())
    }
}
