use serde_json::json;

use crate::helpers::{create, exercise_crud, spawn_app};

#[tokio::test]
async fn customers_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    exercise_crud(
        &app,
        &admin,
        "customers",
        &[
            json!({"name": "Acme Trading", "kind": "company", "region": "East", "email": "Buyer@Acme.example", "tags": ["vip", " vip ", "east"]}),
            json!({"name": "Li Na", "gender": "female", "birth_date": "1990-04-01", "region": "West", "phone": "+86 (10) 1234-5678"}),
            json!({"name": "Bo Chen", "region": "East", "lifecycle_stage": "customer", "created_at": "2024-01-15T10:00:00Z"}),
        ],
        ("region=East", 2),
        &json!({"lifecycle_stage": "churned", "phone": null, "segment": "smb"}),
    )
    .await;
}

#[tokio::test]
async fn customer_fields_are_cleaned_and_validated() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = create(
        &app,
        &admin,
        "customers",
        json!({"name": " Acme ", "email": "Buyer@Acme.Example", "city": "  ", "tags": ["a", "a", "b"]}),
    )
    .await;
    let customer = app.get(&format!("/api/v1/customers/{id}"), Some(&admin)).await.body;
    assert_eq!(customer["name"], "Acme");
    assert_eq!(customer["email"], "buyer@acme.example");
    assert_eq!(customer["city"], json!(null), "blank is absent");
    assert_eq!(customer["tags"], json!(["a", "b"]));
    assert_eq!(customer["kind"], "individual");
    assert_eq!(customer["lifecycle_stage"], "prospect");
    assert_eq!(customer["owner_id"], app.get("/api/v1/auth/me", Some(&admin)).await.body["id"]);

    let reply = app
        .post(
            "/api/v1/customers",
            Some(&admin),
            &json!({"name": "X", "email": "nope", "kind": "robot", "birth_date": "1800-01-01", "created_at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(
        reply.error_fields(),
        vec!["birth_date", "created_at", "email", "kind"],
        "an unknown enum value is named with the rule errors"
    );
    let reply = app
        .post(
            "/api/v1/customers",
            Some(&admin),
            &json!({"name": "X", "email": "nope", "birth_date": "1800-01-01", "created_at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["birth_date", "created_at", "email"]);
    let reply = app.post("/api/v1/customers", Some(&admin), &json!({"name": "X", "birth_date": "2020-02-30"})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["birth_date"]);
    let reply =
        app.post("/api/v1/customers", Some(&admin), &json!({"name": "X", "owner_id": uuid::Uuid::now_v7()})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["owner_id"]);
    let total = app.get("/api/v1/customers?count=true", Some(&admin)).await;
    assert_eq!(total.body["total"], 1, "failed requests wrote nothing");
}

#[tokio::test]
async fn customer_search_covers_name_email_and_phone() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    create(&app, &admin, "customers", json!({"name": "Zhang Wei", "email": "zw@example.com"})).await;
    create(&app, &admin, "customers", json!({"name": "Other", "phone": "138-0013-8000"})).await;
    let by_name = app.get("/api/v1/customers?q=zhang", Some(&admin)).await;
    assert_eq!(by_name.body["data"].as_array().unwrap().len(), 1);
    let by_email = app.get("/api/v1/customers?q=ZW%40EXAMPLE", Some(&admin)).await;
    assert_eq!(by_email.body["data"].as_array().unwrap().len(), 1);
    let by_phone = app.get("/api/v1/customers?q=0013", Some(&admin)).await;
    assert_eq!(by_phone.body["data"][0]["name"], "Other");
}

#[tokio::test]
async fn each_list_documents_what_q_searches_and_a_list_without_search_refuses_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let doc = app.get("/api-docs/openapi.json", None).await.body;
    let q = |path: &str| {
        doc["paths"][path]["get"]["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "q").unwrap()
            ["description"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        q("/api/v1/customers"),
        "Case-insensitive search in `name`, `email` and `phone`; empty means no search."
    );
    assert_eq!(q("/api/v1/orders/export"), q("/api/v1/orders"), "an export searches as its list");
    assert!(q("/api/v1/orders").contains("`external_id`"), "{}", q("/api/v1/orders"));
    assert!(q("/api/v1/targets").contains("no text search"), "{}", q("/api/v1/targets"));

    // Orders are found by what their `q` says it searches.
    let customer = create(&app, &admin, "customers", json!({"name": "Buyer"})).await;
    let tea = create(&app, &admin, "products", json!({"name": "Tea", "sku": "T-1", "unit_price": "10.00"})).await;
    let items = json!([{"product_id": tea, "quantity": 1}]);
    create(&app, &admin, "orders", json!({"customer_id": customer, "external_id": "ERP-7781", "items": items})).await;
    // (A list's length is counted in items, not characters.)
    let empty = app.post("/api/v1/orders", Some(&admin), &json!({"customer_id": customer, "items": []})).await;
    empty.assert_problem(422);
    assert_eq!(empty.body["errors"][0]["message"], "must have between 1 and 500 items", "{}", empty.text);
    let found = app.get("/api/v1/orders?q=erp-77", Some(&admin)).await;
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(found.body["data"][0]["external_id"], "ERP-7781");

    // Targets have no text search: a search is refused, not answered with nothing.
    let refused = app.get("/api/v1/targets?q=anything", Some(&admin)).await;
    refused.assert_problem(422);
    assert_eq!(refused.error_fields(), vec!["q"]);
    assert_eq!(app.get("/api/v1/targets?q=", Some(&admin)).await.status, 200, "an empty q is no search");
    app.get("/api/v1/targets/export?q=anything", Some(&admin)).await.assert_problem(422);
}
