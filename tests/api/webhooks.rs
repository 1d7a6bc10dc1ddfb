//! Webhooks: a local receiver fails twice and takes the third delivery,
//! signed; the outbox survives a server restart; stage changes are their
//! own event; the delivery log and redelivery; SSRF-safe targets.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TestApp, base_settings, create, spawn_app, spawn_app_with_settings};

/// What the receiver saw: headers of interest and the body.
#[derive(Clone, Debug)]
struct Hit {
    event_id: String,
    event_type: String,
    timestamp: String,
    signature: String,
    body: String,
}

struct Receiver {
    hits: Arc<Mutex<Vec<Hit>>>,
    /// Answer 500 to this many requests first.
    failures: Arc<AtomicUsize>,
    url: String,
}

async fn receive(
    request: HttpRequest,
    body: String,
    hits: web::Data<Arc<Mutex<Vec<Hit>>>>,
    failures: web::Data<Arc<AtomicUsize>>,
) -> HttpResponse {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    hits.lock().unwrap().push(Hit {
        event_id: header("x-crm-event-id"),
        event_type: header("x-crm-event-type"),
        timestamp: header("x-crm-timestamp"),
        signature: header("x-crm-signature"),
        body,
    });
    let failing = failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    if failing { HttpResponse::InternalServerError().finish() } else { HttpResponse::Ok().finish() }
}

fn receiver(fail_first: usize) -> Receiver {
    let hits = Arc::new(Mutex::new(vec![]));
    let failures = Arc::new(AtomicUsize::new(fail_first));
    let (h, f) = (hits.clone(), failures.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(h.clone()))
            .app_data(web::Data::new(f.clone()))
            .route("/hook", web::post().to(receive))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    Receiver { hits, failures, url: format!("http://127.0.0.1:{port}/hook") }
}

async fn wait_for(receiver: &Receiver, count: usize) -> Vec<Hit> {
    for _ in 0..200 {
        let hits = receiver.hits.lock().unwrap().clone();
        if hits.len() >= count {
            return hits;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the receiver got {} of {count} deliveries", receiver.hits.lock().unwrap().len());
}

fn verify(secret: &str, hit: &Hit) {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{}.{}", hit.timestamp, hit.body).as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hit.signature, format!("v1={expected}"));
}

const SETTINGS: [(&str, &str); 2] = [("CRM_WEBHOOK_ALLOW_PRIVATE", "true"), ("CRM_WEBHOOK_RETRY_BASE_MS", "100")];

async fn subscribe(app: &TestApp, admin: &str, url: &str, events: Value) -> (String, String) {
    let reply = app.post("/api/v1/webhooks", Some(admin), &json!({"url": url, "events": events})).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    (reply.body["id"].as_str().unwrap().to_string(), reply.body["secret"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn deliveries_are_signed_retried_and_logged() {
    let app = spawn_app_with_settings(&SETTINGS).await;
    let admin = app.admin_token().await;
    let hook = receiver(2);
    let (id, secret) = subscribe(&app, &admin, &hook.url, json!(["customers.*", "opportunities.stage_changed"])).await;
    assert!(secret.starts_with("whsec_"));
    let listed = app.get("/api/v1/webhooks", Some(&admin)).await;
    assert!(!listed.text.contains(&secret));

    let customer = create(&app, &admin, "customers", json!({"name": "Hooked Ltd"})).await;
    let hits = wait_for(&hook, 3).await;
    assert!(hits.iter().all(|h| h.event_id == hits[0].event_id && h.event_type == "customers.created"));
    for hit in &hits {
        verify(&secret, hit);
    }
    let event: Value = serde_json::from_str(&hits[2].body).unwrap();
    assert_eq!(
        (event["type"].as_str(), event["data"]["record_id"].as_str()),
        (Some("customers.created"), Some(customer.as_str()))
    );
    assert_eq!(event["id"].as_str(), Some(hits[0].event_id.as_str()));

    // The log: delivered at the third attempt.
    let mut log = Value::Null;
    for _ in 0..100 {
        log = app.get(&format!("/api/v1/webhooks/{id}/deliveries"), Some(&admin)).await.body;
        if log["data"][0]["status"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivery = &log["data"][0];
    assert_eq!(
        (delivery["status"].as_str(), delivery["attempts"].as_i64(), delivery["last_status_code"].as_i64()),
        (Some("delivered"), Some(3), Some(200))
    );

    // A stage change is its own event; a plain update of an opportunity is not subscribed.
    let opportunity =
        create(&app, &admin, "opportunities", json!({"customer_id": customer, "name": "Deal", "amount": "100.00"}))
            .await;
    let reply =
        app.patch(&format!("/api/v1/opportunities/{opportunity}"), Some(&admin), &json!({"stage": "proposal"})).await;
    assert_eq!(reply.status, 200);
    let hits = wait_for(&hook, 4).await;
    assert_eq!(hits[3].event_type, "opportunities.stage_changed");
    verify(&secret, &hits[3]);

    // Redelivery sends the same event again.
    let delivery_id = delivery["id"].as_str().unwrap();
    let reply =
        app.post(&format!("/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver"), Some(&admin), &json!({})).await;
    assert_eq!(reply.status, 202, "{}", reply.text);
    let hits = wait_for(&hook, 5).await;
    assert_eq!(hits[4].event_id, hits[0].event_id);

    // Unsubscribed: nothing more.
    assert_eq!(app.delete(&format!("/api/v1/webhooks/{id}"), Some(&admin)).await.status, 204);
    create(&app, &admin, "customers", json!({"name": "Quiet"})).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(hook.hits.lock().unwrap().len(), 5);
    assert_eq!(hook.failures.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_outbox_survives_a_restart() {
    // The first server writes events but delivers nothing, then stops.
    let first =
        spawn_app_with_settings(&[("CRM_WEBHOOK_ALLOW_PRIVATE", "true"), ("CRM_WEBHOOK_WORKER", "false")]).await;
    let admin = first.admin_token().await;
    let hook = receiver(0);
    subscribe(&first, &admin, &hook.url, json!(["*"])).await;
    for name in ["One", "Two", "Three"] {
        create(&first, &admin, "customers", json!({"name": name})).await;
    }
    first.stop().await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(hook.hits.lock().unwrap().is_empty());

    // The next server on the same database delivers them all.
    let mut source = base_settings(&first.state.settings.database_url);
    source.retain(|(name, _)| !name.starts_with("CRM_WEBHOOK"));
    source.push(("CRM_WEBHOOK_ALLOW_PRIVATE", "true".into()));
    let settings = crm::config::Settings::from_source(&source).unwrap();
    let second = crm::startup::Application::build(settings).await.unwrap();
    let handle = second.handle();
    tokio::spawn(second.run_until_stopped());
    let hits = wait_for(&hook, 3).await;
    let mut types: Vec<&str> = hits.iter().map(|h| h.event_type.as_str()).collect();
    types.sort();
    assert_eq!(types, ["customers.created"; 3]);
    handle.stop(true).await;
}

#[tokio::test]
async fn targets_must_be_public_https() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.8/x",
        "ftp://example.com/x",
        "not a url",
        "http://user:pw@localhost/x",
    ] {
        let reply = app.post("/api/v1/webhooks", Some(&admin), &json!({"url": url, "events": ["*"]})).await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), ["url"], "{url}: {}", reply.text);
    }
    let reply = app
        .post(
            "/api/v1/webhooks",
            Some(&admin),
            &json!({"url": "http://127.0.0.1:9/x", "events": ["Customers", "orders.*"]}),
        )
        .await;
    assert_eq!(reply.error_fields(), ["url", "events[0]"]);
    let (_, manager) = app.user_with_role(&admin, "manager", None).await;
    app.post("/api/v1/webhooks", Some(&manager), &json!({"url": "https://example.com/x", "events": ["*"]}))
        .await
        .assert_problem(403);
}

#[tokio::test]
async fn alerts_raise_and_clear_events() {
    let app = spawn_app_with_settings(&[
        ("CRM_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("CRM_WEBHOOK_RETRY_BASE_MS", "100"),
        ("CRM_ALERT_INTERVAL_SECS", "1"),
    ])
    .await;
    let admin = app.admin_token().await;
    let hook = receiver(0);
    let (_, secret) = subscribe(&app, &admin, &hook.url, json!(["alerts.*"])).await;
    let customer = create(&app, &admin, "customers", json!({"name": "Alerted"})).await;
    let two_hours_ago = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let ticket = create(
        &app,
        &admin,
        "tickets",
        json!({"customer_id": customer, "subject": "Down", "priority": "urgent", "created_at": two_hours_ago}),
    )
    .await;

    let hits = wait_for(&hook, 1).await;
    assert_eq!(hits[0].event_type, "alerts.raised");
    verify(&secret, &hits[0]);
    let event: Value = serde_json::from_str(&hits[0].body).unwrap();
    assert_eq!(event["data"]["record_id"], ticket.as_str());
    assert_eq!(
        (event["data"]["changes"]["rule"].as_str(), event["data"]["changes"]["severity"].as_str()),
        (Some("sla_first_response"), Some("critical"))
    );

    // Raised once, however often the alerts are evaluated; cleared once answered.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(hook.hits.lock().unwrap().len(), 1);
    assert_eq!(app.post(&format!("/api/v1/tickets/{ticket}/respond"), Some(&admin), &json!({})).await.status, 200);
    let hits = wait_for(&hook, 2).await;
    assert_eq!(hits[1].event_type, "alerts.cleared");
    let event: Value = serde_json::from_str(&hits[1].body).unwrap();
    assert_eq!(event["data"]["record_id"], ticket.as_str());
}
