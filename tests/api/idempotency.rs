//! `Idempotency-Key` on POST: a retry gets the first response and creates
//! nothing; another request under the same key is a 409; keys belong to
//! their caller and expire after 24 hours.

use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, create, spawn_app};

async fn post_with_key(app: &TestApp, token: &str, path: &str, key: &str, body: &Value) -> Reply {
    app.send(app.request(Method::POST, path, Some(token)).header("idempotency-key", key).json(body)).await
}

async fn count_named(app: &TestApp, token: &str, name: &str) -> usize {
    let reply = app.get(&format!("/api/v1/customers?q={name}&limit=500"), Some(token)).await;
    reply.body["data"].as_array().unwrap().iter().filter(|c| c["name"] == name).count()
}

#[tokio::test]
async fn a_retried_post_creates_one_record_and_gets_the_first_answer() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = json!({"name": "Once Ltd", "email": "once@example.com"});

    let first = post_with_key(&app, &admin, "/api/v1/customers", "order-4711", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.header("idempotent-replayed"), None);
    let retry = post_with_key(&app, &admin, "/api/v1/customers", "order-4711", &body).await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(retry.header("etag"), first.header("etag"));
    assert!(retry.header("content-type").unwrap().starts_with("application/json"));
    assert_eq!(count_named(&app, &admin, "Once Ltd").await, 1);

    // The same key with another body: refused, nothing created.
    let other = post_with_key(&app, &admin, "/api/v1/customers", "order-4711", &json!({"name": "Twice Ltd"})).await;
    other.assert_problem(409);
    assert!(other.text.contains("different request"), "{}", other.text);
    assert_eq!(count_named(&app, &admin, "Twice Ltd").await, 0);
    // Nor on another path.
    let elsewhere = post_with_key(&app, &admin, "/api/v1/products", "order-4711", &body).await;
    elsewhere.assert_problem(409);

    // Keys are the caller's: another user's same key is their own.
    let (_, rep) = app.user_with_role(&admin, "sales", None).await;
    let theirs = post_with_key(&app, &rep, "/api/v1/customers", "order-4711", &body).await;
    assert_eq!(theirs.status, 201, "{}", theirs.text);
    assert_eq!(theirs.header("idempotent-replayed"), None);
    assert_ne!(theirs.body["id"], first.body["id"]);

    // A refused request is answered the same way again (use a new key to fix it).
    let bad = json!({"name": ""});
    let refused = post_with_key(&app, &admin, "/api/v1/customers", "bad-1", &bad).await;
    refused.assert_problem(422);
    let again = post_with_key(&app, &admin, "/api/v1/customers", "bad-1", &bad).await;
    assert_eq!((again.status, again.header("idempotent-replayed")), (422, Some("true")));
    assert_eq!(again.body["errors"], refused.body["errors"]);

    // An order with its items, and an action: replayed, not repeated.
    let customer = first.body["id"].as_str().unwrap();
    let product = create(&app, &admin, "products", json!({"sku": "IDEM", "name": "Idem", "unit_price": "3.00"})).await;
    let order = json!({"customer_id": customer, "status": "paid", "items": [{"product_id": product, "quantity": 2}]});
    let placed = post_with_key(&app, &admin, "/api/v1/orders", "cart-9", &order).await;
    assert_eq!(placed.status, 201, "{}", placed.text);
    assert_eq!(post_with_key(&app, &admin, "/api/v1/orders", "cart-9", &order).await.body, placed.body);
    let orders = app.get(&format!("/api/v1/orders?customer_id={customer}"), Some(&admin)).await;
    assert_eq!(orders.body["data"].as_array().unwrap().len(), 1);
    let ticket = create(&app, &admin, "tickets", json!({"customer_id": customer, "subject": "Idem"})).await;
    let path = format!("/api/v1/tickets/{ticket}/respond");
    let responded = post_with_key(&app, &admin, &path, "respond-1", &json!({})).await;
    assert_eq!(responded.status, 200, "{}", responded.text);
    let replayed = post_with_key(&app, &admin, &path, "respond-1", &json!({})).await;
    assert_eq!((replayed.status, replayed.body.clone()), (200, responded.body.clone()));
    let repeated = app.post(&path, Some(&admin), &json!({})).await;
    assert_eq!(repeated.status, 200, "responding again without a key is allowed: {}", repeated.text);

    // Malformed keys are refused by name; sign-in ignores keys.
    let long = "k".repeat(256);
    for key in [long.as_str(), "has space"] {
        let reply = post_with_key(&app, &admin, "/api/v1/customers", key, &body).await;
        reply.assert_problem(422);
        assert!(reply.text.contains("Idempotency-Key"), "{}", reply.text);
    }
}

#[tokio::test]
async fn concurrent_retries_create_once_and_keys_expire() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = json!({"name": "Racer GmbH"});
    let mut tasks = vec![];
    for _ in 0..8 {
        let request =
            app.request(Method::POST, "/api/v1/customers", Some(&admin)).header("idempotency-key", "race").json(&body);
        tasks.push(tokio::spawn(async move { request.send().await.unwrap().status().as_u16() }));
    }
    let mut statuses = vec![];
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    assert!(statuses.contains(&201));
    assert_eq!(count_named(&app, &admin, "Racer GmbH").await, 1, "{statuses:?}");

    // After 24 hours the key is forgotten: the same request creates again.
    let db = &app.state.db;
    let past = if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        "UPDATE idempotency_keys SET expires_at = now() - interval '1 second'"
    } else {
        "UPDATE idempotency_keys SET expires_at = '2000-01-01T00:00:00+00:00'"
    };
    db.execute_unprepared(past).await.unwrap();
    let reply = post_with_key(&app, &admin, "/api/v1/customers", "race", &body).await;
    assert_eq!((reply.status, reply.header("idempotent-replayed")), (201, None));
    assert_eq!(count_named(&app, &admin, "Racer GmbH").await, 2);
}
