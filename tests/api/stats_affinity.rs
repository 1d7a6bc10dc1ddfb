//! Product affinity against a basket fixture computed by hand.
//!
//! Counted orders in March 2025 (paid or completed), by product:
//! O1 {A, B}, O2 {A, B, B again on a second line}, O3 {A, C}, O4 {B},
//! O5 {A, B, C}; plus a pending {A, B} and a February {A, B}, which do not
//! count. N = 5; A is in 4 orders, B in 4, C in 2.
//! Pairs: A–B in 3 (O1, O2, O5), A–C in 2 (O3, O5), B–C in 1 (O5).
//! A–B: support 3/5, confidence 3/4 both ways, lift 0.6 / (0.8 × 0.8) = 0.9375.
//! A–C: support 2/5, confidence A→C 2/4, C→A 2/2, lift 0.4 / (0.8 × 0.4) = 1.25.

use serde_json::{Value, json};

use crate::fixtures::person;
use crate::helpers::{create, spawn_app};

const MARCH: &str = "from=2025-03-01&to=2025-04-01";

#[tokio::test]
async fn product_pairs_support_confidence_and_lift() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut ids = vec![];
    for (sku, name) in [("A", "Tea pot"), ("B", "Cup"), ("C", "Kettle")] {
        let body = json!({"sku": sku, "name": name, "category": "Tea", "unit_price": "10.00", "unit_cost": "4.00"});
        ids.push(create(&app, &admin, "products", body).await);
    }
    let (a, b, c) = (&ids[0], &ids[1], &ids[2]);
    let customer = create(&app, &admin, "customers", json!({"name": "Basket buyer"})).await;
    let line = |product: &String| json!({"product_id": product, "quantity": 1});
    let orders = [
        ("2025-03-02T10:00:00Z", "paid", vec![a, b]),
        ("2025-03-03T10:00:00Z", "completed", vec![a, b, b]),
        ("2025-03-04T10:00:00Z", "paid", vec![a, c]),
        ("2025-03-05T10:00:00Z", "paid", vec![b]),
        ("2025-03-31T23:59:59Z", "paid", vec![a, b, c]),
        ("2025-03-06T10:00:00Z", "pending", vec![a, b]),
        ("2025-02-28T10:00:00Z", "paid", vec![a, b]),
    ];
    // A sales rep is credited with the first and the third order.
    let (rep_id, rep) = person(&app, &admin, "Rita", "sales", None).await;
    for (n, (at, status, products)) in orders.into_iter().enumerate() {
        let items: Vec<Value> = products.into_iter().map(line).collect();
        let owner = if n == 0 || n == 2 { json!(rep_id) } else { Value::Null };
        let body =
            json!({"customer_id": customer, "ordered_at": at, "status": status, "items": items, "owner_id": owner});
        create(&app, &admin, "orders", body).await;
    }

    let reply = app.get(&format!("/api/v1/stats/sales/product-affinity?{MARCH}&min_orders=2"), Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = &reply.body;
    assert_eq!(body["orders"], 5);
    assert_eq!(body["min_orders"], 2);
    let pairs = body["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 2, "B–C is together once only: {pairs:?}");
    // Each pair once, the product with the smaller id as `a`.
    let expect = [(a, b, 3, 4, 4, 0.6, 0.75, 0.75, 0.9375), (a, c, 2, 4, 2, 0.4, 0.5, 1.0, 1.25)];
    for (pair, (x, y, together, orders_x, orders_y, support, x_to_y, y_to_x, lift)) in pairs.iter().zip(expect) {
        let (first, second) = (pair["a"]["id"].as_str().unwrap(), pair["b"]["id"].as_str().unwrap());
        assert!(first < second, "{pair}");
        let swapped = first == y.as_str();
        assert_eq!((first, second), if swapped { (y.as_str(), x.as_str()) } else { (x.as_str(), y.as_str()) });
        let (orders_a, orders_b, a_to_b, b_to_a) =
            if swapped { (orders_y, orders_x, y_to_x, x_to_y) } else { (orders_x, orders_y, x_to_y, y_to_x) };
        assert_eq!(pair["orders"], together);
        assert_eq!(pair["a"]["orders"], orders_a);
        assert_eq!(pair["b"]["orders"], orders_b);
        for (field, value) in
            [("support", support), ("confidence_a_to_b", a_to_b), ("confidence_b_to_a", b_to_a), ("lift", lift)]
        {
            assert!((pair[field].as_f64().unwrap() - value).abs() < 1e-12, "{field}: {pair}");
        }
    }
    let names: Vec<&str> = ["a", "b"].iter().map(|side| pairs[1][side]["sku"].as_str().unwrap()).collect();
    assert!(names == ["A", "C"] || names == ["C", "A"], "{names:?}");

    // The default threshold (5 orders together) leaves no pair; the order count stays.
    let reply = app.get(&format!("/api/v1/stats/sales/product-affinity?{MARCH}"), Some(&admin)).await;
    assert_eq!(reply.body["orders"], 5);
    assert_eq!(reply.body["pairs"], json!([]));
    // limit keeps the first pairs; with one order together B–C appears last.
    let reply =
        app.get(&format!("/api/v1/stats/sales/product-affinity?{MARCH}&min_orders=1&limit=2"), Some(&admin)).await;
    assert_eq!(reply.body["pairs"].as_array().unwrap().len(), 2);
    let reply = app.get(&format!("/api/v1/stats/sales/product-affinity?{MARCH}&min_orders=1"), Some(&admin)).await;
    let last = &reply.body["pairs"][2];
    let mut ids = [last["a"]["id"].as_str().unwrap(), last["b"]["id"].as_str().unwrap()];
    ids.sort();
    let mut expected = [b.as_str(), c.as_str()];
    expected.sort();
    assert_eq!((ids, &last["orders"]), (expected, &json!(1)));

    // A rep sees the pairs of their own orders only: O1 {A, B} and O3 {A, C}.
    let reply = app.get(&format!("/api/v1/stats/sales/product-affinity?{MARCH}&min_orders=1"), Some(&rep)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["orders"], 2);
    let pairs = reply.body["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 2, "{pairs:?}");
    for pair in pairs {
        assert_eq!((&pair["orders"], &pair["support"]), (&json!(1), &json!(0.5)), "{pair}");
    }
    // The same through the owner filter, for the admin.
    let reply = app
        .get(&format!("/api/v1/stats/sales/product-affinity?{MARCH}&min_orders=1&owner_id={rep_id}"), Some(&admin))
        .await;
    assert_eq!(reply.body["orders"], 2);
    assert_eq!(reply.body["pairs"].as_array().unwrap().len(), 2);

    // Bad parameters name the field; no comparison window is offered.
    for (query, field) in
        [("min_orders=0", "min_orders"), ("limit=501", "limit"), ("compare=previous_period", "compare")]
    {
        let reply = app.get(&format!("/api/v1/stats/sales/product-affinity?{MARCH}&{query}"), Some(&admin)).await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.text);
        assert_eq!(reply.error_fields(), vec![field], "{query}: {}", reply.text);
    }
}
