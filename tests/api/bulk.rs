//! Bulk upsert by `external_id`: 1,000 customers with 10 bad ones create
//! 990 and report the 10 by field; the same call again changes nothing;
//! orders name their customer and products by external id.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn statuses(body: &Value) -> (u64, u64, u64, u64) {
    let n = |k: &str| body[k].as_u64().unwrap();
    (n("created"), n("updated"), n("unchanged"), n("failed"))
}

#[tokio::test]
async fn bulk_upserts_by_external_id_and_reports_each_record() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let records: Vec<Value> = (0..1000)
        .map(|i| {
            if i % 100 == 7 {
                json!({"external_id": format!("ERP-{i}"), "name": "", "email": "not-an-email"})
            } else {
                json!({"external_id": format!("ERP-{i}"), "name": format!("Customer {i}"), "city": "Lyon",
                       "created_at": "2024-05-01T00:00:00Z"})
            }
        })
        .collect();
    let body = json!({"records": records});

    let reply = app.post("/api/v1/customers/bulk", Some(&admin), &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(statuses(&reply.body), (990, 0, 0, 10));
    let results = reply.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1000);
    let bad = &results[7];
    assert_eq!(
        (bad["index"].as_u64(), bad["status"].as_str(), bad["external_id"].as_str()),
        (Some(7), Some("failed"), Some("ERP-7"))
    );
    let fields: Vec<&str> = bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"name") && fields.contains(&"email"), "{fields:?}");
    assert!(bad.get("id").is_none_or(Value::is_null));
    assert_eq!(results[8]["status"], "created");
    let id = results[8]["id"].as_str().unwrap();
    let created = app.get(&format!("/api/v1/customers/{id}"), Some(&admin)).await;
    assert_eq!(
        (created.body["external_id"].as_str(), created.body["created_at"].as_str()),
        (Some("ERP-8"), Some("2024-05-01T00:00:00Z"))
    );
    let listed = app.get("/api/v1/customers?limit=1&count=true", Some(&admin)).await;
    assert_eq!(listed.body["total"], 990);

    // The same call again: nothing to do (no new versions).
    let reply = app.post("/api/v1/customers/bulk", Some(&admin), &body).await;
    assert_eq!(statuses(&reply.body), (0, 0, 990, 10));
    assert_eq!(reply.body["results"][8]["id"].as_str(), Some(id));
    let again = app.get(&format!("/api/v1/customers/{id}"), Some(&admin)).await;
    assert_eq!(again.body["version"], created.body["version"]);

    // Changes and fixes: two renamed, one bad record fixed.
    let reply = app
        .post(
            "/api/v1/customers/bulk",
            Some(&admin),
            &json!({"records": [
                {"external_id": "ERP-1", "name": "Renamed 1"},
                {"external_id": "ERP-2", "name": "Customer 2", "city": "Paris"},
                {"external_id": "ERP-3", "name": "Customer 3"},
                {"external_id": "ERP-7", "name": "Fixed 7"},
                {"name": "No key"},
                "not an object"
            ]}),
        )
        .await;
    assert_eq!(statuses(&reply.body), (1, 2, 1, 2), "{}", reply.text);
    assert_eq!(reply.body["results"][4]["errors"][0]["field"], "external_id");

    // Orders and products by external id, items included.
    let products = json!({"records": [
        {"external_id": "SKU-A", "sku": "A", "name": "Anvil", "unit_price": "12.50"},
        {"external_id": "SKU-B", "sku": "B", "name": "Bolt", "unit_price": "0.40"}
    ]});
    assert_eq!(statuses(&app.post("/api/v1/products/bulk", Some(&admin), &products).await.body), (2, 0, 0, 0));
    let orders = json!({"records": [
        {"external_id": "SO-1", "customer_external_id": "ERP-1", "status": "paid", "ordered_at": "2025-03-03T10:00:00Z",
         "items": [{"product_external_id": "SKU-A", "quantity": 2}, {"product_external_id": "SKU-B", "quantity": 10}]},
        {"external_id": "SO-2", "customer_external_id": "NOPE-1", "items": [{"product_external_id": "SKU-A", "quantity": 1}]},
        {"external_id": "SO-3", "customer_external_id": "ERP-2", "items": [{"product_external_id": "SKU-Z", "quantity": 1}]}
    ]});
    let reply = app.post("/api/v1/orders/bulk", Some(&admin), &orders).await;
    assert_eq!(statuses(&reply.body), (1, 0, 0, 2), "{}", reply.text);
    assert_eq!(reply.body["results"][1]["errors"][0]["field"], "customer_external_id");
    assert_eq!(reply.body["results"][2]["errors"][0]["field"], "items[0].product_external_id");
    let order =
        app.get(&format!("/api/v1/orders/{}", reply.body["results"][0]["id"].as_str().unwrap()), Some(&admin)).await;
    assert_eq!(order.body["total_amount"], "29.00", "{}", order.text);
    let reply = app.post("/api/v1/orders/bulk", Some(&admin), &orders).await;
    assert_eq!(reply.body["results"][0]["status"], "unchanged", "{}", reply.text);

    // Limits and rights.
    let too_many: Vec<Value> = (0..1001).map(|i| json!({"external_id": format!("X-{i}"), "name": "X"})).collect();
    let reply = app.post("/api/v1/customers/bulk", Some(&admin), &json!({"records": too_many})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), ["records"]);
    let (_, marketing) = app.user_with_role(&admin, "marketing", None).await;
    app.post("/api/v1/customers/bulk", Some(&marketing), &body).await.assert_problem(403);
}
