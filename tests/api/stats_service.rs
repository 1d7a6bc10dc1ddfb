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

use serde_json::{Value, json};

use crate::helpers::{TestApp, create, spawn_app};

struct Fixture {
    admin: String,
    manager: String,
    agent: String,
    care: String,
    s1: String,
    s2: String,
}

async fn fixture(app: &TestApp) -> Fixture {
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
    Fixture { admin, manager, agent, care, s1, s2 }
}

fn close(actual: &serde_json::Value, expected: f64) -> bool {
    actual.as_f64().is_some_and(|a| (a - expected).abs() < 1e-9)
}

#[tokio::test]
async fn service_summary_matches_the_hand_computed_figures() {
    let app = spawn_app().await;
    let Fixture { admin, .. } = fixture(&app).await;
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
    let Fixture { admin, manager, agent, care, .. } = fixture(&app).await;
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
    let Fixture { admin, agent, .. } = fixture(&app).await;
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
    let Fixture { admin, .. } = fixture(&app).await;
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
    // Every priority together: responses 3 of 5 met, resolutions 2 of 5.
    assert_eq!(
        reply.body["total"],
        json!({"first_response_counted": 5, "first_response_met_rate": 0.6, "resolution_counted": 5, "resolution_met_rate": 0.4})
    );
    // February (the 31 days before): T7 answered (by its resolution) after
    // 24 h, late; T6 never answered nor resolved, both past due.
    let compared =
        app.get("/api/v1/stats/service/sla?from=2025-03-01&to=2025-04-01&compare=previous_period", Some(&admin)).await;
    let normal = &compared.body["rows"][2];
    assert_eq!(
        normal["previous"],
        json!({"first_response_counted": 2, "first_response_met_rate": 0.0, "resolution_counted": 2, "resolution_met_rate": 0.5})
    );
    assert_eq!(normal["change"], json!({"first_response_met_rate": null, "resolution_met_rate": 0.0}));
    assert_eq!(compared.body["previous_total"]["resolution_met_rate"], 0.5);
    // Before T5's deadlines pass it is left out, not counted as breached.
    let early = app.get("/api/v1/stats/service/sla?from=2025-03-28&to=2025-03-28T12:00:00Z", Some(&admin)).await;
    assert_eq!(early.body["rows"][2]["first_response_counted"], 0);
    assert_eq!(early.body["rows"][2]["first_response_met_rate"], json!(null));
}

#[tokio::test]
async fn service_timeseries_buckets_are_windows_of_their_own() {
    let app = spawn_app().await;
    let Fixture { admin, .. } = fixture(&app).await;
    let reply =
        app.get("/api/v1/stats/service/timeseries?from=2025-02-01&to=2025-04-01&granularity=month", Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let rows = reply.body["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    // February: T6 (open) and T7 (resolved, and so answered, after 24 h).
    let february = &rows[0];
    assert_eq!(february["period_start"], "2025-02-01T00:00:00Z");
    assert_eq!(
        (february["created"].as_i64(), february["resolved"].as_i64(), february["backlog"].as_i64()),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(february["resolution_rate"], 0.5);
    assert_eq!(february["first_response_minutes"], json!({"avg": 1440.0, "p50": 1440.0, "p90": 1440.0}));
    assert_eq!(february["resolution_hours"], json!({"avg": 24.0, "p50": 24.0, "p90": 24.0}));
    // March: the figures of the March summary.
    let march = &rows[1];
    assert_eq!(
        (march["created"].as_i64(), march["resolved"].as_i64(), march["backlog"].as_i64()),
        (Some(5), Some(2), Some(4))
    );
    assert!(close(&march["first_response_minutes"]["p90"], 54.0));
    assert_eq!(march["csat"], json!({"avg": 4.0, "responses": 2, "satisfied_rate": 0.5}));
    // The total over both: responses [10, 30, 60, 1440] → p50 45,
    // p90 at position 2.7: 60 + 0.7 × 1380 = 1026.
    let total = &reply.body["total"];
    assert_eq!(
        (total["created"].as_i64(), total["resolved"].as_i64(), total["backlog"].as_i64()),
        (Some(7), Some(3), Some(4))
    );
    assert!(
        close(&total["first_response_minutes"]["avg"], 385.0) && close(&total["first_response_minutes"]["p50"], 45.0)
    );
    assert!(close(&total["first_response_minutes"]["p90"], 1026.0), "{}", total["first_response_minutes"]);

    // Each day as of its own end: T2, created March 5th 10:00 and resolved
    // the 6th 10:00, is unresolved (and in the backlog) at the end of the
    // 5th, and resolved in the two-day total.
    let days = app.get("/api/v1/stats/service/timeseries?from=2025-03-05&to=2025-03-07", Some(&admin)).await.body;
    assert_eq!(days["granularity"], "day");
    let five = &days["rows"][0];
    assert_eq!(
        (five["created"].as_i64(), five["resolved"].as_i64(), five["backlog"].as_i64()),
        (Some(1), Some(0), Some(2))
    );
    assert_eq!(five["first_response_minutes"]["avg"], 60.0);
    assert_eq!(five["resolution_hours"]["avg"], json!(null));
    let six = &days["rows"][1];
    assert_eq!(
        (six["created"].as_i64(), six["resolved"].as_i64(), six["backlog"].as_i64()),
        (Some(0), Some(0), Some(1))
    );
    assert_eq!(six["resolution_rate"], json!(null));
    assert_eq!((days["total"]["resolved"].as_i64(), days["total"]["backlog"].as_i64()), (Some(1), Some(1)));

    // Weeks start on Monday; the first is clipped to the window.
    let weeks = app
        .get("/api/v1/stats/service/timeseries?from=2025-03-05&to=2025-03-12&granularity=week", Some(&admin))
        .await
        .body;
    let starts: Vec<_> = weeks["rows"].as_array().expect("rows").iter().map(|r| r["period_start"].clone()).collect();
    assert_eq!(starts, [json!("2025-03-03T00:00:00Z"), json!("2025-03-10T00:00:00Z")]);
    assert_eq!((weeks["rows"][0]["created"].as_i64(), weeks["rows"][0]["backlog"].as_i64()), (Some(1), Some(1)));
    assert_eq!((weeks["rows"][1]["created"].as_i64(), weeks["rows"][1]["backlog"].as_i64()), (Some(1), Some(2)));

    // Compared with the 31 days before: January's last days and February.
    let compared = app
        .get(
            "/api/v1/stats/service/timeseries?from=2025-03-01&to=2025-04-01&granularity=month&compare=previous_period",
            Some(&admin),
        )
        .await
        .body;
    let previous: Vec<_> = compared["previous_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["period_start"].clone(), r["created"].clone(), r["backlog"].clone()))
        .collect();
    assert_eq!(
        previous,
        [(json!("2025-01-01T00:00:00Z"), json!(0), json!(0)), (json!("2025-02-01T00:00:00Z"), json!(2), json!(1))]
    );
    assert_eq!((&compared["previous_total"]["resolved"], &compared["change"]["created"]), (&json!(1), &json!(1.5)));

    app.get("/api/v1/stats/service/timeseries?from=2015-01-01&to=2025-01-01&granularity=day", Some(&admin))
        .await
        .assert_problem(422);
}

#[tokio::test]
async fn service_breakdown_per_agent_and_priority() {
    let app = spawn_app().await;
    let Fixture { admin, manager, s1, s2, .. } = fixture(&app).await;
    let reply = app.get("/api/v1/stats/service/breakdown?from=2025-03-01&to=2025-04-01&by=agent", Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let rows = reply.body["rows"].as_array().expect("rows");
    let keys: Vec<_> = rows.iter().map(|r| r["key"].clone()).collect();
    // S2 and S1 both have 2 tickets; S2's backlog (T3, T5, T6) ranks it first.
    assert_eq!(keys, [json!(s2), json!(s1), json!(null)]);
    let (second, first, unassigned) = (&rows[0], &rows[1], &rows[2]);
    assert_eq!(first["label"], "A service");
    assert_eq!(
        (first["created"].as_i64(), first["resolved"].as_i64(), first["backlog"].as_i64()),
        (Some(2), Some(2), Some(0))
    );
    assert_eq!(first["first_response_minutes"], json!({"avg": 45.0, "p50": 45.0, "p90": 57.0}));
    assert_eq!(first["resolution_hours"], json!({"avg": 14.0, "p50": 14.0, "p90": 22.0}));
    assert_eq!(first["csat"], json!({"avg": 4.0, "responses": 2, "satisfied_rate": 0.5}));
    assert_eq!(first["share"], 0.4);
    assert_eq!(
        (second["created"].as_i64(), second["resolved"].as_i64(), second["backlog"].as_i64()),
        (Some(2), Some(0), Some(3))
    );
    assert_eq!(second["resolution_rate"], 0.0);
    assert_eq!(second["first_response_minutes"], json!({"avg": 10.0, "p50": 10.0, "p90": 10.0}));
    assert_eq!(second["csat"], json!({"avg": null, "responses": 0, "satisfied_rate": null}));
    assert_eq!((unassigned["created"].as_i64(), unassigned["backlog"].as_i64()), (Some(1), Some(1)));
    assert!(unassigned.get("label").is_none());
    assert_eq!(unassigned["share"], 0.2);
    assert_eq!(reply.body["total"]["backlog"], 4);

    // A value with nothing created in the window still shows its backlog:
    // in February's second half only T6 was open.
    let late = app.get("/api/v1/stats/service/breakdown?from=2025-02-21&to=2025-03-01&by=agent", Some(&admin)).await;
    assert_eq!(
        late.body["rows"],
        json!([{"key": s2, "label": "A service", "created": 0, "resolved": 0,
        "resolution_rate": null, "backlog": 1, "first_response_minutes": {"avg": null, "p50": null, "p90": null},
        "resolution_hours": {"avg": null, "p50": null, "p90": null},
        "csat": {"avg": null, "responses": 0, "satisfied_rate": null}, "share": null}])
    );

    // Against February: S1 had T7 (resolved), S2 T6 (open), nobody else.
    let compared = app
        .get(
            "/api/v1/stats/service/breakdown?from=2025-03-01&to=2025-04-01&by=agent&compare=previous_period",
            Some(&admin),
        )
        .await
        .body;
    let row = |key: &Value| compared["rows"].as_array().unwrap().iter().find(|r| &r["key"] == key).unwrap().clone();
    let first = row(&json!(s1));
    assert_eq!((&first["previous"]["created"], &first["previous"]["resolved"]), (&json!(1), &json!(1)));
    assert_eq!(first["change"]["created"], 1.0);
    let second = row(&json!(s2));
    assert_eq!((&second["previous"]["created"], &second["previous"]["backlog"]), (&json!(1), &json!(1)));
    assert_eq!(row(&json!(null))["change"]["created"], json!(null));
    assert_eq!(compared["previous_total"]["created"], 2);

    let priorities =
        app.get("/api/v1/stats/service/breakdown?from=2025-03-01&to=2025-04-01&by=priority", Some(&admin)).await.body;
    let pairs: Vec<_> =
        priorities["rows"].as_array().expect("rows").iter().map(|r| (r["key"].clone(), r["created"].clone())).collect();
    assert_eq!(pairs, [(json!("normal"), json!(4)), (json!("urgent"), json!(1))]);

    // The manager sees Care (S1) and the unassigned tickets only.
    let scoped =
        app.get("/api/v1/stats/service/breakdown?from=2025-03-01&to=2025-04-01&by=agent", Some(&manager)).await;
    let keys: Vec<_> = scoped.body["rows"].as_array().expect("rows").iter().map(|r| r["key"].clone()).collect();
    assert_eq!(keys, [json!(s1), json!(null)]);
    app.get("/api/v1/stats/service/breakdown?from=2025-03-01&to=2025-04-01", Some(&admin)).await.assert_problem(422);
}
