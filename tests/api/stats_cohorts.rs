//! Retention cohorts against a three-cohort matrix computed by hand
//! (months of 2025, `to` = April 1):
//!
//! | customer | counted orders | cohort |
//! |---|---|---|
//! | C1 (rep's) | Jan 5, Feb 10, Mar 3 | January |
//! | C2 | Jan 20, Mar 15 | January |
//! | C3 (rep's) | Feb 2, Feb 20 | February |
//! | C4 | Feb 14, Mar 30 | February |
//! | C5 | Mar 10 | March |
//! | C6 | Dec 2024, Feb 2025 | December 2024: outside the window |
//! | C7 | (pending Jan 7), Mar 5 | March |
//! | C8 | Apr 2 | after `to`: none |
//!
//! January: 2 customers, then 2, 1, 2 ordered (1.0, 0.5, 1.0); February: 2,
//! then 2, 1 (1.0, 0.5); March: 2, then 2 (1.0).

use serde_json::{Value, json};

use crate::fixtures::person;
use crate::helpers::{create, spawn_app};

const Q1: &str = "from=2025-01-01&to=2025-04-01";

/// (cohort, customers, per period: customers and share)
type Matrix = Vec<(String, i64, Vec<(i64, Option<f64>)>)>;
/// (name, owned by the rep, its orders: day and status)
type Buyer<'a> = (&'a str, bool, &'a [(&'a str, &'a str)]);

fn matrix(body: &Value) -> Matrix {
    body["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let periods = c["periods"].as_array().unwrap();
            for (offset, period) in periods.iter().enumerate() {
                assert_eq!(period["offset"], offset);
            }
            (
                c["cohort"].as_str().unwrap().to_string(),
                c["customers"].as_i64().unwrap(),
                periods.iter().map(|p| (p["customers"].as_i64().unwrap(), p["share"].as_f64())).collect(),
            )
        })
        .collect()
}

#[tokio::test]
async fn cohorts_of_first_orders_and_their_later_periods() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rep_id, rep) = person(&app, &admin, "Rene", "sales", None).await;
    let product = create(&app, &admin, "products", json!({"sku": "T", "name": "Tea", "unit_price": "10.00"})).await;
    let customers: [Buyer; 8] = [
        ("C1", true, &[("2025-01-05", "paid"), ("2025-02-10", "paid"), ("2025-03-03", "completed")]),
        ("C2", false, &[("2025-01-20", "paid"), ("2025-03-15", "paid")]),
        ("C3", true, &[("2025-02-02", "paid"), ("2025-02-20", "paid")]),
        ("C4", false, &[("2025-02-14", "paid"), ("2025-03-30", "paid")]),
        ("C5", false, &[("2025-03-10", "paid")]),
        ("C6", false, &[("2024-12-10", "paid"), ("2025-02-11", "paid")]),
        ("C7", false, &[("2025-01-07", "pending"), ("2025-03-05", "paid")]),
        ("C8", false, &[("2025-04-02", "paid")]),
    ];
    for (name, rep_owns, orders) in customers {
        let owner = if rep_owns { json!(rep_id) } else { Value::Null };
        let customer = create(&app, &admin, "customers", json!({"name": name, "owner_id": owner})).await;
        for (day, status) in orders {
            let body = json!({"customer_id": customer, "ordered_at": format!("{day}T12:00:00Z"), "status": status,
                              "items": [{"product_id": product, "quantity": 1}]});
            create(&app, &admin, "orders", body).await;
        }
    }

    let reply = app.get(&format!("/api/v1/stats/customers/retention/cohorts?{Q1}"), Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["granularity"], "month");
    let full = Some(1.0);
    let half = Some(0.5);
    assert_eq!(
        matrix(&reply.body),
        vec![
            ("2025-01-01".into(), 2, vec![(2, full), (1, half), (2, full)]),
            ("2025-02-01".into(), 2, vec![(2, full), (1, half)]),
            ("2025-03-01".into(), 2, vec![(2, full)]),
        ]
    );

    // The rep's own customers: C1 (January) and C3 (February); March empty.
    let reply = app.get(&format!("/api/v1/stats/customers/retention/cohorts?{Q1}"), Some(&rep)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        matrix(&reply.body),
        vec![
            ("2025-01-01".into(), 1, vec![(1, full), (1, full), (1, full)]),
            ("2025-02-01".into(), 1, vec![(1, full), (0, Some(0.0))]),
            ("2025-03-01".into(), 0, vec![(0, None)]),
        ]
    );

    // Quarterly to July: everyone of Q1 2025 but C6 (first order in Q4 2024)
    // is one cohort, none of whom ordered in Q2; C8 (April 2) is Q2's.
    let reply = app
        .get(
            "/api/v1/stats/customers/retention/cohorts?from=2025-01-01&to=2025-07-01&granularity=quarter",
            Some(&admin),
        )
        .await;
    assert_eq!(
        matrix(&reply.body),
        vec![("2025-01-01".into(), 6, vec![(6, full), (0, Some(0.0))]), ("2025-04-01".into(), 1, vec![(1, full)])]
    );

    // No comparison window; unknown granularities are refused by name.
    // Nor a matrix beyond 120 cohorts (a year by day).
    for query in [
        format!("{Q1}&compare=previous_period"),
        format!("{Q1}&granularity=decade"),
        "from=2024-01-01&to=2025-01-01&granularity=day".to_string(),
    ] {
        let field = if query.contains("compare") { "compare" } else { "granularity" };
        let reply = app.get(&format!("/api/v1/stats/customers/retention/cohorts?{query}"), Some(&admin)).await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.text);
        assert_eq!(reply.error_fields(), vec![field], "{query}: {}", reply.text);
    }
}
