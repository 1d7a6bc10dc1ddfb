//! Campaign statistics against a hand-made fixture (window: March 2025).
//!
//! K1 "Spring" (wechat, 03-01…03-31, cost 1000.00, 100,000 impressions,
//! 2,000 clicks): members C1 participated (03-02), L1 converted (03-03), L2
//! invited (03-04), C2 invited (04-05, after `to`); leads L1 (03-03,
//! converted 03-10), L2 (03-04), L3 (04-02, after `to`); opportunities won
//! 3000.00 (closed 03-20), won 500.00 (closed 04-03, after `to`), lost.
//! K2 "Winter" (01-01…02-28) does not overlap March; K3 "Always on"
//! (from 02-15, open-ended) costs nothing and has no activity.

use serde_json::json;

use crate::helpers::{create, spawn_app};

#[tokio::test]
async fn campaign_figures_over_their_life_up_to_to() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let k1 = create(&app, &admin, "campaigns", json!({"name": "Spring", "channel": "wechat", "start_date": "2025-03-01", "end_date": "2025-03-31", "actual_cost": "1000.00", "impressions": 100000, "clicks": 2000})).await;
    let k2 = create(
        &app,
        &admin,
        "campaigns",
        json!({"name": "Winter", "start_date": "2025-01-01", "end_date": "2025-02-28", "actual_cost": "500.00"}),
    )
    .await;
    create(&app, &admin, "campaigns", json!({"name": "Always on", "start_date": "2025-02-15"})).await;
    let c1 = create(&app, &admin, "customers", json!({"name": "C1"})).await;
    let c2 = create(&app, &admin, "customers", json!({"name": "C2"})).await;
    let l1 = create(&app, &admin, "leads", json!({"name": "L1", "campaign_id": k1, "created_at": "2025-03-03T00:00:00Z", "status": "converted", "converted_customer_id": c1, "converted_at": "2025-03-10T00:00:00Z"})).await;
    let l2 =
        create(&app, &admin, "leads", json!({"name": "L2", "campaign_id": k1, "created_at": "2025-03-04T00:00:00Z"}))
            .await;
    create(&app, &admin, "leads", json!({"name": "L3", "campaign_id": k1, "created_at": "2025-04-02T00:00:00Z"})).await;
    let members = format!("/api/v1/campaigns/{k1}/members");
    for body in [
        json!({"customer_id": c1, "status": "participated", "created_at": "2025-03-02T00:00:00Z"}),
        json!({"lead_id": l1, "status": "converted", "created_at": "2025-03-03T00:00:00Z"}),
        json!({"lead_id": l2, "created_at": "2025-03-04T00:00:00Z"}),
        json!({"customer_id": c2, "created_at": "2025-04-05T00:00:00Z"}),
    ] {
        assert_eq!(app.post(&members, Some(&admin), &body).await.status, 201);
    }
    for (amount, stage, created, closed) in [
        ("3000.00", "won", "2025-03-05T00:00:00Z", Some("2025-03-20T00:00:00Z")),
        ("500.00", "won", "2025-03-06T00:00:00Z", Some("2025-04-03T00:00:00Z")),
        ("800.00", "lost", "2025-03-07T00:00:00Z", Some("2025-03-21T00:00:00Z")),
    ] {
        let mut body = json!({"customer_id": c1, "name": "Deal", "amount": amount, "stage": stage, "campaign_id": k1, "created_at": created});
        if let Some(closed) = closed {
            body["closed_at"] = json!(closed);
        }
        create(&app, &admin, "opportunities", body).await;
    }

    let reply = app.get("/api/v1/stats/marketing/campaigns?from=2025-03-01&to=2025-04-01", Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let rows = reply.body["rows"].as_array().unwrap();
    let labels: Vec<&str> = rows.iter().map(|r| r["label"].as_str().unwrap()).collect();
    assert_eq!(labels, vec!["Spring", "Always on"]);
    let spring = &rows[0];
    assert_eq!(
        (
            spring["cost"].clone(),
            spring["impressions"].clone(),
            spring["clicks"].clone(),
            spring["ctr"].clone(),
            spring["cpc"].clone()
        ),
        (json!("1000.00"), json!(100000), json!(2000), json!(0.02), json!("0.50"))
    );
    assert_eq!((spring["members"].as_i64(), spring["participated"].as_i64()), (Some(3), Some(2)));
    assert!((spring["participation_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!((spring["leads"].as_i64(), spring["converted_leads"].as_i64()), (Some(2), Some(1)));
    assert_eq!(
        (spring["lead_conversion_rate"].clone(), spring["cost_per_lead"].clone()),
        (json!(0.5), json!("500.00"))
    );
    assert_eq!(
        (spring["won_opportunities"].clone(), spring["revenue"].clone(), spring["roi"].clone()),
        (json!(1), json!("3000.00"), json!(2.0))
    );
    let always = &rows[1];
    assert_eq!(
        (always["ctr"].clone(), always["cpc"].clone(), always["roi"].clone(), always["participation_rate"].clone()),
        (json!(null), json!(null), json!(null), json!(null))
    );

    let winter = app
        .get(&format!("/api/v1/stats/marketing/campaigns?from=2025-03-01&to=2025-04-01&campaign_id={k2}"), Some(&admin))
        .await;
    assert_eq!(winter.body["rows"].as_array().unwrap().len(), 1);
    assert_eq!(winter.body["rows"][0]["roi"], -1.0);
    let later =
        app.get("/api/v1/stats/marketing/campaigns?from=2025-03-01&to=2025-05-01&channel=wechat", Some(&admin)).await;
    assert_eq!(later.body["rows"][0]["revenue"], "3500.00");
    assert_eq!(later.body["rows"][0]["members"], 4);
    let (_, rep) = app.user_with_role(&admin, "sales", None).await;
    app.get("/api/v1/stats/marketing/campaigns", Some(&rep)).await.assert_problem(403);

    // Per channel: wechat is Spring alone; the channel-less campaigns (Winter
    // and Always on) sum to a cost of 500.00 with no revenue.
    let channels = app.get("/api/v1/stats/marketing/channels?from=2025-01-01&to=2025-04-01", Some(&admin)).await;
    assert_eq!(channels.status, 200, "{}", channels.text);
    let rows = channels.body["rows"].as_array().unwrap();
    assert_eq!(
        (rows[0]["channel"].clone(), rows[0]["campaigns"].clone(), rows[0]["roi"].clone()),
        (json!("wechat"), json!(1), json!(2.0))
    );
    assert_eq!(
        (rows[1]["channel"].clone(), rows[1]["campaigns"].clone(), rows[1]["cost"].clone(), rows[1]["roi"].clone()),
        (json!(null), json!(2), json!("500.00"), json!(-1.0))
    );

    // The totals, and the comparison with the 31 days before March, whose
    // campaigns are Winter and Always on: cost 500.00, no revenue yet.
    let compared = app
        .get("/api/v1/stats/marketing/campaigns?from=2025-03-01&to=2025-04-01&compare=previous_period", Some(&admin))
        .await
        .body;
    assert_eq!(
        (&compared["total"]["cost"], &compared["total"]["revenue"], &compared["total"]["roi"]),
        (&json!("1000.00"), &json!("3000.00"), &json!(2.0))
    );
    assert_eq!(compared["previous_window"], json!({"from": "2025-01-29T00:00:00Z", "to": "2025-03-01T00:00:00Z"}));
    assert_eq!(
        (&compared["previous"]["cost"], &compared["previous"]["revenue"], &compared["previous"]["roi"]),
        (&json!("500.00"), &json!("0.00"), &json!(-1.0))
    );
    assert_eq!((&compared["change"]["cost"], &compared["change"]["revenue"]), (&json!(1.0), &json!(null)));
    let channels = app
        .get("/api/v1/stats/marketing/channels?from=2025-03-01&to=2025-04-01&compare=previous_year", Some(&admin))
        .await
        .body;
    assert_eq!((&channels["total"]["cost"], &channels["previous"]["cost"]), (&json!("1000.00"), &json!("0.00")));
}
