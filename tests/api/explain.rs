//! The statistics use indexes: on PostgreSQL, over a few years of a small
//! company (tens of thousands of rows, analyzed) and with sequential scans
//! discouraged (`enable_seqscan = off`, so the planner falls back to one
//! only when no index serves the query), no windowed statistic reads a
//! whole large table, by a sequential scan or by walking an index whose
//! leading column it does not bound. Every statement the statistics run is
//! recorded (`crm::db::Recording`) and explained. (SQLite plans are
//! measured in the benchmarks.)

use crm::auth::AuthUser;
use crm::db::Recording;
use crm::domain::Role;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};

use crate::helpers::spawn_app;

/// The tables that grow with the business; small reference tables (users,
/// teams, products, campaigns, targets) may be scanned.
const LARGE: &[&str] = &[
    "orders",
    "order_items",
    "customers",
    "opportunities",
    "opportunity_stage_history",
    "leads",
    "activities",
    "tickets",
    "tasks",
    "feedback",
    "campaign_members",
];

/// The large tables the plan of `statement` reads whole, with only index
/// paths allowed: no sequential scans, and joins as nested loops over
/// parameterized index lookups.
async fn full_reads(db: &DatabaseConnection, indexes: &Indexes, statement: &Statement) -> Vec<(String, String)> {
    let transaction = db.begin().await.unwrap();
    transaction
        .execute_unprepared(
            "SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off",
        )
        .await
        .unwrap();
    let explain = Statement {
        sql: format!("EXPLAIN (FORMAT JSON) {}", statement.sql),
        values: statement.values.clone(),
        db_backend: statement.db_backend,
    };
    let mut scanned = vec![];
    for row in transaction.query_all_raw(explain).await.unwrap() {
        let plan: serde_json::Value = row.try_get("", "QUERY PLAN").unwrap();
        full_scans(&plan, indexes, &mut scanned);
    }
    transaction.rollback().await.unwrap();
    scanned
}

/// Each index's table and leading column.
type Indexes = std::collections::HashMap<String, (String, String)>;

async fn indexes(db: &DatabaseConnection) -> Indexes {
    let sql = "SELECT i.relname AS name, t.relname AS tab, a.attname AS lead FROM pg_index x \
               JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
               JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0] \
               JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public'";
    let rows = db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap();
    rows.iter()
        .map(|row| {
            let get = |column: &str| row.try_get::<String>("", column).unwrap();
            (get("name"), (get("tab"), get("lead")))
        })
        .collect()
}

/// The large tables a plan reads whole: a sequential scan, or an index
/// scan whose condition does not bound the index's leading column (a walk
/// over the whole index).
fn full_scans(plan: &serde_json::Value, indexes: &Indexes, out: &mut Vec<(String, String)>) {
    match plan {
        serde_json::Value::Array(items) => items.iter().for_each(|item| full_scans(item, indexes, out)),
        serde_json::Value::Object(node) => {
            let text = |key: &str| node.get(key).and_then(|v| v.as_str());
            let kind = text("Node Type").unwrap_or_default();
            if kind == "Seq Scan"
                && let Some(table) = text("Relation Name")
                && LARGE.contains(&table)
            {
                out.push((table.to_string(), format!("Seq Scan on {table}")));
            }
            if let Some(index) = text("Index Name")
                && let Some((table, lead)) = indexes.get(index)
                && LARGE.contains(&table.as_str())
                && !text("Index Cond").is_some_and(|condition| condition.contains(lead.as_str()))
            {
                out.push((table.clone(), format!("{kind} walking {index}")));
            }
            node.values().for_each(|value| full_scans(value, indexes, out));
        }
        _ => {}
    }
}

#[tokio::test]
async fn windowed_statistics_read_large_tables_through_indexes() {
    let app = spawn_app().await;
    if app.state.db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    app.state.db.execute_unprepared(include_str!("sql/explain_volume.sql")).await.expect("load the volume");
    let db = Recording::new(app.state.db.clone());
    let indexes = indexes(&app.state.db).await;
    let admin = AuthUser { id: uuid::Uuid::now_v7(), role: Role::Admin, team_id: None, api_key: None };
    // User 3 manages every team of the volume; user 1 is a rep.
    let manager_id = uuid::Uuid::parse_str("532a7b8e-0328-a8d0-5a8e-6258b28b9a36").unwrap();
    let manager = AuthUser { id: manager_id, role: Role::Manager, team_id: None, api_key: None };
    let scorecard = "employees/e4774cdd-a079-3f86-414e-8b9140bb6db4/scorecard";
    // (statistic, parameters beyond the window, large tables it reads whole
    // by definition: the customer statistics count the customer base at `to`)
    let mut requests: Vec<(&str, &str, &[&str])> = vec![
        ("sales/summary", "", &[]),
        ("sales/timeseries", "&granularity=week", &[]),
        ("sales/funnel", "", &[]),
        ("customers/overview", "", &["customers"]),
        ("customers/distribution", "&by=region", &["customers"]),
        ("customers/clv", "", &["customers"]),
        ("leads/conversion", "", &[]),
        ("marketing/campaigns", "", &[]),
        ("service/summary", "", &[]),
        ("service/timeseries", "&granularity=week", &[]),
        ("service/sla", "", &[]),
        ("satisfaction", "", &[]),
        ("employees/performance", "", &[]),
        ("teams/performance", "", &[]),
        (scorecard, "&granularity=week", &[]),
        ("dashboard", "", &["customers"]),
    ];
    for by in [
        "&by=product",
        "&by=product_category",
        "&by=channel",
        "&by=region",
        "&by=owner",
        "&by=team",
        "&by=customer_segment",
    ] {
        requests.push(("sales/breakdown", by, &[]));
    }
    for by in ["&by=category", "&by=priority", "&by=channel", "&by=agent"] {
        requests.push(("service/breakdown", by, &[]));
    }
    // Every statistic takes the March window and a comparison, except the
    // pipeline (now) and retention (a comparison by itself).
    const WINDOW: &str = "from=2025-03-01&to=2025-04-01";
    let mut queries: Vec<(&str, String, &[&str])> = requests
        .into_iter()
        .map(|(path, extra, allowed)| (path, format!("{WINDOW}&compare=previous_period{extra}"), allowed))
        .collect();
    queries.push(("sales/pipeline", String::new(), &[]));
    queries.push(("sales/product-affinity", format!("{WINDOW}&min_orders=1"), &[]));
    queries.push(("customers/retention", WINDOW.to_string(), &["customers"]));
    // A cohort is the period of the first counted order ever: the orders
    // before `to` are read whole by definition.
    queries.push(("customers/retention/cohorts", WINDOW.to_string(), &["customers", "orders"]));
    // RFM and churn risk score every customer on all its orders before `to`.
    queries.push(("customers/rfm", WINDOW.to_string(), &["customers", "orders", "order_items"]));
    queries.push(("customers/churn-risk", WINDOW.to_string(), &["customers", "orders", "order_items"]));
    // Uncontacted customers are every customer without a recent activity.
    queries.push(("customers/interactions", WINDOW.to_string(), &["customers"]));
    queries.push(("sales/forecast", "as_of=2025-04-01".to_string(), &[]));
    let mut scans = vec![];
    for caller in [&admin, &manager] {
        for (path, query, allowed) in &queries {
            crm::stats::answer(&db, caller, &app.state.settings.sla, path, query).await.unwrap();
            for statement in db.take() {
                let reads = full_reads(&app.state.db, &indexes, &statement).await;
                let reads =
                    reads.into_iter().filter(|(table, _)| !allowed.contains(&table.as_str())).map(|(_, scan)| scan);
                scans.push((statement.sql.clone(), reads.collect::<Vec<_>>()));
            }
        }
    }
    assert!(scans.len() > 100, "every statement is explained ({})", scans.len());
    let mut full: Vec<String> = scans
        .iter()
        .filter(|(_, tables)| !tables.is_empty())
        .map(|(sql, tables)| format!("{tables:?} in {sql}"))
        .collect();
    full.dedup();
    assert!(full.is_empty(), "statements reading a large table whole:\n{}", full.join("\n"));
}
