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
