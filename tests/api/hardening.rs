//! What an attacker found (issue 17), each reproduced and answered: every
//! bad field named in one answer, duplicate keys refused everywhere, and
//! the findings below, each in its own test.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn codes(reply: &crate::helpers::Reply) -> Vec<(String, String)> {
    reply.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[tokio::test]
async fn validation_names_every_bad_field_in_one_answer() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    // A wrong enum value no longer hides the rule errors.
    let reply = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"name": "", "email": "not-an-email", "password": "x", "role": "pirate"}),
        )
        .await;
    reply.assert_problem(422);
    let mut fields = reply.error_fields();
    fields.dedup();
    assert_eq!(fields, vec!["email", "name", "password", "role"], "{}", reply.text);

    // Unknown enum value, blank name, malformed id and unknown field together.
    let reply = app
        .post(
            "/api/v1/customers",
            Some(&admin),
            &json!({"kind": "martian", "name": "", "owner_id": "x", "colour": "red"}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(
        codes(&reply),
        pairs(&[
            ("colour", "unknown_field"),
            ("kind", "invalid_value"),
            ("name", "blank"),
            ("owner_id", "invalid_type")
        ]),
        "{}",
        reply.text
    );

    // Nested lines: each bad line named, with the missing fields.
    let reply = app
        .post(
            "/api/v1/orders",
            Some(&admin),
            &json!({"status": "lost", "items": [{"product_id": "p", "quantity": 0}, {"quantity": "two"}]}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(
        reply.error_fields(),
        vec![
            "customer_id",
            "items[0].product_id",
            "items[0].quantity",
            "items[1].product_id",
            "items[1].quantity",
            "status"
        ],
        "{}",
        reply.text
    );

    // A merge patch too.
    let customer = crate::helpers::create(&app, &admin, "customers", json!({"name": "Acme"})).await;
    let reply = app
        .patch(
            &format!("/api/v1/customers/{customer}"),
            Some(&admin),
            &json!({"kind": 5, "email": "nope", "name": null, "tags": "x"}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["email", "kind", "name", "tags"], "{}", reply.text);

    // Query strings: type errors, unknown values and parameters, rules.
    let reply = app.get("/api/v1/customers?limit=0&kind=martian&owner_id=x&colour=red", Some(&admin)).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["colour", "kind", "limit", "owner_id"], "{}", reply.text);
    let reply = app.get("/api/v1/stats/sales/summary?range=someday&compare=never&limit=x", Some(&admin)).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["compare", "limit", "range"], "{}", reply.text);

    // Bulk records: every bad field of each record, the others written.
    let reply = app
        .post(
            "/api/v1/customers/bulk",
            Some(&admin),
            &json!({"records": [
                {"external_id": "B-1", "kind": "martian", "name": "", "email": "no", "colour": 1},
                {"external_id": "B-2", "name": "Fine"},
                {"external_id": "B-3", "name": "Ref", "owner_external_id": "nobody", "lifecycle_stage": "zombie"}
            ]}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let fields = |i: usize| -> Vec<String> {
        reply.body["results"][i]["errors"]
            .as_array()
            .map(|e| e.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect())
            .unwrap_or_default()
    };
    assert_eq!(fields(0), vec!["colour", "email", "kind", "name"], "{}", reply.text);
    assert_eq!(reply.body["results"][1]["status"], "created");
    assert_eq!(fields(2), vec!["lifecycle_stage", "owner_external_id"], "{}", reply.text);

    // Bounded: three thousand unknown fields are answered with at most 50.
    let mut many = serde_json::Map::new();
    for i in 0..3_000 {
        many.insert(format!("field{i}"), Value::from(i));
    }
    many.insert("name".into(), json!("A"));
    let reply = app.post("/api/v1/teams", Some(&admin), &Value::Object(many)).await;
    reply.assert_problem(422);
    let named = reply.error_fields().len();
    assert!((10..=50).contains(&named), "{named}");
}

#[tokio::test]
async fn duplicate_keys_are_refused_in_bodies_and_bulk_records() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let raw = |path: &str, body: &str| {
        app.request(Method::POST, path, Some(&admin)).header("content-type", "application/json").body(body.to_string())
    };
    let reply = app.send(raw("/api/v1/customers", r#"{"name": "A", "name": "B", "email": "x"}"#)).await;
    reply.assert_problem(422);
    assert_eq!(codes(&reply), pairs(&[("email", "email"), ("name", "duplicate_field")]), "{}", reply.text);

    let reply = app
        .send(raw(
            "/api/v1/customers/bulk",
            r#"{"records": [{"external_id": "D-1", "name": "A", "name": "B"}, {"external_id": "D-2", "name": "C"}]}"#,
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["results"][0]["status"], "failed");
    assert_eq!(reply.body["results"][0]["errors"][0]["field"], "name");
    assert_eq!(reply.body["results"][0]["errors"][0]["code"], "duplicate_field");
    assert_eq!(reply.body["results"][1]["status"], "created");
    let listed = app.get("/api/v1/customers?count=true&limit=1", Some(&admin)).await;
    assert_eq!(listed.body["total"], 1, "the record with a duplicate key is not written");

    // A duplicate key of the call itself (not inside a record) fails it.
    let reply = app.send(raw("/api/v1/customers/bulk", r#"{"records": [], "records": []}"#)).await;
    reply.assert_problem(422);
    assert!(reply.error_fields().contains(&"records".to_string()), "{}", reply.text);

    // A query parameter given twice is named too.
    let reply = app.get("/api/v1/customers?limit=1&limit=2", Some(&admin)).await;
    reply.assert_problem(422);
    assert_eq!(codes(&reply), pairs(&[("limit", "duplicate_field")]), "{}", reply.text);
}

/// Calls every statistic of the catalog over `range`, with each of its
/// dimensions, its comparison and a monthly series where it takes them;
/// every answer must be a 200.
async fn every_statistic_answers(app: &crate::helpers::TestApp, token: &str, user_id: &str, range: &str) {
    let catalog = app.get("/api/v1/stats/metrics", Some(token)).await;
    assert_eq!(catalog.status, 200, "{}", catalog.text);
    for endpoint in catalog.body["endpoints"].as_array().unwrap() {
        let path = endpoint["path"].as_str().unwrap().replace("{id}", user_id);
        let mut queries = vec![String::new()];
        if endpoint["window"].as_bool() == Some(true) {
            queries = vec![format!("range={range}")];
            if endpoint["compare"].as_bool() == Some(true) {
                queries.push(format!("range={range}&compare=previous_year"));
            }
            if endpoint["granularity"].as_bool() == Some(true) {
                queries.push(format!("range={range}&granularity=month"));
            }
        }
        // A statistic with dimensions is asked for each (`by` may be required).
        let dimensions = endpoint["dimensions"].as_array().unwrap();
        if !dimensions.is_empty() {
            queries = queries
                .iter()
                .flat_map(|q| dimensions.iter().map(move |d| format!("{q}&by={}", d.as_str().unwrap())))
                .collect();
        }
        for query in queries {
            let reply = app.get(&format!("{path}?{query}"), Some(token)).await;
            assert_eq!(reply.status, 200, "{path}?{query}: {}", reply.text);
        }
    }
}

#[tokio::test]
async fn money_is_bounded_so_that_no_statistic_overflows() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let me = app.get("/api/v1/auth/me", Some(&admin)).await.body["id"].as_str().unwrap().to_string();
    let product = crate::helpers::create(
        &app,
        &admin,
        "products",
        json!({"name": "Bullion", "sku": "AU-1", "unit_price": "10000.00", "unit_cost": "10000.00"}),
    )
    .await;
    let customer = crate::helpers::create(&app, &admin, "customers", json!({"name": "Whale"})).await;

    // The attack: each line's total fits in 64 bits, their sum did not.
    let attack = json!({"customer_id": customer, "status": "paid",
        "items": [{"product_id": product, "quantity": 92000, "unit_price": "1000000000000.00"}]});
    let reply = app.post("/api/v1/orders", Some(&admin), &attack).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["items[0].unit_price"], "{}", reply.text);
    let too_big_line = json!({"customer_id": customer, "status": "paid",
        "items": [{"product_id": product, "quantity": 92000, "unit_price": "1000000.00"}]});
    let reply = app.post("/api/v1/orders", Some(&admin), &too_big_line).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["items[0].quantity"], "{}", reply.text);
    let too_big_order = json!({"customer_id": customer, "status": "paid", "items": [
        {"product_id": product, "quantity": 1000000}, {"product_id": product, "quantity": 1}]});
    let reply = app.post("/api/v1/orders", Some(&admin), &too_big_order).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["items"], "{}", reply.text);
    let reply = app
        .post(
            "/api/v1/opportunities",
            Some(&admin),
            &json!({"customer_id": customer, "name": "X",
        "amount": "10000000000.01"}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["amount"], "{}", reply.text);

    // At the bounds: twenty orders of 10,000,000,000.00 (amount and cost)
    // on one day, and a thousand opportunities of the largest amount at a
    // high probability, sum exactly everywhere.
    let at_bound = json!({"customer_id": customer, "status": "paid",
        "items": [{"product_id": product, "quantity": 1000000}]});
    for _ in 0..20 {
        let reply = app.post("/api/v1/orders", Some(&admin), &at_bound).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        assert_eq!(reply.body["total_amount"], "10000000000.00");
    }
    // A thousand such opportunities: Σ amount × probability in basis
    // points (10^19) is past 64 bits, the weighted amount itself is not.
    let opportunities: Vec<Value> = (0..1000)
        .map(|i| {
            json!({"external_id": format!("OPP-{i}"), "customer_id": customer, "name": "Mine",
                   "amount": "10000000000.00", "stage": "negotiation", "probability": 0.9999})
        })
        .collect();
    let reply = app.post("/api/v1/opportunities/bulk", Some(&admin), &json!({"records": opportunities})).await;
    assert_eq!((reply.status, reply.body["created"].as_u64()), (200, Some(1000)), "{}", reply.text);
    let summary = app.get("/api/v1/stats/sales/summary?range=last_12_months", Some(&admin)).await;
    assert_eq!(summary.status, 200, "{}", summary.text);
    assert_eq!(summary.body["revenue"], "200000000000.00");
    assert_eq!(summary.body["cost"], "200000000000.00");
    let pipeline = app.get("/api/v1/stats/sales/pipeline", Some(&admin)).await;
    assert_eq!(pipeline.body["total"]["amount"], "10000000000000.00", "{}", pipeline.text);
    assert_eq!(pipeline.body["total"]["weighted"], "9999000000000.00", "{}", pipeline.text);
    let dashboard = app.get("/api/v1/stats/dashboard?range=last_30_days", Some(&admin)).await;
    assert_eq!(dashboard.body["sales"]["weighted_pipeline"], "9999000000000.00", "{}", dashboard.text);
    every_statistic_answers(&app, &admin, &me, "last_12_months").await;
    every_statistic_answers(&app, &admin, &me, "today").await;
}

async fn new_key(app: &crate::helpers::TestApp, admin: &str, scopes: &[&str]) -> String {
    let reply = app.post("/api/v1/api-keys", Some(admin), &json!({"name": "ERP", "scopes": scopes})).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["secret"].as_str().unwrap().to_string()
}

const EXPORT_SCOPES: &[&str] = &[
    "customers:read",
    "contacts:read",
    "leads:read",
    "orders:read",
    "opportunities:read",
    "activities:read",
    "tickets:read",
    "feedback:read",
    "tasks:read",
    "audit:read",
    "users:read",
];

#[tokio::test]
async fn api_keys_end_with_their_creators_rights() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let customer = crate::helpers::create(&app, &admin, "customers", json!({"name": "Subject"})).await;
    let (creator, creator_token) = app.user_with_role(&admin, "admin", None).await;
    let secret = new_key(&app, &creator_token, EXPORT_SCOPES).await;
    let export = format!("/api/v1/customers/{customer}/export");
    assert_eq!(app.with_key(Method::GET, "/api/v1/users", &secret, Some(&json!({}))).await.status, 200);
    assert_eq!(app.with_key(Method::GET, &export, &secret, Some(&json!({}))).await.status, 200);

    // Deactivated: the key stops at once; reactivated, it works again.
    let user = format!("/api/v1/users/{creator}");
    assert_eq!(app.patch(&user, Some(&admin), &json!({"active": false})).await.status, 200);
    for path in ["/api/v1/users", export.as_str()] {
        let reply = app.with_key(Method::GET, path, &secret, Some(&json!({}))).await;
        reply.assert_problem(401);
        assert!(reply.body["detail"].as_str().unwrap().contains("creator"), "{}", reply.text);
    }
    assert_eq!(app.patch(&user, Some(&admin), &json!({"active": true})).await.status, 200);
    assert_eq!(app.with_key(Method::GET, "/api/v1/users", &secret, Some(&json!({}))).await.status, 200);

    // Demoted: a key acts as an administrator, so it ends too.
    assert_eq!(app.patch(&user, Some(&admin), &json!({"role": "sales"})).await.status, 200);
    app.with_key(Method::GET, "/api/v1/users", &secret, Some(&json!({}))).await.assert_problem(401);
    assert_eq!(app.patch(&user, Some(&admin), &json!({"role": "admin"})).await.status, 200);
    assert_eq!(app.with_key(Method::GET, "/api/v1/users", &secret, Some(&json!({}))).await.status, 200);

    // Deleted.
    assert_eq!(app.delete(&user, Some(&admin)).await.status, 204);
    app.with_key(Method::GET, "/api/v1/users", &secret, Some(&json!({}))).await.assert_problem(401);
    app.with_key(Method::GET, &export, &secret, Some(&json!({}))).await.assert_problem(401);
}

#[tokio::test]
async fn keys_need_every_scope_an_endpoint_spanning_resources_touches() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let customer = crate::helpers::create(&app, &admin, "customers", json!({"name": "Subject"})).await;
    let export = format!("/api/v1/customers/{customer}/export");

    // A data subject's export holds orders, tickets, audit …: customers:read is not enough.
    let customers_only = new_key(&app, &admin, &["customers:read", "customers:write"]).await;
    let reply = app.with_key(Method::GET, &export, &customers_only, Some(&json!({}))).await;
    reply.assert_problem(403);
    assert!(reply.body["detail"].as_str().unwrap().contains("contacts:read"), "{}", reply.text);
    let every_read = new_key(&app, &admin, EXPORT_SCOPES).await;
    assert_eq!(app.with_key(Method::GET, &export, &every_read, Some(&json!({}))).await.status, 200);
    // The list export is the customer list: its own scope.
    assert_eq!(
        app.with_key(Method::GET, "/api/v1/customers/export", &customers_only, Some(&json!({}))).await.status,
        200
    );

    // Erasure is irreversible and for administrators: no key may erase.
    let mut all: Vec<&str> = EXPORT_SCOPES.to_vec();
    all.extend(["customers:write", "leads:write", "opportunities:write"]);
    let everything = new_key(&app, &admin, &all).await;
    for secret in [&customers_only, &everything] {
        app.with_key(Method::POST, &format!("/api/v1/customers/{customer}/erase"), secret, Some(&json!({})))
            .await
            .assert_problem(403);
    }
    let subject = app.get(&format!("/api/v1/customers/{customer}"), Some(&admin)).await;
    assert_eq!(subject.body["name"], "Subject", "not erased");

    // A conversion creates a customer and an opportunity.
    let lead =
        crate::helpers::create(&app, &admin, "leads", json!({"name": "Zhao Lei", "company": "Blue River"})).await;
    let convert = format!("/api/v1/leads/{lead}/convert");
    let leads_only = new_key(&app, &admin, &["leads:read", "leads:write"]).await;
    let reply = app.with_key(Method::POST, &convert, &leads_only, Some(&json!({}))).await;
    reply.assert_problem(403);
    let customers = app.get("/api/v1/customers?count=true&limit=1", Some(&admin)).await;
    assert_eq!(customers.body["total"], 1, "no customer was created");
    let reply = app.with_key(Method::POST, &convert, &everything, Some(&json!({}))).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn a_demotion_or_deactivation_takes_effect_on_the_next_request() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, token) = app.user_with_role(&admin, "admin", None).await;
    let user = format!("/api/v1/users/{id}");
    assert_eq!(app.get("/api/v1/users", Some(&token)).await.status, 200);

    // Demoted to a sales rep: the same token is a sales rep's now.
    assert_eq!(app.patch(&user, Some(&admin), &json!({"role": "sales"})).await.status, 200);
    app.get("/api/v1/users", Some(&token)).await.assert_problem(403);
    let me = app.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(me.body["role"], "sales");
    let customer = crate::helpers::create(&app, &admin, "customers", json!({"name": "Not theirs"})).await;
    app.get(&format!("/api/v1/customers/{customer}"), Some(&token)).await.assert_problem(404);

    // Deactivated: 401 everywhere, as on /auth/me.
    assert_eq!(app.patch(&user, Some(&admin), &json!({"active": false})).await.status, 200);
    for path in ["/api/v1/customers", "/api/v1/auth/me", "/api/v1/stats/sales/summary"] {
        app.get(path, Some(&token)).await.assert_problem(401);
    }
    // Reactivated and promoted back: the token works as an admin's again.
    assert_eq!(app.patch(&user, Some(&admin), &json!({"active": true, "role": "admin"})).await.status, 200);
    assert_eq!(app.get("/api/v1/users", Some(&token)).await.status, 200);
    // Deleted.
    assert_eq!(app.delete(&user, Some(&admin)).await.status, 204);
    app.get("/api/v1/customers", Some(&token)).await.assert_problem(401);
}

#[tokio::test]
async fn dates_lie_between_1900_and_9999_everywhere() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let customer = crate::helpers::create(&app, &admin, "customers", json!({"name": "Dated"})).await;

    // Statistics windows at chrono's extremes panicked; now a 422 naming them.
    for (path, fields) in [
        ("/api/v1/stats/sales/timeseries?from=%2B262140-01-01&to=%2B262142-12-31", vec!["from", "to"]),
        ("/api/v1/stats/dashboard?from=%2B262140-01-01&to=%2B262142-12-31", vec!["from", "to"]),
        ("/api/v1/stats/customers/retention/cohorts?from=%2B262140-01-01&to=%2B262142-12-31", vec!["from", "to"]),
        ("/api/v1/stats/sales/summary?from=-262143-01-01&to=2025-01-01&compare=previous_year", vec!["from"]),
        ("/api/v1/stats/sales/summary?from=1899-12-31&to=1900-02-01", vec!["from"]),
        ("/api/v1/stats/sales/forecast?as_of=%2B10000-01-01", vec!["as_of"]),
        ("/api/v1/reports/monthly?period=10000-01", vec!["period"]),
        ("/api/v1/customers?created_from=%2B10000-01-01", vec!["created_from"]),
        ("/api/v1/orders?ordered_to=-0001-01-01T00:00:00Z", vec!["ordered_to"]),
    ] {
        let reply = app.get(path, Some(&admin)).await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), fields, "{path}: {}", reply.text);
    }
    // The bounds themselves are fine.
    let reply =
        app.get("/api/v1/stats/sales/summary?from=1900-01-01&to=1901-01-01&compare=previous_year", Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = app.get("/api/v1/customers?created_from=9999-12-31T23:59:59Z&q=1850-01-01", Some(&admin)).await;
    assert_eq!(reply.status, 200, "a search text may look like a date: {}", reply.text);

    // Bodies: PostgreSQL refused some of these with a 500, SQLite stored them.
    for (resource, body, field) in [
        (
            "opportunities",
            json!({"customer_id": customer, "name": "Far", "amount": "1.00", "expected_close_date": "-262143-01-01"}),
            "expected_close_date",
        ),
        ("tasks", json!({"title": "Later", "due_at": "+10000-01-01T00:00:00Z"}), "due_at"),
        ("campaigns", json!({"name": "Ancient", "start_date": "1066-10-14"}), "start_date"),
        ("customers", json!({"name": "Old", "birth_date": "+262142-12-31"}), "birth_date"),
    ] {
        let reply = app.post(&format!("/api/v1/{resource}"), Some(&admin), &body).await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), vec![field], "{resource}: {}", reply.text);
        assert_eq!(reply.body["errors"][0]["code"], "range");
    }
    let reply = app
        .post(
            "/api/v1/opportunities",
            Some(&admin),
            &json!({"customer_id": customer, "name": "Edge", "amount": "1.00", "expected_close_date": "9999-12-31"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    // Bulk records too.
    let reply = app
        .post(
            "/api/v1/opportunities/bulk",
            Some(&admin),
            &json!({"records": [{"external_id": "F-1", "customer_id": customer, "name": "Far", "amount": "1.00", "expected_close_date": "+10000-01-01"}]}),
        )
        .await;
    assert_eq!(reply.body["results"][0]["errors"][0]["field"], "expected_close_date", "{}", reply.text);
}

#[tokio::test]
async fn unknown_api_keys_count_against_the_address() {
    let app = crate::helpers::spawn_app_with_settings(&[("CRM_RATE_LIMIT", "20")]).await;
    let admin = app.admin_token().await;
    let secret = new_key(&app, &admin, &["customers:read"]).await;
    // Thirty requests, each with another made-up key: one address, one budget.
    let mut statuses = vec![];
    for i in 0..30 {
        let made_up = format!("crm_{i:040}");
        let reply =
            app.send(app.client.request(Method::GET, app.url("/api/v1/customers")).header("x-api-key", &made_up)).await;
        statuses.push(reply.status);
    }
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(refused >= 10, "made-up keys share the address's budget: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    // A real key has its own budget, untouched by them.
    let reply = app.with_key(Method::GET, "/api/v1/customers", &secret, Some(&json!({}))).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("ratelimit-remaining"), Some("19"));
}

#[tokio::test]
async fn concurrent_writes_without_if_match_all_land() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let customer = crate::helpers::create(&app, &admin, "customers", json!({"name": "Contended"})).await;
    let path = format!("/api/v1/customers/{customer}");

    // Twenty concurrent patches without a precondition: the last write wins,
    // none is refused (PostgreSQL answered 15 of them 412).
    let patches = (0..20).map(|i| {
        let (app, admin, path) = (&app, &admin, &path);
        async move { app.patch(path, Some(admin), &json!({"city": format!("City {i}")})).await.status }
    });
    let statuses = futures_util::future::join_all(patches).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let after = app.get(&path, Some(&admin)).await;
    assert_eq!(after.body["version"], 21, "every patch made a version: {}", after.text);

    // With a precondition, a stale version is still refused.
    let version = after.header("etag").unwrap().to_string();
    let guarded = (0..2).map(|i| {
        let (app, admin, path, version) = (&app, &admin, &path, &version);
        async move {
            app.send(
                app.request(Method::PATCH, path, Some(admin))
                    .header("if-match", version.as_str())
                    .json(&json!({"city": format!("Guarded {i}")})),
            )
            .await
            .status
        }
    });
    let mut statuses = futures_util::future::join_all(guarded).await;
    statuses.sort();
    assert_eq!(statuses, vec![200, 412]);

    // Two bulk calls updating the same 50 records at once: both report
    // every record, none fails for the other.
    let records = |tag: &str| -> Value {
        json!({"records": (0..50).map(|i| json!({"external_id": format!("C-{i}"), "name": format!("{tag} {i}")})).collect::<Vec<_>>()})
    };
    let created = app.post("/api/v1/customers/bulk", Some(&admin), &records("Start")).await;
    assert_eq!(created.body["created"], 50, "{}", created.text);
    let (first, second) = (records("A"), records("B"));
    let (a, b) = tokio::join!(
        app.post("/api/v1/customers/bulk", Some(&admin), &first),
        app.post("/api/v1/customers/bulk", Some(&admin), &second)
    );
    for reply in [&a, &b] {
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(
            (reply.body["updated"].as_u64(), reply.body["failed"].as_u64()),
            (Some(50), Some(0)),
            "{}",
            reply.text
        );
    }
}

#[tokio::test]
async fn imports_are_bounded_in_rows_and_in_what_they_report() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    // 100,001 rows of nothing: refused before any row is looked at.
    let too_many = format!("name,kind\n{}", ",\n".repeat(100_001));
    let reply = app.post_csv("/api/v1/imports/customers?dry_run=true", &admin, &too_many).await;
    reply.assert_problem(422);
    assert_eq!(reply.body["errors"][0]["code"], "too_many_rows", "{}", reply.text);
    let reply = app.post_csv("/api/v1/imports/customers", &admin, &format!("name\n{}", "X\n".repeat(100_001))).await;
    reply.assert_problem(422);
    let listed = app.get("/api/v1/customers?count=true&limit=1", Some(&admin)).await;
    assert_eq!(listed.body["total"], 0, "nothing written: {}", listed.text);

    // 1,500 bad rows: all counted, the first 1,000 listed.
    let bad = format!("name,kind\n{}", ",\n".repeat(1_500));
    let reply = app.post_csv("/api/v1/imports/customers?dry_run=true", &admin, &bad).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!((reply.body["rows"].as_u64(), reply.body["failed"].as_u64()), (Some(1500), Some(1500)));
    assert_eq!(reply.body["problems"].as_array().unwrap().len(), 1000);
    assert_eq!(reply.body["problems_omitted"], 500);
    assert!(reply.text.len() < 300_000, "the report is bounded: {} bytes", reply.text.len());
}

#[tokio::test]
async fn an_import_s_duplicate_check_sees_only_the_caller_s_customers() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rep_a, token_a) = app.user_with_role(&admin, "sales", None).await;
    let (_, token_b) = app.user_with_role(&admin, "sales", None).await;
    let theirs = crate::helpers::create(
        &app,
        &token_b,
        "customers",
        json!({"name": "Other team's", "phone": "+86 138 0000 1234", "email": "buyer@other.example", "city": "Hangzhou"}),
    )
    .await;
    let mine =
        crate::helpers::create(&app, &token_a, "customers", json!({"name": "Mine", "phone": "+86 139 1111 2222"}))
            .await;

    // Another rep's customer behaves as absent: not named, not touched.
    for on_duplicate in ["skip", "update"] {
        let csv =
            "name,phone,email,city\nLook-alike,+86 138 0000 1234,,\nTwin,,BUYER@other.example,\nOther's,,,Hangzhou\n";
        let path = format!("/api/v1/imports/customers?dry_run=true&on_duplicate={on_duplicate}");
        let reply = app.post_csv(&path, &token_a, csv).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.body["created"], 3, "{on_duplicate}: {}", reply.text);
        assert!(!reply.text.contains(&theirs), "{}", reply.text);
    }
    let csv = "name,phone\nLook-alike,+86 138 0000 1234\n";
    let reply = app.post_csv("/api/v1/imports/customers?on_duplicate=update", &token_a, csv).await;
    assert_eq!((reply.body["created"].as_u64(), reply.body["updated"].as_u64()), (Some(1), Some(0)), "{}", reply.text);
    let untouched = app.get(&format!("/api/v1/customers/{theirs}"), Some(&admin)).await;
    assert_eq!((untouched.body["name"].as_str(), untouched.body["version"].as_i64()), (Some("Other team's"), Some(1)));

    // Their own customers are still found.
    let csv = "name,phone\nSame,+86 139 1111 2222\n";
    let reply = app.post_csv("/api/v1/imports/customers?dry_run=true", &token_a, csv).await;
    assert_eq!(reply.body["skipped"], 1, "{}", reply.text);
    assert_eq!(reply.body["problems"][0]["id"], json!(mine));
    let _ = rep_a;
}

#[tokio::test]
async fn a_service_agent_sees_the_customers_of_live_tickets_including_their_own() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (agent_id, agent) = app.user_with_role(&admin, "service", None).await;
    let customer =
        crate::helpers::create(&app, &admin, "customers", json!({"name": "Caller", "phone": "+86 21 5555 0000"})).await;
    let path = format!("/api/v1/customers/{customer}");
    app.get(&path, Some(&agent)).await.assert_problem(404);

    // Opening a ticket for a customer (by id) is how the service desk takes
    // one on: the customer is visible from then on, and the audit log says
    // which agent opened the ticket.
    let reply = app
        .post("/api/v1/tickets", Some(&agent), &json!({"customer_id": customer, "subject": "Where is my order?"}))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let ticket = reply.body["id"].as_str().unwrap().to_string();
    let seen = app.get(&path, Some(&agent)).await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    let audit = app.get(&format!("/api/v1/audit?resource=tickets&record_id={ticket}"), Some(&admin)).await;
    assert_eq!(audit.body["data"][0]["actor_id"], json!(agent_id), "{}", audit.text);

    // Once no live ticket or feedback touches it, it is out of sight again.
    assert_eq!(app.delete(&format!("/api/v1/tickets/{ticket}"), Some(&admin)).await.status, 204);
    app.get(&path, Some(&agent)).await.assert_problem(404);
}

#[tokio::test]
async fn webhook_targets_in_special_purpose_ranges_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for url in [
        "https://[64:ff9b::7f00:1]/hook",
        "https://[2002:7f00:1::]/hook",
        "https://[::127.0.0.1]/hook",
        "https://198.18.0.1/hook",
        "https://192.0.0.1/hook",
        "https://240.0.0.1/hook",
    ] {
        let reply = app.post("/api/v1/webhooks", Some(&admin), &json!({"url": url, "events": ["*"]})).await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), ["url"], "{url}: {}", reply.text);
    }
}

/// Sends raw bytes (clients refuse to build such requests) and reads the
/// answer until the server closes: status, lower-case head, body.
async fn raw_exchange(app: &crate::helpers::TestApp, request: Vec<u8>) -> (u16, String, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.url("").trim_start_matches("http://").trim_end_matches('/').to_string();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    // The server may answer and close before it has read everything.
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_ascii_lowercase(), serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn requests_the_parser_refuses_get_problem_documents_too() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // A URL over 64 KiB and a request head over 128 KiB are refused by the
    // HTTP parser before the app; they were a bare 400 / 431, empty.
    let long_url = format!("GET /api/v1/customers?q={} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(100_000));
    let big_head = format!("GET /api/v1/customers HTTP/1.1\r\nhost: x\r\nx-padding: {}\r\n\r\n", "p".repeat(140_000));
    for (request, status) in [(long_url, 400), (big_head, 431)] {
        let (answered, head, body) = raw_exchange(&app, request.into_bytes()).await;
        assert_eq!(answered, status, "{head}");
        assert!(head.contains("content-type: application/problem+json"), "{head}");
        for header in
            ["x-content-type-options: nosniff", "cache-control: no-store", "content-security-policy:", "x-request-id:"]
        {
            assert!(head.contains(header), "{header} in {head}");
        }
        assert_eq!(body["status"], status, "{body}");
        assert!(body["type"].is_string() && body["detail"].is_string(), "{body}");
        assert!(head.contains(&format!("x-request-id: {}", body["request_id"].as_str().unwrap())), "{head}");
    }
    // A malformed request line, too.
    let (answered, head, body) = raw_exchange(&app, b"GET /\x01 HTTP/1.1\r\nhost: x\r\n\r\n".to_vec()).await;
    assert_eq!((answered, body["status"].as_u64()), (400, Some(400)), "{head}");
    // The server goes on serving, and its own 400s are untouched.
    assert_eq!(app.get("/api/v1/customers", Some(&admin)).await.status, 200);
    let reply = app
        .send(
            app.request(Method::POST, "/api/v1/teams", Some(&admin))
                .header("content-type", "application/json")
                .body("{"),
        )
        .await;
    reply.assert_problem(400);
    assert!(reply.body["detail"].as_str().unwrap().contains("not valid JSON"), "{}", reply.text);
}
