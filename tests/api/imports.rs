//! CSV imports: an export re-imports without errors (and changes nothing);
//! headers map to fields; bad rows are reported by row and field; dry runs
//! write nothing; duplicates of existing customers are skipped, updated or
//! created as asked.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

fn counts(body: &Value) -> (u64, u64, u64, u64, u64) {
    let n = |k: &str| body[k].as_u64().unwrap();
    (n("created"), n("updated"), n("unchanged"), n("skipped"), n("failed"))
}

async fn total(app: &TestApp, token: &str) -> u64 {
    app.get("/api/v1/customers?limit=1&count=true", Some(token)).await.body["total"].as_u64().unwrap()
}

#[tokio::test]
async fn csv_imports_report_rows_and_handle_duplicates() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let records: Vec<Value> = (0..50)
        .map(|i| {
            json!({"external_id": format!("IMP-{i}"), "name": format!("Firm {i}"), "city": "Oslo",
                        "email": format!("firm{i}@example.com"), "phone": format!("+47 555 000 {i:02}"), "tags": ["x"]})
        })
        .collect();
    assert_eq!(
        app.post("/api/v1/customers/bulk", Some(&admin), &json!({"records": records})).await.body["created"],
        50
    );

    // An export re-imports with zero errors, and changes nothing.
    let export = app.send(app.request(Method::GET, "/api/v1/customers/export", Some(&admin))).await.text;
    let reply = app.post_csv("/api/v1/imports/customers", &admin, &export).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(counts(&reply.body), (0, 0, 50, 0, 0), "{}", reply.text);
    assert_eq!(reply.body["rows"], 50);
    let ignored: Vec<&str> =
        reply.body["ignored_columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    for column in ["id", "version", "updated_at", "deleted_at"] {
        assert!(ignored.contains(&column), "{column} in {ignored:?}");
    }

    // New rows under other headers; a bad one; two look-alikes of existing customers.
    let csv = "Company,E-mail,Town,Phone\r\n\
               Nordic Tools,nordic@example.com,Bergen,\r\n\
               Fjord Fish,fjord@example.com,Tromsø,\r\n\
               \"Lee, Ann & Co\",lee@example.com,Oslo,\r\n\
               Broken,not-an-email,Oslo,\r\n\
               Firm Three Again,FIRM3@example.com,Rome,\r\n\
               firm 7,,OSLO,\r\n\
               Phone Twin,,Paris,+47-555-000-09\r\n";
    let path = "/api/v1/imports/customers?mapping=Company:name,E-mail:email,Town:city,Phone:phone";
    let dry = app.post_csv(&format!("{path}&dry_run=true"), &admin, csv).await;
    assert_eq!(dry.status, 200, "{}", dry.text);
    assert_eq!(dry.body["dry_run"], true);
    assert_eq!(counts(&dry.body), (3, 0, 0, 3, 1), "{}", dry.text);
    assert_eq!(total(&app, &admin).await, 50, "a dry run writes nothing");
    let problems = dry.body["problems"].as_array().unwrap();
    let failed = problems.iter().find(|p| p["status"] == "failed").unwrap();
    assert_eq!((failed["row"].as_u64(), failed["errors"][0]["field"].as_str()), (Some(4), Some("email")));
    let skipped: Vec<u64> =
        problems.iter().filter(|p| p["status"] == "skipped").map(|p| p["row"].as_u64().unwrap()).collect();
    assert_eq!(skipped, [5, 6, 7]);

    let reply = app.post_csv(path, &admin, csv).await;
    assert_eq!(counts(&reply.body), (3, 0, 0, 3, 1), "{}", reply.text);
    assert_eq!(total(&app, &admin).await, 53);
    let found = app.get("/api/v1/customers?q=lee", Some(&admin)).await;
    assert_eq!(found.body["data"][0]["name"], "Lee, Ann & Co");

    // Update the look-alikes instead, or create them anyway.
    let twins = "Company,E-mail,Town,Segment\r\nFirm 3,FIRM3@example.com,Oslo,vip\r\n";
    let map = "mapping=Company:name,E-mail:email,Town:city,Segment:segment";
    let reply = app.post_csv(&format!("/api/v1/imports/customers?{map}&on_duplicate=update"), &admin, twins).await;
    assert_eq!(counts(&reply.body), (0, 1, 0, 0, 0), "{}", reply.text);
    let firm3 = app.get("/api/v1/customers?q=firm3%40example.com", Some(&admin)).await;
    assert_eq!(firm3.body["data"][0]["segment"], "vip");
    let reply = app.post_csv(&format!("/api/v1/imports/customers?{map}&on_duplicate=create"), &admin, twins).await;
    assert_eq!(counts(&reply.body), (1, 0, 0, 0, 0));

    // Orders with references by external id and their items as JSON.
    let product = app
        .post(
            "/api/v1/products",
            Some(&admin),
            &json!({"sku": "IMP", "name": "Imp", "unit_price": "5.00", "external_id": "P-IMP"}),
        )
        .await;
    assert_eq!(product.status, 201);
    let orders = "external_id,customer_external_id,status,items\r\n\
                  O-1,IMP-1,paid,\"[{\"\"product_external_id\"\": \"\"P-IMP\"\", \"\"quantity\"\": 4}]\"\r\n\
                  O-2,IMP-404,paid,\"[{\"\"product_external_id\"\": \"\"P-IMP\"\", \"\"quantity\"\": 1}]\"\r\n\
                  O-3,IMP-2,paid\r\n";
    let reply = app.post_csv("/api/v1/imports/orders", &admin, orders).await;
    assert_eq!(counts(&reply.body), (1, 0, 0, 0, 2), "{}", reply.text);
    let problems = reply.body["problems"].as_array().unwrap();
    assert_eq!(problems[0]["errors"][0]["field"], "customer_external_id");
    assert_eq!(
        (problems[1]["row"].as_u64(), problems[1]["errors"][0]["code"].as_str()),
        (Some(3), Some("invalid_csv"))
    );
    let order = app.get("/api/v1/orders?limit=1", Some(&admin)).await;
    assert_eq!(order.body["data"][0]["total_amount"], "20.00");

    // Only CSV, and only for those who may write.
    let wrong = app.post("/api/v1/imports/customers", Some(&admin), &json!({"name": "x"})).await;
    wrong.assert_problem(415);
    let (_, service) = app.user_with_role(&admin, "service", None).await;
    app.post_csv("/api/v1/imports/customers", &service, "name\r\nX\r\n").await.assert_problem(403);
}
