//! The statistics use indexes: on PostgreSQL, over a few years of a small
//! company (tens of thousands of rows, analyzed) and with sequential scans
//! discouraged (`enable_seqscan = off`, so the planner falls back to one
//! only when no index serves the query), no windowed statistic reads a
//! whole large table, by a sequential scan or by walking an index whose
//! leading column it does not bound. Every query the statistics run is explained, by
//! running the real statistics functions over a connection that explains
//! each statement before executing it. (SQLite plans are measured in the
//! benchmarks.)

use std::sync::Mutex;

use crm::auth::AuthUser;
use crm::domain::Role;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, Statement, TransactionTrait,
};
use serde_json::json;

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

struct Explaining {
    inner: DatabaseConnection,
    indexes: Indexes,
    /// Large tables the statistic being explained reads whole by its
    /// definition (the customer statistics count the customer base at `to`).
    allowed: Mutex<&'static [&'static str]>,
    /// Each statement with the large tables its plan reads whole.
    scans: Mutex<Vec<(String, Vec<String>)>>,
}

impl Explaining {
    async fn explain(&self, statement: &Statement) -> Result<(), DbErr> {
        let transaction = self.inner.begin().await?;
        // Only index paths: no sequential scans, and joins as nested loops
        // over parameterized index lookups.
        transaction
            .execute_unprepared(
                "SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off",
            )
            .await?;
        let explain = Statement {
            sql: format!("EXPLAIN (FORMAT JSON) {}", statement.sql),
            values: statement.values.clone(),
            db_backend: statement.db_backend,
        };
        let mut scanned = vec![];
        for row in transaction.query_all_raw(explain).await? {
            let plan: serde_json::Value = row.try_get("", "QUERY PLAN")?;
            full_scans(&plan, &self.indexes, &mut scanned);
        }
        transaction.rollback().await?;
        let allowed = *self.allowed.lock().unwrap();
        let scanned = scanned.into_iter().filter(|(table, _)| !allowed.contains(&table.as_str())).map(|(_, scan)| scan);
        self.scans.lock().unwrap().push((statement.sql.clone(), scanned.collect()));
        Ok(())
    }
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

#[async_trait::async_trait]
impl ConnectionTrait for Explaining {
    fn get_database_backend(&self) -> DbBackend {
        self.inner.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.inner.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.inner.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.explain(&stmt).await?;
        self.inner.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.explain(&stmt).await?;
        self.inner.query_all_raw(stmt).await
    }
}

fn query<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("a valid query")
}

#[tokio::test]
async fn windowed_statistics_read_large_tables_through_indexes() {
    let app = spawn_app().await;
    if app.state.db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    app.state.db.execute_unprepared(include_str!("sql/explain_volume.sql")).await.expect("load the volume");
    let db = Explaining {
        inner: app.state.db.clone(),
        indexes: indexes(&app.state.db).await,
        allowed: Mutex::new(&[]),
        scans: Mutex::new(vec![]),
    };
    let window = json!({"from": "2025-03-01", "to": "2025-04-01", "compare": "previous_period"});
    let with = |extra: serde_json::Value| {
        let mut value = window.clone();
        value.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        value
    };
    let admin = AuthUser { id: uuid::Uuid::now_v7(), role: Role::Admin, team_id: None };
    // User 3 manages every team of the volume.
    let manager_id = uuid::Uuid::parse_str("532a7b8e-0328-a8d0-5a8e-6258b28b9a36").unwrap();
    let manager = AuthUser { id: manager_id, role: Role::Manager, team_id: None };
    use crm::stats::*;
    for caller in [&admin, &manager] {
        sales::summary(&db, caller, &query(window.clone())).await.unwrap();
        sales::timeseries(&db, caller, &query(with(json!({"granularity": "week"})))).await.unwrap();
        for by in ["product", "product_category", "channel", "region", "owner", "team", "customer_segment"] {
            sales::breakdown(&db, caller, &query(with(json!({"by": by})))).await.unwrap();
        }
        funnel::funnel(&db, caller, &query(window.clone())).await.unwrap();
        pipeline::pipeline(&db, caller, &query(json!({}))).await.unwrap();
        *db.allowed.lock().unwrap() = &["customers"];
        customers::overview(&db, caller, &query(window.clone())).await.unwrap();
        customers::distribution(&db, caller, &query(with(json!({"by": "region"})))).await.unwrap();
        customers::retention(&db, caller, &query(json!({"from": "2025-03-01", "to": "2025-04-01"}))).await.unwrap();
        customers::clv(&db, caller, &query(window.clone())).await.unwrap();
        *db.allowed.lock().unwrap() = &[];
        leads::conversion(&db, caller, &query(window.clone())).await.unwrap();
        marketing::campaigns(&db, caller, &query(window.clone())).await.unwrap();
        service::summary(&db, caller, &query(window.clone())).await.unwrap();
        service::timeseries(&db, caller, &query(with(json!({"granularity": "week"})))).await.unwrap();
        for by in ["category", "priority", "channel", "agent"] {
            service::breakdown(&db, caller, &query(with(json!({"by": by})))).await.unwrap();
        }
        service::sla(&db, caller, &app.state.settings.sla, &query(window.clone())).await.unwrap();
        service::satisfaction(&db, caller, &query(window.clone())).await.unwrap();
        employees::performance(&db, caller, &query(window.clone())).await.unwrap();
        employees::teams(&db, caller, &query(window.clone())).await.unwrap();
        let rep = uuid::Uuid::parse_str("e4774cdd-a079-3f86-414e-8b9140bb6db4").unwrap();
        employees::scorecard(&db, caller, rep, &query(with(json!({"granularity": "week"})))).await.unwrap();
        // The dashboard shows the customer overview's counts.
        *db.allowed.lock().unwrap() = &["customers"];
        dashboard::dashboard(&db, caller, &query(window.clone())).await.unwrap();
        *db.allowed.lock().unwrap() = &[];
    }
    let scans = db.scans.into_inner().unwrap();
    assert!(scans.len() > 100, "every statement is explained ({})", scans.len());
    let mut full: Vec<String> = scans
        .iter()
        .filter(|(_, tables)| !tables.is_empty())
        .map(|(sql, tables)| format!("{tables:?} in {sql}"))
        .collect();
    full.dedup();
    assert!(full.is_empty(), "statements reading a large table whole:\n{}", full.join("\n"));
}
