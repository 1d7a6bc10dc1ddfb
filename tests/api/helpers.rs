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

/// A hash of the migration sources: a template database made from the same
/// sources can be reused, by every test of this run and of later runs.
fn schema_hash() -> String {
    use sha2::{Digest, Sha256};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migration/src");
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).expect("migration sources").filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(file.file_name().unwrap_or_default().as_encoded_bytes());
        hasher.update(std::fs::read(&file).expect("migration source"));
    }
    hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

async fn migrate(url: &str) {
    let db = sea_orm::Database::connect(url).await.expect("connect to the template");
    crm::db::migrate(&db, chrono_tz::Tz::UTC).await.expect("migrate the template");
    db.close().await.expect("close the template");
}

/// A migrated SQLite file to copy for each test, made once (atomically,
/// so parallel test processes can race to make it).
async fn sqlite_template(dir: &std::path::Path) -> std::path::PathBuf {
    let template = dir.join(format!("template-{}.db", schema_hash()));
    if !template.exists() {
        let scratch = dir.join(format!("template-{}.db", Uuid::now_v7().simple()));
        migrate(&format!("sqlite://{}?mode=rwc", scratch.display())).await;
        // Fold the WAL into the main file so one file is the whole database.
        let _ = std::fs::remove_file(format!("{}-wal", scratch.display()));
        let _ = std::fs::remove_file(format!("{}-shm", scratch.display()));
        std::fs::rename(&scratch, &template).expect("publish the template");
    }
    template
}

/// A migrated PostgreSQL database to clone for each test, made once under
/// an advisory lock.
async fn postgres_template(admin_url: &str) -> String {
    let name = format!("crm_template_{}", schema_hash());
    let mut conn = connect_pg(admin_url).await;
    sqlx::query("SELECT pg_advisory_lock(715517)").execute(&mut conn).await.expect("lock");
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut conn)
        .await
        .expect("look up the template");
    if exists.is_none() {
        let scratch = format!("{name}_building");
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {scratch}"))).execute(&mut conn).await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {scratch}")))
            .execute(&mut conn)
            .await
            .expect("create template");
        migrate(&replace_database(admin_url, &scratch)).await;
        sqlx::query(sqlx::AssertSqlSafe(format!("ALTER DATABASE {scratch} RENAME TO {name}")))
            .execute(&mut conn)
            .await
            .expect("publish template");
    }
    sqlx::query("SELECT pg_advisory_unlock(715517)").execute(&mut conn).await.expect("unlock");
    name
}

impl TestDatabase {
    async fn create() -> (Self, String) {
        match std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) {
            Some(admin_url) => {
                let template = postgres_template(&admin_url).await;
                let name = format!("crm_test_{}", Uuid::now_v7().simple());
                let mut conn = connect_pg(&admin_url).await;
                // Cloning fails while another clone of the same template is
                // starting; retry briefly.
                let mut attempt = 0;
                loop {
                    let created =
                        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name} TEMPLATE {template}")))
                            .execute(&mut conn)
                            .await;
                    match created {
                        Ok(_) => break,
                        Err(e) if attempt < 50 => {
                            attempt += 1;
                            let _ = e;
                            tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
                        }
                        Err(e) => panic!("create test database: {e}"),
                    }
                }
                let url = replace_database(&admin_url, &name);
                (TestDatabase::Postgres { admin_url, name }, url)
            }
            None => {
                let dir = std::env::temp_dir().join("crm-tests");
                std::fs::create_dir_all(&dir).expect("temp dir");
                let template = sqlite_template(&dir).await;
                let path = dir.join(format!("{}.db", Uuid::now_v7().simple()));
                std::fs::copy(&template, &path).expect("copy the template");
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
    /// The demo users' password, when the start loaded the demo data.
    pub demo_password: Option<String>,
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
        ("CRM_RATE_LIMIT", "100000".into()),
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
    spawn(&[], extra_routes).await
}

/// Starts the app with settings of its own (overriding the test defaults).
pub async fn spawn_app_with_settings(overrides: &[(&'static str, &str)]) -> TestApp {
    spawn(overrides, |_| {}).await
}

async fn spawn<F>(overrides: &[(&'static str, &str)], extra_routes: F) -> TestApp
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    crm::telemetry::init(crm::config::LogFormat::Text);
    let (database, url) = TestDatabase::create().await;
    let mut source = base_settings(&url);
    for (name, value) in overrides {
        source.retain(|(n, _)| n != name);
        source.push((name, value.to_string()));
    }
    let settings = Settings::from_source(&source).expect("settings");
    let app = Application::build_with(settings, extra_routes).await.expect("build app");
    let demo_password = app.demo().map(|report| report.password.clone());
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    TestApp { address, client, state, demo_password, handle, _database: Arc::new(database) }
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
    /// Stops the server (gracefully); the database stays until the
    /// `TestApp` is dropped.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }

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

    /// A request authenticated by an API key (`X-API-Key`), with a JSON body if given.
    pub async fn with_key(&self, method: Method, path: &str, secret: &str, body: Option<&Value>) -> Reply {
        let mut request = self.client.request(method, self.url(path)).header("x-api-key", secret);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request).await
    }

    /// `POST`s a CSV file as the body (`Content-Type: text/csv`).
    pub async fn post_csv(&self, path: &str, token: &str, csv: &str) -> Reply {
        self.send(
            self.request(Method::POST, path, Some(token)).header("content-type", "text/csv").body(csv.to_string()),
        )
        .await
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

/// Changes the organization's settings (`PATCH /settings/organization`
/// with the current ETag), expecting success.
pub async fn set_settings(app: &TestApp, admin: &str, body: Value) -> Reply {
    let current = app.get("/api/v1/settings/organization", Some(admin)).await;
    let etag = current.header("etag").unwrap_or_default().to_string();
    let builder = app.request(Method::PATCH, "/api/v1/settings/organization", Some(admin)).header("If-Match", etag);
    let reply = app.send(builder.json(&body)).await;
    assert_eq!(reply.status, 200, "{body}: {}", reply.text);
    reply
}

/// The life of a record over HTTP, as every resource must support it:
/// create → get → list (a filter, two pages by cursor) → patch with and
/// without a matching `If-Match` → delete → tombstone → audit trail.
/// `bodies` are at least three valid creations; `filter` is a query string
/// and the number of the created records it must return.
pub async fn exercise_crud(
    app: &TestApp,
    token: &str,
    resource: &str,
    bodies: &[Value],
    filter: (&str, usize),
    patch: &Value,
) {
    assert!(bodies.len() >= 3);
    let base = format!("/api/v1/{resource}");
    let mut ids = vec![];
    for body in bodies {
        let created = app.post(&base, Some(token), body).await;
        assert_eq!(created.status, 201, "create {resource}: {}", created.text);
        assert_eq!(created.header("etag"), Some("\"1\""));
        let id = created.body["id"].as_str().unwrap().to_string();
        assert_eq!(created.header("location"), Some(format!("{base}/{id}").as_str()));
        ids.push(id);
    }
    let first = &ids[0];
    let item = format!("{base}/{first}");
    let fetched = app.get(&item, Some(token)).await;
    assert_eq!(fetched.status, 200, "{}", fetched.text);
    assert_eq!(fetched.body["version"], 1);

    // Two pages by cursor, oldest first, hold every record once.
    let page1 = app.get(&format!("{base}?limit=2&sort=created_at"), Some(token)).await;
    assert_eq!(page1.status, 200, "{}", page1.text);
    assert_eq!(page1.body["data"].as_array().unwrap().len(), 2);
    let cursor = page1.body["next_cursor"].as_str().expect("a second page").to_string();
    let page2 = app.get(&format!("{base}?limit=100&sort=created_at&cursor={cursor}"), Some(token)).await;
    assert_eq!(page2.status, 200, "{}", page2.text);
    let listed: Vec<String> = page1.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2.body["data"].as_array().unwrap())
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    for id in &ids {
        assert_eq!(listed.iter().filter(|l| *l == id).count(), 1, "{id} listed once in {listed:?}");
    }

    let filtered = app.get(&format!("{base}?{}&limit=500", filter.0), Some(token)).await;
    assert_eq!(filtered.status, 200, "{}", filtered.text);
    let matching = filtered.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| ids.iter().any(|id| r["id"] == id.as_str()))
        .count();
    assert_eq!(matching, filter.1, "filter {} on {}", filter.0, filtered.text);

    let patched =
        app.send(app.request(Method::PATCH, &item, Some(token)).header("if-match", "\"1\"").json(patch)).await;
    assert_eq!(patched.status, 200, "patch {resource}: {}", patched.text);
    assert_eq!(patched.body["version"], 2);
    assert_eq!(patched.header("etag"), Some("\"2\""));
    for (key, value) in patch.as_object().unwrap() {
        if value.is_string() || value.is_boolean() || value.is_null() {
            assert_eq!(&patched.body[key], value, "patched {key}");
        }
    }
    let stale = app.send(app.request(Method::PATCH, &item, Some(token)).header("if-match", "\"1\"").json(patch)).await;
    stale.assert_problem(412);
    let unconditional = app.patch(&item, Some(token), patch).await;
    assert_eq!(unconditional.status, 200, "{}", unconditional.text);

    app.send(app.request(Method::DELETE, &item, Some(token)).header("if-match", "\"1\"")).await.assert_problem(412);
    let version = unconditional.body["version"].as_i64().unwrap();
    let deleted =
        app.send(app.request(Method::DELETE, &item, Some(token)).header("if-match", format!("\"{version}\""))).await;
    assert_eq!(deleted.status, 204, "delete {resource}: {}", deleted.text);
    app.get(&item, Some(token)).await.assert_problem(404);
    let tombstones = app.get(&format!("{base}?include_deleted=true&limit=500"), Some(token)).await;
    let tombstone = tombstones.body["data"].as_array().unwrap().iter().find(|r| r["id"] == first.as_str()).cloned();
    assert!(tombstone.is_some_and(|t| t["deleted_at"].is_string()), "tombstone of {first}");
    let live = app.get(&format!("{base}?limit=500"), Some(token)).await;
    assert!(live.body["data"].as_array().unwrap().iter().all(|r| r["id"] != first.as_str()));

    let admin = app.admin_token().await;
    let audit = app.get(&format!("/api/v1/audit?resource={resource}&record_id={first}"), Some(&admin)).await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    let actions: Vec<&str> =
        audit.body["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["delete", "update", "create"], "audit of {resource}: {}", audit.text);
}

/// Creates a record as `token` and returns its id.
pub async fn create(app: &TestApp, token: &str, resource: &str, body: Value) -> String {
    let reply = app.post(&format!("/api/v1/{resource}"), Some(token), &body).await;
    assert_eq!(reply.status, 201, "create {resource}: {}", reply.text);
    reply.body["id"].as_str().unwrap().to_string()
}

/// A fresh database of its own for a test that starts the `crm` binary:
/// its URL, and a guard that drops it.
pub struct ScratchDatabase(#[allow(dead_code)] TestDatabase);

pub async fn scratch_database() -> (ScratchDatabase, String) {
    let (database, url) = TestDatabase::create().await;
    (ScratchDatabase(database), url)
}
