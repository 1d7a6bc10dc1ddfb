//! `crm-bench`: the API measured against the database's own speed, on a
//! loaded database (`crm seed --scale N`). See BENCHMARKS.md.
//!
//! `crm-bench stats` starts the real server in-process on the database,
//! and for every statistic and a month, a quarter and a three-year window
//! measures the HTTP latency (p50, p95 over repeated calls) and, in the
//! same run, the time of the very statements that request runs, executed
//! directly one after another on the database — the floor a per-request
//! query cannot beat — and prints their ratio.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{Datelike, Months, NaiveDate};
use clap::{Parser, Subcommand};
use crm::auth::AuthUser;
use crm::config::Settings;
use crm::db::Recording;
use crm::domain::Role;
use crm::startup::Application;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

#[derive(Parser)]
#[command(name = "crm-bench", about = "Benchmarks of the CRM API (see BENCHMARKS.md)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Statistics latency over HTTP against the direct SQL of the same request.
    Stats {
        /// The loaded database.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// The seed's last day of history (the windows end there).
        #[arg(long)]
        until: NaiveDate,
        /// Calls per measurement (fewer when a call takes long).
        #[arg(long, default_value_t = 20)]
        iterations: usize,
        /// Only statistics whose path contains one of these (comma-separated).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// The windows to measure (month, quarter, years).
        #[arg(long, value_delimiter = ',', default_value = "month,quarter,years")]
        windows: Vec<String>,
        /// The organization's time zone to measure in (an IANA name): the
        /// settings are changed to it first, rebuilding the daily rollup,
        /// and the time that takes is printed. Default: as stored.
        #[arg(long)]
        time_zone: Option<String>,
        /// Also print each statement's own p50 and the start of its SQL to
        /// stderr, under its statistic: where a statistic's time goes.
        #[arg(long)]
        statements: bool,
    },
    /// Prepares the CRUD load test against a running `crm serve` on the
    /// same database and JWT secret (`CRM_JWT_SECRET`): writes an admin
    /// token, customer ids, the path of list page 1,000 (walked by cursor)
    /// and the bodies of the writes into `--out`; on PostgreSQL also the
    /// `bench_ids` table the database-floor script reads.
    Prepare {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// The running server, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        server: String,
        /// Where the files go.
        #[arg(long)]
        out: std::path::PathBuf,
        /// Page size of the list pages (page 1,000 must exist).
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// How many customer ids the reads pick from.
        #[arg(long, default_value_t = 20_000)]
        ids: usize,
    },
}

/// The dimension a statistic is measured by, where it is not the first
/// the registry lists (the figures in BENCHMARKS.md were taken by these).
const BY: &[(&str, &str)] = &[("/stats/sales/breakdown", "product_category"), ("/stats/service/breakdown", "priority")];

/// The statistics measured: every statistic of the registry but those of
/// one record (`{id}` in the path), with `by` where it takes one; the
/// second list holds those of the present (no window).
fn statistics() -> (Vec<(String, String)>, Vec<String>) {
    let (mut windowed, mut current) = (vec![], vec![]);
    for statistic in crm::stats::registry::STATISTICS.iter().filter(|s| !s.path.contains('{')) {
        let path = statistic.path.trim_start_matches("/stats/").to_string();
        let by = BY.iter().find(|(p, _)| *p == statistic.path).map(|(_, by)| *by);
        let extra =
            by.or(statistic.details.dimensions.first().copied()).map(|by| format!("&by={by}")).unwrap_or_default();
        if statistic.details.window {
            windowed.push((path, extra));
        } else {
            current.push(path);
        }
    }
    (windowed, current)
}

/// The tables of pre-aggregated figures: a statistic that reads one is
/// also measured on the raw rows.
const ROLLUPS: [&str; 4] = ["sales_rollup", "customer_sales", "sales_buyers", "ticket_rollup"];

/// Longest time spent on one measurement; at least three calls are made.
const BUDGET: Duration = Duration::from_secs(4);

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let position = p * (samples.len().saturating_sub(1)) as f64;
    let (low, high) = (position.floor() as usize, position.ceil() as usize);
    let fraction = position - low as f64;
    samples[low].mul_f64(1.0 - fraction) + samples[high].mul_f64(fraction)
}

async fn measure<F, Fut>(iterations: usize, mut call: F) -> anyhow::Result<Vec<Duration>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    call().await?; // warm-up
    let started = Instant::now();
    let mut samples = vec![];
    while samples.len() < iterations && (samples.len() < 3 || started.elapsed() < BUDGET) {
        let at = Instant::now();
        call().await?;
        samples.push(at.elapsed());
    }
    Ok(samples)
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Stats { database_url, until, iterations, only, windows, time_zone, statements } => {
            stats(database_url, until, iterations, only, windows, time_zone, statements).await
        }
        Command::Prepare { database_url, server, out, limit, ids } => {
            prepare(database_url, server, out, limit, ids).await
        }
    }
}

async fn prepare(
    database_url: String,
    server: String,
    out: std::path::PathBuf,
    limit: usize,
    count: usize,
) -> anyhow::Result<()> {
    let secret = std::env::var("CRM_JWT_SECRET").context("CRM_JWT_SECRET (the server's) is required")?;
    let source: Vec<(&str, String)> = vec![("DATABASE_URL", database_url), ("CRM_JWT_SECRET", secret)];
    let settings = Settings::from_source(&source).context("settings")?;
    let db = crm::db::connect(&settings).await?;
    let backend = db.get_database_backend();
    let admin = entity::user::Entity::find()
        .filter(entity::user::Column::Role.eq("admin"))
        .filter(entity::user::Column::Active.eq(true))
        .one(&db)
        .await?
        .context("the database has no active admin")?;
    // Long enough for the whole load test.
    let keys = crm::auth::jwt::JwtKeys::new(settings.jwt_secret.expose().as_bytes(), 3600);
    let token = keys.issue(admin.id, Role::Admin, None)?;
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("token"), &token)?;

    let sample = |sql: String| sea_orm::Statement::from_string(backend, sql);
    let rows = db
        .query_all_raw(sample(format!(
            "SELECT id FROM customers WHERE deleted_at IS NULL ORDER BY random() LIMIT {count}"
        )))
        .await?;
    let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.try_get("", "id")).collect::<Result<_, _>>()?;
    let lines: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    std::fs::write(out.join("customer_ids"), lines.join("\n") + "\n")?;
    // Customers an order may be placed for as it comes: their owner (whom
    // the order is credited to by default) is an active user.
    let rows = db
        .query_all_raw(sample(format!(
            "SELECT c.id FROM customers c JOIN users u ON u.id = c.owner_id \
             WHERE c.deleted_at IS NULL AND u.active ORDER BY random() LIMIT {count}"
        )))
        .await?;
    let buyers: Vec<String> =
        rows.iter().map(|r| r.try_get::<uuid::Uuid>("", "id").map(|id| id.to_string())).collect::<Result<_, _>>()?;
    std::fs::write(out.join("order_customer_ids"), buyers.join("\n") + "\n")?;
    if backend == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("DROP TABLE IF EXISTS bench_ids").await?;
        db.execute_unprepared("CREATE TABLE bench_ids (n INTEGER PRIMARY KEY, id UUID NOT NULL)").await?;
        let values: Vec<String> = ids.iter().enumerate().map(|(n, id)| format!("({}, '{id}')", n + 1)).collect();
        for chunk in values.chunks(5_000) {
            db.execute_unprepared(&format!("INSERT INTO bench_ids VALUES {}", chunk.join(", "))).await?;
        }
        db.execute_unprepared("ANALYZE bench_ids").await?;
    }
    let products = db
        .query_all_raw(sample("SELECT id FROM products WHERE deleted_at IS NULL ORDER BY sku LIMIT 3".into()))
        .await?;
    let products: Vec<uuid::Uuid> = products.iter().map(|r| r.try_get("", "id")).collect::<Result<_, _>>()?;
    let items: Vec<serde_json::Value> =
        products.iter().map(|id| serde_json::json!({"product_id": id, "quantity": 2})).collect();
    // (`{customer}`: a random customer of the sample per request, see post.lua.)
    let order = serde_json::json!({"customer_id": "{customer}", "status": "paid", "channel": "online", "items": items});
    std::fs::write(out.join("order.json"), order.to_string())?;
    let customer = serde_json::json!({
        "name": "Load Test Customer {n}", "email": "load.test.{n}@example.com",
        "city": "Hangzhou", "region": "East", "segment": "retail"
    });
    std::fs::write(out.join("customer.json"), customer.to_string())?;

    // Page 1,000 of the customer list, walked by cursor as a client would.
    let client = reqwest::Client::new();
    let mut path = format!("/api/v1/customers?limit={limit}");
    for page in 1..1000 {
        let response = client.get(format!("{server}{path}")).bearer_auth(&token).send().await?;
        anyhow::ensure!(response.status().is_success(), "page {page} answered {}", response.status());
        let body: serde_json::Value = response.json().await?;
        let cursor = body["next_cursor"].as_str().with_context(|| format!("the list ends at page {page}"))?;
        path = format!("/api/v1/customers?limit={limit}&cursor={cursor}");
    }
    std::fs::write(out.join("page1000"), &path)?;
    println!("prepared {} ids, page 1,000 and the write bodies in {}", ids.len(), out.display());
    Ok(())
}

async fn stats(
    database_url: String,
    until: NaiveDate,
    iterations: usize,
    only: Vec<String>,
    chosen: Vec<String>,
    time_zone: Option<String>,
    each_statement: bool,
) -> anyhow::Result<()> {
    let secret: String = uuid::Uuid::now_v7().simple().to_string().repeat(2);
    let source: Vec<(&str, String)> = vec![
        ("DATABASE_URL", database_url),
        ("CRM_BIND", "127.0.0.1:0".into()),
        ("CRM_JWT_SECRET", secret),
        ("CRM_DEMO_DATA", "false".into()),
    ];
    let settings = Settings::from_source(&source).context("settings")?;
    let app = Application::build(settings).await.context("start the server")?;
    let state = app.state().clone();
    let base = format!("http://127.0.0.1:{}/api/v1/stats", app.port());
    tokio::spawn(app.run_until_stopped());

    let admin = entity::user::Entity::find()
        .filter(entity::user::Column::Role.eq("admin"))
        .filter(entity::user::Column::Active.eq(true))
        .one(&state.db)
        .await?
        .context("the database has no active admin (seed it with crm seed)")?;
    let caller = AuthUser { id: admin.id, role: Role::Admin, team_id: None, api_key: None };
    let client = reqwest::Client::new();
    if let Some(zone) = time_zone {
        let started = std::time::Instant::now();
        let patch = crm::api::settings::UpdateOrganizationSettings { time_zone: Some(zone), ..Default::default() };
        let stored = crm::api::settings::update(&state.db, &caller, patch, &Default::default()).await?;
        println!(
            "time zone {} (the daily rollup rebuilt on its days in {:.1} s)",
            stored.calendar.zone.name(),
            started.elapsed().as_secs_f64()
        );
        println!();
    }

    let end = until;
    let month_start = NaiveDate::from_ymd_opt(end.year(), end.month(), 1).context("date")?;
    let quarter_start = NaiveDate::from_ymd_opt(end.year(), (end.month0() / 3) * 3 + 1, 1).context("date")?;
    let windows = [
        ("month", month_start - Months::new(1), month_start),
        ("quarter", quarter_start - Months::new(3), quarter_start),
        ("3 years", end - Months::new(36), end),
    ];
    let windows: Vec<_> =
        windows.into_iter().filter(|(name, _, _)| chosen.iter().any(|c| name.contains(c.as_str()))).collect();
    let mut requests: Vec<(String, &str, String)> = vec![];
    let (windowed, current) = statistics();
    for (path, extra) in &windowed {
        for (name, from, to) in &windows {
            requests.push((path.to_string(), name, format!("from={from}&to={to}{extra}")));
        }
    }
    for path in current {
        requests.push((path, "now", String::new()));
    }
    let recording = Recording::new(state.db.clone());
    println!(
        "| statistic | window | HTTP p50 ms | HTTP p95 ms | SQL p50 ms | statements | HTTP / SQL | raw rows p50 ms | raw / rollup |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (path, window, query) in requests {
        if !only.is_empty() && !only.iter().any(|only| path.contains(only.as_str())) {
            continue;
        }
        let url = format!("{base}/{path}?{query}");
        // A fresh access token per measurement: a whole run outlasts one.
        let token = state.jwt.issue(admin.id, Role::Admin, None)?;
        let mut http = measure(iterations, || {
            let request = client.get(&url).bearer_auth(&token).send();
            let url = &url;
            async move {
                let response = request.await?;
                anyhow::ensure!(response.status().is_success(), "{url} answered {}", response.status());
                response.bytes().await?;
                Ok(())
            }
        })
        .await?;
        crm::stats::answer(&recording, &caller, &state.settings.sla, &path, &query).await?;
        let statements = recording.take();
        let mut sql = measure(iterations, || {
            let (db, statements) = (&state.db, &statements);
            async move {
                for statement in statements {
                    db.query_all_raw(statement.clone()).await?;
                }
                Ok(())
            }
        })
        .await?;
        let (http50, http95, sql50) =
            (percentile(&mut http, 0.5), percentile(&mut http, 0.95), percentile(&mut sql, 0.5));
        if each_statement {
            eprintln!("{path} ({window}):");
            for statement in &statements {
                let mut own = measure(iterations, || {
                    let (db, statement) = (&state.db, statement);
                    async move {
                        db.query_all_raw(statement.clone()).await?;
                        Ok(())
                    }
                })
                .await?;
                let text: String = statement.sql.chars().take(160).collect();
                eprintln!("  {:>9} ms  {text}", ms(percentile(&mut own, 0.5)));
            }
        }
        // A request the rollups answer is also answered from the raw rows
        // (in-process, the statements alone), the cost the rollups save.
        let (raw, speedup) = if statements.iter().any(|s| ROLLUPS.iter().any(|table| s.sql.contains(table))) {
            let mut raw = measure(iterations, || {
                let (db, caller, sla, path, query) = (&state.db, &caller, &state.settings.sla, &path, &query);
                async move {
                    crm::rollup::without_rollups(crm::stats::answer(db, caller, sla, path, query)).await?;
                    Ok(())
                }
            })
            .await?;
            let raw50 = percentile(&mut raw, 0.5);
            (ms(raw50), format!("{:.1}", raw50.as_secs_f64() / sql50.as_secs_f64().max(1e-9)))
        } else {
            ("—".to_string(), "—".to_string())
        };
        println!(
            "| {path} | {window} | {} | {} | {} | {} | {:.2} | {raw} | {speedup} |",
            ms(http50),
            ms(http95),
            ms(sql50),
            statements.len(),
            http50.as_secs_f64() / sql50.as_secs_f64().max(1e-9)
        );
    }
    Ok(())
}
