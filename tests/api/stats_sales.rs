//! Sales and customer statistics against the sales fixture
//! (`fixtures::fixture`, whose tables give every order), figures computed
//! by hand. March 2025 (`from=2025-03-01&to=2025-04-01`), everyone: O1,
//! O2, O3, O8, O10 → revenue 64.00, cost 19.00, profit 45.00, margin
//! 0.703125, orders 5, units 10, customers 3, aov 12.80, revenue per
//! customer 21.33.

use serde_json::{Value, json};

use crate::fixtures::fixture;
use crate::helpers::spawn_app;

const MARCH: &str = "from=2025-03-01&to=2025-04-01";

fn figures(body: &Value) -> Value {
    json!({
        "revenue": body["revenue"], "cost": body["cost"], "profit": body["profit"], "margin": body["margin"],
        "orders": body["orders"], "units": body["units"], "customers": body["customers"], "aov": body["aov"],
        "revenue_per_customer": body["revenue_per_customer"],
    })
}

#[tokio::test]
async fn sales_summary_matches_the_hand_computed_figures() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let reply = app.get(&format!("/api/v1/stats/sales/summary?{MARCH}&compare=previous_period"), Some(&f.admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = &reply.body;
    assert_eq!(body["window"], json!({"from": "2025-03-01T00:00:00Z", "to": "2025-04-01T00:00:00Z"}));
    assert_eq!(
        figures(body),
        json!({"revenue": "64.00", "cost": "19.00", "profit": "45.00", "margin": 0.703125, "orders": 5, "units": 10,
               "customers": 3, "aov": "12.80", "revenue_per_customer": "21.33"})
    );
    // The previous 31 days, 2025-01-29 to 2025-03-01, hold O7 only.
    assert_eq!(body["previous_window"], json!({"from": "2025-01-29T00:00:00Z", "to": "2025-03-01T00:00:00Z"}));
    assert_eq!(
        figures(&body["previous"]),
        json!({"revenue": "30.00", "cost": "12.00", "profit": "18.00", "margin": 0.6, "orders": 1, "units": 3,
               "customers": 1, "aov": "30.00", "revenue_per_customer": "30.00"})
    );
    let change = &body["change"];
    assert!((change["revenue"].as_f64().unwrap() - 34.0 / 30.0).abs() < 1e-12);
    assert_eq!(change["orders"], 4.0);
    assert!((change["aov"].as_f64().unwrap() - (1280.0 - 3000.0) / 3000.0).abs() < 1e-12);

    // previous_year: March 2024 is empty, so every change is null.
    let reply = app.get(&format!("/api/v1/stats/sales/summary?{MARCH}&compare=previous_year"), Some(&f.admin)).await;
    assert_eq!(reply.body["previous"]["revenue"], "0.00");
    assert_eq!(reply.body["change"]["revenue"], json!(null));
}

#[tokio::test]
async fn sales_summary_filters_and_empty_windows() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let get = |query: String| {
        let app = &app;
        let token = f.admin.clone();
        async move { app.get(&format!("/api/v1/stats/sales/summary?{query}"), Some(&token)).await.body }
    };
    let tea = get(format!("{MARCH}&product_category=Tea")).await;
    assert_eq!(
        (
            tea["revenue"].clone(),
            tea["cost"].clone(),
            tea["orders"].clone(),
            tea["units"].clone(),
            tea["customers"].clone()
        ),
        (json!("30.00"), json!("12.00"), json!(2), json!(3), json!(1))
    );
    assert_eq!(get(format!("{MARCH}&channel=online")).await["revenue"], "49.00");
    assert_eq!(get(format!("{MARCH}&customer_segment=enterprise")).await["revenue"], "25.00");
    assert_eq!(get(format!("{MARCH}&team_id={}", f.ids["west"])).await["revenue"], "25.00");
    assert_eq!(get(format!("{MARCH}&owner_id={}", f.ids["r1b"])).await["revenue"], "5.00");
    assert_eq!(get(format!("{MARCH}&region=West")).await["orders"], 2);
    // to is exclusive: the last second of March counts, April's first instant does not.
    assert_eq!(get("from=2025-03-31T23:59:59Z&to=2025-04-01T00:00:00Z".into()).await["revenue"], "20.00");
    assert_eq!(get("from=2025-04-01&to=2025-04-02".into()).await["revenue"], "10.00");

    let empty = get("from=2020-01-01&to=2020-02-01".into()).await;
    assert_eq!(
        figures(&empty),
        json!({"revenue": "0.00", "cost": "0.00", "profit": "0.00", "margin": null, "orders": 0, "units": 0,
               "customers": 0, "aov": null, "revenue_per_customer": null})
    );
}

#[tokio::test]
async fn sales_statistics_are_scoped_to_the_caller() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let revenue = |token: &str| {
        let app = &app;
        let token = token.to_string();
        async move { app.get(&format!("/api/v1/stats/sales/summary?{MARCH}"), Some(&token)).await.body["revenue"].clone() }
    };
    assert_eq!(revenue(&f.admin).await, "64.00", "admin: everyone");
    assert_eq!(revenue(&f.manager).await, "39.00", "manager: R1 and R1b (East)");
    assert_eq!(revenue(&f.r1).await, "34.00", "rep R1: own orders");
    assert_eq!(revenue(&f.r2).await, "25.00", "rep R2: own orders");
    // A rep cannot widen their scope with a filter.
    let other = app.get(&format!("/api/v1/stats/sales/summary?{MARCH}&owner_id={}", f.ids["r2"]), Some(&f.r1)).await;
    assert_eq!(other.body["revenue"], "0.00");
    app.get(&format!("/api/v1/stats/sales/summary?{MARCH}"), Some(&f.marketing)).await.assert_problem(403);
}

#[tokio::test]
async fn sales_timeseries_fills_every_bucket() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let reply =
        app.get("/api/v1/stats/sales/timeseries?from=2025-02-01&to=2025-05-01&granularity=month", Some(&f.admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let rows = reply.body["rows"].as_array().unwrap();
    let got: Vec<(&str, &str, i64)> = rows
        .iter()
        .map(|r| (r["period_start"].as_str().unwrap(), r["revenue"].as_str().unwrap(), r["orders"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("2025-02-01T00:00:00Z", "30.00", 1),
            ("2025-03-01T00:00:00Z", "64.00", 5),
            ("2025-04-01T00:00:00Z", "10.00", 1)
        ]
    );
    assert_eq!(reply.body["total"]["revenue"], "104.00");

    let daily =
        app.get("/api/v1/stats/sales/timeseries?from=2025-03-30&to=2025-04-02&granularity=day", Some(&f.admin)).await;
    let got: Vec<(&str, &str)> = daily.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["period_start"].as_str().unwrap(), r["revenue"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![("2025-03-30T00:00:00Z", "0.00"), ("2025-03-31T00:00:00Z", "20.00"), ("2025-04-01T00:00:00Z", "10.00")]
    );
    assert_eq!(daily.body["rows"][0]["aov"], json!(null));

    // ISO weeks start on Monday: 2025-03-03 and 2025-03-10 (O1 on Wed 5th; O5 cancelled).
    let weekly =
        app.get("/api/v1/stats/sales/timeseries?from=2025-03-03&to=2025-03-17&granularity=week", Some(&f.admin)).await;
    let got: Vec<(&str, &str)> = weekly.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["period_start"].as_str().unwrap(), r["revenue"].as_str().unwrap()))
        .collect();
    assert_eq!(got, vec![("2025-03-03T00:00:00Z", "24.00"), ("2025-03-10T00:00:00Z", "5.00")]);

    let quarterly = app
        .get("/api/v1/stats/sales/timeseries?from=2025-01-01&to=2025-07-01&granularity=quarter", Some(&f.admin))
        .await;
    let got: Vec<&str> =
        quarterly.body["rows"].as_array().unwrap().iter().map(|r| r["revenue"].as_str().unwrap()).collect();
    assert_eq!(got, vec!["94.00", "10.00"]);

    // Compared with the 31 days before (January 29th to March 1st): its
    // month buckets, January and February (O7), for an overlay.
    let compared = app
        .get(
            "/api/v1/stats/sales/timeseries?from=2025-03-01&to=2025-04-01&granularity=month&compare=previous_period",
            Some(&f.admin),
        )
        .await
        .body;
    let previous: Vec<(&str, &str)> = compared["previous_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["period_start"].as_str().unwrap(), r["revenue"].as_str().unwrap()))
        .collect();
    assert_eq!(previous, vec![("2025-01-01T00:00:00Z", "0.00"), ("2025-02-01T00:00:00Z", "30.00")]);
    assert_eq!(compared["previous_total"]["revenue"], "30.00");
    assert!((compared["change"]["revenue"].as_f64().unwrap() - 34.0 / 30.0).abs() < 1e-12);

    let reply =
        app.get("/api/v1/stats/sales/timeseries?from=2016-01-01&to=2025-01-01&granularity=day", Some(&f.admin)).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["granularity"]);
}

#[tokio::test]
async fn sales_breakdown_groups_shares_and_penetration() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let reply = app.get(&format!("/api/v1/stats/sales/breakdown?{MARCH}&by=product_category"), Some(&f.admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let rows = reply.body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0]["key"].as_str(), rows[0]["revenue"].as_str(), rows[0]["cost"].as_str()),
        (Some("Ware"), Some("34.00"), Some("7.00"))
    );
    assert_eq!(
        (rows[0]["units"].as_i64(), rows[0]["orders"].as_i64(), rows[0]["customers"].as_i64()),
        (Some(7), Some(4), Some(3))
    );
    assert_eq!(rows[0]["share"], 0.53125);
    assert_eq!(rows[0]["penetration"], 1.0);
    assert_eq!((rows[1]["key"].as_str(), rows[1]["revenue"].as_str()), (Some("Tea"), Some("30.00")));
    assert_eq!(rows[1]["share"], 0.46875);
    assert!((rows[1]["penetration"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(reply.body["total"]["revenue"], "64.00");

    let owners = app.get(&format!("/api/v1/stats/sales/breakdown?{MARCH}&by=owner"), Some(&f.admin)).await;
    let got: Vec<(&str, &str, &str)> = owners.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["key"].as_str().unwrap(), r["label"].as_str().unwrap(), r["revenue"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            (f.ids["r1"].as_str(), "Rui", "34.00"),
            (f.ids["r2"].as_str(), "Wen", "25.00"),
            (f.ids["r1b"].as_str(), "Ren", "5.00")
        ]
    );
    assert!(owners.body["rows"][0].get("penetration").is_none());
    let compared = app
        .get(&format!("/api/v1/stats/sales/breakdown?{MARCH}&by=owner&compare=previous_period"), Some(&f.admin))
        .await;
    let rui = &compared.body["rows"][0];
    assert_eq!((&rui["label"], &rui["previous"]["revenue"]), (&json!("Rui"), &json!("30.00")));
    assert!((rui["change"]["revenue"].as_f64().unwrap() - 4.0 / 30.0).abs() < 1e-12);
    let wen = &compared.body["rows"][1];
    assert_eq!((&wen["previous"]["revenue"], &wen["change"]["revenue"]), (&json!("0.00"), &json!(null)));
    assert_eq!(compared.body["previous_total"]["revenue"], "30.00");

    let teams = app.get(&format!("/api/v1/stats/sales/breakdown?{MARCH}&by=team"), Some(&f.admin)).await;
    let got: Vec<(&str, &str)> = teams.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["label"].as_str().unwrap(), r["revenue"].as_str().unwrap()))
        .collect();
    assert_eq!(got, vec![("East", "39.00"), ("West", "25.00")]);

    let segments = app.get(&format!("/api/v1/stats/sales/breakdown?{MARCH}&by=customer_segment"), Some(&f.admin)).await;
    let got: Vec<(Value, &str)> = segments.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["key"].clone(), r["revenue"].as_str().unwrap()))
        .collect();
    assert_eq!(got, vec![(json!("smb"), "34.00"), (json!("enterprise"), "25.00"), (json!(null), "5.00")]);

    let products = app.get(&format!("/api/v1/stats/sales/breakdown?{MARCH}&by=product"), Some(&f.r1)).await;
    let got: Vec<(&str, &str)> = products.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["label"].as_str().unwrap(), r["revenue"].as_str().unwrap()))
        .collect();
    assert_eq!(got, vec![("Tea pot", "30.00"), ("Cup", "4.00")], "R1's own lines only");

    let reply = app.get(&format!("/api/v1/stats/sales/breakdown?{MARCH}"), Some(&f.admin)).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["by"]);
}

#[tokio::test]
async fn statistics_windows_are_validated() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for (query, field) in [
        ("from=2025-03-01&to=2025-03-01", "to"),
        ("from=2025-03-02&to=2025-03-01", "to"),
        ("from=2010-01-01&to=2025-03-01", "from"),
        ("from=March", "from"),
        ("range=last_month&from=2025-01-01", "range"),
        ("range=fortnight", "range"),
        ("compare=last_decade", "compare"),
        ("colour=red", "colour"),
    ] {
        let reply = app.get(&format!("/api/v1/stats/sales/summary?{query}"), Some(&admin)).await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), vec![field], "{query}");
    }
    let reply = app.get("/api/v1/stats/sales/summary?range=last_month", Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let from = reply.body["window"]["from"].as_str().unwrap();
    assert!(from.ends_with("-01T00:00:00Z"), "{from}");
}

#[tokio::test]
async fn customer_overview_matches_the_hand_computed_figures() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let reply =
        app.get(&format!("/api/v1/stats/customers/overview?{MARCH}&compare=previous_period"), Some(&f.admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let b = &reply.body;
    // Existing at April 1st: C1–C4; new in March: C2, C3, C4; active: C1, C2,
    // C3; first counted order in March: C2 (O10), C3 (O8) — C1's was O7 in
    // February; two or more counted orders: C1 (O1, O2), C2 (O3, O10).
    assert_eq!(
        (b["total"].as_i64(), b["new"].as_i64(), b["active"].as_i64(), b["first_time_buyers"].as_i64()),
        (Some(4), Some(3), Some(3), Some(2))
    );
    assert!((b["repeat_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(
        b["by_lifecycle_stage"],
        json!([{"lifecycle_stage": "lead", "customers": 1}, {"lifecycle_stage": "prospect", "customers": 1},
               {"lifecycle_stage": "customer", "customers": 2}, {"lifecycle_stage": "churned", "customers": 0}])
    );
    // January 29th to March 1st: C1 existed, bought for the first time (O7).
    let p = &b["previous"];
    assert_eq!(
        (p["total"].as_i64(), p["new"].as_i64(), p["active"].as_i64(), p["first_time_buyers"].as_i64()),
        (Some(1), Some(0), Some(1), Some(1))
    );
    assert_eq!(p["repeat_rate"], 0.0);
    assert_eq!(b["change"]["total"], 3.0);
    assert_eq!(b["change"]["new"], json!(null));

    // Rep R1 owns C1 only.
    let mine = app.get(&format!("/api/v1/stats/customers/overview?{MARCH}"), Some(&f.r1)).await.body;
    assert_eq!(
        (mine["total"].as_i64(), mine["new"].as_i64(), mine["active"].as_i64(), mine["first_time_buyers"].as_i64()),
        (Some(1), Some(0), Some(1), Some(0))
    );
    assert_eq!(mine["repeat_rate"], 1.0);
    // The manager of East: C1 (R1) and C3 (R1b).
    let team = app.get(&format!("/api/v1/stats/customers/overview?{MARCH}"), Some(&f.manager)).await.body;
    assert_eq!(team["total"], 2);
    let enterprise = app
        .get(&format!("/api/v1/stats/customers/overview?{MARCH}&customer_segment=enterprise"), Some(&f.admin))
        .await
        .body;
    assert_eq!((enterprise["total"].as_i64(), enterprise["active"].as_i64()), (Some(1), Some(1)));
}

#[tokio::test]
async fn customer_distribution_by_segment_and_age() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let reply = app.get(&format!("/api/v1/stats/customers/distribution?{MARCH}&by=segment"), Some(&f.admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["rows"],
        json!([
            {"key": null, "customers": 2, "share": 0.5, "revenue": "5.00"},
            {"key": "enterprise", "customers": 1, "share": 0.25, "revenue": "25.00"},
            {"key": "smb", "customers": 1, "share": 0.25, "revenue": "34.00"}
        ])
    );
    assert_eq!(reply.body["total"], 4);
    // Ages at April 1st 2025: C1 (born 2000-04-01) turns 25 that day; C2
    // (born 2000-04-02) is still 24.
    let ages = app.get(&format!("/api/v1/stats/customers/distribution?{MARCH}&by=age_band"), Some(&f.admin)).await;
    assert_eq!(
        ages.body["rows"],
        json!([
            {"key": "unknown", "customers": 2, "share": 0.5, "revenue": "5.00"},
            {"key": "25_34", "customers": 1, "share": 0.25, "revenue": "34.00"},
            {"key": "under_25", "customers": 1, "share": 0.25, "revenue": "25.00"}
        ])
    );
    let mine = app.get(&format!("/api/v1/stats/customers/distribution?{MARCH}&by=lifecycle_stage"), Some(&f.r1)).await;
    assert_eq!(mine.body["rows"], json!([{"key": "customer", "customers": 1, "share": 1.0, "revenue": "34.00"}]));
    // Against the 31 days before: only C1 (smb) existed at March 1st, with
    // O7's 30.00.
    let compared = app
        .get(
            &format!("/api/v1/stats/customers/distribution?{MARCH}&by=segment&compare=previous_period"),
            Some(&f.admin),
        )
        .await
        .body;
    assert_eq!(compared["previous_total"], 1);
    let smb = compared["rows"].as_array().unwrap().iter().find(|r| r["key"] == "smb").unwrap();
    assert_eq!(smb["previous"], json!({"customers": 1, "share": 1.0, "revenue": "30.00"}));
    assert_eq!((&smb["change"]["customers"], &smb["change"]["share"]), (&json!(0.0), &json!(-0.75)));
    assert!((smb["change"]["revenue"].as_f64().unwrap() - 4.0 / 30.0).abs() < 1e-12);
    let unset = compared["rows"].as_array().unwrap().iter().find(|r| r["key"].is_null()).unwrap();
    assert_eq!(unset["change"]["customers"], json!(null), "nothing before: no relative change");
    let reply = app.get(&format!("/api/v1/stats/customers/distribution?{MARCH}"), Some(&f.admin)).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["by"]);
}

#[tokio::test]
async fn customer_retention_against_the_previous_window() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    // April (30 days) against March 2nd–April 1st: active then C1 (O1, O2),
    // C2 (O3), C3 (O8); in April only C2 (O4).
    let reply = app.get("/api/v1/stats/customers/retention?from=2025-04-01&to=2025-05-01", Some(&f.admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let b = &reply.body;
    assert_eq!(b["previous_window"], json!({"from": "2025-03-02T00:00:00Z", "to": "2025-04-01T00:00:00Z"}));
    assert_eq!(
        (b["previously_active"].as_i64(), b["retained"].as_i64(), b["churned"].as_i64()),
        (Some(3), Some(1), Some(2))
    );
    assert!((b["churn_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert!((b["retention_rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
    // R2's customers: C2 was active and stayed.
    let r2 = app.get("/api/v1/stats/customers/retention?from=2025-04-01&to=2025-05-01", Some(&f.r2)).await.body;
    assert_eq!(
        (r2["previously_active"].as_i64(), r2["churned"].as_i64(), r2["churn_rate"].as_f64()),
        (Some(1), Some(0), Some(0.0))
    );
    // Year over year: nobody bought in April 2024.
    let yearly = app
        .get("/api/v1/stats/customers/retention?from=2025-04-01&to=2025-05-01&compare=previous_year", Some(&f.admin))
        .await
        .body;
    assert_eq!(yearly["previous_window"], json!({"from": "2024-04-01T00:00:00Z", "to": "2024-05-01T00:00:00Z"}));
    assert_eq!((&yearly["previously_active"], &yearly["churn_rate"]), (&json!(0), &json!(null)));
    let none = app.get("/api/v1/stats/customers/retention?from=2020-04-01&to=2020-05-01", Some(&f.admin)).await.body;
    assert_eq!((none["churn_rate"].clone(), none["retention_rate"].clone()), (json!(null), json!(null)));
}

#[tokio::test]
async fn customer_lifetime_value_and_top_customers() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let reply = app.get(&format!("/api/v1/stats/customers/clv?{MARCH}"), Some(&f.admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let b = &reply.body;
    // March: 64.00 over 5 orders by 3 customers in 31 days (31 / 30.4375 months).
    assert_eq!(b["average_order_value"], "12.80");
    let frequency = 5.0 / 3.0 / (31.0 / 30.4375);
    assert!((b["purchase_frequency"].as_f64().unwrap() - frequency).abs() < 1e-12);
    assert_eq!(b["lifespan_months"], 36);
    // 1280 cents × frequency × 36 = 75,406.45… cents.
    assert_eq!(b["clv"], "754.06");
    // To date (before April 1st): C1 64.00 (O1, O2, O7), C2 25.00 (O3, O10), C3 5.00.
    let top: Vec<(&str, &str, i64)> = b["top_customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["label"].as_str().unwrap(), c["revenue"].as_str().unwrap(), c["orders"].as_i64().unwrap()))
        .collect();
    assert_eq!(top, vec![("C1", "64.00", 3), ("C2", "25.00", 2), ("C3", "5.00", 1)]);
    let two =
        app.get(&format!("/api/v1/stats/customers/clv?{MARCH}&top=2&lifespan_months=12"), Some(&f.admin)).await.body;
    assert_eq!(two["top_customers"].as_array().unwrap().len(), 2);
    assert_eq!(two["clv"], "251.35", "75,406.45 / 3 = 25,135.48… cents");
    // The 31 days before: O7 alone, 30.00 in one order by one customer:
    // 3000 cents × (1 / (31 / 30.4375)) × 36 = 106,040.32… cents.
    let compared =
        app.get(&format!("/api/v1/stats/customers/clv?{MARCH}&compare=previous_period"), Some(&f.admin)).await.body;
    assert_eq!(
        (&compared["previous"]["average_order_value"], &compared["previous"]["clv"]),
        (&json!("30.00"), &json!("1060.40"))
    );
    assert!((compared["change"]["average_order_value"].as_f64().unwrap() - (1280.0 - 3000.0) / 3000.0).abs() < 1e-12);
    let empty = app.get("/api/v1/stats/customers/clv?from=2020-01-01&to=2020-02-01", Some(&f.admin)).await.body;
    assert_eq!((empty["average_order_value"].clone(), empty["clv"].clone()), (json!(null), json!(null)));
    let reply = app.get(&format!("/api/v1/stats/customers/clv?{MARCH}&lifespan_months=0"), Some(&f.admin)).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["lifespan_months"]);
}
