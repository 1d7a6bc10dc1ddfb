//! Periodic reports: the monthly report of the statistics fixture as JSON
//! (its figures are the statistics' own answers), as XLSX read back with
//! calamine (same sheets and figures), and as CSV; scoping, defaults and
//! refusals.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::{Datelike, Months, NaiveDate, Utc};
use serde_json::Value;

use crate::fixtures::fixture;
use crate::fixtures::more;
use crate::helpers::spawn_app;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A figure's value as a number (money strings parsed), `None` for `null`.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::String(text) => Some(text.parse().unwrap()),
        Value::Null => None,
        other => Some(other.as_f64().unwrap()),
    }
}

fn rows(body: &Value, section: &str) -> Vec<Value> {
    let sections = body["sections"].as_array().unwrap();
    sections.iter().find(|s| s["section"] == section).unwrap()["rows"].as_array().unwrap().clone()
}

fn find<'a>(rows: &'a [Value], figure: &str) -> &'a Value {
    rows.iter().find(|r| r["figure"] == figure).unwrap_or_else(|| panic!("{figure}"))
}

#[tokio::test]
async fn monthly_report_as_json_xlsx_and_csv() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    more(&app, &f.admin, &f.ids).await;
    let admin = &f.admin;

    let reply = app.get("/api/v1/reports/monthly?period=2025-03", Some(admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let report = reply.body.clone();
    assert_eq!((report["report"].as_str(), report["period"].as_str()), (Some("monthly"), Some("2025-03")));
    assert_eq!(report["previous_period"], "2025-02");
    assert_eq!(report["window"]["from"], "2025-03-01T00:00:00Z");
    assert_eq!(report["window"]["to"], "2025-04-01T00:00:00Z");
    assert_eq!(report["previous_window"]["from"], "2025-02-01T00:00:00Z");
    assert_eq!(report["previous_window"]["to"], "2025-03-01T00:00:00Z");
    assert_eq!(report["complete"], true);
    let names: Vec<&str> =
        report["sections"].as_array().unwrap().iter().map(|s| s["section"].as_str().unwrap()).collect();
    assert_eq!(names, ["sales", "funnel", "marketing", "service", "employees"]);
    assert_eq!(report["omitted_sections"], serde_json::json!([]));

    // The figures are the statistics' answers for March and February.
    let march = app.get("/api/v1/stats/sales/summary?from=2025-03-01&to=2025-04-01", Some(admin)).await.body;
    let february = app.get("/api/v1/stats/sales/summary?from=2025-02-01&to=2025-03-01", Some(admin)).await.body;
    let sales = rows(&report, "sales");
    for figure in ["revenue", "cost", "profit", "margin", "orders", "units", "customers", "aov"] {
        let row = find(&sales, figure);
        assert_eq!(row["current"], march[figure], "{figure}");
        assert_eq!(row["previous"], february[figure], "{figure}");
    }
    let revenue = find(&sales, "revenue");
    let (now, before) = (number(&revenue["current"]).unwrap(), number(&revenue["previous"]).unwrap());
    assert!(now > 0.0 && before > 0.0, "the fixture sells in both months");
    assert!((revenue["change"].as_f64().unwrap() - (now - before) / before).abs() < 1e-12);
    let service = app.get("/api/v1/stats/service/summary?from=2025-03-01&to=2025-04-01", Some(admin)).await.body;
    let service_rows = rows(&report, "service");
    assert_eq!(find(&service_rows, "created")["current"], service["created"]);
    assert_eq!(find(&service_rows, "first_response_minutes.p50")["current"], service["first_response_minutes"]["p50"]);
    let funnel = app.get("/api/v1/stats/sales/funnel?from=2025-03-01&to=2025-04-01", Some(admin)).await.body;
    let funnel_rows = rows(&report, "funnel");
    assert_eq!(find(&funnel_rows, "win_rate")["current"], funnel["win_rate"]);
    assert_eq!(find(&funnel_rows, "stages[stage=qualification].reached")["current"], funnel["stages"][0]["reached"]);
    let people = app.get("/api/v1/stats/employees/performance?from=2025-03-01&to=2025-04-01", Some(admin)).await.body;
    let employee_rows = rows(&report, "employees");
    let first = &people["rows"][0];
    let row = employee_rows.iter().find(|r| r["subject"] == first["name"] && r["figure"] == "revenue").unwrap();
    assert_eq!(row["current"], first["revenue"]);
    assert_eq!(employee_rows.len(), people["rows"].as_array().unwrap().len() * 8);

    // XLSX (by `format`): one sheet per section, a header row, and every
    // figure equal to the JSON report's.
    let reply = app
        .send(app.request(reqwest::Method::GET, "/api/v1/reports/monthly?period=2025-03&format=xlsx", Some(admin)))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some(XLSX));
    assert!(reply.header("content-disposition").unwrap().contains("report-monthly-2025-03.xlsx"));
    let bytes = app
        .request(reqwest::Method::GET, "/api/v1/reports/monthly?period=2025-03", Some(admin))
        .header("accept", XLSX)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(workbook.sheet_names(), ["Sales", "Funnel", "Marketing", "Service", "Employees"]);
    for section in report["sections"].as_array().unwrap() {
        let title = section["title"].as_str().unwrap();
        let range = workbook.worksheet_range(title).unwrap();
        let employees = section["section"] == "employees";
        let first = usize::from(employees);
        let header: Vec<String> = range.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
        let mut expected = if employees { vec!["Employee".to_string()] } else { vec![] };
        expected.extend(["Figure", "Unit", "Current", "Previous", "Change"].map(String::from));
        assert_eq!(header, expected, "{title}");
        let json_rows = section["rows"].as_array().unwrap();
        assert_eq!(range.height(), json_rows.len() + 1, "{title}");
        for (cells, row) in range.rows().skip(1).zip(json_rows) {
            let cell = |i: usize| match &cells[first + i] {
                Data::Float(x) => Some(*x),
                Data::Int(x) => Some(*x as f64),
                Data::Empty => None,
                other => panic!("{title}: {other:?}"),
            };
            if employees {
                assert_eq!(cells[0].to_string(), row["subject"].as_str().unwrap());
            }
            assert_eq!(cells[first].to_string(), row["label"].as_str().unwrap());
            assert_eq!(cells[first + 1].to_string(), row["unit"].as_str().unwrap());
            assert_eq!(cell(2), number(&row["current"]), "{title} {}", row["figure"]);
            assert_eq!(cell(3), number(&row["previous"]), "{title} {}", row["figure"]);
            assert_eq!(cell(4), number(&row["change"]), "{title} {}", row["figure"]);
        }
    }

    // CSV (by `Accept`): one table with a section column.
    let reply = app
        .send(
            app.request(reqwest::Method::GET, "/api/v1/reports/monthly?period=2025-03", Some(admin))
                .header("accept", "text/csv"),
        )
        .await;
    assert_eq!(reply.header("content-type"), Some("text/csv; charset=utf-8"));
    let lines: Vec<&str> = reply.text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "section,subject,figure,label,unit,current,previous,change");
    let total: usize = report["sections"].as_array().unwrap().iter().map(|s| s["rows"].as_array().unwrap().len()).sum();
    assert_eq!(lines.len(), total + 1);
    let revenue_line = lines.iter().find(|l| l.starts_with("sales,,revenue,")).unwrap();
    assert!(revenue_line.contains(&format!(
        ",money,{},{},",
        revenue["current"].as_str().unwrap(),
        revenue["previous"].as_str().unwrap()
    )));

    // A sales rep: their own figures, without the marketing and service sections.
    let reply = app.get("/api/v1/reports/monthly?period=2025-03", Some(&f.r1)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["omitted_sections"], serde_json::json!(["marketing", "service"]));
    let own = app.get("/api/v1/stats/sales/summary?from=2025-03-01&to=2025-04-01", Some(&f.r1)).await.body;
    assert_eq!(find(&rows(&reply.body, "sales"), "revenue")["current"], own["revenue"]);

    // Quarterly and annual; the default is the last complete month.
    let reply = app.get("/api/v1/reports/quarterly?period=2025-Q1", Some(admin)).await;
    assert_eq!(
        (reply.body["previous_period"].as_str(), reply.body["window"]["to"].as_str()),
        (Some("2024-Q4"), Some("2025-04-01T00:00:00Z"))
    );
    let reply = app.get("/api/v1/reports/annual?period=2025", Some(admin)).await;
    assert_eq!(reply.body["previous_period"], "2024");
    let today = Utc::now().date_naive();
    let last_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap() - Months::new(1);
    let reply = app.get("/api/v1/reports/monthly", Some(admin)).await;
    assert_eq!(reply.body["period"], last_month.format("%Y-%m").to_string());
    let reply = app.get("/api/v1/reports/weekly?period=2025-W10", Some(admin)).await;
    assert_eq!(
        (reply.body["window"]["from"].as_str(), reply.body["previous_period"].as_str()),
        (Some("2025-03-03T00:00:00Z"), Some("2025-W09"))
    );

    // The current month: up to now, against as long a part of the last one.
    let this_month = last_month + Months::new(1);
    let reply = app.get(&format!("/api/v1/reports/monthly?period={}", this_month.format("%Y-%m")), Some(admin)).await;
    assert_eq!(reply.body["complete"], false);

    for (path, status, field) in [
        ("monthly?period=2025-3", 422, "period"),
        ("monthly?period=2999-01", 422, "period"),
        ("quarterly?period=2025-06", 422, "period"),
        ("monthly?format=pdf", 422, "format"),
        ("daily", 404, "daily"),
    ] {
        let reply = app.get(&format!("/api/v1/reports/{path}"), Some(admin)).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text);
        if status == 422 {
            assert_eq!(reply.error_fields(), vec![field], "{path}: {}", reply.text);
        } else {
            assert!(reply.text.contains(field), "{path}: {}", reply.text);
        }
    }
    assert_eq!(app.get("/api/v1/reports/monthly", None).await.status, 401);
}
