//! Interaction patterns for June 2025 against figures computed by hand.
//!
//! | customer | activities (June unless said) | revenue |
//! |---|---|---|
//! | K1 (rep) | call out 5th, call in 10th, email out 25th, meeting 28th | 0 |
//! | K2 | email in 2nd, email out 15th | 0 |
//! | K3 | visit out 20th | 0 |
//! | K4 | note May 20 | 30.00 |
//! | K5 | email July 2 (after `to`) | 50.00 |
//! | K6 | a call on the 12th, deleted | 0 |
//! | K7 | created after `to`: not counted | |
//!
//! 7 activities: call 2 (1 in, 1 out), email 3 (1 in, 2 out), meeting 1
//! (no direction), visit 1 (out). 6 customers, 3 contacted; per contacted
//! customer 4, 2, 1: mean 7/3, median 2, p90 2 + 0.8 × 2 = 3.6. Without an
//! activity in the 30 days before July 1: K5 (50.00), K4 (30.00), K6.

use serde_json::{Value, json};

use crate::fixtures::person;
use crate::helpers::{create, spawn_app};

const JUNE: &str = "from=2025-06-01&to=2025-07-01";

#[tokio::test]
async fn interactions_by_type_per_customer_and_uncontacted() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rep_id, rep) = person(&app, &admin, "Rosa", "sales", None).await;
    let product = create(&app, &admin, "products", json!({"sku": "I", "name": "Ink", "unit_price": "10.00"})).await;
    let mut ids = std::collections::HashMap::new();
    for (name, owner, created) in [
        ("K1", Some(rep_id.as_str()), "2025-01-01"),
        ("K2", None, "2025-01-01"),
        ("K3", None, "2025-01-01"),
        ("K4", None, "2025-01-01"),
        ("K5", None, "2025-01-01"),
        ("K6", None, "2025-01-01"),
        ("K7", None, "2025-07-15"),
    ] {
        let body = json!({"name": name, "owner_id": owner, "created_at": format!("{created}T09:00:00Z")});
        ids.insert(name, create(&app, &admin, "customers", body).await);
    }
    let activity = |customer: &str, kind: &str, direction: Option<&str>, day: &str| {
        json!({"type": kind, "direction": direction, "customer_id": ids[customer], "subject": "Touch",
               "occurred_at": format!("{day}T12:00:00Z")})
    };
    for body in [
        activity("K1", "call", Some("outbound"), "2025-06-05"),
        activity("K1", "call", Some("inbound"), "2025-06-10"),
        activity("K1", "email", Some("outbound"), "2025-06-25"),
        activity("K1", "meeting", None, "2025-06-28"),
        activity("K2", "email", Some("inbound"), "2025-06-02"),
        activity("K2", "email", Some("outbound"), "2025-06-15"),
        activity("K3", "visit", Some("outbound"), "2025-06-20"),
        activity("K4", "note", None, "2025-05-20"),
        activity("K5", "email", Some("outbound"), "2025-07-02"),
    ] {
        create(&app, &admin, "activities", body).await;
    }
    let deleted = create(&app, &admin, "activities", activity("K6", "call", Some("outbound"), "2025-06-12")).await;
    assert_eq!(app.delete(&format!("/api/v1/activities/{deleted}"), Some(&admin)).await.status, 204);
    create(
        &app,
        &admin,
        "activities",
        json!({"type": "note", "subject": "No customer", "occurred_at": "2025-06-03T12:00:00Z"}),
    )
    .await;
    for (customer, units) in [("K4", 3), ("K5", 5)] {
        let body = json!({"customer_id": ids[customer], "ordered_at": "2025-04-10T12:00:00Z", "status": "paid",
                          "items": [{"product_id": product, "quantity": units}]});
        create(&app, &admin, "orders", body).await;
    }

    let types = |body: &Value| -> Vec<(String, i64, i64, i64, i64)> {
        body["by_type"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let n = |field: &str| t[field].as_i64().unwrap();
                (t["type"].as_str().unwrap().into(), n("activities"), n("inbound"), n("outbound"), n("unspecified"))
            })
            .collect()
    };
    let uncontacted = |body: &Value| -> Vec<(String, String, Option<String>)> {
        body["top_uncontacted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["label"].as_str().unwrap().into(),
                    c["revenue"].as_str().unwrap().into(),
                    c["last_activity_at"].as_str().map(String::from),
                )
            })
            .collect()
    };

    let reply = app.get(&format!("/api/v1/stats/customers/interactions?{JUNE}"), Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = &reply.body;
    assert_eq!(body["activities"], 7);
    assert_eq!(
        types(body),
        vec![
            ("call".into(), 2, 1, 1, 0),
            ("email".into(), 3, 1, 2, 0),
            ("meeting".into(), 1, 0, 0, 1),
            ("visit".into(), 1, 0, 1, 0),
            ("social".into(), 0, 0, 0, 0),
            ("note".into(), 0, 0, 0, 0),
        ]
    );
    assert_eq!(body["by_type"][1]["share"], 3.0 / 7.0);
    assert_eq!((body["customers"].as_i64(), body["customers_contacted"].as_i64()), (Some(6), Some(3)));
    assert_eq!(body["contacted_share"], 0.5);
    assert!((body["per_customer"]["avg"].as_f64().unwrap() - 7.0 / 3.0).abs() < 1e-12);
    assert_eq!(body["per_customer"]["p50"], 2.0);
    assert!((body["per_customer"]["p90"].as_f64().unwrap() - 3.6).abs() < 1e-12);
    assert_eq!((body["inactive_days"].as_i64(), body["uncontacted"].as_i64()), (Some(30), Some(3)));
    assert_eq!(
        uncontacted(body),
        vec![
            ("K5".into(), "50.00".into(), None),
            ("K4".into(), "30.00".into(), Some("2025-05-20T12:00:00Z".into())),
            ("K6".into(), "0.00".into(), None),
        ]
    );

    // Ten days: K2 (15th) and K3 (20th) join; K1 (25th, 28th) does not.
    let reply =
        app.get(&format!("/api/v1/stats/customers/interactions?{JUNE}&inactive_days=10&limit=2"), Some(&admin)).await;
    assert_eq!(reply.body["uncontacted"], 5);
    assert_eq!(uncontacted(&reply.body).len(), 2);

    // The rep sees K1 only.
    let reply = app.get(&format!("/api/v1/stats/customers/interactions?{JUNE}"), Some(&rep)).await;
    let body = &reply.body;
    assert_eq!((body["activities"].as_i64(), body["customers"].as_i64()), (Some(4), Some(1)));
    assert_eq!((body["per_customer"]["p50"].as_f64(), body["per_customer"]["p90"].as_f64()), (Some(4.0), Some(4.0)));
    assert_eq!(body["uncontacted"], 0);

    // A window without activities.
    let reply = app.get("/api/v1/stats/customers/interactions?from=2024-06-01&to=2024-07-01", Some(&admin)).await;
    assert_eq!(reply.body["activities"], 0);
    assert_eq!(reply.body["per_customer"], json!({"avg": null, "p50": null, "p90": null}));
    assert_eq!(reply.body["customers"], 0);
    assert_eq!(reply.body["contacted_share"], Value::Null);

    for (query, field) in
        [("inactive_days=0", "inactive_days"), ("limit=0", "limit"), ("compare=previous_year", "compare")]
    {
        let reply = app.get(&format!("/api/v1/stats/customers/interactions?{JUNE}&{query}"), Some(&admin)).await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.text);
        assert_eq!(reply.error_fields(), vec![field], "{query}: {}", reply.text);
    }
}
