//! Data quality against a hand-made customer base.
//!
//! | customer | name / city          | email          | phone             | other fields                      |
//! |----------|----------------------|----------------|-------------------|-----------------------------------|
//! | D1       | "Li  Wei" / Beijing  | li@x.example   |                   | region North                      |
//! | D2       | " li wei" / " beijing " |             |                   | occupation Teacher                |
//! | D3       | Zhang San            | LI@x.example   |                   |                                   |
//! | D4       | Wang                 |                | +86 138-0013-8000 |                                   |
//! | D5       | Wang Wu              |                | 86 138 0013 8000  |                                   |
//! | D6       | Six                  |                | 123 (too short)   |                                   |
//! | D7       | Seven (created 2024) |                | 123 (too short)   |                                   |
//! | D8       | Eight                | e@x.example    | 555 0100 200      | address, region, industry, source |
//!
//! Groups: {D1, D2 (name + city), D3 (email)} and {D4, D5 (phone digits)}:
//! 3 duplicate records of 8. D7, last changed in 2024, is stale.

use serde_json::json;

use crate::helpers::{create, spawn_app};

#[tokio::test]
async fn completeness_duplicates_and_staleness() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let bodies = [
        json!({"name": "Li  Wei", "city": "Beijing", "email": "li@x.example", "region": "North"}),
        json!({"name": " li wei", "city": " beijing ", "occupation": "Teacher"}),
        json!({"name": "Zhang San", "email": "LI@x.example"}),
        json!({"name": "Wang", "phone": "+86 138-0013-8000"}),
        json!({"name": "Wang Wu", "phone": "86 138 0013 8000"}),
        json!({"name": "Six", "phone": "123"}),
        json!({"name": "Seven", "phone": "123", "created_at": "2024-01-01T00:00:00Z"}),
        json!({"name": "Eight", "email": "e@x.example", "phone": "555 0100 200", "address": "1 Road", "region": "South", "industry": "Tea", "source": "fair"}),
    ];
    let mut ids = vec![];
    for body in bodies {
        ids.push(create(&app, &admin, "customers", body).await);
    }
    let reply = app.get("/api/v1/stats/data-quality", Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let b = &reply.body;
    assert_eq!(b["customers"], 8);
    assert_eq!(
        b["completeness"],
        json!({"phone": 0.625, "email": 0.375, "address": 0.125, "region": 0.25, "industry_or_occupation": 0.25, "source": 0.125, "all": 0.125})
    );
    let mut expected = vec![vec![ids[0].clone(), ids[1].clone(), ids[2].clone()], vec![ids[3].clone(), ids[4].clone()]];
    for group in &mut expected {
        group.sort();
    }
    let mut groups: Vec<Vec<String>> = b["duplicate_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["customer_ids"].as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_string()).collect())
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
    assert_eq!(groups, expected);
    assert_eq!((b["duplicate_records"].clone(), b["duplicate_rate"].clone()), (json!(3), json!(0.375)));
    assert_eq!((b["stale"].clone(), b["stale_rate"].clone()), (json!(1), json!(0.125)));

    // A rep who owns none sees an empty, all-null report.
    let (_, rep) = app.user_with_role(&admin, "sales", None).await;
    let empty = app.get("/api/v1/stats/data-quality", Some(&rep)).await.body;
    assert_eq!(
        (empty["customers"].clone(), empty["duplicate_rate"].clone(), empty["completeness"]["all"].clone()),
        (json!(0), json!(null), json!(null))
    );
    assert_eq!(empty["duplicate_groups"], json!([]));
    let region = app.get("/api/v1/stats/data-quality?region=North", Some(&admin)).await.body;
    assert_eq!((region["customers"].clone(), region["duplicate_records"].clone()), (json!(1), json!(0)));
}

/// Many records with one key — an import that filled a placeholder email —
/// are one group, found in linear time: 400 identical customers are 400
/// rows of the key listing, not 160,000 pairs and their closure (a chain
/// through a second key joins a further customer to the same group).
#[tokio::test]
async fn a_large_group_of_identical_records_is_one_group() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut ids = vec![];
    for _ in 0..400 {
        ids.push(create(&app, &admin, "customers", json!({"name": "Unknown", "email": "none@x.example"})).await);
    }
    ids.push(
        create(&app, &admin, "customers", json!({"name": "Other", "email": "NONE@x.example", "phone": "555 1234 567"}))
            .await,
    );
    ids.push(create(&app, &admin, "customers", json!({"name": "Chained", "phone": "5551234567"})).await);
    create(&app, &admin, "customers", json!({"name": "Alone", "email": "alone@x.example"})).await;
    ids.sort();
    let body = app.get("/api/v1/stats/data-quality", Some(&admin)).await.body;
    let groups = body["duplicate_groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{body}");
    let members: Vec<String> =
        groups[0]["customer_ids"].as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_string()).collect();
    assert_eq!(members, ids);
    assert_eq!(body["duplicate_records"], json!(401));
}
