//! The access matrix: every role × resource × action, against records a
//! sales rep owns. Refused by role is 403; a record outside the caller's
//! scope is 404 (never data); a reference to one is 422.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::helpers::{TestApp, create, spawn_app, spawn_app_with_settings};

const ROLES: [&str; 7] = ["admin", "manager", "sales", "sales_other_team", "marketing", "service", "analyst"];

/// Expected statuses per role (in `ROLES` order) for: list, read the
/// fixture, create, update the fixture, delete the fixture.
struct Row {
    resource: &'static str,
    list: [u16; 7],
    read: [u16; 7],
    create: [u16; 7],
    update: [u16; 7],
    delete: [u16; 7],
}

const MATRIX: &[Row] = &[
    Row {
        resource: "customers",
        list: [200, 200, 200, 200, 403, 200, 200],
        read: [200, 200, 200, 404, 403, 200, 200],
        create: [201, 201, 201, 201, 403, 403, 403],
        update: [200, 200, 200, 404, 403, 403, 403],
        delete: [0, 0, 0, 404, 403, 403, 403],
    },
    Row {
        resource: "contacts",
        list: [200, 200, 200, 200, 403, 200, 200],
        read: [200, 200, 200, 404, 403, 200, 200],
        create: [201, 201, 201, 422, 403, 403, 403],
        update: [200, 200, 200, 404, 403, 403, 403],
        delete: [0, 0, 0, 404, 403, 403, 403],
    },
    Row {
        resource: "products",
        list: [200; 7],
        read: [200; 7],
        create: [201, 201, 403, 403, 403, 403, 403],
        update: [200, 200, 403, 403, 403, 403, 403],
        delete: [0, 0, 403, 403, 403, 403, 403],
    },
    Row {
        resource: "orders",
        list: [200, 200, 200, 200, 403, 403, 200],
        read: [200, 200, 200, 404, 403, 403, 200],
        create: [201, 201, 201, 422, 403, 403, 403],
        update: [200, 200, 200, 404, 403, 403, 403],
        delete: [0, 0, 0, 404, 403, 403, 403],
    },
    Row {
        resource: "leads",
        list: [200, 200, 200, 200, 200, 403, 200],
        read: [200, 200, 200, 404, 200, 403, 200],
        create: [201, 201, 201, 201, 201, 403, 403],
        update: [200, 200, 200, 404, 200, 403, 403],
        delete: [0, 0, 0, 404, 0, 403, 403],
    },
    Row {
        resource: "opportunities",
        list: [200, 200, 200, 200, 403, 403, 200],
        read: [200, 200, 200, 404, 403, 403, 200],
        create: [201, 201, 201, 422, 403, 403, 403],
        update: [200, 200, 200, 404, 403, 403, 403],
        delete: [0, 0, 0, 404, 403, 403, 403],
    },
    Row {
        resource: "activities",
        list: [200, 200, 200, 200, 403, 200, 200],
        read: [200, 200, 200, 404, 403, 404, 200],
        create: [201, 201, 201, 422, 403, 201, 403],
        update: [200, 200, 200, 404, 403, 404, 403],
        delete: [0, 0, 0, 404, 403, 404, 403],
    },
    Row {
        resource: "campaigns",
        list: [200; 7],
        read: [200; 7],
        create: [201, 201, 403, 403, 201, 403, 403],
        update: [200, 200, 403, 403, 200, 403, 403],
        delete: [0, 0, 403, 403, 0, 403, 403],
    },
    Row {
        resource: "tickets",
        list: [200, 200, 403, 403, 403, 200, 200],
        read: [200, 200, 403, 403, 403, 200, 200],
        create: [201, 201, 403, 403, 403, 201, 403],
        update: [200, 200, 403, 403, 403, 200, 403],
        delete: [0, 0, 403, 403, 403, 0, 403],
    },
    Row {
        resource: "feedback",
        list: [200, 200, 403, 403, 403, 200, 200],
        read: [200, 200, 403, 403, 403, 200, 200],
        create: [201, 201, 403, 403, 403, 201, 403],
        update: [200, 200, 403, 403, 403, 200, 403],
        delete: [0, 0, 403, 403, 403, 0, 403],
    },
    Row {
        resource: "targets",
        list: [200; 7],
        read: [200, 200, 200, 404, 404, 404, 200],
        create: [201, 201, 403, 403, 403, 403, 403],
        update: [200, 200, 403, 403, 403, 403, 403],
        delete: [0, 0, 403, 403, 403, 403, 403],
    },
    Row {
        resource: "tasks",
        list: [200; 7],
        read: [200, 200, 200, 404, 404, 404, 200],
        create: [201, 201, 201, 201, 201, 201, 403],
        update: [200, 200, 200, 404, 404, 404, 403],
        delete: [0, 0, 0, 404, 404, 404, 403],
    },
    Row {
        resource: "users",
        list: [200, 200, 403, 403, 403, 403, 403],
        read: [200, 200, 403, 403, 403, 403, 403],
        create: [201, 403, 403, 403, 403, 403, 403],
        update: [200, 403, 403, 403, 403, 403, 403],
        delete: [0, 403, 403, 403, 403, 403, 403],
    },
    Row {
        resource: "teams",
        list: [200; 7],
        read: [200; 7],
        create: [201, 403, 403, 403, 403, 403, 403],
        update: [200, 403, 403, 403, 403, 403, 403],
        delete: [0, 403, 403, 403, 403, 403, 403],
    },
];

struct World {
    tokens: HashMap<&'static str, String>,
    ids: HashMap<&'static str, String>,
    fixtures: HashMap<&'static str, String>,
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin_token().await;
    let team = create(app, &admin, "teams", json!({"name": "East"})).await;
    let other_team = create(app, &admin, "teams", json!({"name": "West"})).await;
    let mut tokens = HashMap::from([("admin", admin.clone())]);
    let mut ids = HashMap::new();
    for (role, kind, team_id) in [
        ("manager", "manager", Some(&team)),
        ("sales", "sales", Some(&team)),
        ("sales_other_team", "sales", Some(&other_team)),
        ("marketing", "marketing", None),
        ("service", "service", None),
        ("analyst", "analyst", None),
    ] {
        let (id, token) = app.user_with_role(&admin, kind, team_id.map(String::as_str)).await;
        tokens.insert(role, token);
        ids.insert(role, id);
    }
    app.patch(&format!("/api/v1/teams/{team}"), Some(&admin), &json!({"manager_id": ids["manager"]})).await;
    let sales = tokens["sales"].clone();

    // Records the sales rep owns (or that concern them).
    let customer = create(app, &sales, "customers", json!({"name": "Rep's customer"})).await;
    let product = create(app, &admin, "products", json!({"sku": "P1", "name": "Tea", "unit_price": "10.00"})).await;
    let campaign = create(app, &admin, "campaigns", json!({"name": "Spring", "start_date": "2025-03-01"})).await;
    let mut fixtures =
        HashMap::from([("customers", customer.clone()), ("products", product.clone()), ("campaigns", campaign)]);
    fixtures.insert("contacts", create(app, &sales, "contacts", json!({"customer_id": customer, "name": "C"})).await);
    fixtures.insert(
        "orders",
        create(
            app,
            &sales,
            "orders",
            json!({"customer_id": customer, "items": [{"product_id": product, "quantity": 1}]}),
        )
        .await,
    );
    fixtures.insert("leads", create(app, &sales, "leads", json!({"name": "L"})).await);
    fixtures.insert(
        "opportunities",
        create(app, &sales, "opportunities", json!({"customer_id": customer, "name": "O", "amount": 1})).await,
    );
    fixtures.insert(
        "activities",
        create(app, &sales, "activities", json!({"type": "call", "subject": "S", "customer_id": customer})).await,
    );
    fixtures.insert("tickets", create(app, &admin, "tickets", json!({"customer_id": customer, "subject": "T"})).await);
    fixtures.insert("feedback", create(app, &admin, "feedback", json!({"customer_id": customer, "score": 9})).await);
    fixtures.insert(
        "targets",
        create(app, &admin, "targets", json!({"owner_id": ids["sales"], "period": "month", "period_start": "2025-06-01", "metric": "revenue", "target_value": 100})).await,
    );
    fixtures.insert("tasks", create(app, &sales, "tasks", json!({"title": "T"})).await);
    fixtures.insert("users", ids["sales"].clone());
    fixtures.insert("teams", team);
    World { tokens, ids, fixtures }
}

/// A valid creation by `role` (unique where a field must be).
fn creation(world: &World, resource: &str, role: &str, n: usize) -> Value {
    let customer = &world.fixtures["customers"];
    match resource {
        "customers" => json!({"name": format!("New {role}")}),
        "contacts" => json!({"customer_id": customer, "name": "N"}),
        "products" => json!({"sku": format!("SKU-{role}-{n}"), "name": "N", "unit_price": 1}),
        "orders" => {
            json!({"customer_id": customer, "items": [{"product_id": world.fixtures["products"], "quantity": 2}]})
        }
        "leads" => json!({"name": "N"}),
        "opportunities" => json!({"customer_id": customer, "name": "N", "amount": "5.00"}),
        "activities" => json!({"type": "note", "subject": "N", "customer_id": customer}),
        "campaigns" => json!({"name": "N", "start_date": "2025-01-01"}),
        "tickets" => json!({"customer_id": customer, "subject": "N"}),
        "feedback" => json!({"customer_id": customer, "score": 5}),
        "targets" => {
            json!({"owner_id": world.ids["sales"], "period": "month", "period_start": format!("2024-{:02}-01", n % 12 + 1), "metric": "deals_won", "target_value": 3})
        }
        "tasks" => json!({"title": "N"}),
        "users" => {
            json!({"name": "N", "email": format!("new-{role}-{n}@test.example"), "password": "long enough", "role": "analyst"})
        }
        "teams" => json!({"name": format!("Team {role} {n}")}),
        _ => unreachable!(),
    }
}

fn change(resource: &str) -> Value {
    match resource {
        "customers" | "contacts" | "leads" | "opportunities" | "campaigns" | "products" | "users" | "teams" => {
            json!({"name": "Changed"})
        }
        "orders" => json!({"channel": "changed"}),
        "activities" | "tickets" => json!({"subject": "Changed"}),
        "feedback" => json!({"comment": "Changed"}),
        "targets" => json!({"target_value": 200}),
        "tasks" => json!({"title": "Changed"}),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn every_role_gets_what_the_role_table_says() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let mut failures = vec![];
    let mut n = 0;
    for row in MATRIX {
        let base = format!("/api/v1/{}", row.resource);
        let item = format!("{base}/{}", world.fixtures[row.resource]);
        for (index, role) in ROLES.iter().enumerate() {
            let token = world.tokens[role].as_str();
            n += 1;
            let checks = [
                ("list", app.get(&base, Some(token)).await, row.list[index]),
                ("read", app.get(&item, Some(token)).await, row.read[index]),
                (
                    "create",
                    app.post(&base, Some(token), &creation(&world, row.resource, role, n)).await,
                    row.create[index],
                ),
                ("update", app.patch(&item, Some(token), &change(row.resource)).await, row.update[index]),
            ];
            for (action, reply, expected) in checks {
                if reply.status != expected {
                    failures.push(format!(
                        "{role} {action} {}: expected {expected}, got {} {}",
                        row.resource, reply.status, reply.text
                    ));
                } else if expected >= 400 {
                    reply.assert_problem(expected);
                }
            }
            // Deletion is only tried where it must be refused; allowed
            // deletions are covered per resource.
            if row.delete[index] != 0 {
                let reply = app.delete(&item, Some(token)).await;
                if reply.status != row.delete[index] {
                    failures.push(format!(
                        "{role} delete {}: expected {}, got {} {}",
                        row.resource, row.delete[index], reply.status, reply.text
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));

    // A colleague's list holds none of the rep's records.
    let other = world.tokens["sales_other_team"].as_str();
    for resource in ["customers", "contacts", "orders", "leads", "opportunities", "activities", "tasks"] {
        let listed = app.get(&format!("/api/v1/{resource}"), Some(other)).await;
        let leaked =
            listed.body["data"].as_array().unwrap().iter().any(|r| r["id"] == world.fixtures[resource].as_str());
        assert!(!leaked, "{resource} of a colleague listed");
    }

    // Audit, for admins and managers only; the rep's order and opportunity
    // writes are there with the rep as actor.
    for (role, status) in
        [("admin", 200), ("manager", 200), ("sales", 403), ("marketing", 403), ("service", 403), ("analyst", 403)]
    {
        assert_eq!(app.get("/api/v1/audit", Some(&world.tokens[role])).await.status, status, "{role} audit");
    }
    for resource in ["orders", "opportunities"] {
        let audit = app
            .get(
                &format!("/api/v1/audit?resource={resource}&record_id={}&action=create", world.fixtures[resource]),
                Some(&world.tokens["manager"]),
            )
            .await;
        assert_eq!(audit.body["data"][0]["actor_id"], world.ids["sales"].as_str(), "{resource}: {}", audit.text);
    }
}

/// Beyond records: statistics, reports, alerts, exports, imports, API keys,
/// webhooks and privacy requests, per role (in `ROLES` order).
#[tokio::test]
async fn every_role_gets_what_the_role_table_says_beyond_records() {
    let app = spawn_app_with_settings(&[("CRM_WEBHOOK_ALLOW_PRIVATE", "true"), ("CRM_WEBHOOK_WORKER", "false")]).await;
    let world = world(&app).await;
    let rep = &world.ids["sales"];
    let customer = &world.fixtures["customers"];
    let window = "from=2025-01-01&to=2025-07-01";
    let reads: Vec<(String, [u16; 7])> = vec![
        (format!("/api/v1/stats/sales/summary?{window}"), [200, 200, 200, 200, 403, 403, 200]),
        (format!("/api/v1/stats/sales/funnel?{window}"), [200, 200, 200, 200, 403, 403, 200]),
        (format!("/api/v1/stats/customers/overview?{window}"), [200, 200, 200, 200, 403, 403, 200]),
        (format!("/api/v1/stats/customers/rfm?{window}"), [200, 200, 200, 200, 403, 403, 200]),
        (format!("/api/v1/stats/teams/performance?{window}"), [200, 200, 403, 403, 403, 403, 200]),
        (format!("/api/v1/stats/service/summary?{window}"), [200, 200, 403, 403, 403, 200, 200]),
        (format!("/api/v1/stats/marketing/campaigns?{window}"), [200, 200, 403, 403, 200, 403, 200]),
        (format!("/api/v1/stats/leads/conversion?{window}"), [200, 200, 200, 200, 200, 403, 200]),
        // Another employee's scorecard is out of a rep's (or an agent's)
        // scope: 404, never data.
        (format!("/api/v1/stats/employees/{rep}/scorecard?{window}"), [200, 200, 200, 404, 404, 404, 200]),
        (format!("/api/v1/stats/dashboard?{window}"), [200; 7]),
        ("/api/v1/reports/monthly?period=2025-06".into(), [200; 7]),
        ("/api/v1/alerts".into(), [200; 7]),
        ("/api/v1/customers/export".into(), [200, 200, 200, 200, 403, 200, 200]),
        ("/api/v1/orders/export".into(), [200, 200, 200, 200, 403, 403, 200]),
        ("/api/v1/leads/export".into(), [200, 200, 200, 200, 200, 403, 200]),
        ("/api/v1/tickets/export".into(), [200, 200, 403, 403, 403, 200, 200]),
        ("/api/v1/api-keys".into(), [200, 403, 403, 403, 403, 403, 403]),
        ("/api/v1/webhooks".into(), [200, 403, 403, 403, 403, 403, 403]),
        (format!("/api/v1/customers/{customer}/export"), [200, 403, 403, 403, 403, 403, 403]),
    ];
    let mut failures = vec![];
    for (path, expected) in &reads {
        for (index, role) in ROLES.iter().enumerate() {
            let reply = app.get(path, Some(&world.tokens[role])).await;
            if reply.status != expected[index] {
                failures.push(format!(
                    "{role} GET {path}: expected {}, got {} {}",
                    expected[index], reply.status, reply.text
                ));
            } else if reply.status >= 400 {
                reply.assert_problem(reply.status);
            }
        }
    }
    // Writes that are not records: an import, an API key, a subscription.
    for (index, role) in ROLES.iter().enumerate() {
        let token = &world.tokens[role];
        let import = app
            .send(
                app.request(reqwest::Method::POST, "/api/v1/imports/customers?dry_run=true", Some(token))
                    .header("content-type", "text/csv")
                    .body("name,city\nImported,Suzhou\n"),
            )
            .await;
        let key = app
            .post("/api/v1/api-keys", Some(token), &json!({"name": format!("k{index}"), "scopes": ["stats:read"]}))
            .await;
        let hook = app
            .post(
                "/api/v1/webhooks",
                Some(token),
                &json!({"url": "http://127.0.0.1:9/hook", "events": ["customers.created"]}),
            )
            .await;
        for (what, reply, expected) in [
            ("import", import, [200, 200, 200, 200, 403, 403, 403][index]),
            ("api key", key, [201, 403, 403, 403, 403, 403, 403][index]),
            ("webhook", hook, [201, 403, 403, 403, 403, 403, 403][index]),
        ] {
            if reply.status != expected {
                failures.push(format!("{role} {what}: expected {expected}, got {} {}", reply.status, reply.text));
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
