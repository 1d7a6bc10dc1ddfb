use serde_json::{Value, json};

use crate::helpers::{TestApp, create, exercise_crud, spawn_app};

async fn catalog(app: &TestApp, token: &str) -> (String, String, String) {
    let customer = create(app, token, "customers", json!({"name": "Acme", "region": "East"})).await;
    let tea = create(
        app,
        token,
        "products",
        json!({"sku": "TEA", "name": "Tea", "unit_price": "89.00", "unit_cost": "41.50"}),
    )
    .await;
    let cup = create(
        app,
        token,
        "products",
        json!({"sku": "CUP", "name": "Cup", "unit_price": "19.99", "unit_cost": "5.00"}),
    )
    .await;
    (customer, tea, cup)
}

#[tokio::test]
async fn orders_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (customer, tea, cup) = catalog(&app, &admin).await;
    exercise_crud(
        &app,
        &admin,
        "orders",
        &[
            json!({"customer_id": customer, "channel": "online", "items": [{"product_id": tea, "quantity": 1}]}),
            json!({"customer_id": customer, "channel": "store", "status": "paid", "items": [{"product_id": cup, "quantity": 2}]}),
            json!({"customer_id": customer, "channel": "online", "ordered_at": "2024-05-01T10:00:00Z", "status": "completed",
                   "items": [{"product_id": tea, "quantity": 1}, {"product_id": cup, "quantity": 1}]}),
        ],
        ("channel=online", 2),
        &json!({"channel": "phone"}),
    )
    .await;
}

#[tokio::test]
async fn totals_are_computed_exactly_from_the_items() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (customer, tea, cup) = catalog(&app, &admin).await;
    let reply = app
        .post(
            "/api/v1/orders",
            Some(&admin),
            &json!({"customer_id": customer, "items": [
                {"product_id": tea, "quantity": 3, "discount": "10.00"},
                {"product_id": cup, "quantity": 3, "unit_price": 0.1, "unit_cost": "0.02"}
            ]}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let order = &reply.body;
    assert_eq!(order["status"], "pending");
    assert_eq!(order["region"], "East", "defaults to the customer's region");
    assert_eq!(order["items"][0]["unit_price"], "89.00", "defaults to the product's price");
    assert_eq!(order["items"][0]["amount"], "257.00");
    assert_eq!(order["items"][0]["cost"], "124.50");
    assert_eq!(order["items"][1]["amount"], "0.30");
    assert_eq!(order["items"][1]["cost"], "0.06");
    assert_eq!(order["total_amount"], "257.30");
    assert_eq!(order["total_cost"], "124.56");

    // Replacing the items recomputes the totals.
    let id = order["id"].as_str().unwrap();
    let patched = app
        .patch(&format!("/api/v1/orders/{id}"), Some(&admin), &json!({"items": [{"product_id": cup, "quantity": 10}]}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(patched.body["total_amount"], "199.90");
    assert_eq!(patched.body["total_cost"], "50.00");

    // Read-only totals cannot be written.
    let reply = app.patch(&format!("/api/v1/orders/{id}"), Some(&admin), &json!({"total_amount": "1.00"})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["total_amount"]);
}

#[tokio::test]
async fn invalid_items_name_the_line_and_write_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (customer, tea, _) = catalog(&app, &admin).await;
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!([]), vec!["items"]),
        (json!([{"product_id": tea, "quantity": 0}]), vec!["items[0].quantity"]),
        (
            json!([{"product_id": tea, "quantity": 1}, {"product_id": tea, "quantity": 1, "discount": "89.01"}]),
            vec!["items[1].discount"],
        ),
        (json!([{"product_id": uuid::Uuid::now_v7(), "quantity": 1}]), vec!["items[0].product_id"]),
        (json!([{"product_id": tea, "quantity": 1, "unit_price": "-1"}]), vec!["items[0].unit_price"]),
        (json!([{"product_id": tea, "quantity": 1, "colour": "red"}]), vec!["items[0].colour"]),
    ];
    for (items, fields) in cases {
        let reply = app.post("/api/v1/orders", Some(&admin), &json!({"customer_id": customer, "items": items})).await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), fields, "{items}");
    }
    let reply = app
        .post(
            "/api/v1/orders",
            Some(&admin),
            &json!({"customer_id": uuid::Uuid::now_v7(), "items": [{"product_id": tea, "quantity": 1}]}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["customer_id"]);
    let orders = app.get("/api/v1/orders?count=true", Some(&admin)).await;
    assert_eq!(orders.body["total"], 0);
}

#[tokio::test]
async fn order_status_moves_forward_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (customer, tea, _) = catalog(&app, &admin).await;
    let id =
        create(&app, &admin, "orders", json!({"customer_id": customer, "items": [{"product_id": tea, "quantity": 1}]}))
            .await;
    let path = format!("/api/v1/orders/{id}");
    assert_eq!(app.patch(&path, Some(&admin), &json!({"status": "paid"})).await.status, 200);
    let back = app.patch(&path, Some(&admin), &json!({"status": "pending"})).await;
    back.assert_problem(422);
    assert_eq!(back.error_fields(), vec!["status"]);
    app.patch(&path, Some(&admin), &json!({"status": "cancelled"})).await.assert_problem(422);
    assert_eq!(app.patch(&path, Some(&admin), &json!({"status": "refunded"})).await.status, 200);
    app.patch(&path, Some(&admin), &json!({"status": "paid"})).await.assert_problem(422);
    let items = app.patch(&path, Some(&admin), &json!({"items": [{"product_id": tea, "quantity": 2}]})).await;
    items.assert_problem(422);
    assert_eq!(items.error_fields(), vec!["items"]);
    assert_eq!(app.get(&path, Some(&admin)).await.body["status"], "refunded");
}

#[tokio::test]
async fn orders_are_scoped_to_their_owner_and_audited_with_the_actor() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let tea = create(&app, &admin, "products", json!({"sku": "TEA", "name": "Tea", "unit_price": 10})).await;
    let (rep_a_id, rep_a) = app.user_with_role(&admin, "sales", None).await;
    let (_, rep_b) = app.user_with_role(&admin, "sales", None).await;
    let customer = create(&app, &rep_a, "customers", json!({"name": "A's customer"})).await;
    let order =
        create(&app, &rep_a, "orders", json!({"customer_id": customer, "items": [{"product_id": tea, "quantity": 1}]}))
            .await;
    let fetched = app.get(&format!("/api/v1/orders/{order}"), Some(&rep_a)).await;
    assert_eq!(fetched.body["owner_id"], rep_a_id.as_str());

    app.get(&format!("/api/v1/orders/{order}"), Some(&rep_b)).await.assert_problem(404);
    app.get(&format!("/api/v1/customers/{customer}"), Some(&rep_b)).await.assert_problem(404);
    app.patch(&format!("/api/v1/orders/{order}"), Some(&rep_b), &json!({"status": "paid"})).await.assert_problem(404);
    let reply = app
        .post(
            "/api/v1/orders",
            Some(&rep_b),
            &json!({"customer_id": customer, "items": [{"product_id": tea, "quantity": 1}]}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["customer_id"]);

    assert_eq!(
        app.patch(&format!("/api/v1/orders/{order}"), Some(&rep_a), &json!({"status": "paid"})).await.status,
        200
    );
    let audit = app.get(&format!("/api/v1/audit?resource=orders&record_id={order}"), Some(&admin)).await;
    let entries = audit.body["data"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e["actor_id"] == rep_a_id.as_str()));
    assert_eq!(entries[0]["action"], "update");
    assert_eq!(entries[0]["changes"]["status"], json!({"before": "pending", "after": "paid"}));
    assert_eq!(entries[1]["action"], "create");
    assert_eq!(entries[1]["changes"]["total_amount"]["after"], "10.00");
}
