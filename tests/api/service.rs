//! Activities, tickets and feedback.

use serde_json::json;

use crate::helpers::{create, exercise_crud, spawn_app};

#[tokio::test]
async fn activities_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let customer = create(&app, &admin, "customers", json!({"name": "Acme"})).await;
    exercise_crud(
        &app,
        &admin,
        "activities",
        &[
            json!({"type": "call", "direction": "outbound", "customer_id": customer, "subject": "Intro call", "duration_minutes": 15}),
            json!({"type": "email", "customer_id": customer, "subject": "Quote"}),
            json!({"type": "call", "subject": "Cold call", "occurred_at": "2025-01-05T10:00:00Z"}),
        ],
        ("type=call", 2),
        &json!({"outcome": "Interested", "direction": "inbound"}),
    )
    .await;
}

#[tokio::test]
async fn activity_links_must_agree() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let acme = create(&app, &admin, "customers", json!({"name": "Acme"})).await;
    let other = create(&app, &admin, "customers", json!({"name": "Other"})).await;
    let contact = create(&app, &admin, "contacts", json!({"customer_id": other, "name": "C"})).await;
    let reply = app
        .post(
            "/api/v1/activities",
            Some(&admin),
            &json!({"type": "call", "subject": "X", "customer_id": acme, "contact_id": contact}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["contact_id"]);
    let reply = app
        .post("/api/v1/activities", Some(&admin), &json!({"type": "call", "subject": "X", "contact_id": contact}))
        .await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.body["customer_id"], other.as_str(), "the customer follows the contact");
}

#[tokio::test]
async fn tickets_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let customer = create(&app, &admin, "customers", json!({"name": "Acme"})).await;
    exercise_crud(
        &app,
        &admin,
        "tickets",
        &[
            json!({"customer_id": customer, "subject": "Broken", "priority": "high", "category": "product"}),
            json!({"customer_id": customer, "subject": "Late", "category": "delivery"}),
            json!({"customer_id": customer, "subject": "Invoice", "priority": "high", "channel": "email"}),
        ],
        ("priority=high", 2),
        &json!({"category": "billing", "description": "Wrong VAT"}),
    )
    .await;
}

#[tokio::test]
async fn resolving_and_rating_a_ticket_sets_its_times() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (agent_id, agent) = app.user_with_role(&admin, "service", None).await;
    let customer = create(&app, &admin, "customers", json!({"name": "Acme"})).await;
    let id = create(
        &app,
        &agent,
        "tickets",
        json!({"customer_id": customer, "subject": "Damaged parcel", "assignee_id": agent_id}),
    )
    .await;
    let base = format!("/api/v1/tickets/{id}");

    // Not resolved yet: cannot be rated.
    app.post(&format!("{base}/rate"), Some(&agent), &json!({"score": 5})).await.assert_problem(409);

    let responded = app.post(&format!("{base}/respond"), Some(&agent), &json!({})).await;
    assert_eq!(responded.status, 200, "{}", responded.text);
    assert_eq!(responded.body["status"], "pending");
    let first_response = responded.body["first_response_at"].as_str().unwrap().to_string();
    // A second response keeps the first response time and changes nothing.
    let again = app.post(&format!("{base}/respond"), Some(&agent), &json!({})).await;
    assert_eq!(again.body["first_response_at"], first_response.as_str());
    assert_eq!(again.body["version"], 2);

    let resolved = app.post(&format!("{base}/resolve"), Some(&agent), &json!({})).await;
    assert_eq!(resolved.status, 200);
    assert_eq!(resolved.body["status"], "resolved");
    assert!(resolved.body["resolved_at"].as_str().unwrap() >= first_response.as_str());
    assert_eq!(resolved.body["closed_at"], json!(null));
    app.post(&format!("{base}/resolve"), Some(&agent), &json!({})).await.assert_problem(409);

    let reply = app.post(&format!("{base}/rate"), Some(&agent), &json!({"score": 6})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["score"]);
    let rated = app.post(&format!("{base}/rate"), Some(&agent), &json!({"score": 4, "comment": "Quick"})).await;
    assert_eq!(rated.status, 200, "{}", rated.text);
    assert_eq!(rated.body["satisfaction_score"], 4);
    assert_eq!(rated.body["satisfaction_comment"], "Quick");
    assert_eq!(rated.body["version"], 4);

    let closed = app.post(&format!("{base}/close"), Some(&agent), &json!({})).await;
    assert_eq!(closed.body["status"], "closed");
    assert_eq!(closed.body["resolved_at"], resolved.body["resolved_at"], "closing keeps the resolution time");

    let audit = app.get(&format!("/api/v1/audit?record_id={id}"), Some(&admin)).await;
    let actions: Vec<&str> =
        audit.body["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["close", "rate", "resolve", "respond", "create"]);
    assert!(audit.body["data"].as_array().unwrap().iter().all(|e| e["actor_id"] == agent_id.as_str()));

    // Reopening clears the resolution and the rating.
    let reopened = app.patch(&base, Some(&agent), &json!({"status": "open"})).await;
    assert_eq!(reopened.status, 200, "{}", reopened.text);
    assert_eq!(reopened.body["resolved_at"], json!(null));
    assert_eq!(reopened.body["satisfaction_score"], json!(null));
    assert_eq!(reopened.body["first_response_at"], first_response.as_str());
    let reply = app.patch(&base, Some(&agent), &json!({"status": "resolved"})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["status"]);
}

#[tokio::test]
async fn closing_an_unresolved_ticket_resolves_it_and_imports_keep_times() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let customer = create(&app, &admin, "customers", json!({"name": "Acme"})).await;
    let id = create(&app, &admin, "tickets", json!({"customer_id": customer, "subject": "Spam"})).await;
    let closed = app.post(&format!("/api/v1/tickets/{id}/close"), Some(&admin), &json!({})).await;
    assert_eq!(closed.body["status"], "closed");
    assert_eq!(closed.body["resolved_at"], closed.body["closed_at"]);
    assert_eq!(closed.body["first_response_at"], closed.body["closed_at"]);

    let imported = app
        .post(
            "/api/v1/tickets",
            Some(&admin),
            &json!({"customer_id": customer, "subject": "Old", "status": "closed", "priority": "urgent",
                    "created_at": "2024-05-01T08:00:00Z", "first_response_at": "2024-05-01T08:30:00Z",
                    "resolved_at": "2024-05-01T11:00:00Z", "closed_at": "2024-05-02T09:00:00Z", "satisfaction_score": 5}),
        )
        .await;
    assert_eq!(imported.status, 201, "{}", imported.text);
    assert_eq!(imported.body["resolved_at"], "2024-05-01T11:00:00Z");
    for (body, field) in [
        (json!({"status": "open", "resolved_at": "2024-05-01T11:00:00Z"}), "resolved_at"),
        (
            json!({"status": "resolved", "created_at": "2024-05-01T08:00:00Z", "resolved_at": "2024-04-01T11:00:00Z"}),
            "resolved_at",
        ),
        (json!({"status": "open", "satisfaction_score": 3}), "satisfaction_score"),
        (
            json!({"status": "resolved", "created_at": "2024-05-01T08:00:00Z", "first_response_at": "2024-05-03T08:00:00Z", "resolved_at": "2024-05-02T08:00:00Z"}),
            "first_response_at",
        ),
    ] {
        let mut body = body;
        body["customer_id"] = json!(customer);
        body["subject"] = json!("Bad import");
        let reply = app.post("/api/v1/tickets", Some(&admin), &body).await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), vec![field], "{body}");
    }
}

#[tokio::test]
async fn service_agents_see_the_customers_their_tickets_touch() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, agent) = app.user_with_role(&admin, "service", None).await;
    let with_ticket = create(&app, &admin, "customers", json!({"name": "Has a ticket"})).await;
    let without = create(&app, &admin, "customers", json!({"name": "Quiet"})).await;
    create(&app, &agent, "tickets", json!({"customer_id": with_ticket, "subject": "Help"})).await;
    assert_eq!(app.get(&format!("/api/v1/customers/{with_ticket}"), Some(&agent)).await.status, 200);
    app.get(&format!("/api/v1/customers/{without}"), Some(&agent)).await.assert_problem(404);
    let listed = app.get("/api/v1/customers", Some(&agent)).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    app.post("/api/v1/customers", Some(&agent), &json!({"name": "X"})).await.assert_problem(403);
}

#[tokio::test]
async fn feedback_crud_and_nps_range() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let customer = create(&app, &admin, "customers", json!({"name": "Acme"})).await;
    exercise_crud(
        &app,
        &admin,
        "feedback",
        &[
            json!({"customer_id": customer, "score": 10, "channel": "sms"}),
            json!({"customer_id": customer, "score": 0, "channel": "sms", "comment": "Bad"}),
            json!({"customer_id": customer, "score": 7, "submitted_at": "2025-01-01T00:00:00Z"}),
        ],
        ("channel=sms", 2),
        &json!({"comment": "Updated"}),
    )
    .await;
    let reply = app.post("/api/v1/feedback", Some(&admin), &json!({"customer_id": customer, "score": 11})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["score"]);
}
