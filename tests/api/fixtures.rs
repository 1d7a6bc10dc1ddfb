//! The hand-made fixtures the statistics tests share, with the figures
//! they were designed to give; each test states the answer it expects,
//! computed by hand from these tables.

use serde_json::{Value, json};

use crate::helpers::{TestApp, create};

/// The sales fixture's callers and the ids of its records by name
/// (`C1`, `O1`, `r1`, …).
pub struct Fixture {
    pub admin: String,
    pub manager: String,
    pub r1: String,
    pub r2: String,
    pub marketing: String,
    pub ids: std::collections::HashMap<&'static str, String>,
}

/// A user of `role` (in `team`) named `name`, and their access token.
pub async fn person(app: &TestApp, admin: &str, name: &str, role: &str, team: Option<&str>) -> (String, String) {
    let email = format!("{}@stats.example", name.to_lowercase());
    let id = create(
        app,
        admin,
        "users",
        json!({"name": name, "email": email, "password": "long enough", "role": role, "team_id": team}),
    )
    .await;
    let token = app.login(&email, "long enough").await.body["access_token"].as_str().unwrap().to_string();
    (id, token)
}

/// The sales fixture.
///
/// Products: A "Tea" 10.00 (cost 4.00), B "Ware" 5.00 (cost 1.00).
/// Teams: East (manager M; reps R1, R1b), West (rep R2).
/// Customers: C1 (smb, R1, created 01-10), C2 (enterprise, R2, 03-03),
/// C3 (R1b, 03-14, prospect), C4 (R2, 03-20, lead, no orders).
///
/// | order | customer | owner | ordered_at           | status    | lines              | revenue | cost  |
/// |-------|----------|-------|----------------------|-----------|--------------------|---------|-------|
/// | O1    | C1       | R1    | 2025-03-05 10:00     | paid      | A×2, B×1 −1.00     | 24.00   | 9.00  |
/// | O2    | C1       | R1    | 2025-03-20 08:00     | completed | A×1                | 10.00   | 4.00  |
/// | O3    | C2       | R2    | 2025-03-31 23:59:59  | paid      | B×4                | 20.00   | 4.00  |
/// | O4    | C2       | R2    | 2025-04-01 00:00     | paid      | A×1 (after window) | 10.00   | 4.00  |
/// | O5    | C1       | R1    | 2025-03-10           | cancelled | A×5 (not counted)  |         |       |
/// | O6    | C2       | R2    | 2025-03-12           | refunded  | B×2 (not counted)  |         |       |
/// | O7    | C1       | R1    | 2025-02-15 12:00     | paid      | A×3 (before)       | 30.00   | 12.00 |
/// | O8    | C3       | R1b   | 2025-03-15 09:00     | paid      | B×1                | 5.00    | 1.00  |
/// | O9    | C3       | R1b   | 2025-03-01 00:00     | pending   | A×1 (not counted)  |         |       |
/// | O10   | C2       | R2    | 2025-03-01 00:00     | paid      | B×1 (from, inclusive) | 5.00 | 1.00  |
///
/// March 2025 (`from=2025-03-01&to=2025-04-01`), everyone: O1, O2, O3, O8,
/// O10 → revenue 64.00, cost 19.00, profit 45.00, margin 0.703125, orders
/// 5, units 10, customers 3, aov 12.80, revenue per customer 21.33.
pub async fn fixture(app: &TestApp) -> Fixture {
    let admin = app.admin_token().await;
    let east = create(app, &admin, "teams", json!({"name": "East"})).await;
    let west = create(app, &admin, "teams", json!({"name": "West"})).await;
    let (m_id, manager) = person(app, &admin, "Mia", "manager", Some(&east)).await;
    app.patch(&format!("/api/v1/teams/{east}"), Some(&admin), &json!({"manager_id": m_id})).await;
    let (r1_id, r1) = person(app, &admin, "Rui", "sales", Some(&east)).await;
    let (r1b_id, _) = person(app, &admin, "Ren", "sales", Some(&east)).await;
    let (r2_id, r2) = person(app, &admin, "Wen", "sales", Some(&west)).await;
    let (_, marketing) = person(app, &admin, "Kai", "marketing", None).await;
    let a = create(
        app,
        &admin,
        "products",
        json!({"sku": "A", "name": "Tea pot", "category": "Tea", "unit_price": "10.00", "unit_cost": "4.00"}),
    )
    .await;
    let b = create(
        app,
        &admin,
        "products",
        json!({"sku": "B", "name": "Cup", "category": "Ware", "unit_price": "5.00", "unit_cost": "1.00"}),
    )
    .await;
    let c1 = create(app, &admin, "customers", json!({"name": "C1", "segment": "smb", "owner_id": r1_id, "lifecycle_stage": "customer", "created_at": "2025-01-10T00:00:00Z", "birth_date": "2000-04-01"})).await;
    let c2 = create(app, &admin, "customers", json!({"name": "C2", "segment": "enterprise", "owner_id": r2_id, "lifecycle_stage": "customer", "created_at": "2025-03-03T00:00:00Z", "birth_date": "2000-04-02"})).await;
    let c3 = create(
        app,
        &admin,
        "customers",
        json!({"name": "C3", "owner_id": r1b_id, "created_at": "2025-03-14T00:00:00Z"}),
    )
    .await;
    create(
        app,
        &admin,
        "customers",
        json!({"name": "C4", "owner_id": r2_id, "lifecycle_stage": "lead", "created_at": "2025-03-20T00:00:00Z"}),
    )
    .await;
    let line = |product: &str, quantity: i64| json!({"product_id": product, "quantity": quantity});
    // (name, customer, owner, ordered_at, status, channel, region, items)
    type OrderRow<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str, &'a str, Value);
    let orders: Vec<OrderRow> = vec![
        (
            "O1",
            &c1,
            &r1_id,
            "2025-03-05T10:00:00Z",
            "paid",
            "online",
            "East",
            json!([line(&a, 2), {"product_id": b, "quantity": 1, "discount": "1.00"}]),
        ),
        ("O2", &c1, &r1_id, "2025-03-20T08:00:00Z", "completed", "store", "East", json!([line(&a, 1)])),
        ("O3", &c2, &r2_id, "2025-03-31T23:59:59Z", "paid", "online", "West", json!([line(&b, 4)])),
        ("O4", &c2, &r2_id, "2025-04-01T00:00:00Z", "paid", "online", "West", json!([line(&a, 1)])),
        ("O5", &c1, &r1_id, "2025-03-10T00:00:00Z", "cancelled", "online", "East", json!([line(&a, 5)])),
        ("O6", &c2, &r2_id, "2025-03-12T00:00:00Z", "refunded", "online", "West", json!([line(&b, 2)])),
        ("O7", &c1, &r1_id, "2025-02-15T12:00:00Z", "paid", "online", "East", json!([line(&a, 3)])),
        ("O8", &c3, &r1b_id, "2025-03-15T09:00:00Z", "paid", "online", "East", json!([line(&b, 1)])),
        ("O9", &c3, &r1b_id, "2025-03-01T00:00:00Z", "pending", "online", "East", json!([line(&a, 1)])),
        ("O10", &c2, &r2_id, "2025-03-01T00:00:00Z", "paid", "store", "West", json!([line(&b, 1)])),
    ];
    for (_, customer, owner, at, status, channel, region, items) in orders {
        create(
            app,
            &admin,
            "orders",
            json!({"customer_id": customer, "owner_id": owner, "ordered_at": at, "status": status, "channel": channel, "region": region, "items": items}),
        )
        .await;
    }
    let ids = std::collections::HashMap::from([
        ("east", east),
        ("west", west),
        ("r1", r1_id),
        ("r1b", r1b_id),
        ("r2", r2_id),
        ("c1", c1.clone()),
    ]);
    Fixture { admin, manager, r1, r2, marketing, ids }
}

/// The employee fixture's service agent.
pub struct Extra {
    pub sam: String,
}

/// The employee fixture: deals, tasks, tickets, activities and targets
/// added to the sales fixture. March 2025:
///
/// - Revenue: Rui (R1) 34.00 in 2 orders (O1, O2), Wen (R2) 25.00 in 2
///   (O3, O10), Ren (R1b) 5.00 in 1 (O8). February: Rui 30.00 (O7).
/// - New customers owned now: Wen 2 (C2, C4), Ren 1 (C3).
/// - Deals: Rui won E1 1000 (03-10) and E2 500 (03-31 23:00), lost E3
///   (03-15), owns E4 700 open; Wen's E5 won 04-01 00:00 (after `to`), E6
///   400 open. Rui: win rate 2/3, average deal 750.00, pipeline 700.00.
/// - Rui's tasks due in March: 03-10 done 03-09 (on time), 03-20 done 03-22
///   (late), 03-25 open; 03-26 cancelled and 04-02 do not count → due 3,
///   on time 1, completion 2/3.
/// - Sam (service, East): tickets K1 created 03-02 08:00, answered 08:30,
///   resolved 03-03, CSAT 4; K2 created 02-25, resolved 03-01 10:00 →
///   resolved 2, first response average 30 (K1 only), CSAT 4.
/// - Rui's activities: calls 03-02 and 03-03, email 03-04; a meeting 02-28.
/// - Revenue targets: Rui March 100.00 (attainment 0.34), April 200.00,
///   Q1 1000.00 (not inside March); Wen March 50.00; team East March 500.00.
pub async fn more(app: &TestApp, admin: &str, ids: &std::collections::HashMap<&'static str, String>) -> Extra {
    let (r1, r2) = (&ids["r1"], &ids["r2"]);
    let (sam, _) = person(app, admin, "Sam", "service", Some(&ids["east"])).await;
    let customer =
        create(app, admin, "customers", json!({"name": "Deals Inc", "created_at": "2024-12-01T00:00:00Z"})).await;
    let deals = [
        (r1, 1000, "won", Some("2025-03-10T10:00:00Z")),
        (r1, 500, "won", Some("2025-03-31T23:00:00Z")),
        (r1, 300, "lost", Some("2025-03-15T10:00:00Z")),
        (r1, 700, "qualification", None),
        (r2, 2000, "won", Some("2025-04-01T00:00:00Z")),
        (r2, 400, "negotiation", None),
    ];
    for (owner, amount, stage, closed) in deals {
        let mut body = json!({"customer_id": customer, "name": "Deal", "amount": amount, "stage": stage,
                              "owner_id": owner, "created_at": "2025-02-01T10:00:00Z"});
        if let Some(closed) = closed {
            body["closed_at"] = json!(closed);
        }
        create(app, admin, "opportunities", body).await;
    }
    let tasks = [
        ("2025-03-10T12:00:00Z", "done", Some("2025-03-09T12:00:00Z")),
        ("2025-03-20T12:00:00Z", "done", Some("2025-03-22T12:00:00Z")),
        ("2025-03-25T12:00:00Z", "open", None),
        ("2025-03-26T12:00:00Z", "cancelled", None),
        ("2025-04-02T12:00:00Z", "open", None),
    ];
    for (due, status, completed) in tasks {
        create(
            app,
            admin,
            "tasks",
            json!({"title": "Follow up", "assignee_id": r1, "due_at": due, "status": status,
                   "completed_at": completed, "created_at": "2025-03-01T00:00:00Z"}),
        )
        .await;
    }
    for ticket in [
        json!({"created_at": "2025-03-02T08:00:00Z", "first_response_at": "2025-03-02T08:30:00Z",
               "resolved_at": "2025-03-03T08:00:00Z", "status": "resolved", "satisfaction_score": 4}),
        json!({"created_at": "2025-02-25T08:00:00Z", "resolved_at": "2025-03-01T10:00:00Z", "status": "resolved"}),
    ] {
        let mut ticket = ticket;
        ticket["customer_id"] = json!(customer);
        ticket["assignee_id"] = json!(sam);
        ticket["subject"] = json!("Help");
        create(app, admin, "tickets", ticket).await;
    }
    for (kind, at) in
        [("call", "2025-03-02"), ("call", "2025-03-03"), ("email", "2025-03-04"), ("meeting", "2025-02-28")]
    {
        create(
            app,
            admin,
            "activities",
            json!({"type": kind, "customer_id": customer, "owner_id": r1, "subject": "Touch",
                   "occurred_at": format!("{at}T09:00:00Z")}),
        )
        .await;
    }
    for (owner, period, start, value) in [
        (json!(r1), "month", "2025-03-01", "100.00"),
        (json!(r1), "month", "2025-04-01", "200.00"),
        (json!(r1), "quarter", "2025-01-01", "1000.00"),
        (json!(r2), "month", "2025-03-01", "50.00"),
    ] {
        create(
            app,
            admin,
            "targets",
            json!({"owner_id": owner, "period": period, "period_start": start, "metric": "revenue", "target_value": value}),
        )
        .await;
    }
    create(
        app,
        admin,
        "targets",
        json!({"team_id": ids["east"], "period": "month", "period_start": "2025-03-01", "metric": "revenue", "target_value": "500.00"}),
    )
    .await;
    Extra { sam }
}
