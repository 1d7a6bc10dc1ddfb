use serde_json::json;

use crate::helpers::{create, exercise_crud, spawn_app};

#[tokio::test]
async fn products_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    exercise_crud(
        &app,
        &admin,
        "products",
        &[
            json!({"sku": "TEA-1", "name": "Oolong", "category": "Tea", "unit_price": "89.00", "unit_cost": "41.50"}),
            json!({"sku": "TEA-2", "name": "Pu-erh", "category": "Tea", "unit_price": 120}),
            json!({"sku": "CUP-1", "name": "Cup", "category": "Ware", "unit_price": 19.99, "active": false}),
        ],
        ("category=Tea", 2),
        &json!({"unit_price": "95.00", "name": "Oolong premium"}),
    )
    .await;
}

#[tokio::test]
async fn money_is_exact_and_validated() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id =
        create(&app, &admin, "products", json!({"sku": "A", "name": "A", "unit_price": 19.99, "unit_cost": "0.1"}))
            .await;
    let product = app.get(&format!("/api/v1/products/{id}"), Some(&admin)).await.body;
    assert_eq!(product["unit_price"], "19.99");
    assert_eq!(product["unit_cost"], "0.10");

    for (price, field) in [
        (json!("19.999"), "unit_price"),
        (json!(-1), "unit_price"),
        (json!("1e3"), "unit_price"),
        (json!(true), "unit_price"),
    ] {
        let reply =
            app.post("/api/v1/products", Some(&admin), &json!({"sku": "B", "name": "B", "unit_price": price})).await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), vec![field], "{price}");
    }
    let duplicate =
        app.post("/api/v1/products", Some(&admin), &json!({"sku": "A", "name": "Again", "unit_price": 1})).await;
    duplicate.assert_problem(409);
    assert_eq!(duplicate.error_fields(), vec!["sku"]);
}

#[tokio::test]
async fn everyone_reads_the_catalog_but_only_admins_and_managers_change_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = create(&app, &admin, "products", json!({"sku": "A", "name": "A", "unit_price": 1})).await;
    for role in ["sales", "marketing", "service", "analyst"] {
        let (_, token) = app.user_with_role(&admin, role, None).await;
        assert_eq!(app.get(&format!("/api/v1/products/{id}"), Some(&token)).await.status, 200, "{role} reads");
        app.post("/api/v1/products", Some(&token), &json!({"sku": role, "name": "X", "unit_price": 1}))
            .await
            .assert_problem(403);
        app.patch(&format!("/api/v1/products/{id}"), Some(&token), &json!({"name": "X"})).await.assert_problem(403);
    }
    let (_, manager) = app.user_with_role(&admin, "manager", None).await;
    assert_eq!(app.patch(&format!("/api/v1/products/{id}"), Some(&manager), &json!({"name": "M"})).await.status, 200);
}
