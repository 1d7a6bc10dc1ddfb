use serde_json::json;

use crate::helpers::{create, exercise_crud, spawn_app};

#[tokio::test]
async fn contacts_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let acme = create(&app, &admin, "customers", json!({"name": "Acme"})).await;
    let other = create(&app, &admin, "customers", json!({"name": "Other"})).await;
    exercise_crud(
        &app,
        &admin,
        "contacts",
        &[
            json!({"customer_id": acme, "name": "Wang Fang", "title": "Buyer", "email": "wf@acme.example"}),
            json!({"customer_id": acme, "name": "Li Lei", "phone": "123 4567"}),
            json!({"customer_id": other, "name": "Han Mei"}),
        ],
        (&format!("customer_id={acme}"), 2),
        &json!({"title": "Head buyer", "phone": null}),
    )
    .await;
}

#[tokio::test]
async fn contacts_follow_the_scope_of_their_customer() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rep_a_id, rep_a) = app.user_with_role(&admin, "sales", None).await;
    let (_, rep_b) = app.user_with_role(&admin, "sales", None).await;
    let mine = create(&app, &rep_a, "customers", json!({"name": "Mine"})).await;
    let contact = create(&app, &rep_a, "contacts", json!({"customer_id": mine, "name": "C"})).await;
    let customer = app.get(&format!("/api/v1/customers/{mine}"), Some(&rep_a)).await;
    assert_eq!(customer.body["owner_id"], rep_a_id.as_str());

    app.get(&format!("/api/v1/contacts/{contact}"), Some(&rep_b)).await.assert_problem(404);
    let reply = app.post("/api/v1/contacts", Some(&rep_b), &json!({"customer_id": mine, "name": "Sneaky"})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["customer_id"]);
    assert!(app.get("/api/v1/contacts", Some(&rep_b)).await.body["data"].as_array().unwrap().is_empty());
}
