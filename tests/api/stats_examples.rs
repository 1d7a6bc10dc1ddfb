//! The examples the OpenAPI document shows for the statistics are real
//! answers: each is recorded from the fixture of `stats_sales` and
//! `stats_employees` (plus a campaign, leads and survey answers), with ids
//! replaced by stable placeholders and numbers rounded to 12 decimals so
//! that both databases record the same text. Run with `UPDATE_EXAMPLES=1`
//! to record them again after a deliberate change.

use serde_json::{Value, json};

use crate::fixtures::fixture;
use crate::fixtures::more;
use crate::helpers::{create, spawn_app};

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
}

/// Ids become `00000000-0000-7000-8000-00000000000N` in order of first
/// appearance; the moment of the request (`as_of`) a fixed instant.
fn stable(value: &mut Value, ids: &mut Vec<String>) {
    match value {
        Value::String(text) if is_uuid(text) => {
            let index = match ids.iter().position(|id| id == text) {
                Some(index) => index,
                None => {
                    ids.push(text.clone());
                    ids.len() - 1
                }
            };
            *text = format!("00000000-0000-7000-8000-{:012}", index + 1);
        }
        Value::Number(number) if number.is_f64() => {
            let rounded = (number.as_f64().unwrap() * 1e12).round() / 1e12;
            *value = json!(rounded);
        }
        Value::Array(items) => items.iter_mut().for_each(|item| stable(item, ids)),
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if key == "as_of" || key == "generated_at" {
                    *item = json!("2025-04-01T00:00:00Z");
                } else {
                    stable(item, ids);
                }
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn openapi_examples_are_recorded_answers() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    more(&app, &f.admin, &f.ids).await;
    let admin = &f.admin;
    let spring = create(
        &app,
        admin,
        "campaigns",
        json!({"name": "Spring", "channel": "wechat", "start_date": "2025-03-01", "end_date": "2025-03-31",
               "actual_cost": "100.00", "impressions": 20000, "clicks": 400}),
    )
    .await;
    let customer =
        create(&app, admin, "customers", json!({"name": "Lead Co", "created_at": "2025-03-02T00:00:00Z"})).await;
    for (source, created, converted) in [
        ("website", "2025-03-02T09:00:00Z", Some("2025-03-06T09:00:00Z")),
        ("website", "2025-03-10T09:00:00Z", None),
        ("referral", "2025-03-12T09:00:00Z", None),
    ] {
        let mut body = json!({"name": "Lead", "source": source, "campaign_id": spring, "created_at": created});
        if let Some(at) = converted {
            body["status"] = json!("converted");
            body["converted_customer_id"] = json!(customer);
            body["converted_at"] = json!(at);
        }
        create(&app, admin, "leads", body).await;
    }
    for (score, at) in [(10, "2025-03-03"), (9, "2025-03-09"), (6, "2025-03-20")] {
        create(
            &app,
            admin,
            "feedback",
            json!({"customer_id": customer, "score": score, "submitted_at": format!("{at}T12:00:00Z")}),
        )
        .await;
    }
    let march = "from=2025-03-01&to=2025-04-01";
    let requests = [
        ("sales_summary", format!("sales/summary?{march}&compare=previous_period")),
        ("sales_timeseries", "sales/timeseries?from=2025-01-01&to=2025-04-01&granularity=month".to_string()),
        ("sales_breakdown", format!("sales/breakdown?{march}&by=product_category")),
        ("sales_product_affinity", format!("sales/product-affinity?{march}&min_orders=1")),
        ("sales_forecast", "sales/forecast?as_of=2025-04-01&horizon=3".to_string()),
        ("sales_funnel", "sales/funnel?from=2025-02-01&to=2025-04-01".to_string()),
        ("sales_pipeline", "sales/pipeline".to_string()),
        ("customers_overview", format!("customers/overview?{march}")),
        ("customers_distribution", format!("customers/distribution?{march}&by=segment")),
        ("customers_retention", "customers/retention?from=2025-04-01&to=2025-05-01".to_string()),
        ("customers_cohorts", "customers/retention/cohorts?from=2025-02-01&to=2025-04-01".to_string()),
        ("customers_clv", format!("customers/clv?{march}&top=3")),
        ("customers_interactions", format!("customers/interactions?{march}&limit=3")),
        ("customers_rfm", format!("customers/rfm?{march}&limit=3")),
        ("customers_churn_risk", "customers/churn-risk?from=2025-06-01&to=2025-07-01&limit=3".to_string()),
        ("leads_conversion", format!("leads/conversion?{march}")),
        ("marketing_campaigns", format!("marketing/campaigns?{march}")),
        ("marketing_channels", format!("marketing/channels?{march}")),
        ("service_summary", format!("service/summary?{march}")),
        ("service_timeseries", "service/timeseries?from=2025-02-01&to=2025-04-01&granularity=month".to_string()),
        ("service_breakdown", format!("service/breakdown?{march}&by=priority")),
        ("service_sla", format!("service/sla?{march}")),
        ("satisfaction", format!("satisfaction?{march}")),
        ("employees_performance", format!("employees/performance?{march}&role=sales")),
        (
            "employees_scorecard",
            format!("employees/{}/scorecard?from=2025-02-01&to=2025-04-01&granularity=month", f.ids["r1"]),
        ),
        ("teams_performance", format!("teams/performance?{march}")),
        ("data_quality", "data-quality".to_string()),
        ("dashboard", "dashboard?from=2025-03-01&to=2025-04-01&granularity=week".to_string()),
        ("report_monthly", "/api/v1/reports/monthly?period=2025-03".to_string()),
    ];
    // One request per example the registry names (and the report's).
    let recorded: std::collections::BTreeSet<&str> = requests.iter().map(|(name, _)| *name).collect();
    let named: std::collections::BTreeSet<&str> = crm::stats::examples::examples().map(|(_, name, _)| name).collect();
    assert_eq!(recorded, named, "every example the registry names is recorded here, and only those");
    let update = std::env::var("UPDATE_EXAMPLES").is_ok_and(|v| v == "1");
    let mut stale = vec![];
    for (name, path) in requests {
        let url = if path.starts_with('/') { path.clone() } else { format!("/api/v1/stats/{path}") };
        let reply = app.get(&url, Some(admin)).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        let mut body = reply.body;
        stable(&mut body, &mut vec![]);
        let text = format!("{}\n", serde_json::to_string_pretty(&body).unwrap());
        let file = format!("{}/openapi/examples/stats/{name}.json", env!("CARGO_MANIFEST_DIR"));
        if update {
            std::fs::write(&file, &text).unwrap();
        } else if std::fs::read_to_string(&file).unwrap_or_default() != text {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "examples no longer match the answers: {stale:?}; record them with UPDATE_EXAMPLES=1, then regenerate openapi/openapi.json"
    );
}
