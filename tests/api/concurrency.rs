//! Optimistic concurrency under load: no lost updates.

use std::sync::Arc;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{create, spawn_app};

/// 100 clients each add 1.00 to a price at once, each reading the record,
/// then writing with `If-Match` and retrying on 412. Every increment must
/// land exactly once.
#[tokio::test]
async fn a_hundred_concurrent_patches_lose_no_update() {
    let app = Arc::new(spawn_app().await);
    let admin = app.admin_token().await;
    let id = create(&app, &admin, "products", json!({"sku": "COUNTER", "name": "Counter", "unit_price": "0.00"})).await;
    let path = format!("/api/v1/products/{id}");

    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..100u64 {
        let (app, admin, path) = (app.clone(), admin.clone(), path.clone());
        workers.spawn(async move {
            let mut conflicts = 0u32;
            loop {
                let current = app.get(&path, Some(&admin)).await;
                assert_eq!(current.status, 200, "{}", current.text);
                let etag = current.header("etag").unwrap().to_string();
                let price: f64 = current.body["unit_price"].as_str().unwrap().parse().unwrap();
                let next = format!("{:.2}", price + 1.0);
                let reply = app
                    .send(
                        app.request(Method::PATCH, &path, Some(&admin))
                            .header("if-match", etag)
                            .json(&json!({"unit_price": next})),
                    )
                    .await;
                match reply.status {
                    200 => return conflicts,
                    412 => {
                        conflicts += 1;
                        // Back off a little, differently per worker.
                        tokio::time::sleep(std::time::Duration::from_millis(
                            (worker * 7 + u64::from(conflicts) * 13) % 40,
                        ))
                        .await;
                    }
                    other => panic!("unexpected {other}: {}", reply.text),
                }
            }
        });
    }
    let mut conflicts = 0;
    while let Some(result) = workers.join_next().await {
        conflicts += result.unwrap();
    }
    let product = app.get(&path, Some(&admin)).await.body;
    assert_eq!(product["version"], 101, "initial version 1 + 100 updates");
    assert_eq!(product["unit_price"], "100.00", "every increment landed once");
    assert!(conflicts > 0, "the test did exercise conflicts");
    let audit = app.get(&format!("/api/v1/audit?record_id={id}&action=update&limit=500"), Some(&admin)).await;
    assert_eq!(audit.body["data"].as_array().unwrap().len(), 100);
}

/// Two administrators, each stepping down at the same moment: each sees
/// the other still active, and without holding the administrators' rows
/// both would succeed and leave the company with none. One succeeds, the
/// other is told it is the last (409); there is always an administrator.
#[tokio::test]
async fn two_administrators_stepping_down_at_once_leave_one() {
    for round in 0..3 {
        let app = Arc::new(spawn_app().await);
        let first = app.admin_token().await;
        let first_id = app.get("/api/v1/auth/me", Some(&first)).await.body["id"].as_str().unwrap().to_string();
        let (second_id, second) = app.user_with_role(&first, "admin", None).await;
        let step_down = |token: String, id: String| {
            let app = app.clone();
            async move { app.patch(&format!("/api/v1/users/{id}"), Some(&token), &json!({"role": "analyst"})).await }
        };
        let (a, b) = tokio::join!(step_down(first.clone(), first_id), step_down(second.clone(), second_id));
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "round {round}: {} / {}", a.text, b.text);
        let remaining = if a.status == 409 { &first } else { &second };
        let admins = app.get("/api/v1/users?role=admin&count=true", Some(remaining)).await;
        assert_eq!(admins.body["total"], 1, "round {round}: {}", admins.text);
    }
}
