//! The organization's calendar: the settings resource, and every
//! calendar-shaped statistic following it. Records sit at 15:59:59Z,
//! 16:00:00Z and 16:00:01Z on 2026-03-31, the last day of a quarter: in
//! UTC all three are on 31 March (Q1); in Shanghai (UTC+8) the first is at
//! 23:59:59 on 31 March and the others on 1 April (Q2, and Q1 of a fiscal
//! year starting in April). New York is checked across both of 2026's
//! daylight-saving changes (8 March: a 23-hour day; 1 November: 25 hours).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, create, set_settings, spawn_app};

const EDGE: [&str; 3] = ["2026-03-31T15:59:59Z", "2026-03-31T16:00:00Z", "2026-03-31T16:00:01Z"];

async fn settings(app: &TestApp, token: &str) -> Reply {
    app.get("/api/v1/settings/organization", Some(token)).await
}

async fn stat(app: &TestApp, token: &str, path: &str) -> Value {
    let reply = app.get(&format!("/api/v1/{path}"), Some(token)).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    reply.body
}

fn column(rows: &Value, field: &str) -> Vec<Value> {
    rows.as_array().unwrap().iter().map(|row| row[field].clone()).collect()
}

#[tokio::test]
async fn the_settings_are_read_by_everyone_and_changed_by_administrators() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, rep) = app.user_with_role(&admin, "sales", None).await;
    let reply = settings(&app, &rep).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("etag"), Some("\"1\""));
    let mut body = reply.body.clone();
    body.as_object_mut().unwrap().remove("updated_at");
    assert_eq!(
        body,
        json!({"time_zone": "UTC", "utc_offset": "+00:00", "week_start": "monday", "fiscal_year_start_month": 1,
               "fiscal_year_label": "start_year", "version": 1})
    );

    let patch = |token: &str, etag: Option<&str>, body: Value| {
        let mut builder = app.request(Method::PATCH, "/api/v1/settings/organization", Some(token));
        if let Some(etag) = etag {
            builder = builder.header("If-Match", etag);
        }
        app.send(builder.json(&body))
    };
    patch(&rep, None, json!({"time_zone": "Asia/Shanghai"})).await.assert_problem(403);
    for (body, field) in [
        (json!({"time_zone": "Asia/Beijing"}), "time_zone"),
        (json!({"time_zone": "+08:00"}), "time_zone"),
        (json!({"time_zone": null}), "time_zone"),
        (json!({"week_start": "tuesday"}), "week_start"),
        (json!({"fiscal_year_start_month": 13}), "fiscal_year_start_month"),
        (json!({"fiscal_year_start_month": 0}), "fiscal_year_start_month"),
        (json!({"fiscal_year_label": "middle"}), "fiscal_year_label"),
        (json!({"currency": "CNY"}), "currency"),
    ] {
        let reply = patch(&admin, None, body.clone()).await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), vec![field.to_string()], "{body}: {}", reply.text);
    }
    patch(&admin, Some("\"7\""), json!({"time_zone": "Asia/Shanghai"})).await.assert_problem(412);
    assert_eq!(settings(&app, &admin).await.body["time_zone"], "UTC", "nothing was written");

    let reply = patch(&admin, Some("\"1\""), json!({"time_zone": "Asia/Shanghai", "fiscal_year_start_month": 4})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("etag"), Some("\"2\""));
    assert_eq!(
        (&reply.body["time_zone"], &reply.body["utc_offset"], &reply.body["fiscal_year_start_month"]),
        (&json!("Asia/Shanghai"), &json!("+08:00"), &json!(4))
    );
    // The catalog says which calendar the statistics are on.
    let catalog = stat(&app, &rep, "stats/metrics").await;
    assert_eq!(
        catalog["calendar"],
        json!({"time_zone": "Asia/Shanghai", "week_start": "monday", "fiscal_year_start_month": 4,
               "fiscal_year_label": "start_year"})
    );
    let endpoint = |path: &str| {
        catalog["endpoints"].as_array().unwrap().iter().find(|e| e["path"] == path).unwrap()["on_calendar"].clone()
    };
    assert_eq!(endpoint("/api/v1/stats/sales/timeseries"), json!(true));
    assert_eq!(endpoint("/api/v1/stats/sales/pipeline"), json!(false), "a figure of now");
    // Nothing to change is no change.
    let same = patch(&admin, Some("\"2\""), json!({"time_zone": "Asia/Shanghai"})).await;
    assert_eq!((same.status, same.header("etag")), (200, Some("\"2\"")));
    let audit = app.get("/api/v1/audit?resource=organization_settings", Some(&admin)).await;
    let entries = audit.body["data"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{}", audit.text);
    assert_eq!(
        entries[0]["changes"],
        json!({"time_zone": {"before": "UTC", "after": "Asia/Shanghai"},
               "fiscal_year_start_month": {"before": 1, "after": 4}})
    );
}

/// The records at the quarter's edge: orders (10.00 each, owned by the
/// rep), tickets answered after 30 minutes, leads and won opportunities.
async fn edge_fixture(app: &TestApp, admin: &str, rep_id: &str) {
    let product = create(
        app,
        admin,
        "products",
        json!({"sku": "T", "name": "Tea", "category": "Tea", "unit_price": "10.00", "unit_cost": "4.00"}),
    )
    .await;
    let customer = create(app, admin, "customers", json!({"name": "Acme", "owner_id": rep_id})).await;
    for at in EDGE {
        let order = json!({"customer_id": customer, "owner_id": rep_id, "ordered_at": at, "status": "paid",
                           "channel": "online", "items": [{"product_id": product, "quantity": 1}]});
        create(app, admin, "orders", order).await;
        let answered = chrono::DateTime::parse_from_rfc3339(at).unwrap() + chrono::Duration::minutes(30);
        let ticket = json!({"customer_id": customer, "subject": "Help", "created_at": at,
                            "first_response_at": answered.to_rfc3339(), "status": "pending"});
        create(app, admin, "tickets", ticket).await;
        create(app, admin, "leads", json!({"name": "Lead", "source": "website", "created_at": at})).await;
        let opportunity = json!({"customer_id": customer, "owner_id": rep_id, "name": "Deal", "amount": 100,
                                 "stage": "won", "created_at": at, "closed_at": at,
                                 "stage_history": [{"stage": "qualification", "changed_at": at}, {"stage": "won", "changed_at": at}]});
        create(app, admin, "opportunities", opportunity).await;
    }
}

/// Orders, tickets, leads, opportunities won, and the rep's orders in a
/// window, by every statistic that counts them.
async fn counts(app: &TestApp, admin: &str, rep_id: &str, window: &str) -> Vec<(&'static str, Value)> {
    let summary = stat(app, admin, &format!("stats/sales/summary?{window}")).await;
    let breakdown = stat(app, admin, &format!("stats/sales/breakdown?{window}&by=product_category")).await;
    let funnel = stat(app, admin, &format!("stats/sales/funnel?{window}")).await;
    let service = stat(app, admin, &format!("stats/service/summary?{window}")).await;
    let sla = stat(app, admin, &format!("stats/service/sla?{window}")).await;
    let leads = stat(app, admin, &format!("stats/leads/conversion?{window}")).await;
    let employees = stat(app, admin, &format!("stats/employees/performance?{window}")).await;
    let dashboard = stat(app, admin, &format!("stats/dashboard?{window}")).await;
    let rep_orders = employees["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["user_id"] == rep_id)
        .map_or(json!(0), |row| row["orders"].clone());
    let leads: i64 = leads["rows"].as_array().unwrap().iter().map(|row| row["leads"].as_i64().unwrap()).sum();
    vec![
        ("sales summary orders", summary["orders"].clone()),
        ("breakdown orders", breakdown["total"]["orders"].clone()),
        ("funnel reached", funnel["stages"][0]["reached"].clone()),
        ("funnel won", funnel["won"].clone()),
        ("tickets created", service["created"].clone()),
        ("SLA first responses counted", sla["total"]["first_response_counted"].clone()),
        ("leads", json!(leads)),
        ("rep's orders", rep_orders),
        ("dashboard orders", dashboard["sales"]["orders"].clone()),
        ("dashboard tickets", dashboard["service"]["tickets_created"].clone()),
    ]
}

fn all(n: i64) -> Vec<Value> {
    vec![json!(n); 10]
}

fn values(counts: Vec<(&'static str, Value)>) -> Vec<Value> {
    counts.into_iter().map(|(_, value)| value).collect()
}

/// The sales section's orders in a report: (period, current, previous period, previous).
async fn report_orders(app: &TestApp, admin: &str, kind: &str, period: &str) -> (Value, Value, Value, Value) {
    let report = stat(app, admin, &format!("reports/{kind}?period={period}")).await;
    let sales = report["sections"].as_array().unwrap().iter().find(|s| s["section"] == "sales").unwrap().clone();
    let orders = sales["rows"].as_array().unwrap().iter().find(|r| r["figure"] == "orders").unwrap().clone();
    (report["period"].clone(), orders["current"].clone(), report["previous_period"].clone(), orders["previous"].clone())
}

#[tokio::test]
async fn records_at_the_quarters_edge_fall_on_the_organizations_local_days() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rep_id, _) = app.user_with_role(&admin, "sales", None).await;
    edge_fixture(&app, &admin, &rep_id).await;
    let q1 = "from=2026-01-01&to=2026-04-01";
    let q2 = "from=2026-04-01&to=2026-07-01";

    // UTC: all three on 31 March, in Q1.
    assert_eq!(values(counts(&app, &admin, &rep_id, q1).await), all(3));
    assert_eq!(values(counts(&app, &admin, &rep_id, q2).await), all(0));
    let days = stat(&app, &admin, "stats/sales/timeseries?from=2026-03-31&to=2026-04-02&granularity=day").await;
    assert_eq!(column(&days["rows"], "period_start"), [json!("2026-03-31T00:00:00Z"), json!("2026-04-01T00:00:00Z")]);
    assert_eq!(column(&days["rows"], "orders"), [json!(3), json!(0)]);
    assert_eq!(report_orders(&app, &admin, "quarterly", "2026-Q1").await.1, json!(3));

    // Shanghai, with the fiscal year starting in April.
    set_settings(&app, &admin, json!({"time_zone": "Asia/Shanghai", "fiscal_year_start_month": 4})).await;
    let q1_counts = counts(&app, &admin, &rep_id, q1).await;
    let mut expected = all(1);
    // (The ticket of 23:59:59 was answered at 00:29:59 on 1 April: after `to`.)
    expected[5] = json!(0);
    assert_eq!(values(q1_counts.clone()), expected, "{q1_counts:?}");
    let q2_counts = counts(&app, &admin, &rep_id, q2).await;
    assert_eq!(values(q2_counts.clone()), all(2), "{q2_counts:?}");
    let summary = stat(&app, &admin, &format!("stats/sales/summary?{q2}")).await;
    assert_eq!(summary["window"], json!({"from": "2026-04-01T00:00:00+08:00", "to": "2026-07-01T00:00:00+08:00"}));
    assert_eq!(summary["revenue"], "20.00");
    // An instant is an instant: the UTC day still holds all three.
    let instants = stat(&app, &admin, "stats/sales/summary?from=2026-03-31T00:00:00Z&to=2026-04-01T00:00:00Z").await;
    assert_eq!(instants["orders"], 3);

    for (granularity, window, starts, orders) in [
        (
            "day",
            "from=2026-03-31&to=2026-04-02",
            vec!["2026-03-31T00:00:00+08:00", "2026-04-01T00:00:00+08:00"],
            vec![1, 2],
        ),
        (
            "month",
            "from=2026-03-01&to=2026-05-01",
            vec!["2026-03-01T00:00:00+08:00", "2026-04-01T00:00:00+08:00"],
            vec![1, 2],
        ),
        (
            "quarter",
            "from=2026-01-01&to=2026-07-01",
            vec!["2026-01-01T00:00:00+08:00", "2026-04-01T00:00:00+08:00"],
            vec![1, 2],
        ),
        (
            "fiscal_quarter",
            "from=2026-01-01&to=2026-07-01",
            vec!["2026-01-01T00:00:00+08:00", "2026-04-01T00:00:00+08:00"],
            vec![1, 2],
        ),
        (
            "fiscal_year",
            "from=2025-04-01&to=2027-04-01",
            vec!["2025-04-01T00:00:00+08:00", "2026-04-01T00:00:00+08:00"],
            vec![1, 2],
        ),
    ] {
        let path = format!("stats/sales/timeseries?{window}&granularity={granularity}");
        let series = stat(&app, &admin, &path).await;
        assert_eq!(
            column(&series["rows"], "period_start"),
            starts.iter().map(|s| json!(s)).collect::<Vec<_>>(),
            "{path}"
        );
        assert_eq!(column(&series["rows"], "orders"), orders.iter().map(|n| json!(n)).collect::<Vec<_>>(), "{path}");
        let service = stat(&app, &admin, &path.replace("sales/timeseries", "service/timeseries")).await;
        assert_eq!(column(&service["rows"], "created"), orders.iter().map(|n| json!(n)).collect::<Vec<_>>(), "{path}");
    }
    // Targets may be set for fiscal periods, which count inside a window
    // holding them.
    let target = |period: &str, start: &str| json!({"owner_id": rep_id, "period": period, "period_start": start, "metric": "revenue", "target_value": "1000.00"});
    app.post("/api/v1/targets", Some(&admin), &target("year", "2026-04-01")).await.assert_problem(422);
    app.post("/api/v1/targets", Some(&admin), &target("fiscal_quarter", "2026-05-01")).await.assert_problem(422);
    create(&app, &admin, "targets", target("fiscal_year", "2026-04-01")).await;
    let year = stat(&app, &admin, "stats/employees/performance?range=this_fiscal_year").await;
    let row = year["rows"].as_array().unwrap().iter().find(|row| row["user_id"] == rep_id.as_str()).unwrap().clone();
    assert_eq!(row["target"], if year["window"]["from"] == "2026-04-01T00:00:00+08:00" { "1000.00" } else { "0.00" });
    let fy2026 = stat(&app, &admin, "stats/employees/performance?from=2026-04-01&to=2027-04-01").await;
    let row = fy2026["rows"].as_array().unwrap().iter().find(|row| row["user_id"] == rep_id.as_str()).unwrap().clone();
    assert_eq!((&row["target"], &row["revenue"]), (&json!("1000.00"), &json!("20.00")));

    // Lists take the same dates, and exports write the same local times.
    let listed = stat(&app, &admin, "orders?ordered_from=2026-04-01&ordered_to=2026-04-02&count=true").await;
    assert_eq!(listed["total"], 2);
    let listed = stat(&app, &admin, "tickets?created_from=2026-04-01&count=true").await;
    assert_eq!(listed["total"], 2);
    let export = app.get("/api/v1/orders/export?format=csv&sort=ordered_at", Some(&admin)).await;
    assert_eq!(export.status, 200, "{}", export.text);
    for local in ["2026-03-31T23:59:59+08:00", "2026-04-01T00:00:00+08:00", "2026-04-01T00:00:01+08:00"] {
        assert!(export.text.contains(local), "{local} in {}", export.text);
    }
    let dashboard = stat(&app, &admin, "stats/dashboard?from=2026-03-31&to=2026-04-02&granularity=day").await;
    assert_eq!(column(&dashboard["revenue_series"], "revenue"), [json!("10.00"), json!("20.00")]);

    assert_eq!(
        report_orders(&app, &admin, "quarterly", "2026-Q2").await,
        (json!("2026-Q2"), json!(2), json!("2026-Q1"), json!(1))
    );
    assert_eq!(
        report_orders(&app, &admin, "quarterly", "FY2026-Q1").await,
        (json!("FY2026-Q1"), json!(2), json!("FY2025-Q4"), json!(1))
    );
    assert_eq!(
        report_orders(&app, &admin, "annual", "FY2025").await,
        (json!("FY2025"), json!(1), json!("FY2024"), json!(0))
    );
    assert_eq!(report_orders(&app, &admin, "monthly", "2026-04").await.1, json!(2));
    let report = stat(&app, &admin, "reports/quarterly?period=FY2026-Q1").await;
    assert_eq!(report["window"]["from"], "2026-04-01T00:00:00+08:00");
    let refused = app.get("/api/v1/reports/monthly?period=FY2026-04", Some(&admin)).await;
    refused.assert_problem(422);

    // A write after the change lands on its local day: 16:30Z on 30 April
    // is 00:30 on 1 May in Shanghai.
    let customer = create(&app, &admin, "customers", json!({"name": "Late"})).await;
    let products = app.get("/api/v1/products", Some(&admin)).await;
    let product = products.body["data"][0]["id"].as_str().unwrap().to_string();
    let order = json!({"customer_id": customer, "ordered_at": "2026-04-30T16:30:00Z", "status": "paid",
                       "items": [{"product_id": product, "quantity": 1}]});
    create(&app, &admin, "orders", order).await;
    let months = stat(&app, &admin, "stats/sales/timeseries?from=2026-04-01&to=2026-06-01&granularity=month").await;
    assert_eq!(column(&months["rows"], "orders"), [json!(2), json!(1)]);

    // Presets resolve in the zone: this fiscal year starts on the 1st of
    // April in Shanghai.
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
    let year = if chrono::Datelike::month(&now) >= 4 {
        chrono::Datelike::year(&now)
    } else {
        chrono::Datelike::year(&now) - 1
    };
    let this_year = stat(&app, &admin, "stats/sales/summary?range=this_fiscal_year").await;
    assert_eq!(
        this_year["window"],
        json!({"from": format!("{year}-04-01T00:00:00+08:00"), "to": format!("{}-04-01T00:00:00+08:00", year + 1)})
    );
    let settings = settings(&app, &admin).await;
    assert_eq!(settings.body["time_zone"], "Asia/Shanghai");

    // Back to UTC: today's answers again.
    set_settings(&app, &admin, json!({"time_zone": "UTC", "fiscal_year_start_month": 1})).await;
    assert_eq!(values(counts(&app, &admin, &rep_id, q1).await), all(3));
}

#[tokio::test]
async fn daylight_saving_days_hold_exactly_their_local_days() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    set_settings(&app, &admin, json!({"time_zone": "America/New_York"})).await;
    let product = create(
        &app,
        &admin,
        "products",
        json!({"sku": "D", "name": "Daylight", "category": "Tea", "unit_price": "1.00"}),
    )
    .await;
    let customer = create(&app, &admin, "customers", json!({"name": "Acme"})).await;
    for at in [
        "2026-03-08T04:59:59Z", // Sat 7 March 23:59:59 EST
        "2026-03-08T05:00:00Z", // Sun 8 March 00:00 EST
        "2026-03-09T03:59:59Z", // Sun 8 March 23:59:59 EDT (a 23-hour day)
        "2026-03-09T04:00:00Z", // Mon 9 March 00:00 EDT
        "2026-11-01T04:00:00Z", // Sun 1 November 00:00 EDT
        "2026-11-02T04:59:59Z", // Sun 1 November 23:59:59 EST (a 25-hour day)
        "2026-11-02T05:00:00Z", // Mon 2 November 00:00 EST
    ] {
        let order = json!({"customer_id": customer, "ordered_at": at, "status": "paid",
                           "items": [{"product_id": product, "quantity": 1}]});
        create(&app, &admin, "orders", order).await;
    }
    let series = |path: String| {
        let app = &app;
        let admin = &admin;
        async move {
            let body = stat(app, admin, &path).await;
            (column(&body["rows"], "period_start"), column(&body["rows"], "orders"), body["window"].clone())
        }
    };
    let strings = |items: &[&str]| items.iter().map(|s| json!(s)).collect::<Vec<_>>();
    let numbers = |items: &[i64]| items.iter().map(|n| json!(n)).collect::<Vec<_>>();

    let (starts, orders, window) =
        series("stats/sales/timeseries?from=2026-03-07&to=2026-03-10&granularity=day".into()).await;
    assert_eq!(
        starts,
        strings(&["2026-03-07T00:00:00-05:00", "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00"])
    );
    assert_eq!(orders, numbers(&[1, 2, 1]));
    assert_eq!(window, json!({"from": "2026-03-07T00:00:00-05:00", "to": "2026-03-10T00:00:00-04:00"}));
    let (starts, orders, _) =
        series("stats/sales/timeseries?from=2026-10-31&to=2026-11-03&granularity=day".into()).await;
    assert_eq!(
        starts,
        strings(&["2026-10-31T00:00:00-04:00", "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00"])
    );
    assert_eq!(orders, numbers(&[0, 2, 1]));
    let day = stat(&app, &admin, "stats/sales/summary?from=2026-03-08&to=2026-03-09").await;
    assert_eq!(day["orders"], 2, "the 23-hour day");
    let day = stat(&app, &admin, "stats/sales/summary?from=2026-11-01&to=2026-11-02").await;
    assert_eq!(day["orders"], 2, "the 25-hour day");

    // Weeks start on Monday (ISO), then on Sunday.
    let (starts, orders, _) =
        series("stats/sales/timeseries?from=2026-03-02&to=2026-03-16&granularity=week".into()).await;
    assert_eq!(
        (starts, orders),
        (strings(&["2026-03-02T00:00:00-05:00", "2026-03-09T00:00:00-04:00"]), numbers(&[3, 1]))
    );
    set_settings(&app, &admin, json!({"week_start": "sunday"})).await;
    let (starts, orders, _) =
        series("stats/sales/timeseries?from=2026-03-01&to=2026-03-15&granularity=week".into()).await;
    assert_eq!(
        (starts, orders),
        (strings(&["2026-03-01T00:00:00-05:00", "2026-03-08T00:00:00-05:00"]), numbers(&[1, 3]))
    );
    let this_week = stat(&app, &admin, "stats/sales/summary?range=this_week").await;
    let from = chrono::DateTime::parse_from_rfc3339(this_week["window"]["from"].as_str().unwrap()).unwrap();
    let local = from.with_timezone(&chrono_tz::America::New_York);
    assert_eq!(chrono::Datelike::weekday(&local), chrono::Weekday::Sun, "{from}");
    assert_eq!(local.time(), chrono::NaiveTime::MIN, "{from}");
    use chrono::Offset;
    assert_eq!(*from.offset(), local.offset().fix(), "written with the zone's offset");
}
