//! The funnel against a hand-made fixture (March 2025).
//!
//! | opp | amount | history                                                          | as of April 1st |
//! |-----|--------|------------------------------------------------------------------|-----------------|
//! | F1  | 1000   | qualification 03-01, needs 03-05, proposal 03-10, negotiation 03-15, won 03-20 | won (19 days) |
//! | F2  | 2000   | qualification 03-02, proposal 03-06 (skips needs), lost 03-12      | lost            |
//! | F3  | 500    | qualification 03-03, won 03-13 (skips every open stage)           | won (10 days)   |
//! | F4  | 300    | qualification 03-04, needs 03-08                                  | open            |
//! | F5  | 700    | qualification 03-05, negotiation 03-25, won 04-02 (after `to`)    | open            |
//! | F6  | 100    | created in February, won                                          | not in window   |
//!
//! Reached: qualification 5 (4500), needs_analysis 5 (4500: F2, F3, F5
//! passed it by reaching later stages), proposal 4 (4200), negotiation 3
//! (2200), won 2 (1500).

use serde_json::{Value, json};

use crate::helpers::{create, spawn_app};

fn history(entries: &[(&str, &str)]) -> Value {
    json!(
        entries
            .iter()
            .map(|(stage, day)| json!({"stage": stage, "changed_at": format!("2025-{day}T10:00:00Z")}))
            .collect::<Vec<_>>()
    )
}

#[tokio::test]
async fn funnel_counts_reached_stages_as_of_to() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let customer = create(&app, &admin, "customers", json!({"name": "Acme"})).await;
    let opportunities = [
        (
            "F1",
            1000,
            "won",
            "03-01",
            Some("03-20"),
            history(&[
                ("qualification", "03-01"),
                ("needs_analysis", "03-05"),
                ("proposal", "03-10"),
                ("negotiation", "03-15"),
                ("won", "03-20"),
            ]),
        ),
        (
            "F2",
            2000,
            "lost",
            "03-02",
            Some("03-12"),
            history(&[("qualification", "03-02"), ("proposal", "03-06"), ("lost", "03-12")]),
        ),
        ("F3", 500, "won", "03-03", Some("03-13"), history(&[("qualification", "03-03"), ("won", "03-13")])),
        (
            "F4",
            300,
            "needs_analysis",
            "03-04",
            None,
            history(&[("qualification", "03-04"), ("needs_analysis", "03-08")]),
        ),
        (
            "F5",
            700,
            "won",
            "03-05",
            Some("04-02"),
            history(&[("qualification", "03-05"), ("negotiation", "03-25"), ("won", "04-02")]),
        ),
        ("F6", 100, "won", "02-20", Some("02-25"), history(&[("qualification", "02-20"), ("won", "02-25")])),
    ];
    for (name, amount, stage, created, closed, stage_history) in opportunities {
        let mut body = json!({"customer_id": customer, "name": name, "amount": amount, "stage": stage,
                              "created_at": format!("2025-{created}T10:00:00Z"), "stage_history": stage_history});
        if let Some(closed) = closed {
            body["closed_at"] = json!(format!("2025-{closed}T10:00:00Z"));
        }
        create(&app, &admin, "opportunities", body).await;
    }
    let reply = app.get("/api/v1/stats/sales/funnel?from=2025-03-01&to=2025-04-01", Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let b = &reply.body;
    assert_eq!(
        b["stages"],
        json!([
            {"stage": "qualification", "reached": 5, "amount": "4500.00", "conversion": 1.0},
            {"stage": "needs_analysis", "reached": 5, "amount": "4500.00", "conversion": 0.8},
            {"stage": "proposal", "reached": 4, "amount": "4200.00", "conversion": 0.75},
            {"stage": "negotiation", "reached": 3, "amount": "2200.00", "conversion": 2.0 / 3.0},
            {"stage": "won", "reached": 2, "amount": "1500.00", "conversion": null}
        ])
    );
    assert_eq!((b["won"].as_i64(), b["lost"].as_i64(), b["open"].as_i64()), (Some(2), Some(1), Some(2)));
    assert!((b["win_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert!((b["avg_sales_cycle_days"].as_f64().unwrap() - 14.5).abs() < 1e-9);

    // A later `to` sees F5 won.
    let later = app.get("/api/v1/stats/sales/funnel?from=2025-03-01&to=2025-05-01", Some(&admin)).await.body;
    assert_eq!((later["won"].as_i64(), later["open"].as_i64()), (Some(3), Some(1)));
    // The 31 days before March hold F6: won in 5 days.
    let compared = app
        .get("/api/v1/stats/sales/funnel?from=2025-03-01&to=2025-04-01&compare=previous_period", Some(&admin))
        .await
        .body;
    let previous = &compared["previous"];
    assert_eq!(
        (previous["won"].as_i64(), previous["lost"].as_i64(), previous["open"].as_i64()),
        (Some(1), Some(0), Some(0))
    );
    assert_eq!((&previous["win_rate"], &previous["avg_sales_cycle_days"]), (&json!(1.0), &json!(5.0)));
    assert_eq!((&compared["change"]["opportunities"], &compared["change"]["won"]), (&json!(4.0), &json!(1.0)));
    assert!((compared["change"]["win_rate"].as_f64().unwrap() + 1.0 / 3.0).abs() < 1e-12);
    // An empty window: zeros and nulls.
    let empty = app.get("/api/v1/stats/sales/funnel?from=2024-03-01&to=2024-04-01", Some(&admin)).await.body;
    assert_eq!(
        empty["stages"][0],
        json!({"stage": "qualification", "reached": 0, "amount": "0.00", "conversion": null})
    );
    assert_eq!((empty["win_rate"].clone(), empty["avg_sales_cycle_days"].clone()), (json!(null), json!(null)));
    // A sales rep who owns none of them sees an empty funnel.
    let (_, rep) = app.user_with_role(&admin, "sales", None).await;
    let theirs = app.get("/api/v1/stats/sales/funnel?from=2025-03-01&to=2025-04-01", Some(&rep)).await.body;
    assert_eq!(theirs["stages"][0]["reached"], 0);
}
