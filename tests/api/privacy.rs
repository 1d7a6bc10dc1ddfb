//! Privacy requests: a customer's data export, and its erasure, which
//! leaves every statistic as it was.

use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::fixture;
use crate::helpers::{TestApp, create, spawn_app};

/// Statistics that a customer's data feeds, over a window holding all of
/// the fixture.
const STATISTICS: &[&str] = &[
    "/api/v1/stats/sales/summary",
    "/api/v1/stats/sales/timeseries?granularity=month",
    "/api/v1/stats/sales/breakdown?by=region",
    "/api/v1/stats/sales/breakdown?by=product",
    "/api/v1/stats/customers/overview",
    "/api/v1/stats/customers/distribution?by=segment",
    "/api/v1/stats/customers/distribution?by=age_band",
    "/api/v1/stats/customers/distribution?by=gender",
    "/api/v1/stats/customers/clv",
    "/api/v1/stats/customers/rfm",
    "/api/v1/stats/customers/retention",
    "/api/v1/stats/customers/interactions",
    "/api/v1/stats/sales/funnel",
    "/api/v1/stats/leads/conversion",
    "/api/v1/stats/service/summary",
    "/api/v1/stats/satisfaction",
    "/api/v1/stats/employees/performance",
];

async fn statistics(app: &TestApp, token: &str) -> Vec<String> {
    let mut answers = vec![];
    for path in STATISTICS {
        let separator = if path.contains('?') { '&' } else { '?' };
        let reply = app.get(&format!("{path}{separator}from=2024-01-01&to=2027-01-01"), Some(token)).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        let mut body = reply.body;
        body.as_object_mut().unwrap().remove("as_of");
        answers.push(body.to_string());
    }
    answers
}

#[tokio::test]
async fn erasing_a_customer_anonymizes_it_and_changes_no_statistic() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let admin = &f.admin;
    let c1 = f.ids["c1"].clone();
    // Personal data about C1: its own fields, a contact, a converted lead,
    // an activity, a ticket and feedback with free text.
    let patched = app
        .patch(
            &format!("/api/v1/customers/{c1}"),
            Some(admin),
            &json!({"email": "c1@private.example", "phone": "+86 138 0000 1111", "address": "1 Lane Road", "tags": ["vip"], "gender": "female"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    // Created with an Idempotency-Key: its first answer is kept for retries.
    let contact_body = json!({"customer_id": c1, "name": "Li Na", "email": "li.na@private.example"});
    let create_contact = || {
        app.send(
            app.request(Method::POST, "/api/v1/contacts", Some(admin))
                .header("idempotency-key", "li-na")
                .json(&contact_body),
        )
    };
    let created = create_contact().await;
    assert_eq!(created.status, 201, "{}", created.text);
    let contact = created.body["id"].as_str().unwrap().to_string();
    let lead =
        create(&app, admin, "leads", json!({"name": "Li Na", "email": "li.na@private.example", "phone": "555"})).await;
    let converted = app.post(&format!("/api/v1/leads/{lead}/convert"), Some(admin), &json!({"customer_id": c1})).await;
    assert_eq!(converted.status, 200, "{}", converted.text);
    create(
        &app,
        admin,
        "activities",
        json!({"type": "call", "subject": "Li Na's divorce", "customer_id": c1, "outcome": "Private"}),
    )
    .await;
    create(
        &app,
        admin,
        "tickets",
        json!({"customer_id": c1, "subject": "Broken pot", "description": "Call Li Na at home"}),
    )
    .await;
    create(&app, admin, "feedback", json!({"customer_id": c1, "score": 3, "comment": "Li Na says no"})).await;

    // The export holds all of it.
    let export = app.get(&format!("/api/v1/customers/{c1}/export"), Some(admin)).await;
    assert_eq!(export.status, 200, "{}", export.text);
    assert!(export.header("content-disposition").unwrap().contains(&format!("customer-{c1}.json")));
    let held = &export.body;
    assert_eq!(held["customer"]["email"], "c1@private.example");
    assert_eq!(held["contacts"][0]["id"], contact.as_str());
    assert_eq!(held["leads"][0]["id"], lead.as_str());
    assert_eq!(held["orders"].as_array().unwrap().len(), 4, "O1, O2, O5, O7");
    assert!(held["orders"][0]["items"].as_array().is_some_and(|items| !items.is_empty()));
    assert_eq!(held["activities"].as_array().unwrap().len(), 1);
    assert_eq!(held["tickets"].as_array().unwrap().len(), 1);
    assert_eq!(held["feedback"].as_array().unwrap().len(), 1);
    assert!(held["audit"].as_array().unwrap().len() >= 4, "{}", held["audit"]);

    let before = statistics(&app, admin).await;
    let erased = app.post(&format!("/api/v1/customers/{c1}/erase"), Some(admin), &json!({})).await;
    assert_eq!(erased.status, 200, "{}", erased.text);
    let report = &erased.body;
    assert_eq!((report["contacts"].as_u64(), report["leads"].as_u64()), (Some(1), Some(1)));
    assert_eq!(report["activities"], 1);
    assert_eq!((report["tickets"].as_u64(), report["feedback"].as_u64()), (Some(1), Some(1)));
    assert_eq!(report["demographics_kept"], true);
    assert_eq!(report["idempotent_answers"], 1, "the contact's kept answer");

    // Every statistic is as it was; only C1's name reads differently.
    let customer = app.get(&format!("/api/v1/customers/{c1}"), Some(admin)).await.body;
    let new_name = customer["name"].as_str().unwrap().to_string();
    assert!(new_name.starts_with("Erased customer "), "{new_name}");
    let after = statistics(&app, admin).await;
    for ((path, before), after) in STATISTICS.iter().zip(before).zip(after) {
        assert_eq!(before.replace("\"C1\"", &format!("\"{new_name}\"")), after, "{path}");
    }

    // Nothing personal is left, anywhere the API shows.
    let text = app.get(&format!("/api/v1/customers/{c1}/export"), Some(admin)).await.text;
    for personal in ["private.example", "1 Lane Road", "138 0000", "Li Na", "divorce", "vip", "\"C1\""] {
        assert!(!text.contains(personal), "{personal} is still held: {text}");
    }
    // A retry of the contact's creation is still not carried out twice, and
    // its kept answer no longer shows what it held.
    let retried = create_contact().await;
    assert_eq!(retried.status, 409, "{}", retried.text);
    assert_eq!(retried.header("content-type"), Some("application/problem+json"));
    assert!(!retried.text.contains("Li Na") && !retried.text.contains("private.example"), "{}", retried.text);
    assert_eq!(
        app.get(&format!("/api/v1/contacts?customer_id={c1}"), Some(admin)).await.body["data"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(customer["gender"], "female", "demographics are kept by default");
    assert_eq!(customer["version"].as_i64(), Some(3), "a new version, for sync clients");
    for path in ["/api/v1/audit?resource=customers", "/api/v1/audit?resource=contacts", "/api/v1/audit?resource=leads"]
    {
        let audit = app.get(path, Some(admin)).await.text;
        assert!(!audit.contains("private.example") && !audit.contains("Li Na"), "{path}: {audit}");
    }
    // The erasure itself is audited, by whom and what, without personal data.
    let audit = app.get(&format!("/api/v1/audit?record_id={c1}&action=erase"), Some(admin)).await;
    let entry = &audit.body["data"][0];
    assert_eq!(entry["actor_id"], app.get("/api/v1/auth/me", Some(admin)).await.body["id"]);
    assert_eq!(entry["changes"]["contacts"], 1);

    // Erasing again is harmless; without demographics, they go too.
    let again =
        app.post(&format!("/api/v1/customers/{c1}/erase?keep_demographics=false"), Some(admin), &json!({})).await;
    assert_eq!(again.status, 200, "{}", again.text);
    let customer = app.get(&format!("/api/v1/customers/{c1}"), Some(admin)).await.body;
    assert_eq!((customer["gender"].clone(), customer["birth_date"].clone()), (Value::Null, Value::Null));
    assert_eq!(customer["name"], new_name.as_str());
}

#[tokio::test]
async fn only_administrators_handle_privacy_requests() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, sales) = app.user_with_role(&admin, "sales", None).await;
    let (_, manager) = app.user_with_role(&admin, "manager", None).await;
    let customer = create(&app, &sales, "customers", json!({"name": "Own"})).await;
    for token in [&sales, &manager] {
        app.get(&format!("/api/v1/customers/{customer}/export"), Some(token)).await.assert_problem(403);
        app.post(&format!("/api/v1/customers/{customer}/erase"), Some(token), &json!({})).await.assert_problem(403);
    }
    let missing = uuid::Uuid::now_v7();
    app.get(&format!("/api/v1/customers/{missing}/export"), Some(&admin)).await.assert_problem(404);
    app.post(&format!("/api/v1/customers/{missing}/erase"), Some(&admin), &json!({})).await.assert_problem(404);
    app.get(&format!("/api/v1/customers/{customer}/export"), None).await.assert_problem(401);
}
