//! Sales targets and tasks.

use serde_json::json;

use crate::helpers::{create, exercise_crud, spawn_app};

#[tokio::test]
async fn targets_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rep, _) = app.user_with_role(&admin, "sales", None).await;
    let team = create(&app, &admin, "teams", json!({"name": "East"})).await;
    exercise_crud(
        &app,
        &admin,
        "targets",
        &[
            json!({"owner_id": rep, "period": "month", "period_start": "2025-06-01", "metric": "revenue", "target_value": "150000.00"}),
            json!({"owner_id": rep, "period": "quarter", "period_start": "2025-04-01", "metric": "deals_won", "target_value": 12}),
            json!({"team_id": team, "period": "year", "period_start": "2025-01-01", "metric": "revenue", "target_value": 2000000}),
        ],
        ("metric=revenue", 2),
        &json!({"target_value": "160000.00"}),
    )
    .await;
}

#[tokio::test]
async fn targets_are_checked() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rep, rep_token) = app.user_with_role(&admin, "sales", None).await;
    let base = json!({"owner_id": rep, "period": "month", "period_start": "2025-06-01", "metric": "revenue", "target_value": "100.00"});
    let created = app.post("/api/v1/targets", Some(&admin), &base).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["target_value"], "100.00");
    app.post("/api/v1/targets", Some(&admin), &base).await.assert_problem(409);

    let mut misaligned = base.clone();
    misaligned["period_start"] = json!("2025-06-02");
    let reply = app.post("/api/v1/targets", Some(&admin), &misaligned).await;
    assert_eq!(reply.error_fields(), vec!["period_start"]);
    let mut quarter = base.clone();
    quarter["period"] = json!("quarter");
    quarter["period_start"] = json!("2025-05-01");
    assert_eq!(app.post("/api/v1/targets", Some(&admin), &quarter).await.error_fields(), vec!["period_start"]);
    let mut fractional = base.clone();
    fractional["metric"] = json!("new_customers");
    fractional["target_value"] = json!(2.5);
    assert_eq!(app.post("/api/v1/targets", Some(&admin), &fractional).await.error_fields(), vec!["target_value"]);
    let mut both = base.clone();
    both["team_id"] = json!(uuid::Uuid::now_v7());
    assert_eq!(app.post("/api/v1/targets", Some(&admin), &both).await.error_fields(), vec!["owner_id"]);

    let mut count = base.clone();
    count["metric"] = json!("new_customers");
    count["target_value"] = json!(8);
    let reply = app.post("/api/v1/targets", Some(&admin), &count).await;
    assert_eq!(reply.body["target_value"], 8);

    // Reps read their own targets but cannot set them.
    let mine = app.get("/api/v1/targets", Some(&rep_token)).await;
    assert_eq!(mine.body["data"].as_array().unwrap().len(), 2);
    app.post("/api/v1/targets", Some(&rep_token), &base).await.assert_problem(403);
}

#[tokio::test]
async fn tasks_crud_and_completion() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let customer = create(&app, &admin, "customers", json!({"name": "Acme"})).await;
    exercise_crud(
        &app,
        &admin,
        "tasks",
        &[
            json!({"title": "Call back", "related_type": "customer", "related_id": customer, "due_at": "2030-01-01T09:00:00Z"}),
            json!({"title": "Send quote", "related_type": "customer", "related_id": customer}),
            json!({"title": "Plan week"}),
        ],
        (&format!("related_id={customer}"), 2),
        &json!({"title": "Call back soon"}),
    )
    .await;

    let id = create(&app, &admin, "tasks", json!({"title": "Do it"})).await;
    let done = app.patch(&format!("/api/v1/tasks/{id}"), Some(&admin), &json!({"status": "done"})).await;
    assert!(done.body["completed_at"].is_string());
    let reopened = app.patch(&format!("/api/v1/tasks/{id}"), Some(&admin), &json!({"status": "open"})).await;
    assert_eq!(reopened.body["completed_at"], json!(null));

    let reply = app
        .post(
            "/api/v1/tasks",
            Some(&admin),
            &json!({"title": "X", "related_type": "order", "related_id": uuid::Uuid::now_v7()}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["related_id"]);
    let reply = app.post("/api/v1/tasks", Some(&admin), &json!({"title": "X", "related_id": customer})).await;
    assert_eq!(reply.error_fields(), vec!["related_type"]);
}

#[tokio::test]
async fn tasks_belong_to_their_assignee() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, rep_a) = app.user_with_role(&admin, "sales", None).await;
    let (rep_b_id, rep_b) = app.user_with_role(&admin, "sales", None).await;
    let task = create(&app, &rep_a, "tasks", json!({"title": "Mine"})).await;
    app.get(&format!("/api/v1/tasks/{task}"), Some(&rep_b)).await.assert_problem(404);
    let reply = app.post("/api/v1/tasks", Some(&rep_a), &json!({"title": "For B", "assignee_id": rep_b_id})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["assignee_id"]);
}
