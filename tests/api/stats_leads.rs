//! Lead conversion statistics against a hand-made fixture.
//!
//! | lead | source   | created    | converted          |
//! |------|----------|------------|--------------------|
//! | L1   | website  | 03-01      | 03-04 (3 days)     |
//! | L2   | website  | 03-10      | 03-20 (10 days)    |
//! | L3   | website  | 03-15      | — (owned by a rep) |
//! | L4   | referral | 03-02      | 04-05 (after `to`) |
//! | L5   | referral | 02-20      | 03-01 (created before the window) |
//! | L6   | —        | 03-30      | —                  |

use serde_json::json;

use crate::helpers::{create, spawn_app};

#[tokio::test]
async fn lead_conversion_by_source() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rep_id, rep) = app.user_with_role(&admin, "sales", None).await;
    let (_, marketing) = app.user_with_role(&admin, "marketing", None).await;
    let customer = create(&app, &admin, "customers", json!({"name": "Won"})).await;
    let converted = |source: &str, created: &str, at: &str| json!({"name": "L", "source": source, "created_at": created, "status": "converted", "converted_customer_id": customer, "converted_at": at});
    for body in [
        converted("website", "2025-03-01T00:00:00Z", "2025-03-04T00:00:00Z"),
        converted("website", "2025-03-10T00:00:00Z", "2025-03-20T00:00:00Z"),
        json!({"name": "L3", "source": "website", "created_at": "2025-03-15T00:00:00Z", "owner_id": rep_id}),
        converted("referral", "2025-03-02T00:00:00Z", "2025-04-05T00:00:00Z"),
        converted("referral", "2025-02-20T00:00:00Z", "2025-03-01T00:00:00Z"),
        json!({"name": "L6", "created_at": "2025-03-30T00:00:00Z"}),
    ] {
        create(&app, &admin, "leads", body).await;
    }
    let reply = app.get("/api/v1/stats/leads/conversion?from=2025-03-01&to=2025-04-01", Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["rows"],
        json!([
            {"source": "website", "leads": 3, "converted": 2, "conversion_rate": 2.0 / 3.0, "avg_days_to_convert": 6.5},
            {"source": null, "leads": 1, "converted": 0, "conversion_rate": 0.0, "avg_days_to_convert": null},
            {"source": "referral", "leads": 1, "converted": 0, "conversion_rate": 0.0, "avg_days_to_convert": null}
        ])
    );
    assert_eq!(
        reply.body["total"],
        json!({"leads": 5, "converted": 2, "conversion_rate": 0.4, "avg_days_to_convert": 6.5})
    );

    let mine = app.get("/api/v1/stats/leads/conversion?from=2025-03-01&to=2025-04-01", Some(&rep)).await;
    assert_eq!(mine.body["total"]["leads"], 1, "a rep counts their own leads");
    let all = app.get("/api/v1/stats/leads/conversion?from=2025-03-01&to=2025-04-01", Some(&marketing)).await;
    assert_eq!(all.body["total"]["leads"], 5, "marketing counts every lead");
    // A later `to` sees L4's conversion.
    let later = app.get("/api/v1/stats/leads/conversion?from=2025-03-01&to=2025-05-01", Some(&admin)).await;
    assert_eq!(later.body["total"]["converted"], 3);
    // The 31 days before March hold L5, not yet converted at March 1st 00:00.
    let compared = app
        .get("/api/v1/stats/leads/conversion?from=2025-03-01&to=2025-04-01&compare=previous_period", Some(&admin))
        .await
        .body;
    assert_eq!(
        compared["previous"],
        json!({"leads": 1, "converted": 0, "conversion_rate": 0.0, "avg_days_to_convert": null})
    );
    assert_eq!(
        compared["change"],
        json!({"leads": 4.0, "converted": null, "conversion_rate": null, "avg_days_to_convert": null})
    );
}
