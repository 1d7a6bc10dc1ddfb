//! The demo and benchmark generator: deterministic from its seed, and a
//! development start on an empty database shows real statistics.

use chrono::NaiveDate;
use serde_json::Value;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, spawn_app, spawn_app_with_settings};

fn options(seed: u64) -> crm::seed::Options {
    crm::seed::Options { scale: 0.2, seed, until: NaiveDate::from_ymd_opt(2025, 7, 1).unwrap(), progress: false }
}

/// A set of statistics over the generated history, as a frontend reads them.
async fn statistics(app: &TestApp) -> Vec<Value> {
    let token = app.admin_token().await;
    let window = "from=2024-07-01&to=2025-07-01";
    let mut out = vec![];
    for path in [
        format!("dashboard?{window}&granularity=month"),
        format!("sales/breakdown?{window}&by=owner"),
        format!("sales/funnel?{window}"),
        format!("service/summary?{window}"),
        format!("customers/overview?{window}"),
        format!("marketing/campaigns?{window}"),
        "data-quality".to_string(),
    ] {
        let reply = app.get(&format!("/api/v1/stats/{path}"), Some(&token)).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        let mut body = reply.body;
        // The pipeline and staleness are as of now; the rest is history.
        body["sales"]["weighted_pipeline"] = Value::Null;
        body["stale"] = Value::Null;
        body["stale_rate"] = Value::Null;
        out.push(body);
    }
    out
}

#[tokio::test]
async fn the_same_seed_gives_the_same_statistics() {
    let (first, second, other) = (spawn_app().await, spawn_app().await, spawn_app().await);
    for (app, seed) in [(&first, 7), (&second, 7), (&other, 8)] {
        let report = crm::seed::run(&app.state.db, options(seed)).await.unwrap();
        assert!(report.rows["orders"] > 1_000, "{:?}", report.rows);
    }
    let (a, b, c) = (statistics(&first).await, statistics(&second).await, statistics(&other).await);
    assert_eq!(a, b, "two runs with the same seed");
    assert_ne!(a[0], c[0], "another seed, another company");
    // A second load into the same database is refused.
    let again = crm::seed::run(&first.state.db, options(7)).await;
    assert!(matches!(again, Err(crm::seed::SeedError::NotEmpty)));
}

#[tokio::test]
async fn a_development_start_loads_the_demo_and_shows_real_statistics() {
    let app = spawn_app_with_settings(&[("CRM_DEMO_DATA", "true")]).await;
    let password = app.demo_password.clone().expect("the demo was loaded");
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.body["access_token"].as_str().unwrap().to_string();
    let reply = app.get("/api/v1/stats/dashboard?range=last_12_months", Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let b = &reply.body;
    assert_ne!(b["sales"]["revenue"], "0.00");
    assert!(b["sales"]["win_rate"].as_f64().unwrap() > 0.0);
    assert!(b["service"]["tickets_created"].as_i64().unwrap() > 0);
    assert!(b["service"]["csat"].as_f64().unwrap() > 0.0);
    assert!(b["marketing"]["campaigns"].as_i64().unwrap() > 0);
    // Every statistic of the last 12 months has something to show.
    for path in [
        "sales/summary",
        "sales/timeseries",
        "sales/breakdown?by=product_category",
        "sales/funnel",
        "customers/overview",
        "customers/distribution?by=region",
        "customers/retention",
        "customers/clv",
        "leads/conversion",
        "marketing/campaigns",
        "marketing/channels",
        "service/summary",
        "service/timeseries",
        "service/breakdown?by=priority",
        "service/sla",
        "satisfaction",
        "employees/performance",
        "teams/performance",
    ] {
        let separator = if path.contains('?') { '&' } else { '?' };
        let reply = app.get(&format!("/api/v1/stats/{path}{separator}range=last_12_months"), Some(&admin)).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        let text = reply.text;
        assert!(
            text.matches(":0,").count() + text.matches(":null").count() < text.matches(':').count() / 2,
            "{path} is mostly empty: {text}"
        );
    }
    // The printed demo logins work, each with its role's view.
    for (role, email) in crm::seed::DEMO_LOGINS {
        let login = app.login(email, &password).await;
        assert_eq!(login.status, 200, "{role}: {}", login.text);
    }
    let rep = app.login("sales@example.com", &password).await.body["access_token"].as_str().unwrap().to_string();
    let mine = app.get("/api/v1/stats/sales/summary?range=last_12_months", Some(&rep)).await.body;
    let all = app.get("/api/v1/stats/sales/summary?range=last_12_months", Some(&admin)).await.body;
    assert_ne!(mine["revenue"], "0.00");
    assert_ne!(mine["revenue"], all["revenue"], "a rep sees their own sales");
}
