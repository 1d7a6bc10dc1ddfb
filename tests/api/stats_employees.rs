//! Employee and team performance on the sales fixture with the employee
//! additions (`fixtures::more`: deals, tasks, tickets, activities and
//! targets), figures computed by hand from its description.

use serde_json::{Value, json};

use crate::fixtures::{Extra, fixture, more};
use crate::helpers::spawn_app;

const MARCH: &str = "from=2025-03-01&to=2025-04-01";

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
