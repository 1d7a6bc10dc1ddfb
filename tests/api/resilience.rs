//! Resilience: a database outage under load, a crash in the middle of a
//! stream of writes, and a graceful stop.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET, scratch_database, spawn_app_with_settings};

/// The database a PostgreSQL URL names, and a URL of the server's
/// maintenance database.
fn postgres_parts(url: &str) -> Option<(String, String)> {
    if !url.starts_with("postgres") {
        return None;
    }
    let (server, name) = url.rsplit_once('/')?;
    Some((name.split('?').next()?.to_string(), format!("{server}/postgres")))
}

#[tokio::test]
async fn a_database_outage_is_a_fast_503_and_service_comes_back_by_itself() {
    let app = spawn_app_with_settings(&[("CRM_DB_TIMEOUT_SECS", "1"), ("CRM_DB_MAX_CONNECTIONS", "4")]).await;
    let Some((name, maintenance)) = postgres_parts(&app.state.settings.database_url) else {
        // SQLite is a file inside the process: it has no outage of its own
        // (`errors::an_unreachable_database_is_a_503` covers a closed pool).
        return;
    };
    let token = app.admin_token().await;
    assert_eq!(app.get("/api/v1/customers", Some(&token)).await.status, 200);

    // The outage: no new connections, and every open one killed.
    let admin = Database::connect(&maintenance).await.unwrap();
    admin.execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false")).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();

    // Under load, every request is answered 503 within the configured
    // timeout (1 s, plus a margin for a loaded machine); none hangs.
    let started = Instant::now();
    let requests = (0..24).map(|n| {
        let app = &app;
        let token = &token;
        async move {
            let at = Instant::now();
            let path = if n % 2 == 0 { "/api/v1/customers" } else { "/api/v1/stats/sales/summary" };
            let reply = app.get(path, Some(token)).await;
            (reply, at.elapsed())
        }
    });
    for (reply, took) in futures_util::future::join_all(requests).await {
        reply.assert_problem(503);
        assert_eq!(reply.header("retry-after"), Some("5"));
        assert!(took < Duration::from_secs(4), "a request waited {took:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(8));
    app.get("/readyz", None).await.assert_problem(503);
    assert_eq!(app.get("/healthz", None).await.status, 200, "the process stays up");

    // The database returns: the very first request succeeds.
    admin.execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true")).await.unwrap();
    let first = app.get("/api/v1/customers", Some(&token)).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(app.get("/readyz", None).await.status, 200);
    admin.close().await.unwrap();
}

/// The `crm` binary serving a database, on a port of its own.
struct Server {
    child: Child,
    base: String,
    port: u16,
}

impl Server {
    async fn start(database_url: &str) -> Server {
        Server::start_logging(database_url, None).await
    }

    /// Starts the server, its log going to `log` (JSON lines) if given.
    async fn start_logging(database_url: &str, log: Option<&std::path::Path>) -> Server {
        let output = || match log {
            Some(path) => Stdio::from(std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap()),
            None => Stdio::null(),
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_crm"))
            .arg("serve")
            .current_dir(std::env::temp_dir())
            .env("DATABASE_URL", database_url)
            .env("CRM_BIND", format!("127.0.0.1:{port}"))
            .env("CRM_JWT_SECRET", JWT_SECRET)
            .env("CRM_ENV", "development")
            .env("CRM_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("CRM_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("CRM_DEMO_DATA", "false")
            .env("CRM_RATE_LIMIT", "0")
            .env("CRM_WEBHOOK_WORKER", "false")
            .env("CRM_WORKERS", "2")
            .env("CRM_LOG_FORMAT", "json")
            .env("RUST_LOG", "debug")
            .stdout(output())
            .stderr(output())
            .spawn()
            .unwrap();
        let server = Server { child, base: format!("http://127.0.0.1:{port}"), port };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(reply) = client.get(format!("{}/readyz", server.base)).send().await
                && reply.status() == 200
            {
                return server;
            }
            assert!(Instant::now() < deadline, "the server did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn token(&self) -> String {
        let reply = reqwest::Client::new()
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap();
        reply.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn post(client: &reqwest::Client, url: String, token: &str, body: &Value) -> Option<(u16, Value)> {
    let reply = client.post(url).bearer_auth(token).json(body).send().await.ok()?;
    let status = reply.status().as_u16();
    Some((status, reply.json().await.ok()?))
}

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn a_crash_mid_stream_loses_no_acknowledged_write_and_leaves_nothing_half_written() {
    let (_database, url) = scratch_database().await;
    let server = Server::start(&url).await;
    let token = server.token().await;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let api = |path: &str| format!("{base}/api/v1/{path}");
    let (_, product) =
        post(&client, api("products"), &token, &json!({"sku": "T1", "name": "Tea", "unit_price": "9.90"}))
            .await
            .unwrap();
    let (_, customer) = post(&client, api("customers"), &token, &json!({"name": "Buyer"})).await.unwrap();

    // A stream of creates, eight at a time: orders with two items, and
    // opportunities (each with its first stage-history entry).
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<(String, Value)>::new()));
    let crashed = Arc::new(AtomicBool::new(false));
    let writes = futures_util::stream::iter(0..3000).map(|n| {
        let (client, token, acknowledged, crashed) = (&client, &token, acknowledged.clone(), crashed.clone());
        let (resource, body) = if n % 2 == 0 {
            (
                "orders",
                json!({"customer_id": customer["id"], "channel": format!("c{n}"), "items": [
                {"product_id": product["id"], "quantity": 1 + n % 5},
                {"product_id": product["id"], "quantity": 2, "discount": "0.50"}]}),
            )
        } else {
            (
                "opportunities",
                json!({"customer_id": customer["id"], "name": format!("Deal {n}"), "amount": format!("{n}.25")}),
            )
        };
        let url = api(resource);
        async move {
            if crashed.load(Ordering::Relaxed) {
                return;
            }
            if let Some((201, created)) = post(client, url, token, &body).await {
                acknowledged.lock().unwrap().push((resource.to_string(), created));
            }
        }
    });
    let killer = async {
        // SIGKILL once a good number of creates are acknowledged, while
        // the others are in flight.
        while acknowledged.lock().unwrap().len() < 800 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.signal("KILL");
        crashed.store(true, Ordering::Relaxed);
    };
    tokio::join!(writes.buffer_unordered(8).collect::<Vec<()>>(), killer);
    drop(server);
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    assert!(acknowledged.len() >= 800 && acknowledged.len() < 3000, "{} acknowledged", acknowledged.len());

    // Restarted on the same database, every acknowledged record is there
    // exactly as its create answered.
    let server = Server::start(&url).await;
    let token = server.token().await;
    let mut lost = vec![];
    for (resource, created) in &acknowledged {
        let id = created["id"].as_str().unwrap();
        let reply =
            client.get(format!("{}/api/v1/{resource}/{id}", server.base)).bearer_auth(&token).send().await.unwrap();
        if reply.status() != 200 || reply.json::<Value>().await.unwrap() != *created {
            lost.push(format!("{resource} {id}"));
        }
    }
    assert!(lost.is_empty(), "{} acknowledged records lost or changed: {:?}", lost.len(), &lost[..lost.len().min(5)]);
    drop(server);

    // Nothing half-written: no order without its items (or with a total
    // other than theirs), no opportunity without its history, no history
    // without its opportunity.
    let db = Database::connect(&url).await.unwrap();
    let partial = [
        "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)",
        "SELECT COUNT(*) FROM orders o WHERE (SELECT COUNT(*) FROM order_items i WHERE i.order_id = o.id) <> 2",
        "SELECT COUNT(*) FROM opportunities o WHERE NOT EXISTS \
         (SELECT 1 FROM opportunity_stage_history h WHERE h.opportunity_id = o.id)",
        "SELECT COUNT(*) FROM opportunity_stage_history h WHERE NOT EXISTS \
         (SELECT 1 FROM opportunities o WHERE o.id = h.opportunity_id)",
    ];
    for sql in partial {
        assert_eq!(count(&db, sql).await, 0, "{sql}");
    }
    // Every acknowledged order is in the database; unacknowledged ones may
    // be too (committed, but the answer was lost with the process).
    let orders = count(&db, "SELECT COUNT(*) FROM orders").await;
    let acknowledged_orders = acknowledged.iter().filter(|(r, _)| r == "orders").count() as i64;
    assert!(orders >= acknowledged_orders, "{orders} < {acknowledged_orders}");
    db.close().await.unwrap();
}

#[tokio::test]
async fn sigterm_lets_requests_in_flight_finish_and_takes_no_new_ones() {
    let (_database, url) = scratch_database().await;
    let log = std::env::temp_dir().join(format!("crm-log-{}.jsonl", uuid::Uuid::now_v7().simple()));
    let mut server = Server::start_logging(&url, Some(&log)).await;
    let token = server.token().await;
    // A search for a person, whose name must not reach the log.
    let searched = reqwest::Client::new()
        .get(format!("{}/api/v1/customers?q=Zhang%20Wei%20Secret", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(searched.status(), 200);

    // A request whose body is still arriving when the signal comes.
    let body = json!({"name": "Arrived during shutdown", "city": "Hangzhou"}).to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        stream,
        "POST /api/v1/customers HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(500)).await;

    // No new connection is served.
    let refused =
        reqwest::Client::new().get(format!("{}/healthz", server.base)).timeout(Duration::from_secs(2)).send().await;
    assert!(refused.is_err(), "a new request was served after SIGTERM: {refused:?}");

    // The one in flight completes.
    stream.write_all(rest.as_bytes()).unwrap();
    let mut answer = vec![0u8; 4096];
    let read = stream.read(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]).to_string();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(answer.contains("Arrived during shutdown"), "{answer}");

    // Then the process ends by itself, cleanly.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");

    // The log tells what happened, and holds no personal data, password or
    // token (debug level included). The start banner names the configured
    // administrator account (never its password), which the operator set.
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    let text = text.replace(&format!("Admin login: {ADMIN_EMAIL} (password from CRM_ADMIN_PASSWORD)"), "");
    assert!(text.contains("request finished") && text.contains("/api/v1/customers"), "{text}");
    for private in
        ["Zhang", "Arrived during shutdown", "Hangzhou", ADMIN_PASSWORD, ADMIN_EMAIL, &token[token.len() - 20..]]
    {
        let lines: Vec<&str> = text.lines().filter(|line| line.contains(private)).collect();
        assert!(lines.is_empty(), "the log holds {private:?}: {lines:?}");
    }
}
