//! Campaigns, leads and opportunities: CRUD, conversion and the funnel.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{create, exercise_crud, spawn_app};

#[tokio::test]
async fn campaigns_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    exercise_crud(
        &app,
        &admin,
        "campaigns",
        &[
            json!({"name": "Spring", "channel": "wechat", "start_date": "2025-03-01", "end_date": "2025-03-31", "budget": "50000.00"}),
            json!({"name": "Summer", "channel": "email", "start_date": "2025-06-01"}),
            json!({"name": "Autumn", "channel": "wechat", "start_date": "2025-09-01", "actual_cost": 1200.5, "impressions": 1000, "clicks": 50}),
        ],
        ("channel=wechat", 2),
        &json!({"status": "completed", "actual_cost": "48250.00"}),
    )
    .await;
}

#[tokio::test]
async fn campaign_dates_are_checked() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let reply = app
        .post(
            "/api/v1/campaigns",
            Some(&admin),
            &json!({"name": "X", "start_date": "2025-03-10", "end_date": "2025-03-01"}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["end_date"]);
    let id =
        create(&app, &admin, "campaigns", json!({"name": "X", "start_date": "2025-03-10", "end_date": "2025-03-20"}))
            .await;
    let reply = app.patch(&format!("/api/v1/campaigns/{id}"), Some(&admin), &json!({"start_date": "2025-04-01"})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["end_date"]);
    let reply = app.post("/api/v1/campaigns", Some(&admin), &json!({"name": "X", "start_date": "2025-02-30"})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["start_date"]);
}

#[tokio::test]
async fn leads_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let campaign = create(&app, &admin, "campaigns", json!({"name": "Spring", "start_date": "2025-03-01"})).await;
    exercise_crud(
        &app,
        &admin,
        "leads",
        &[
            json!({"name": "Zhao Lei", "company": "Blue River", "source": "website", "campaign_id": campaign}),
            json!({"name": "Qian Yu", "source": "referral"}),
            json!({"name": "Sun Li", "source": "website", "email": "sun@example.com"}),
        ],
        ("source=website", 2),
        &json!({"status": "contacted", "phone": "555 0100"}),
    )
    .await;
}

#[tokio::test]
async fn opportunities_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let customer = create(&app, &admin, "customers", json!({"name": "Acme"})).await;
    exercise_crud(
        &app,
        &admin,
        "opportunities",
        &[
            json!({"customer_id": customer, "name": "Deal A", "amount": "1000.00"}),
            json!({"customer_id": customer, "name": "Deal B", "amount": 2500, "stage": "proposal"}),
            json!({"customer_id": customer, "name": "Deal C", "amount": "10.00", "stage": "won"}),
        ],
        ("closed=false", 2),
        &json!({"name": "Deal A+", "expected_close_date": "2025-12-31"}),
    )
    .await;
}

#[tokio::test]
async fn converting_a_lead_creates_the_customer_and_opportunity_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rep_id, rep) = app.user_with_role(&admin, "sales", None).await;
    let campaign = create(&app, &admin, "campaigns", json!({"name": "Spring", "start_date": "2025-03-01"})).await;
    let lead = create(
        &app,
        &rep,
        "leads",
        json!({"name": "Zhao Lei", "company": "Blue River Foods", "email": "Zhao@BlueRiver.example", "phone": "555 0199", "source": "website", "campaign_id": campaign}),
    )
    .await;

    let reply = app
        .post(
            &format!("/api/v1/leads/{lead}/convert"),
            Some(&rep),
            &json!({"opportunity": {"name": "First order", "amount": "18000.00"}}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let result = &reply.body;
    assert_eq!(result["customer_created"], true);
    assert_eq!(result["lead"]["status"], "converted");
    assert!(result["lead"]["converted_at"].is_string());
    let customer_id = result["customer"]["id"].as_str().unwrap();
    assert_eq!(result["lead"]["converted_customer_id"], customer_id);
    assert_eq!(result["customer"]["kind"], "company");
    assert_eq!(result["customer"]["name"], "Blue River Foods");
    assert_eq!(result["customer"]["email"], "zhao@blueriver.example");
    assert_eq!(result["customer"]["source"], "website");
    assert_eq!(result["customer"]["owner_id"], rep_id.as_str());
    let opportunity = &result["opportunity"];
    assert_eq!(opportunity["customer_id"], customer_id);
    assert_eq!(opportunity["campaign_id"], campaign.as_str(), "attributed to the lead's campaign");
    assert_eq!(opportunity["stage"], "qualification");
    assert_eq!(opportunity["probability"], 0.1);
    assert_eq!(opportunity["amount"], "18000.00");

    // Exactly one customer and one opportunity exist.
    assert_eq!(app.get("/api/v1/customers?count=true", Some(&rep)).await.body["total"], 1);
    assert_eq!(app.get("/api/v1/opportunities?count=true", Some(&rep)).await.body["total"], 1);
    // Converting again is refused and changes nothing.
    app.post(&format!("/api/v1/leads/{lead}/convert"), Some(&rep), &json!({})).await.assert_problem(409);
    assert_eq!(app.get("/api/v1/customers?count=true", Some(&rep)).await.body["total"], 1);
    let reply = app.patch(&format!("/api/v1/leads/{lead}"), Some(&rep), &json!({"status": "new"})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["status"]);

    let audit = app.get(&format!("/api/v1/audit?record_id={lead}"), Some(&admin)).await;
    let actions: Vec<&str> =
        audit.body["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["convert", "create"]);
}

#[tokio::test]
async fn converting_can_link_an_existing_customer_and_failures_write_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let customer = create(&app, &admin, "customers", json!({"name": "Existing"})).await;
    let lead = create(&app, &admin, "leads", json!({"name": "Someone"})).await;

    // A bad opportunity fails the whole conversion.
    let reply = app
        .post(
            &format!("/api/v1/leads/{lead}/convert"),
            Some(&admin),
            &json!({"opportunity": {"name": "X", "amount": "-5"}}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["opportunity.amount"]);
    let reply = app
        .post(&format!("/api/v1/leads/{lead}/convert"), Some(&admin), &json!({"customer_id": uuid::Uuid::now_v7()}))
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["customer_id"]);
    assert_eq!(app.get(&format!("/api/v1/leads/{lead}"), Some(&admin)).await.body["status"], "new");
    assert_eq!(app.get("/api/v1/customers?count=true", Some(&admin)).await.body["total"], 1);

    let reply =
        app.post(&format!("/api/v1/leads/{lead}/convert"), Some(&admin), &json!({"customer_id": customer})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["customer_created"], false);
    assert_eq!(reply.body["customer"]["id"], customer.as_str());
    assert_eq!(reply.body["opportunity"], json!(null));
}

#[tokio::test]
async fn four_stage_changes_leave_a_full_history() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rep_id, rep) = app.user_with_role(&admin, "sales", None).await;
    let customer = create(&app, &rep, "customers", json!({"name": "Acme"})).await;
    let id = create(&app, &rep, "opportunities", json!({"customer_id": customer, "name": "Deal", "amount": "5000.00"}))
        .await;
    let path = format!("/api/v1/opportunities/{id}");
    let mut version = 1;
    for (stage, probability) in [("needs_analysis", 0.25), ("proposal", 0.5), ("negotiation", 0.75), ("won", 1.0)] {
        let reply = app
            .send(
                app.request(Method::PATCH, &path, Some(&rep))
                    .header("if-match", format!("\"{version}\""))
                    .json(&json!({"stage": stage})),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.body["stage"], stage);
        assert_eq!(reply.body["probability"], probability);
        version = reply.body["version"].as_i64().unwrap();
    }
    let opportunity = app.get(&path, Some(&rep)).await.body;
    assert!(opportunity["closed_at"].is_string(), "won sets closed_at");
    assert_eq!(opportunity["version"], 5);

    let history = app.get(&format!("{path}/history"), Some(&rep)).await;
    assert_eq!(history.status, 200, "{}", history.text);
    let entries = history.body.as_array().unwrap();
    let stages: Vec<&str> = entries.iter().map(|e| e["stage"].as_str().unwrap()).collect();
    assert_eq!(stages, vec!["qualification", "needs_analysis", "proposal", "negotiation", "won"]);
    assert_eq!(entries[0]["from_stage"], json!(null));
    assert_eq!(entries[4]["from_stage"], "negotiation");
    assert!(entries.iter().all(|e| e["changed_by"] == rep_id.as_str()));
    let times: Vec<&str> = entries.iter().map(|e| e["changed_at"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);

    let audit = app.get(&format!("/api/v1/audit?record_id={id}&action=stage_change"), Some(&admin)).await;
    assert_eq!(audit.body["data"].as_array().unwrap().len(), 4);
    assert_eq!(audit.body["data"][0]["changes"]["stage"], json!({"before": "negotiation", "after": "won"}));
    assert!(audit.body["data"].as_array().unwrap().iter().all(|e| e["actor_id"] == rep_id.as_str()));

    // Reopening clears closed_at; an explicit probability wins over the stage's.
    let reopened = app.patch(&path, Some(&rep), &json!({"stage": "negotiation", "probability": 0.6})).await;
    assert_eq!(reopened.body["closed_at"], json!(null));
    assert_eq!(reopened.body["probability"], 0.6);
    let reply = app.patch(&path, Some(&rep), &json!({"probability": 0.12345})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["probability"]);
}

#[tokio::test]
async fn imported_opportunities_keep_their_history_and_times() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let customer = create(&app, &admin, "customers", json!({"name": "Acme"})).await;
    let reply = app
        .post(
            "/api/v1/opportunities",
            Some(&admin),
            &json!({
                "customer_id": customer, "name": "Old deal", "amount": "900.00", "stage": "lost",
                "created_at": "2024-01-10T09:00:00Z", "closed_at": "2024-03-01T12:00:00Z", "lost_reason": "price",
                "stage_history": [
                    {"stage": "qualification", "changed_at": "2024-01-10T09:00:00Z"},
                    {"stage": "proposal", "changed_at": "2024-02-01T09:00:00Z"},
                    {"stage": "lost", "changed_at": "2024-03-01T12:00:00Z"}
                ]
            }),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["closed_at"], "2024-03-01T12:00:00Z");
    assert_eq!(reply.body["created_at"], "2024-01-10T09:00:00Z");
    let id = reply.body["id"].as_str().unwrap();
    let history = app.get(&format!("/api/v1/opportunities/{id}/history"), Some(&admin)).await.body;
    assert_eq!(history.as_array().unwrap().len(), 3);
    assert_eq!(history[1]["changed_at"], "2024-02-01T09:00:00Z");
    assert_eq!(history[1]["changed_by"], json!(null));

    let reply = app
        .post(
            "/api/v1/opportunities",
            Some(&admin),
            &json!({"customer_id": customer, "name": "Bad", "amount": 1, "stage": "won",
                    "stage_history": [{"stage": "qualification", "changed_at": "2024-01-10T09:00:00Z"}]}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["stage_history"]);
}

#[tokio::test]
async fn campaign_members_are_added_once_and_follow_lead_conversion() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, marketer) = app.user_with_role(&admin, "marketing", None).await;
    let spring = create(&app, &marketer, "campaigns", json!({"name": "Spring", "start_date": "2025-03-01"})).await;
    let autumn = create(&app, &marketer, "campaigns", json!({"name": "Autumn", "start_date": "2025-09-01"})).await;
    let customer = create(&app, &admin, "customers", json!({"name": "Acme"})).await;
    let lead = create(&app, &marketer, "leads", json!({"name": "Zhao", "campaign_id": spring})).await;
    let members = format!("/api/v1/campaigns/{spring}/members");

    let added = app.post(&members, Some(&marketer), &json!({"customer_id": customer, "status": "participated"})).await;
    assert_eq!(added.status, 201, "{}", added.text);
    let customer_member = added.body["id"].as_str().unwrap().to_string();
    assert_eq!(added.header("location"), Some(format!("{members}/{customer_member}").as_str()));
    let lead_member = create_member(&app, &marketer, &members, json!({"lead_id": lead})).await;

    let again = app.post(&members, Some(&marketer), &json!({"customer_id": customer})).await;
    again.assert_problem(409);
    assert_eq!(again.error_fields(), vec!["customer_id"]);
    let both = app.post(&members, Some(&marketer), &json!({"customer_id": customer, "lead_id": lead})).await;
    both.assert_problem(422);
    // The same customer may join another campaign.
    assert_eq!(
        app.post(&format!("/api/v1/campaigns/{autumn}/members"), Some(&marketer), &json!({"customer_id": customer}))
            .await
            .status,
        201
    );

    let listed = app.get(&members, Some(&marketer)).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);
    let participated = app.get(&format!("{members}?status=participated"), Some(&marketer)).await;
    assert_eq!(participated.body["data"].as_array().unwrap().len(), 1);
    app.get(&format!("/api/v1/campaigns/{autumn}/members/{lead_member}"), Some(&marketer)).await.assert_problem(404);

    // Converting the lead converts its membership.
    let converted = app.post(&format!("/api/v1/leads/{lead}/convert"), Some(&admin), &json!({})).await;
    assert_eq!(converted.status, 200, "{}", converted.text);
    assert_eq!(app.get(&format!("{members}/{lead_member}"), Some(&marketer)).await.body["status"], "converted");

    // Two pages by cursor.
    let page1 = app.get(&format!("{members}?limit=1&sort=created_at"), Some(&marketer)).await;
    let cursor = page1.body["next_cursor"].as_str().unwrap().to_string();
    let page2 = app.get(&format!("{members}?limit=1&sort=created_at&cursor={cursor}"), Some(&marketer)).await;
    assert_eq!(page1.body["data"][0]["id"], customer_member.as_str());
    assert_eq!(page2.body["data"][0]["id"], lead_member.as_str());
    assert_eq!(page2.body["next_cursor"], json!(null));

    let member = format!("{members}/{customer_member}");
    let stale = app
        .send(
            app.request(Method::PATCH, &member, Some(&marketer))
                .header("if-match", "\"0\"")
                .json(&json!({"status": "converted"})),
        )
        .await;
    stale.assert_problem(412);
    let patched = app
        .send(
            app.request(Method::PATCH, &member, Some(&marketer))
                .header("if-match", "\"1\"")
                .json(&json!({"status": "converted"})),
        )
        .await;
    assert_eq!(patched.body["status"], "converted");
    assert_eq!(patched.body["version"], 2);
    assert_eq!(app.delete(&member, Some(&marketer)).await.status, 204);
    assert_eq!(app.get(&members, Some(&marketer)).await.body["data"].as_array().unwrap().len(), 1);
    let tombstones = app.get(&format!("{members}?include_deleted=true"), Some(&marketer)).await;
    let tombstone = tombstones.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == customer_member.as_str())
        .cloned()
        .unwrap();
    assert!(tombstone["deleted_at"].is_string());
    // A removed member can be added again.
    assert_eq!(app.post(&members, Some(&marketer), &json!({"customer_id": customer})).await.status, 201);
    // Sales reps do not manage campaign members.
    let (_, rep) = app.user_with_role(&admin, "sales", None).await;
    app.get(&members, Some(&rep)).await.assert_problem(403);
}

async fn create_member(app: &crate::helpers::TestApp, token: &str, path: &str, body: serde_json::Value) -> String {
    let reply = app.post(path, Some(token), &body).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["id"].as_str().unwrap().to_string()
}
