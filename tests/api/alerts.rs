//! Alerts appear and disappear as the records change. The fixture is laid
//! out relative to now (default SLA targets: urgent 60 / 240 minutes, high
//! 240 / 1,440, normal 480 / 4,320):
//!
//! | record | state | alert |
//! |---|---|---|
//! | T1 urgent, 2 h old | no response | first response critical |
//! | T2 urgent, 50 min old | no response (83 % of 60 min) | first response warning |
//! | T3 normal, 2 h old | no response (25 %) | none |
//! | T4 high, 3 days old | responded, unresolved | resolution critical |
//! | O1, 20 days old | no activity | stale warning (14 days) |
//! | O2 (Rami's), 40 days old | no activity | stale critical (28+) |
//! | O3, 20 days old | activity 2 days ago | none |
//! | O4, 40 days old | won | none |
//! | K | one order 100 days ago | churn warning (100 / 90) |
//! | L | one order 200 days ago | churn critical (overdue 2.2) |
//! | Rami | target 1,000.00 this month, no revenue | behind target critical |
//! | Sue | target 100.00, 100.00 sold this month | none |

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::fixtures::person;
use crate::helpers::{TestApp, create, spawn_app};

fn ago(duration: Duration) -> String {
    (Utc::now() - duration).to_rfc3339()
}

/// (rule, severity, label) of each alert, in the answer's order.
fn listed(body: &Value) -> Vec<(String, String, String)> {
    body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap().into(),
                a["severity"].as_str().unwrap().into(),
                a["record"]["label"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn alert(rule: &str, severity: &str, label: &str) -> (String, String, String) {
    (rule.into(), severity.into(), label.into())
}

async fn order(app: &TestApp, admin: &str, customer: &str, product: &str, owner: &str, at: &str, price: &str) {
    let body = json!({"customer_id": customer, "owner_id": owner, "ordered_at": at, "status": "paid",
                      "items": [{"product_id": product, "quantity": 1, "unit_price": price}]});
    create(app, admin, "orders", body).await;
}

#[tokio::test]
async fn alerts_appear_and_disappear_with_the_records() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rami_id, rami) = person(&app, &admin, "Rami", "sales", None).await;
    let (sue_id, _) = person(&app, &admin, "Sue", "sales", None).await;
    let product = create(&app, &admin, "products", json!({"sku": "P", "name": "Pen", "unit_price": "1.00"})).await;
    let base = create(&app, &admin, "customers", json!({"name": "Base", "owner_id": rami_id})).await;

    let ticket = |subject: &str, priority: &str, age: Duration| json!({"customer_id": base, "subject": subject, "priority": priority, "created_at": ago(age)});
    let t1 = create(&app, &admin, "tickets", ticket("T1", "urgent", Duration::hours(2))).await;
    create(&app, &admin, "tickets", ticket("T2", "urgent", Duration::minutes(50))).await;
    create(&app, &admin, "tickets", ticket("T3", "normal", Duration::hours(2))).await;
    let t4 = create(&app, &admin, "tickets", ticket("T4", "high", Duration::days(3))).await;
    assert_eq!(app.post(&format!("/api/v1/tickets/{t4}/respond"), Some(&admin), &json!({})).await.status, 200);

    let opportunity = |name: &str, age: i64, owner: &str| json!({"customer_id": base, "name": name, "amount": "500.00", "owner_id": owner, "created_at": ago(Duration::days(age))});
    let o1 = create(&app, &admin, "opportunities", opportunity("O1", 20, &sue_id)).await;
    create(&app, &admin, "opportunities", opportunity("O2", 40, &rami_id)).await;
    let o3 = create(&app, &admin, "opportunities", opportunity("O3", 20, &sue_id)).await;
    let o4 = create(&app, &admin, "opportunities", opportunity("O4", 40, &sue_id)).await;
    let touch = |opportunity: &str, age: Duration| json!({"type": "call", "opportunity_id": opportunity, "subject": "Follow-up", "occurred_at": ago(age)});
    create(&app, &admin, "activities", touch(&o3, Duration::days(2))).await;
    assert_eq!(
        app.patch(&format!("/api/v1/opportunities/{o4}"), Some(&admin), &json!({"stage": "won"})).await.status,
        200
    );

    let k = create(&app, &admin, "customers", json!({"name": "K", "owner_id": sue_id})).await;
    let l = create(&app, &admin, "customers", json!({"name": "L", "owner_id": sue_id})).await;
    order(&app, &admin, &k, &product, &sue_id, &ago(Duration::days(100)), "40.00").await;
    order(&app, &admin, &l, &product, &sue_id, &ago(Duration::days(200)), "70.00").await;

    let month_start = {
        let today = Utc::now().date_naive();
        chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), chrono::Datelike::month(&today), 1).unwrap()
    };
    for (owner, value) in [(&rami_id, "1000.00"), (&sue_id, "100.00")] {
        let body = json!({"owner_id": owner, "period": "month", "period_start": month_start, "metric": "revenue", "target_value": value});
        create(&app, &admin, "targets", body).await;
    }
    let m = create(&app, &admin, "customers", json!({"name": "M", "owner_id": sue_id})).await;
    let just_now = ago(Duration::seconds(1));
    order(&app, &admin, &m, &product, &sue_id, &just_now, "100.00").await;

    const ALERTS: &str = "/api/v1/alerts?pace_grace_days=0";
    let reply = app.get(ALERTS, Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        listed(&reply.body),
        vec![
            alert("sla_first_response", "critical", "T1"),
            alert("sla_resolution", "critical", "T4"),
            alert("stale_opportunity", "critical", "O2"),
            alert("churn_risk", "critical", "L"),
            alert("behind_target", "critical", "Rami"),
            alert("sla_first_response", "warning", "T2"),
            alert("stale_opportunity", "warning", "O1"),
            alert("churn_risk", "warning", "K"),
        ]
    );
    let counts: Vec<(String, i64)> = reply.body["by_rule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rule"].as_str().unwrap().into(), r["alerts"].as_i64().unwrap()))
        .collect();
    let expected: Vec<(String, i64)> = [
        ("sla_first_response", 2),
        ("sla_resolution", 1),
        ("stale_opportunity", 2),
        ("churn_risk", 2),
        ("behind_target", 1),
    ]
    .into_iter()
    .map(|(r, n)| (r.into(), n))
    .collect();
    assert_eq!(counts, expected);
    let first = &reply.body["alerts"][0];
    assert_eq!(first["record"]["type"], "ticket");
    assert_eq!(first["record"]["id"], t1.as_str());
    assert_eq!(first["details"]["priority"], "urgent");
    assert_eq!(first["details"]["target_minutes"], 60);
    assert!((first["details"]["elapsed_share"].as_f64().unwrap() - 2.0).abs() < 0.05);
    let rami_alert = &reply.body["alerts"][4];
    assert_eq!(
        (rami_alert["owner_id"].as_str(), rami_alert["details"]["revenue"].as_str()),
        (Some(rami_id.as_str()), Some("0.00"))
    );
    assert_eq!(rami_alert["details"]["target"], "1000.00");
    let o2 = &reply.body["alerts"][2];
    assert_eq!((o2["details"]["idle_days"].as_i64(), o2["details"]["amount"].as_str()), (Some(40), Some("500.00")));
    assert_eq!(reply.body["thresholds"]["stale_days"], 14);

    // Act on them: respond to T1, call about O1, K orders again, Rami sells.
    assert_eq!(app.post(&format!("/api/v1/tickets/{t1}/respond"), Some(&admin), &json!({})).await.status, 200);
    create(&app, &admin, "activities", touch(&o1, Duration::seconds(1))).await;
    order(&app, &admin, &k, &product, &sue_id, &just_now, "10.00").await;
    order(&app, &admin, &base, &product, &rami_id, &just_now, "1000.00").await;
    let reply = app.get(ALERTS, Some(&admin)).await;
    assert_eq!(
        listed(&reply.body),
        vec![
            alert("sla_resolution", "critical", "T4"),
            alert("stale_opportunity", "critical", "O2"),
            alert("churn_risk", "critical", "L"),
            alert("sla_first_response", "warning", "T2"),
        ]
    );

    // Thresholds and filters.
    let reply = app.get(&format!("{ALERTS}&stale_days=30&rule=stale_opportunity"), Some(&admin)).await;
    assert_eq!(listed(&reply.body), vec![alert("stale_opportunity", "warning", "O2")]);
    assert_eq!(reply.body["by_rule"].as_array().unwrap().len(), 1);
    let reply = app.get(&format!("{ALERTS}&severity=warning"), Some(&admin)).await;
    assert_eq!(listed(&reply.body), vec![alert("sla_first_response", "warning", "T2")]);
    let reply = app.get(&format!("{ALERTS}&sla_warning=0.9"), Some(&admin)).await;
    assert!(
        !listed(&reply.body).contains(&alert("sla_first_response", "warning", "T2")),
        "50 of 60 minutes is under 90 %"
    );

    // Rami: his own records, no ticket rules.
    let reply = app.get(ALERTS, Some(&rami)).await;
    assert_eq!(listed(&reply.body), vec![alert("stale_opportunity", "critical", "O2")]);
    assert_eq!(reply.body["omitted_rules"], json!(["sla_first_response", "sla_resolution"]));

    for (query, field) in
        [("sla_warning=2", "sla_warning"), ("stale_days=0", "stale_days"), ("rule=fire", "rule"), ("limit=0", "limit")]
    {
        let reply = app.get(&format!("/api/v1/alerts?{query}"), Some(&admin)).await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.text);
        assert_eq!(reply.error_fields(), vec![field], "{query}: {}", reply.text);
    }
}
