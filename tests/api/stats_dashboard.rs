//! The dashboard on the sales and employee fixtures (see `stats_sales` and
//! `stats_employees`), plus a campaign "Spring" (March, cost 100.00).
//!
//! March 2025, admin: revenue 64.00, profit 45.00, 5 orders, AOV 12.80; new
//! customers C2, C3, C4; active C1, C2, C3; closed deals E1, E2 won and E3
//! lost → win rate 2/3; open E4 700 × 10 % + E6 400 × 75 % = 370.00
//! weighted; ticket K1 answered in 30 minutes, rated 4; Spring's ROI −1.
//! The 31 days before: O7 (30.00, C1), ticket K2 not yet answered.

use serde_json::json;

use crate::fixtures::fixture;
use crate::fixtures::more;
use crate::helpers::{create, spawn_app};

const MARCH: &str = "/api/v1/stats/dashboard?from=2025-03-01&to=2025-04-01";

#[tokio::test]
async fn dashboard_headlines_with_the_previous_period() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    more(&app, &f.admin, &f.ids).await;
    create(
        &app,
        &f.admin,
        "campaigns",
        json!({"name": "Spring", "start_date": "2025-03-01", "end_date": "2025-03-31", "actual_cost": "100.00"}),
    )
    .await;
    let reply = app.get(MARCH, Some(&f.admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let b = &reply.body;
    assert_eq!(
        b["sales"],
        json!({"revenue": "64.00", "profit": "45.00", "orders": 5, "aov": "12.80", "new_customers": 3,
               "active_customers": 3, "win_rate": 2.0 / 3.0, "weighted_pipeline": "370.00"})
    );
    assert_eq!(
        b["service"],
        json!({"tickets_created": 1, "first_response_minutes_p50": 30.0, "csat": 4.0, "csat_responses": 1})
    );
    assert_eq!(
        b["marketing"],
        json!({"campaigns": 1, "campaign_cost": "100.00", "campaign_revenue": "0.00", "campaign_roi": -1.0})
    );
    assert_eq!(b["previous_window"], json!({"from": "2025-01-29T00:00:00Z", "to": "2025-03-01T00:00:00Z"}));
    let previous = &b["previous"];
    assert_eq!(
        previous["sales"],
        json!({"revenue": "30.00", "profit": "18.00", "orders": 1, "aov": "30.00", "new_customers": 0,
               "active_customers": 1, "win_rate": null, "weighted_pipeline": null})
    );
    assert_eq!(
        previous["service"],
        json!({"tickets_created": 1, "first_response_minutes_p50": null, "csat": null, "csat_responses": 0})
    );
    assert_eq!(previous["marketing"]["campaigns"], 0);
    let change = &b["change"];
    assert!((change["revenue"].as_f64().unwrap() - 34.0 / 30.0).abs() < 1e-12);
    assert_eq!(
        (&change["orders"], &change["new_customers"], &change["active_customers"], &change["tickets_created"]),
        (&json!(4.0), &json!(null), &json!(2.0), &json!(0.0))
    );
    let top: Vec<_> = b["top_employees"].as_array().unwrap().iter().map(|e| e["name"].clone()).collect();
    assert_eq!(top.len(), 5);
    assert_eq!(&top[..3], [json!("Rui"), json!("Wen"), json!("Ren")]);
    assert_eq!(b["top_employees"][0]["attainment"], 0.34);
    let series = b["revenue_series"].as_array().unwrap();
    assert_eq!((b["granularity"].clone(), series.len()), (json!("day"), 31));
    assert_eq!(series[0], json!({"period_start": "2025-03-01T00:00:00Z", "revenue": "5.00"}));
    assert_eq!(series[4], json!({"period_start": "2025-03-05T00:00:00Z", "revenue": "24.00"}));
}

#[tokio::test]
async fn each_role_sees_its_own_families_and_scope() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    more(&app, &f.admin, &f.ids).await;
    // The rep: their own sales, no service or marketing.
    let rep = app.get(MARCH, Some(&f.r1)).await.body;
    assert_eq!((&rep["sales"]["revenue"], &rep["sales"]["weighted_pipeline"]), (&json!("34.00"), &json!("70.00")));
    assert_eq!((&rep["service"], &rep["marketing"]), (&json!(null), &json!(null)));
    let names: Vec<_> = rep["top_employees"].as_array().unwrap().iter().map(|e| e["name"].clone()).collect();
    assert_eq!(names, [json!("Rui")]);
    // The manager of East: the team's sales and its agent's ticket.
    let manager = app.get(MARCH, Some(&f.manager)).await.body;
    assert_eq!((&manager["sales"]["revenue"], &manager["service"]["tickets_created"]), (&json!("39.00"), &json!(1)));
    // Marketing: campaigns only.
    let marketing = app.get(MARCH, Some(&f.marketing)).await.body;
    assert_eq!((&marketing["sales"], &marketing["service"]), (&json!(null), &json!(null)));
    assert_eq!(marketing["marketing"]["campaigns"], 0);
    assert_eq!((marketing["top_employees"].clone(), marketing["revenue_series"].clone()), (json!([]), json!([])));
    // An empty window: zeros and nulls, and a bucket for every day.
    let empty = app.get("/api/v1/stats/dashboard?from=2020-03-01&to=2020-03-08", Some(&f.admin)).await.body;
    assert_eq!((&empty["sales"]["revenue"], &empty["sales"]["aov"]), (&json!("0.00"), &json!(null)));
    assert_eq!(empty["revenue_series"].as_array().unwrap().len(), 7);
}
