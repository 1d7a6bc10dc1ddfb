//! The open pipeline against a hand-made fixture.
//!
//! | opp | stage         | amount  | probability    | expected close | weighted |
//! |-----|---------------|---------|----------------|----------------|----------|
//! | P1  | qualification | 1000.00 | 0.10 (default) | 2025-07-15     | 100.00   |
//! | P2  | proposal      | 2000.00 | 0.50 (default) | 2025-07-20     | 1000.00  |
//! | P3  | proposal      | 3000.00 | 0.35 (own)     | 2025-08-01     | 1050.00  |
//! | P4  | negotiation   | 500.00  | 0.75 (default) | —              | 375.00   |
//! | P5  | won           | 9999.00 | closed         |                |          |
//! | P6  | lost          | 10.00   | closed         |                |          |

use serde_json::json;

use crate::helpers::{create, spawn_app};

#[tokio::test]
async fn pipeline_per_stage_and_month() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rep_id, rep) = app.user_with_role(&admin, "sales", None).await;
    let customer = create(&app, &admin, "customers", json!({"name": "Acme", "owner_id": rep_id})).await;
    for body in [
        json!({"name": "P1", "amount": "1000.00", "expected_close_date": "2025-07-15", "owner_id": rep_id}),
        json!({"name": "P2", "amount": "2000.00", "stage": "proposal", "expected_close_date": "2025-07-20"}),
        json!({"name": "P3", "amount": "3000.00", "stage": "proposal", "probability": 0.35, "expected_close_date": "2025-08-01"}),
        json!({"name": "P4", "amount": "500.00", "stage": "negotiation"}),
        json!({"name": "P5", "amount": "9999.00", "stage": "won"}),
        json!({"name": "P6", "amount": "10.00", "stage": "lost"}),
    ] {
        let mut body = body;
        body["customer_id"] = json!(customer);
        create(&app, &admin, "opportunities", body).await;
    }
    let reply = app.get("/api/v1/stats/sales/pipeline", Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["by_stage"],
        json!([
            {"stage": "qualification", "count": 1, "amount": "1000.00", "weighted": "100.00"},
            {"stage": "needs_analysis", "count": 0, "amount": "0.00", "weighted": "0.00"},
            {"stage": "proposal", "count": 2, "amount": "5000.00", "weighted": "2050.00"},
            {"stage": "negotiation", "count": 1, "amount": "500.00", "weighted": "375.00"}
        ])
    );
    assert_eq!(
        reply.body["by_month"],
        json!([
            {"month": "2025-07", "count": 2, "amount": "3000.00", "weighted": "1100.00"},
            {"month": "2025-08", "count": 1, "amount": "3000.00", "weighted": "1050.00"},
            {"month": null, "count": 1, "amount": "500.00", "weighted": "375.00"}
        ])
    );
    assert_eq!(reply.body["total"], json!({"count": 4, "amount": "6500.00", "weighted": "2525.00"}));

    let mine = app.get("/api/v1/stats/sales/pipeline", Some(&rep)).await;
    assert_eq!(mine.body["total"], json!({"count": 1, "amount": "1000.00", "weighted": "100.00"}));
    let reply = app.get("/api/v1/stats/sales/pipeline?from=2025-01-01", Some(&admin)).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["from"]);
}
