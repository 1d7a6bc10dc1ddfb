//! The sales forecast against series whose forecasts and backtest errors
//! are known by hand. The forecast is as of now, so the fixtures are laid
//! out in the months before the current one.

use chrono::{Datelike, Months, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::fixtures::person;
use crate::helpers::{TestApp, create, spawn_app};

/// The first day of the current month, and of the month `k` before it.
fn month(k: u32) -> NaiveDate {
    let today = Utc::now().date_naive();
    NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap() - Months::new(k)
}

/// One paid order of `amount` on the 10th of each month of `series`, the
/// oldest `series.len()` months before the current one.
async fn monthly_orders(app: &TestApp, admin: &str, customer: &str, product: &str, owner: &str, series: &[i64]) {
    let n = series.len() as u32;
    for (k, amount) in series.iter().enumerate() {
        let day = month(n - k as u32).with_day(10).unwrap();
        let body = json!({"customer_id": customer, "owner_id": owner, "ordered_at": format!("{day}T12:00:00Z"),
                          "status": "paid", "items": [{"product_id": product, "quantity": 1, "unit_price": format!("{amount}.00")}]});
        create(app, admin, "orders", body).await;
    }
}

fn money(value: &Value) -> f64 {
    value.as_str().unwrap().parse().unwrap()
}

fn statistical(body: &Value) -> Vec<f64> {
    body["periods"].as_array().unwrap().iter().map(|p| money(&p["statistical"])).collect()
}

/// 36 months of an exact trend plus a yearly season: Holt-Winters fits it
/// exactly, so its backtest error is 0 where the naive forecast's is not,
/// and it forecasts the next months exactly. The pipeline is split by
/// expected close month.
#[tokio::test]
async fn seasonal_history_and_pipeline_by_period() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rep_id, _) = person(&app, &admin, "Sven", "sales", None).await;
    let customer = create(&app, &admin, "customers", json!({"name": "Seasonal", "owner_id": rep_id})).await;
    let product = create(&app, &admin, "products", json!({"sku": "H", "name": "Heater", "unit_price": "1.00"})).await;
    let season = [3000, 2000, 500, -500, -1500, -2500, -3000, -2000, -500, 1000, 2500, 3000];
    let value = |k: i64| 10_000 + 50 * k + season[(k % 12) as usize];
    let series: Vec<i64> = (0..36).map(value).collect();
    monthly_orders(&app, &admin, &customer, &product, &rep_id, &series).await;

    // The pipeline: 500.00 weighted this month, 1,000.00 next month, one
    // overdue, one undated, one after the horizon, one won (not open).
    let opportunity = |name: &str, amount: &str, stage: &str, close: Option<NaiveDate>| {
        json!({"customer_id": customer, "name": name, "amount": amount, "stage": stage, "owner_id": rep_id,
               "expected_close_date": close.map(|d| d.to_string())})
    };
    for body in [
        opportunity("This month", "1000.00", "proposal", Some(month(0).with_day(20).unwrap())),
        opportunity("Next month", "2000.00", "proposal", Some(month(0) + Months::new(1))),
        opportunity("Overdue", "400.00", "negotiation", Some(month(1))),
        opportunity("Undated", "800.00", "qualification", None),
        opportunity("Later", "900.00", "proposal", Some(month(0) + Months::new(5))),
    ] {
        create(&app, &admin, "opportunities", body).await;
    }
    let won = create(&app, &admin, "opportunities", opportunity("Won", "5000.00", "proposal", Some(month(0)))).await;
    let reply = app.patch(&format!("/api/v1/opportunities/{won}"), Some(&admin), &json!({"stage": "won"})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let reply = app.get("/api/v1/stats/sales/forecast?horizon=3", Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = &reply.body;
    assert_eq!(body["method"], "holt_winters_additive");
    assert_eq!(body["season_length"], 12);
    assert_eq!(body["granularity"], "month");
    assert_eq!(body["history"].as_array().unwrap().len(), 36, "leading empty months are not history");
    assert_eq!(body["history"][0]["period"], month(36).to_string());
    assert_eq!(body["history"][35]["revenue"], format!("{}.00", series[35]));
    let periods = body["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 3);
    assert_eq!(periods[0]["period"], month(0).to_string());
    assert_eq!(periods[2]["period"], (month(0) + Months::new(2)).to_string());
    assert_eq!(statistical(body), vec![value(36) as f64, value(37) as f64, value(38) as f64]);
    assert_eq!(periods[0]["actual_to_date"], "0.00");
    assert!(periods[1].get("actual_to_date").is_none());
    let pipeline: Vec<(f64, i64)> =
        periods.iter().map(|p| (money(&p["pipeline"]), p["pipeline_opportunities"].as_i64().unwrap())).collect();
    assert_eq!(pipeline, vec![(500.0, 1), (1000.0, 1), (0.0, 0)]);
    assert_eq!(periods[1]["pipeline_amount"], "2000.00");
    assert_eq!(
        (body["pipeline_overdue"]["count"].as_i64(), money(&body["pipeline_overdue"]["weighted"])),
        (Some(1), 300.0)
    );
    assert_eq!(
        (body["pipeline_undated"]["count"].as_i64(), money(&body["pipeline_undated"]["weighted"])),
        (Some(1), 80.0)
    );
    assert_eq!(
        (body["pipeline_later"]["count"].as_i64(), money(&body["pipeline_later"]["weighted"])),
        (Some(1), 450.0)
    );

    // The backtest: fitted to 30 months, the last 6 forecast exactly; the
    // naive forecast repeats month 29 (value(29)).
    let backtest = &body["backtest"];
    assert_eq!(backtest["method"], "holt_winters_additive");
    assert_eq!(backtest["mape"], 0.0);
    let naive_mape: f64 = (30..36).map(|k| ((value(k) - value(29)) as f64).abs() / value(k) as f64).sum::<f64>() / 6.0;
    assert!((backtest["naive_mape"].as_f64().unwrap() - naive_mape).abs() < 1e-12);
    assert!(backtest["mape"].as_f64().unwrap() < naive_mape, "the seasonal method beats the naive one");
    let points = backtest["points"].as_array().unwrap();
    assert_eq!(points.len(), 6);
    assert_eq!(points[0]["period"], month(6).to_string());
    assert_eq!(points[5]["actual"], format!("{}.00", value(35)));

    // As of three months ago: 33 months of history, the same method; the
    // forecast starts three months back.
    let as_of = month(3);
    let reply = app.get(&format!("/api/v1/stats/sales/forecast?horizon=2&as_of={as_of}"), Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["history"].as_array().unwrap().len(), 33);
    assert_eq!(reply.body["periods"][0]["period"], as_of.to_string());
    assert_eq!(statistical(&reply.body), vec![value(33) as f64, value(34) as f64]);
    assert_eq!(reply.body["periods"][0]["actual_to_date"], "0.00", "nothing before the first instant of the month");

    // Quarters: 12 quarters (or 13, with the month of the current quarter
    // already past), at least two seasons of 4.
    let reply = app.get("/api/v1/stats/sales/forecast?granularity=quarter&horizon=2", Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["method"], "holt_winters_additive");
    assert_eq!(reply.body["season_length"], 4);

    for (query, field) in [
        ("granularity=day", "granularity"),
        ("horizon=0", "horizon"),
        ("horizon=25", "horizon"),
        ("from=2025-01-01", "from"),
        ("as_of=2999-01-01", "as_of"),
        ("as_of=yesterday", "as_of"),
    ] {
        let reply = app.get(&format!("/api/v1/stats/sales/forecast?{query}"), Some(&admin)).await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.text);
        assert_eq!(reply.error_fields(), vec![field], "{query}: {}", reply.text);
    }
}

/// Two reps, two short series:
/// - Rhea: 100, 100, 100, then 100, 125, 80, 100, 50, 200. Nine months:
///   Holt's linear trend for the forecast; the backtest fits 3 months,
///   too few for a trend, so naive (100): MAPE = (0 + 25/125 + 20/80 + 0
///   + 50/50 + 100/200) / 6 = 1.95 / 6 = 0.325.
/// - Lars: 1,000 + 100k for 12 months: a line, which Holt continues
///   exactly (2,200, 2,300, 2,400) and backtests with MAPE 0; the naive
///   forecast (1,500) misses by 100/1,600 … 600/2,100.
#[tokio::test]
async fn short_series_and_known_backtest_errors() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (rhea_id, rhea) = person(&app, &admin, "Rhea", "sales", None).await;
    let (lars_id, _) = person(&app, &admin, "Lars", "sales", None).await;
    let product = create(&app, &admin, "products", json!({"sku": "B", "name": "Box", "unit_price": "1.00"})).await;
    let first = create(&app, &admin, "customers", json!({"name": "First", "owner_id": rhea_id})).await;
    let second = create(&app, &admin, "customers", json!({"name": "Second", "owner_id": lars_id})).await;
    monthly_orders(&app, &admin, &first, &product, &rhea_id, &[100, 100, 100, 100, 125, 80, 100, 50, 200]).await;
    let line: Vec<i64> = (0..12).map(|k| 1000 + 100 * k).collect();
    monthly_orders(&app, &admin, &second, &product, &lars_id, &line).await;

    let reply = app.get(&format!("/api/v1/stats/sales/forecast?owner_id={rhea_id}"), Some(&admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["method"], "holt_linear");
    assert_eq!(reply.body["history"].as_array().unwrap().len(), 9);
    assert_eq!(reply.body["periods"].as_array().unwrap().len(), 6);
    let backtest = &reply.body["backtest"];
    assert_eq!(backtest["method"], "naive");
    assert!((backtest["mape"].as_f64().unwrap() - 0.325).abs() < 1e-12, "{backtest}");
    assert!((backtest["naive_mape"].as_f64().unwrap() - 0.325).abs() < 1e-12);
    // The rep asks for herself and gets the same.
    let own = app.get("/api/v1/stats/sales/forecast", Some(&rhea)).await;
    assert_eq!(own.body["history"], reply.body["history"]);
    assert_eq!(own.body["backtest"], reply.body["backtest"]);

    let reply = app.get(&format!("/api/v1/stats/sales/forecast?owner_id={lars_id}&horizon=3"), Some(&admin)).await;
    assert_eq!(reply.body["method"], "holt_linear");
    assert_eq!(statistical(&reply.body), vec![2200.0, 2300.0, 2400.0]);
    let backtest = &reply.body["backtest"];
    assert_eq!((backtest["method"].as_str(), backtest["mape"].as_f64()), (Some("holt_linear"), Some(0.0)));
    let naive: f64 = (1..=6).map(|k| (100 * k) as f64 / (1500 + 100 * k) as f64).sum::<f64>() / 6.0;
    assert!((backtest["naive_mape"].as_f64().unwrap() - naive).abs() < 1e-12);

    // Six months or fewer: no backtest; no history: no statistical forecast.
    let (nova_id, _) = person(&app, &admin, "Nova", "sales", None).await;
    let third = create(&app, &admin, "customers", json!({"name": "Third", "owner_id": nova_id})).await;
    monthly_orders(&app, &admin, &third, &product, &nova_id, &[300, 400]).await;
    let reply = app.get(&format!("/api/v1/stats/sales/forecast?owner_id={nova_id}&horizon=2"), Some(&admin)).await;
    assert_eq!((reply.body["method"].as_str(), reply.body["backtest"].is_null()), (Some("naive"), true));
    assert_eq!(statistical(&reply.body), vec![400.0, 400.0]);
    let (empty_id, _) = person(&app, &admin, "Emil", "sales", None).await;
    let reply = app.get(&format!("/api/v1/stats/sales/forecast?owner_id={empty_id}&horizon=1"), Some(&admin)).await;
    assert!(reply.body["method"].is_null());
    assert!(reply.body["periods"][0]["statistical"].is_null());
}
