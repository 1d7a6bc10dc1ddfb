//! Service statistics against a hand-made fixture.
//!
//! Agents S1 (team Care, managed by M) and S2 (no team). March 2025:
//!
//! | ticket | created          | assignee | first response      | resolved          | closed     | CSAT |
//! |--------|------------------|----------|---------------------|-------------------|------------|------|
//! | T1     | 03-02 08:00      | S1       | 08:30 (30 min)      | 03-02 12:00 (4 h) | 03-03      | 5    |
//! | T2     | 03-05 10:00      | S1       | 11:00 (60 min)      | 03-06 10:00 (24 h)|            | 3    |
//! | T3     | 03-10 09:00      | S2       | 09:10 (10 min)      |                   |            |      |
//! | T4     | 03-20 09:00      | —        | (none)              |                   |            |      |
//! | T5     | 03-28 09:00      | S2       | 04-02 (after `to`)  | 04-03 (after `to`)|            |      |
//! | T6     | 02-20 09:00      | S2       |                     |                   |            |      |
//! | T7     | 02-10 09:00      | S1       |                     | 02-11             | 02-11      |      |
//!
//! Everyone, March: created 5 (T1–T5), resolved 2 (T1, T2), rate 0.4,
//! backlog at April 1st 4 (T3, T4, T5, T6); first response over T1–T3:
//! [10, 30, 60] → avg 33.33…, p50 30, p90 54; resolution over T1, T2:
//! [4, 24] h → avg 14, p50 14, p90 22; CSAT [5, 3] → avg 4, 2 responses,
//! satisfied 0.5.

use serde_json::json;

use crate::helpers::{TestApp, create, spawn_app};

async fn fixture(app: &TestApp) -> (String, String, String, String) {
    let admin = app.admin_token().await;
    let care = create(app, &admin, "teams", json!({"name": "Care"})).await;
    let (manager_id, manager) = app.user_with_role(&admin, "manager", Some(&care)).await;
    app.patch(&format!("/api/v1/teams/{care}"), Some(&admin), &json!({"manager_id": manager_id})).await;
    let (s1, _) = app.user_with_role(&admin, "service", Some(&care)).await;
    let (s2, agent) = app.user_with_role(&admin, "service", None).await;
    let customer = create(app, &admin, "customers", json!({"name": "C1"})).await;
    let tickets = [
        json!({"assignee_id": s1, "created_at": "2025-03-02T08:00:00Z", "first_response_at": "2025-03-02T08:30:00Z", "resolved_at": "2025-03-02T12:00:00Z", "closed_at": "2025-03-03T08:00:00Z", "status": "closed", "satisfaction_score": 5}),
        json!({"assignee_id": s1, "created_at": "2025-03-05T10:00:00Z", "first_response_at": "2025-03-05T11:00:00Z", "resolved_at": "2025-03-06T10:00:00Z", "status": "resolved", "satisfaction_score": 3}),
        json!({"assignee_id": s2, "created_at": "2025-03-10T09:00:00Z", "first_response_at": "2025-03-10T09:10:00Z", "status": "pending"}),
        json!({"created_at": "2025-03-20T09:00:00Z", "status": "open", "priority": "urgent"}),
        json!({"assignee_id": s2, "created_at": "2025-03-28T09:00:00Z", "first_response_at": "2025-04-02T09:00:00Z", "resolved_at": "2025-04-03T09:00:00Z", "status": "resolved"}),
        json!({"assignee_id": s2, "created_at": "2025-02-20T09:00:00Z", "status": "open"}),
        json!({"assignee_id": s1, "created_at": "2025-02-10T09:00:00Z", "resolved_at": "2025-02-11T09:00:00Z", "closed_at": "2025-02-11T10:00:00Z", "status": "closed"}),
    ];
    for mut ticket in tickets {
        ticket["customer_id"] = json!(customer);
        ticket["subject"] = json!("Help");
        create(app, &admin, "tickets", ticket).await;
    }
    // NPS answers: March 10, 9, 9, 7, 2; February 0; April 1st 00:00 10.
    for (score, at) in [
        (10, "2025-03-01T00:00:00Z"),
        (9, "2025-03-05T00:00:00Z"),
        (9, "2025-03-06T00:00:00Z"),
        (7, "2025-03-07T00:00:00Z"),
        (2, "2025-03-31T23:59:59Z"),
        (0, "2025-02-10T00:00:00Z"),
        (10, "2025-04-01T00:00:00Z"),
    ] {
        create(
            app,
            &admin,
            "feedback",
            json!({"customer_id": customer, "score": score, "submitted_at": at, "channel": "sms"}),
        )
        .await;
    }
    (admin, manager, agent, care)
}

fn close(actual: &serde_json::Value, expected: f64) -> bool {
    actual.as_f64().is_some_and(|a| (a - expected).abs() < 1e-9)
}

#[tokio::test]
async fn service_summary_matches_the_hand_computed_figures() {
    let app = spawn_app().await;
    let (admin, _, _, _) = fixture(&app).await;
    let reply = app.get("/api/v1/stats/service/summary?from=2025-03-01&to=2025-04-01", Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let b = &reply.body;
    assert_eq!((b["created"].as_i64(), b["resolved"].as_i64(), b["backlog"].as_i64()), (Some(5), Some(2), Some(4)));
    assert_eq!(b["resolution_rate"], 0.4);
    let first = &b["first_response_minutes"];
    assert!(close(&first["avg"], 100.0 / 3.0) && close(&first["p50"], 30.0) && close(&first["p90"], 54.0), "{first}");
    let resolution = &b["resolution_hours"];
    assert!(
        close(&resolution["avg"], 14.0) && close(&resolution["p50"], 14.0) && close(&resolution["p90"], 22.0),
        "{resolution}"
    );
    assert_eq!(b["csat"], json!({"avg": 4.0, "responses": 2, "satisfied_rate": 0.5}));

    // A window with no tickets: zero counts, null ratios and times; the
    // backlog still counts what was open at its end.
    let empty = app.get("/api/v1/stats/service/summary?from=2025-02-21&to=2025-03-01", Some(&admin)).await.body;
    assert_eq!((empty["created"].as_i64(), empty["backlog"].as_i64()), (Some(0), Some(1)));
    assert_eq!(empty["resolution_rate"], json!(null));
    assert_eq!(empty["first_response_minutes"], json!({"avg": null, "p50": null, "p90": null}));
    assert_eq!(empty["csat"], json!({"avg": null, "responses": 0, "satisfied_rate": null}));

    // February: T6 (open) and T7 (resolved in a day); compare from March.
    let compared = app
        .get("/api/v1/stats/service/summary?from=2025-03-01&to=2025-04-01&compare=previous_period", Some(&admin))
        .await
        .body;
    assert_eq!(compared["previous"]["created"], 2);
    assert_eq!(compared["change"]["created"], 1.5);
    let urgent =
        app.get("/api/v1/stats/service/summary?from=2025-03-01&to=2025-04-01&priority=urgent", Some(&admin)).await.body;
    assert_eq!(urgent["created"], 1);
}

#[tokio::test]
async fn service_statistics_are_scoped() {
    let app = spawn_app().await;
    let (admin, manager, agent, care) = fixture(&app).await;
    let created = |token: String, extra: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/stats/service/summary?from=2025-03-01&to=2025-04-01{extra}"), Some(&token))
                .await
                .body["created"]
                .clone()
        }
    };
    assert_eq!(created(admin.clone(), "").await, 5);
    assert_eq!(created(agent.clone(), "").await, 5, "service agents see every ticket");
    assert_eq!(created(manager.clone(), "").await, 3, "the manager: Care's tickets (T1, T2) and the unassigned T4");
    let team = app
        .get(&format!("/api/v1/stats/service/summary?from=2025-03-01&to=2025-04-01&team_id={care}"), Some(&admin))
        .await;
    assert_eq!(team.body["created"], 2);
    let (_, rep) = app.user_with_role(&admin, "sales", None).await;
    app.get("/api/v1/stats/service/summary", Some(&rep)).await.assert_problem(403);
}

#[tokio::test]
async fn satisfaction_combines_csat_and_nps() {
    let app = spawn_app().await;
    let (admin, _, agent, _) = fixture(&app).await;
    let reply =
        app.get("/api/v1/stats/satisfaction?from=2025-03-01&to=2025-04-01&compare=previous_period", Some(&agent)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["csat"], json!({"avg": 4.0, "responses": 2, "satisfied_rate": 0.5}));
    // Promoters 3 (10, 9, 9), passive 1 (7), detractor 1 (2): (3 − 1) / 5 × 100.
    assert_eq!(
        reply.body["nps"],
        json!({"score": 40.0, "promoters": 3, "passives": 1, "detractors": 1, "responses": 5})
    );
    assert_eq!(
        reply.body["previous"]["nps"],
        json!({"score": -100.0, "promoters": 0, "passives": 0, "detractors": 1, "responses": 1})
    );
    let empty = app.get("/api/v1/stats/satisfaction?from=2024-01-01&to=2024-02-01", Some(&admin)).await;
    assert_eq!(
        empty.body["nps"],
        json!({"score": null, "promoters": 0, "passives": 0, "detractors": 0, "responses": 0})
    );
    let other_channel =
        app.get("/api/v1/stats/satisfaction?from=2025-03-01&to=2025-04-01&channel=email", Some(&admin)).await;
    assert_eq!(other_channel.body["nps"]["responses"], 0);
}

#[tokio::test]
async fn sla_attainment_per_priority() {
    let app = spawn_app().await;
    let (admin, _, _, _) = fixture(&app).await;
    let reply = app.get("/api/v1/stats/service/sla?from=2025-03-01&to=2025-04-01", Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    // Normal (8 h / 72 h): responses T1 30 min, T2 60 min, T3 10 min met; T5
    // answered only after `to` and past its deadline: breached. Resolutions
    // T1 4 h and T2 24 h met; T3 and T5 unresolved past 72 h: breached.
    // Urgent (1 h / 4 h): T4, never answered, breached both.
    assert_eq!(
        reply.body["rows"],
        json!([
            {"priority": "urgent", "first_response_target_minutes": 60, "resolution_target_minutes": 240,
             "first_response_counted": 1, "first_response_met_rate": 0.0, "resolution_counted": 1, "resolution_met_rate": 0.0},
            {"priority": "high", "first_response_target_minutes": 240, "resolution_target_minutes": 1440,
             "first_response_counted": 0, "first_response_met_rate": null, "resolution_counted": 0, "resolution_met_rate": null},
            {"priority": "normal", "first_response_target_minutes": 480, "resolution_target_minutes": 4320,
             "first_response_counted": 4, "first_response_met_rate": 0.75, "resolution_counted": 4, "resolution_met_rate": 0.5},
            {"priority": "low", "first_response_target_minutes": 1440, "resolution_target_minutes": 7200,
             "first_response_counted": 0, "first_response_met_rate": null, "resolution_counted": 0, "resolution_met_rate": null}
        ])
    );
    // Before T5's deadlines pass it is left out, not counted as breached.
    let early = app.get("/api/v1/stats/service/sla?from=2025-03-28&to=2025-03-28T12:00:00Z", Some(&admin)).await;
    assert_eq!(early.body["rows"][2]["first_response_counted"], 0);
    assert_eq!(early.body["rows"][2]["first_response_met_rate"], json!(null));
}
