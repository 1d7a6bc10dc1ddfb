//! Exports of a list with its filters, as streamed CSV and as XLSX (read
//! back with calamine), within the caller's scope.

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// RFC 4180 rows: quoted fields may hold commas, quotes and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (vec![], vec![], String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

async fn download(app: &TestApp, token: &str, path: &str, accept: Option<&str>) -> (u16, String, Vec<u8>) {
    let mut request = app.request(Method::GET, path, Some(token));
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let kind = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, kind, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn lists_export_as_streamed_csv_and_xlsx() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rep_id, rep) = app.user_with_role(&admin, "sales", None).await;
    for batch in 0..2 {
        let records: Vec<Value> = (0..600)
            .map(|i| {
                let n = batch * 600 + i;
                let city = if n % 3 == 0 { "Lyon" } else { "Nantes" };
                let owner = if n < 10 { json!(rep_id) } else { Value::Null };
                json!({"external_id": format!("EX-{n}"), "name": format!("Customer {n}"), "city": city, "owner_id": owner})
            })
            .collect();
        let reply = app.post("/api/v1/customers/bulk", Some(&admin), &json!({"records": records})).await;
        assert_eq!(reply.body["created"], 600, "{}", reply.text);
    }
    let tricky =
        json!({"external_id": "EX-T", "name": "Lee, \"Ann\"\nSales", "city": "=HYPERLINK(\"x\")", "tags": ["a", "b"]});
    let reply = app.post("/api/v1/customers/bulk", Some(&admin), &json!({"records": [tricky]})).await;
    assert_eq!(reply.body["created"], 1, "{}", reply.text);

    let (status, kind, body) = download(&app, &admin, "/api/v1/customers/export", None).await;
    assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"));
    let rows = parse_csv(&String::from_utf8(body).unwrap());
    let header = rows[0].clone();
    for column in ["id", "name", "city", "external_id", "created_at", "tags"] {
        assert!(header.contains(&column.to_string()), "{column} in {header:?}");
    }
    assert_eq!(rows.len(), 1 + 1201, "every customer once, across three pages");
    let at = |name: &str| header.iter().position(|c| c == name).unwrap();
    let ids: std::collections::HashSet<&String> = rows[1..].iter().map(|r| &r[at("id")]).collect();
    assert_eq!(ids.len(), 1201);
    let tricky_row = rows.iter().find(|r| r[at("external_id")] == "EX-T").unwrap();
    assert_eq!(tricky_row[at("name")], "Lee, \"Ann\"\nSales");
    assert_eq!(tricky_row[at("city")], "'=HYPERLINK(\"x\")", "formulas are defused");
    assert_eq!(tricky_row[at("tags")], "[\"a\",\"b\"]");

    // The list's filters, sort and search apply.
    let (_, _, body) = download(&app, &admin, "/api/v1/customers/export?city=Lyon&sort=name", None).await;
    let lyon = parse_csv(&String::from_utf8(body).unwrap());
    assert_eq!(lyon.len(), 1 + 400);
    assert!(lyon[1..].iter().all(|r| r[at("city")] == "Lyon"));
    let names: Vec<&String> = lyon[1..].iter().map(|r| &r[at("name")]).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let (_, _, body) = download(&app, &admin, "/api/v1/customers/export?q=customer%201199", None).await;
    assert_eq!(parse_csv(&String::from_utf8(body).unwrap()).len(), 2);

    // The rep exports their own ten.
    let (_, _, body) = download(&app, &rep, "/api/v1/customers/export", None).await;
    assert_eq!(parse_csv(&String::from_utf8(body).unwrap()).len(), 1 + 10);

    // XLSX by Accept or format: the same header and rows.
    for (path, accept) in
        [("/api/v1/customers/export?city=Lyon", Some(XLSX)), ("/api/v1/customers/export?city=Lyon&format=xlsx", None)]
    {
        let (status, kind, body) = download(&app, &admin, path, accept).await;
        assert_eq!((status, kind.as_str()), (200, XLSX));
        let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(body)).unwrap();
        assert_eq!(workbook.sheet_names(), ["customers"]);
        let range = workbook.worksheet_range("customers").unwrap();
        let sheet_header: Vec<String> = range.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
        assert_eq!(sheet_header, header);
        assert_eq!(range.height(), 1 + 400);
    }

    // Bad filters are refused before anything is sent; the export needs the list's role.
    let (status, _, body) = download(&app, &admin, "/api/v1/customers/export?sort=shoe_size", None).await;
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
    let (status, _, _) = download(&app, &admin, "/api/v1/customers/export?format=pdf", None).await;
    assert_eq!(status, 422);
    let (_, marketing) = app.user_with_role(&admin, "marketing", None).await;
    let (status, _, _) = download(&app, &marketing, "/api/v1/customers/export", None).await;
    assert_eq!(status, 403);

    // Every export that was answered is in the audit log: who, which list,
    // how filtered — a search text only as given, never its words.
    let audit = app.get("/api/v1/audit?resource=customers&action=export&limit=100", Some(&admin)).await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    let entries = audit.body["data"].as_array().unwrap();
    assert_eq!(entries.len(), 6, "1 + sorted + searched + rep + 2 xlsx; refusals are not exports: {}", audit.text);
    assert!(entries.iter().all(|e| e["record_id"] == "00000000-0000-0000-0000-000000000000"));
    assert_eq!(entries.iter().filter(|e| e["actor_id"] == json!(rep_id)).count(), 1);
    let filtered = |format: &str| {
        entries.iter().filter(|e| e["changes"]["format"] == format && e["changes"]["filters"]["city"] == "Lyon").count()
    };
    assert_eq!((filtered("csv"), filtered("xlsx")), (1, 2));
    assert_eq!(entries.iter().filter(|e| e["changes"]["search"] == true).count(), 1);
    assert!(!audit.text.contains("1199"), "the search text is not kept: {}", audit.text);

    // Orders carry their items as JSON.
    let product =
        app.post("/api/v1/products", Some(&admin), &json!({"sku": "E1", "name": "Ex", "unit_price": "2.00"})).await;
    let customer = app.get("/api/v1/customers?limit=1", Some(&admin)).await.body["data"][0]["id"].clone();
    let order = json!({"customer_id": customer, "items": [{"product_id": product.body["id"], "quantity": 3}]});
    assert_eq!(app.post("/api/v1/orders", Some(&admin), &order).await.status, 201);
    let (_, _, body) = download(&app, &admin, "/api/v1/orders/export", None).await;
    let orders = parse_csv(&String::from_utf8(body).unwrap());
    let items_at = orders[0].iter().position(|c| c == "items").unwrap();
    let items: Value = serde_json::from_str(&orders[1][items_at]).unwrap();
    assert_eq!(items[0]["quantity"], 3);
}
