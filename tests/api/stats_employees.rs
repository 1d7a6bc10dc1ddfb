//! Employee and team performance on the sales fixture (see `stats_sales`),
//! with deals, tasks, tickets, activities and targets added. March 2025:
//!
//! - Revenue: Rui (R1) 34.00 in 2 orders (O1, O2), Wen (R2) 25.00 in 2
//!   (O3, O10), Ren (R1b) 5.00 in 1 (O8). February: Rui 30.00 (O7).
//! - New customers owned now: Wen 2 (C2, C4), Ren 1 (C3).
//! - Deals: Rui won E1 1000 (03-10) and E2 500 (03-31 23:00), lost E3
//!   (03-15), owns E4 700 open; Wen's E5 won 04-01 00:00 (after `to`), E6
//!   400 open. Rui: win rate 2/3, average deal 750.00, pipeline 700.00.
//! - Rui's tasks due in March: 03-10 done 03-09 (on time), 03-20 done 03-22
//!   (late), 03-25 open; 03-26 cancelled and 04-02 do not count → due 3,
//!   on time 1, completion 2/3.
//! - Sam (service, East): tickets K1 created 03-02 08:00, answered 08:30,
//!   resolved 03-03, CSAT 4; K2 created 02-25, resolved 03-01 10:00 →
//!   resolved 2, first response average 30 (K1 only), CSAT 4.
//! - Rui's activities: calls 03-02 and 03-03, email 03-04; a meeting 02-28.
//! - Revenue targets: Rui March 100.00 (attainment 0.34), April 200.00,
//!   Q1 1000.00 (not inside March); Wen March 50.00; team East March 500.00.

use serde_json::{Value, json};

use crate::helpers::{TestApp, create, spawn_app};
use crate::stats_sales::{fixture, person};

const MARCH: &str = "from=2025-03-01&to=2025-04-01";

pub struct Extra {
    pub sam: String,
}

pub async fn more(app: &TestApp, admin: &str, ids: &std::collections::HashMap<&'static str, String>) -> Extra {
    let (r1, r2) = (&ids["r1"], &ids["r2"]);
    let (sam, _) = person(app, admin, "Sam", "service", Some(&ids["east"])).await;
    let customer =
        create(app, admin, "customers", json!({"name": "Deals Inc", "created_at": "2024-12-01T00:00:00Z"})).await;
    let deals = [
        (r1, 1000, "won", Some("2025-03-10T10:00:00Z")),
        (r1, 500, "won", Some("2025-03-31T23:00:00Z")),
        (r1, 300, "lost", Some("2025-03-15T10:00:00Z")),
        (r1, 700, "qualification", None),
        (r2, 2000, "won", Some("2025-04-01T00:00:00Z")),
        (r2, 400, "negotiation", None),
    ];
    for (owner, amount, stage, closed) in deals {
        let mut body = json!({"customer_id": customer, "name": "Deal", "amount": amount, "stage": stage,
                              "owner_id": owner, "created_at": "2025-02-01T10:00:00Z"});
        if let Some(closed) = closed {
            body["closed_at"] = json!(closed);
        }
        create(app, admin, "opportunities", body).await;
    }
    let tasks = [
        ("2025-03-10T12:00:00Z", "done", Some("2025-03-09T12:00:00Z")),
        ("2025-03-20T12:00:00Z", "done", Some("2025-03-22T12:00:00Z")),
        ("2025-03-25T12:00:00Z", "open", None),
        ("2025-03-26T12:00:00Z", "cancelled", None),
        ("2025-04-02T12:00:00Z", "open", None),
    ];
    for (due, status, completed) in tasks {
        create(
            app,
            admin,
            "tasks",
            json!({"title": "Follow up", "assignee_id": r1, "due_at": due, "status": status,
                   "completed_at": completed, "created_at": "2025-03-01T00:00:00Z"}),
        )
        .await;
    }
    for ticket in [
        json!({"created_at": "2025-03-02T08:00:00Z", "first_response_at": "2025-03-02T08:30:00Z",
               "resolved_at": "2025-03-03T08:00:00Z", "status": "resolved", "satisfaction_score": 4}),
        json!({"created_at": "2025-02-25T08:00:00Z", "resolved_at": "2025-03-01T10:00:00Z", "status": "resolved"}),
    ] {
        let mut ticket = ticket;
        ticket["customer_id"] = json!(customer);
        ticket["assignee_id"] = json!(sam);
        ticket["subject"] = json!("Help");
        create(app, admin, "tickets", ticket).await;
    }
    for (kind, at) in
        [("call", "2025-03-02"), ("call", "2025-03-03"), ("email", "2025-03-04"), ("meeting", "2025-02-28")]
    {
        create(
            app,
            admin,
            "activities",
            json!({"type": kind, "customer_id": customer, "owner_id": r1, "subject": "Touch",
                   "occurred_at": format!("{at}T09:00:00Z")}),
        )
        .await;
    }
    for (owner, period, start, value) in [
        (json!(r1), "month", "2025-03-01", "100.00"),
        (json!(r1), "month", "2025-04-01", "200.00"),
        (json!(r1), "quarter", "2025-01-01", "1000.00"),
        (json!(r2), "month", "2025-03-01", "50.00"),
    ] {
        create(
            app,
            admin,
            "targets",
            json!({"owner_id": owner, "period": period, "period_start": start, "metric": "revenue", "target_value": value}),
        )
        .await;
    }
    create(
        app,
        admin,
        "targets",
        json!({"team_id": ids["east"], "period": "month", "period_start": "2025-03-01", "metric": "revenue", "target_value": "500.00"}),
    )
    .await;
    Extra { sam }
}

fn row<'a>(body: &'a Value, field: &str, id: &str) -> &'a Value {
    body["rows"].as_array().expect("rows").iter().find(|r| r[field] == id).expect("the row")
}

#[tokio::test]
async fn employee_performance_matches_the_hand_computed_figures() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let Extra { sam } = more(&app, &f.admin, &f.ids).await;
    let reply = app.get(&format!("/api/v1/stats/employees/performance?{MARCH}"), Some(&f.admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = &reply.body;
    let ranked: Vec<_> = body["rows"].as_array().unwrap().iter().take(3).map(|r| r["name"].clone()).collect();
    assert_eq!(ranked, [json!("Rui"), json!("Wen"), json!("Ren")]);
    let rui = row(body, "user_id", &f.ids["r1"]);
    assert_eq!(rui["rank"], 1);
    let expected = json!({
        "user_id": f.ids["r1"], "name": "Rui", "team_id": f.ids["east"], "rank": 1,
        "revenue": "34.00", "orders": 2, "deals_won": 2, "deals_lost": 1, "win_rate": 2.0 / 3.0,
        "new_customers": 0, "avg_deal_size": "750.00", "pipeline": "700.00",
        "tasks_due": 3, "tasks_completed_on_time": 1, "task_completion_rate": 2.0 / 3.0,
        "tickets_resolved": 0, "first_response_minutes_avg": null, "csat_avg": null,
        "activities": {"call": 2, "email": 1, "meeting": 0, "visit": 0, "social": 0, "note": 0, "total": 3},
        "target": "100.00", "attainment": 0.34
    });
    assert_eq!(rui, &expected);
    let wen = row(body, "user_id", &f.ids["r2"]);
    assert_eq!(
        (&wen["revenue"], &wen["orders"], &wen["new_customers"], &wen["deals_won"], &wen["win_rate"]),
        (&json!("25.00"), &json!(2), &json!(2), &json!(0), &json!(null))
    );
    assert_eq!(
        (&wen["avg_deal_size"], &wen["pipeline"], &wen["attainment"]),
        (&json!(null), &json!("400.00"), &json!(0.5))
    );
    let sam_row = row(body, "user_id", &sam);
    assert_eq!(
        (&sam_row["tickets_resolved"], &sam_row["first_response_minutes_avg"], &sam_row["csat_avg"]),
        (&json!(2), &json!(30.0), &json!(4.0))
    );
    assert_eq!((&sam_row["target"], &sam_row["attainment"]), (&json!("0.00"), &json!(null)));
    assert_eq!(body["total"]["revenue"], "64.00");
    assert_eq!(body["total"]["tickets_resolved"], 2);

    // A quarter holds Rui's March and Q1 targets, and February's O7.
    let quarter =
        app.get("/api/v1/stats/employees/performance?from=2025-01-01&to=2025-04-01", Some(&f.admin)).await.body;
    let rui = row(&quarter, "user_id", &f.ids["r1"]);
    assert_eq!((&rui["revenue"], &rui["target"]), (&json!("64.00"), &json!("1100.00")));

    // With compare, each row has its previous figures and the change.
    let compared = app
        .get(&format!("/api/v1/stats/employees/performance?{MARCH}&compare=previous_period"), Some(&f.admin))
        .await
        .body;
    let rui = row(&compared, "user_id", &f.ids["r1"]);
    assert_eq!(rui["previous"]["revenue"], "30.00");
    assert!((rui["change"]["revenue"].as_f64().unwrap() - 4.0 / 30.0).abs() < 1e-12);

    // An empty window: every row zero, ratios null.
    let empty = app.get("/api/v1/stats/employees/performance?from=2024-03-01&to=2024-04-01", Some(&f.admin)).await.body;
    let rui = row(&empty, "user_id", &f.ids["r1"]);
    assert_eq!((&rui["revenue"], &rui["win_rate"], &rui["attainment"]), (&json!("0.00"), &json!(null), &json!(null)));
    assert_eq!(rui["pipeline"], "700.00", "the pipeline is the open amount now");
}

#[tokio::test]
async fn performance_is_scoped_to_the_caller() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    more(&app, &f.admin, &f.ids).await;
    let names = |body: &Value| {
        let mut names: Vec<String> =
            body["rows"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect();
        names.sort();
        names
    };
    let path = format!("/api/v1/stats/employees/performance?{MARCH}");
    let admin = app.get(&path, Some(&f.admin)).await.body;
    assert!(names(&admin).len() >= 6, "admins see everyone");
    let manager = app.get(&path, Some(&f.manager)).await.body;
    assert_eq!(names(&manager), ["Mia", "Ren", "Rui", "Sam"], "the manager sees East");
    assert_eq!(manager["total"]["revenue"], "39.00");
    let rep = app.get(&path, Some(&f.r1)).await.body;
    assert_eq!(names(&rep), ["Rui"]);
    assert_eq!(rep["total"]["revenue"], "34.00");
    let team = app.get(&format!("{path}&team_id={}", f.ids["west"]), Some(&f.admin)).await.body;
    assert_eq!(names(&team), ["Wen"]);
    let role = app.get(&format!("{path}&role=sales"), Some(&f.admin)).await.body;
    assert_eq!(names(&role), ["Ren", "Rui", "Wen"]);
}

#[tokio::test]
async fn scorecard_has_a_series_and_the_previous_period() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    more(&app, &f.admin, &f.ids).await;
    let path =
        format!("/api/v1/stats/employees/{}/scorecard?from=2025-02-01&to=2025-04-01&granularity=month", f.ids["r1"]);
    let reply = app.get(&path, Some(&f.r1)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = &reply.body;
    assert_eq!((&body["name"], &body["revenue"], &body["orders"]), (&json!("Rui"), &json!("64.00"), &json!(3)));
    assert_eq!(body["target"], "100.00");
    // The previous 59 days hold nothing: changes are null.
    assert_eq!(body["previous_window"], json!({"from": "2024-12-04T00:00:00Z", "to": "2025-02-01T00:00:00Z"}));
    assert_eq!((&body["previous"]["revenue"], &body["change"]["revenue"]), (&json!("0.00"), &json!(null)));
    let rows = body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((&rows[0]["period_start"], &rows[0]["revenue"]), (&json!("2025-02-01T00:00:00Z"), &json!("30.00")));
    assert_eq!((&rows[0]["activities"]["meeting"], &rows[0]["target"]), (&json!(1), &json!("0.00")));
    assert_eq!(
        (&rows[1]["revenue"], &rows[1]["deals_won"], &rows[1]["target"]),
        (&json!("34.00"), &json!(2), &json!("100.00"))
    );
    assert_eq!(rows[1]["attainment"], 0.34);

    // Out of scope is not found: a rep for a colleague, a manager for another team.
    let wen = format!("/api/v1/stats/employees/{}/scorecard?{MARCH}", f.ids["r2"]);
    app.get(&wen, Some(&f.r1)).await.assert_problem(404);
    app.get(&wen, Some(&f.manager)).await.assert_problem(404);
    assert_eq!(app.get(&wen, Some(&f.admin)).await.body["revenue"], "25.00");
}

#[tokio::test]
async fn team_performance_sums_members_and_prefers_team_targets() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    more(&app, &f.admin, &f.ids).await;
    let path = format!("/api/v1/stats/teams/performance?{MARCH}");
    let reply = app.get(&path, Some(&f.admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = &reply.body;
    let east = row(body, "team_id", &f.ids["east"]);
    assert_eq!((&east["rank"], &east["name"], &east["members"]), (&json!(1), &json!("East"), &json!(4)));
    assert_eq!((&east["revenue"], &east["orders"], &east["new_customers"]), (&json!("39.00"), &json!(3), &json!(1)));
    assert_eq!((&east["deals_won"], &east["deals_lost"], &east["pipeline"]), (&json!(2), &json!(1), &json!("700.00")));
    assert_eq!(
        (&east["tickets_resolved"], &east["csat_avg"], &east["activities"]["total"]),
        (&json!(2), &json!(4.0), &json!(3))
    );
    // East's own target (500.00) replaces its members' (100.00).
    assert_eq!((&east["target"], &east["attainment"]), (&json!("500.00"), &json!(0.078)));
    assert_eq!(east["revenue_per_member"], "9.75");
    let west = row(body, "team_id", &f.ids["west"]);
    assert_eq!((&west["rank"], &west["revenue"], &west["members"]), (&json!(2), &json!("25.00"), &json!(1)));
    assert_eq!(
        (&west["target"], &west["attainment"], &west["revenue_per_member"]),
        (&json!("50.00"), &json!(0.5), &json!("25.00"))
    );

    let manager = app.get(&path, Some(&f.manager)).await.body;
    let teams: Vec<_> = manager["rows"].as_array().unwrap().iter().map(|r| r["name"].clone()).collect();
    assert_eq!(teams, [json!("East")]);
    app.get(&path, Some(&f.r1)).await.assert_problem(403);
    app.get(&path, Some(&f.marketing)).await.assert_problem(403);
}
