//! RFM scores and segments on a 10-customer fixture, and churn risk, both
//! as of `to` = 2025-07-01, against figures computed by hand.
//!
//! RFM: each score is 1 + ⌊5 × (rank − 1) / n⌋ with rank the customer's
//! `RANK()` worst first (n = 10: ranks 1–2 → 1, 3–4 → 2, …, 9–10 → 5).
//!
//! | customer | last order | days | orders | revenue | R | F | M | segment |
//! |---|---|---|---|---|---|---|---|---|
//! | C1 (rep) | Jun 30 | 1 | 6 | 600 | 5 | 5 | 5 | champions |
//! | C2 (rep) | Jun 26 | 5 | 1 | 50 | 5 | 1 | 1 | new |
//! | C3 (rep) | Jun 21 | 10 | 4 | 400 | 4 | 4 | 4 | champions |
//! | C4 | Jun 11 | 20 | 2 | 120 | 4 | 2 | 3 | potential |
//! | C5 | May 22 | 40 | 5 | 500 | 3 | 4 | 5 | loyal |
//! | C6 | May 2 | 60 | 1 | 30 | 3 | 1 | 1 | hibernating |
//! | C7 | Apr 2 | 90 | 5 | 450 | 2 | 4 | 4 | at_risk |
//! | C8 | Mar 3 | 120 | 3 | 200 | 2 | 3 | 3 | at_risk |
//! | C9 | Dec 13 2024 | 200 | 1 | 80 | 1 | 1 | 2 | lost |
//! | C10 | Sep 4 2024 | 300 | 2 | 100 | 1 | 2 | 2 | lost |
//!
//! Frequency ties: the three one-order customers rank 1st (F 1), the two
//! with 2 orders 4th (F 2), C8 6th (F 3), C3 7th and C5/C7 8th (F 4), C1
//! 10th (F 5). C2 also has a pending order and C9 one after `to`, neither
//! counted; C11 has no counted order and is not scored.

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

use crate::fixtures::person;
use crate::helpers::{TestApp, create, spawn_app};

const AS_OF: &str = "from=2025-06-01&to=2025-07-01";

/// One order: the day, the quantity of a 10.00 product, the status.
type Order<'a> = (&'a str, i64, &'a str);

/// A customer (owned by `owner`, if given) with its orders.
pub async fn buyer(
    app: &TestApp,
    admin: &str,
    product: &str,
    name: &str,
    owner: Option<&str>,
    orders: &[Order<'_>],
) -> String {
    let customer = create(app, admin, "customers", json!({"name": name, "owner_id": owner})).await;
    for (day, quantity, status) in orders {
        let body = json!({"customer_id": customer, "ordered_at": format!("{day}T12:00:00Z"), "status": status,
                          "items": [{"product_id": product, "quantity": quantity}]});
        create(app, admin, "orders", body).await;
    }
    customer
}

/// `n` paid orders totalling `units` × 10.00, the last on `last`, the
/// others a week apart before it.
fn history(last: &str, n: i64, units: i64) -> Vec<(String, i64)> {
    let last = NaiveDate::parse_from_str(last, "%Y-%m-%d").unwrap();
    (0..n).map(|k| ((last - Duration::days(7 * k)).to_string(), if k == 0 { units - (n - 1) } else { 1 })).collect()
}

/// (segment, customers, revenue)
type SegmentRow = (String, i64, String);
/// (name, R, F, M, segment)
type Scored = (String, i64, i64, i64, String);

fn segments(body: &Value) -> Vec<SegmentRow> {
    body["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["segment"].as_str().unwrap().into(),
                s["customers"].as_i64().unwrap(),
                s["revenue"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn scored(body: &Value) -> Vec<Scored> {
    body["top_customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["label"].as_str().unwrap().into(),
                c["recency_score"].as_i64().unwrap(),
                c["frequency_score"].as_i64().unwrap(),
                c["monetary_score"].as_i64().unwrap(),
                c["segment"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn row(name: &str, r: i64, f: i64, m: i64, segment: &str) -> Scored {
    (name.into(), r, f, m, segment.into())
}

#[tokio::test]
async fn rfm_scores_and_segments() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rep_id, rep) = person(&app, &admin, "Rita", "sales", None).await;
    let product = create(&app, &admin, "products", json!({"sku": "R", "name": "Rice", "unit_price": "10.00"})).await;
    // (name, owned by the rep, last order, orders, revenue / 10)
    let fixture = [
        ("C1", true, "2025-06-30", 6, 60),
        ("C2", true, "2025-06-26", 1, 5),
        ("C3", true, "2025-06-21", 4, 40),
        ("C4", false, "2025-06-11", 2, 12),
        ("C5", false, "2025-05-22", 5, 50),
        ("C6", false, "2025-05-02", 1, 3),
        ("C7", false, "2025-04-02", 5, 45),
        ("C8", false, "2025-03-03", 3, 20),
        ("C9", false, "2024-12-13", 1, 8),
        ("C10", false, "2024-09-04", 2, 10),
    ];
    for (name, rep_owns, last, n, units) in fixture {
        let mut orders: Vec<(String, i64, &str)> =
            history(last, n, units).into_iter().map(|(day, quantity)| (day, quantity, "paid")).collect();
        match name {
            "C2" => orders.push(("2025-06-28".into(), 9, "pending")),
            "C9" => orders.push(("2025-07-02".into(), 9, "paid")),
            _ => {}
        }
        let orders: Vec<Order> =
            orders.iter().map(|(day, quantity, status)| (day.as_str(), *quantity, *status)).collect();
        buyer(&app, &admin, &product, name, rep_owns.then_some(rep_id.as_str()), &orders).await;
    }
    buyer(&app, &admin, &product, "C11", None, &[("2025-06-01", 1, "cancelled")]).await;

    let reply = app.get(&format!("/api/v1/stats/customers/rfm?{AS_OF}"), Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["customers"], 10);
    assert_eq!(reply.body["revenue"], "2530.00");
    let expected: Vec<SegmentRow> = [
        ("champions", 2, "1000.00"),
        ("loyal", 1, "500.00"),
        ("potential", 1, "120.00"),
        ("new", 1, "50.00"),
        ("at_risk", 2, "650.00"),
        ("hibernating", 1, "30.00"),
        ("lost", 2, "180.00"),
    ]
    .into_iter()
    .map(|(s, n, r)| (s.into(), n, r.into()))
    .collect();
    assert_eq!(segments(&reply.body), expected);
    let champions = &reply.body["segments"][0];
    assert_eq!(champions["share"], 0.2);
    assert_eq!(champions["orders"], 10);
    assert!((champions["revenue_share"].as_f64().unwrap() - 1000.0 / 2530.0).abs() < 1e-12);
    // By revenue to date.
    assert_eq!(
        scored(&reply.body),
        vec![
            row("C1", 5, 5, 5, "champions"),
            row("C5", 3, 4, 5, "loyal"),
            row("C7", 2, 4, 4, "at_risk"),
            row("C3", 4, 4, 4, "champions"),
            row("C8", 2, 3, 3, "at_risk"),
            row("C4", 4, 2, 3, "potential"),
            row("C10", 1, 2, 2, "lost"),
            row("C9", 1, 1, 2, "lost"),
            row("C2", 5, 1, 1, "new"),
            row("C6", 3, 1, 1, "hibernating"),
        ]
    );
    let c1 = &reply.body["top_customers"][0];
    assert_eq!(c1["recency_days"], 1);
    assert_eq!(c1["orders"], 6);
    assert_eq!(c1["revenue"], "600.00");
    assert_eq!(c1["last_order_at"], "2025-06-30T12:00:00Z");
    let c9 = &reply.body["top_customers"][7];
    assert_eq!((c9["recency_days"].as_i64(), c9["orders"].as_i64()), (Some(200), Some(1)));

    // One segment, and a limit.
    let reply = app.get(&format!("/api/v1/stats/customers/rfm?{AS_OF}&segment=at_risk"), Some(&admin)).await;
    assert_eq!(scored(&reply.body), vec![row("C7", 2, 4, 4, "at_risk"), row("C8", 2, 3, 3, "at_risk")]);
    assert_eq!(reply.body["customers"], 10, "the segment filters the list only");
    let reply = app.get(&format!("/api/v1/stats/customers/rfm?{AS_OF}&limit=1"), Some(&admin)).await;
    assert_eq!(scored(&reply.body), vec![row("C1", 5, 5, 5, "champions")]);

    // The rep's three customers are scored among themselves (n = 3):
    // recency ranks C3, C2, C1 → 1, 2, 4; frequency C2, C3, C1 → 1, 2, 4.
    let reply = app.get(&format!("/api/v1/stats/customers/rfm?{AS_OF}"), Some(&rep)).await;
    assert_eq!(reply.body["customers"], 3);
    assert_eq!(
        scored(&reply.body),
        vec![row("C1", 4, 4, 4, "champions"), row("C3", 1, 2, 2, "lost"), row("C2", 2, 1, 1, "hibernating")]
    );
    // The same with the owner filter, for the admin.
    let reply = app.get(&format!("/api/v1/stats/customers/rfm?{AS_OF}&owner_id={rep_id}"), Some(&admin)).await;
    assert_eq!(reply.body["customers"], 3);
    assert_eq!(reply.body["filters"]["owner_id"], rep_id.as_str());

    // Earlier: as of March 4, C8's last order is a day old.
    let reply = app.get("/api/v1/stats/customers/rfm?from=2025-03-01&to=2025-03-04", Some(&admin)).await;
    assert_eq!(reply.body["customers"], 3, "C8, C9, C10 (C7's first order is March 5): {}", reply.text);

    for (query, field) in [
        ("segment=vip", "segment"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("compare=previous_period", "compare"),
    ] {
        let reply = app.get(&format!("/api/v1/stats/customers/rfm?{AS_OF}&{query}"), Some(&admin)).await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.text);
        assert_eq!(reply.error_fields(), vec![field], "{query}: {}", reply.text);
    }
}

/// Churn risk as of 2025-07-01, default factor 2 and 90 days (10.00 per order):
///
/// | customer | purchase days | gaps | median | threshold | days since | at risk |
/// |---|---|---|---|---|---|---|
/// | A | Jun 1, 11, 21 | 10, 10 | 10 | 20 | 10 | no |
/// | B (rep) | Apr 1, 11, 21 | 10, 10 | 10 | 20 | 71 | yes |
/// | C | Mar 1, 31, Apr 2 | 30, 2 | 16 | 32 | 90 | yes |
/// | D | Apr 1 (two orders) | — | — | 90 | 91 | yes |
/// | E | Apr 3 | — | — | 90 | 89 | no |
/// | F (rep) | May 1, 4, 10, 20 | 3, 6, 10 | 6 | 12 | 42 | yes |
/// | G | Jul 2 (after `to`) | | | | | not considered |
#[tokio::test]
async fn churn_risk_against_each_customers_rhythm() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rep_id, rep) = person(&app, &admin, "Rolf", "sales", None).await;
    let product = create(&app, &admin, "products", json!({"sku": "S", "name": "Salt", "unit_price": "10.00"})).await;
    let fixture: [(&str, bool, &[&str]); 7] = [
        ("A", false, &["2025-06-01", "2025-06-11", "2025-06-21"]),
        ("B", true, &["2025-04-01", "2025-04-11", "2025-04-21"]),
        ("C", false, &["2025-03-01", "2025-03-31", "2025-04-02"]),
        ("D", false, &["2025-04-01", "2025-04-01"]),
        ("E", false, &["2025-04-03"]),
        ("F", true, &["2025-05-01", "2025-05-04", "2025-05-10", "2025-05-20"]),
        ("G", false, &["2025-07-02"]),
    ];
    let mut ids = std::collections::HashMap::new();
    for (name, rep_owns, days) in fixture {
        let orders: Vec<Order> = days.iter().map(|day| (*day, 1, "paid")).collect();
        let id = buyer(&app, &admin, &product, name, rep_owns.then_some(rep_id.as_str()), &orders).await;
        ids.insert(name, id);
    }

    let at_risk = |body: &Value| -> Vec<(String, i64, Option<f64>, f64)> {
        body["top_customers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["label"].as_str().unwrap().into(),
                    c["days_since_last_order"].as_i64().unwrap(),
                    c["median_gap_days"].as_f64(),
                    c["threshold_days"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let reply = app.get(&format!("/api/v1/stats/customers/churn-risk?{AS_OF}"), Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!((reply.body["customers"].as_i64(), reply.body["at_risk"].as_i64()), (Some(6), Some(4)));
    assert_eq!(reply.body["at_risk_share"], 4.0 / 6.0);
    assert_eq!(reply.body["revenue_at_risk"], "120.00");
    assert_eq!((reply.body["factor"].as_f64(), reply.body["days"].as_i64()), (Some(2.0), Some(90)));
    // By revenue to date: F (40.00), B and C (30.00, by id), D (20.00).
    assert_eq!(
        at_risk(&reply.body),
        vec![
            ("F".into(), 42, Some(6.0), 12.0),
            ("B".into(), 71, Some(10.0), 20.0),
            ("C".into(), 90, Some(16.0), 32.0),
            ("D".into(), 91, None, 90.0),
        ]
    );
    let f = &reply.body["top_customers"][0];
    assert_eq!(f["overdue"], 3.5);
    assert_eq!(f["owner_id"], rep_id.as_str());
    assert_eq!(f["customer_id"], ids["F"].as_str());
    assert_eq!(f["last_order_at"], "2025-05-20T12:00:00Z");

    // A larger factor and more days: nobody with a rhythm is late; D's 91
    // days are under 100.
    let reply = app.get(&format!("/api/v1/stats/customers/churn-risk?{AS_OF}&factor=8&days=100"), Some(&admin)).await;
    assert_eq!(reply.body["at_risk"], 0, "{}", reply.text);
    assert_eq!(reply.body["revenue_at_risk"], "0.00");
    assert_eq!(at_risk(&reply.body), vec![]);
    // factor 7: B (71 > 70) only; F's 42 days are not over 42.
    let reply = app.get(&format!("/api/v1/stats/customers/churn-risk?{AS_OF}&factor=7&days=100"), Some(&admin)).await;
    assert_eq!(at_risk(&reply.body), vec![("B".into(), 71, Some(10.0), 70.0)]);
    let reply = app.get(&format!("/api/v1/stats/customers/churn-risk?{AS_OF}&limit=1"), Some(&admin)).await;
    assert_eq!((reply.body["at_risk"].as_i64(), at_risk(&reply.body).len()), (Some(4), 1));

    // The rep sees B and F.
    let reply = app.get(&format!("/api/v1/stats/customers/churn-risk?{AS_OF}"), Some(&rep)).await;
    assert_eq!((reply.body["customers"].as_i64(), reply.body["at_risk"].as_i64()), (Some(2), Some(2)));

    for (query, field) in
        [("factor=0.5", "factor"), ("days=0", "days"), ("limit=5000", "limit"), ("factor=x", "factor")]
    {
        let reply = app.get(&format!("/api/v1/stats/customers/churn-risk?{AS_OF}&{query}"), Some(&admin)).await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.text);
        assert_eq!(reply.error_fields(), vec![field], "{query}: {}", reply.text);
    }
}
