//! The `crm` command line: `serve` (default), `migrate`, `openapi`,
//! `create-admin`. Configuration comes from the environment (and a `.env`
//! file in development); see the README.

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{LogFormat, Settings, redact_url};
use crate::startup::Application;
use crate::{bootstrap, db, openapi, telemetry};

#[derive(Parser)]
#[command(name = "crm", version, about = "A statistics-first CRM API")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default). Migrations run first.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (JSON).
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
    /// Exit 0 when the local server answers `GET /healthz` with 200 (for
    /// container health checks; needs no curl in the image).
    Healthcheck,
    /// Generate a realistic company (deterministic from --seed) and load it
    /// into an empty database: --demo, or --scale N (1 = the demo, about
    /// 10,000 orders; 100 = about a million).
    Seed {
        /// The demo company (the same as --scale 1).
        #[arg(long, conflicts_with = "scale", required_unless_present = "scale")]
        demo: bool,
        /// The volume, from 0.01 to 1000.
        #[arg(long)]
        scale: Option<f64>,
        /// The same seed gives the same company.
        #[arg(long, default_value_t = crate::seed::DEFAULT_SEED)]
        seed: u64,
        /// The last day of history (exclusive), YYYY-MM-DD; default today (UTC).
        #[arg(long)]
        until: Option<chrono::NaiveDate>,
    },
    /// Create an administrator. The password comes from CRM_ADMIN_PASSWORD,
    /// or from standard input with --password-stdin.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

fn settings() -> Result<Settings, ExitCode> {
    let _ = dotenvy::dotenv();
    let settings = Settings::from_env().map_err(fail)?;
    telemetry::init(settings.log_format);
    Ok(settings)
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi { output } => {
            let text = openapi::to_pretty_json(&openapi::document());
            match output {
                Some(path) => match std::fs::write(&path, text) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => fail(format!("cannot write {}: {e}", path.display())),
                },
                None => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
            }
        }
        Command::Healthcheck => {
            let _ = dotenvy::dotenv();
            let bind = std::env::var("CRM_BIND").unwrap_or_else(|_| "127.0.0.1:8080".into());
            match healthcheck(&bind) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(format!("unhealthy: {e}")),
            }
        }
        Command::Migrate => {
            let settings = match settings() {
                Ok(s) => s,
                Err(code) => return code,
            };
            let result = async {
                let db = db::connect(&settings).await?;
                db::migrate(&db, settings.time_zone).await
            }
            .await;
            match result {
                Ok(()) => {
                    tracing::info!(database = %redact_url(&settings.database_url), "migrations applied");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format!("migration failed: {e}")),
            }
        }
        Command::CreateAdmin { email, name, password_stdin } => {
            let settings = match settings() {
                Ok(s) => s,
                Err(code) => return code,
            };
            let password = if password_stdin {
                let mut text = String::new();
                if let Err(e) = std::io::stdin().read_to_string(&mut text) {
                    return fail(format!("cannot read the password: {e}"));
                }
                text.lines().next().unwrap_or("").to_string()
            } else {
                match &settings.admin_password {
                    Some(p) => p.expose().to_string(),
                    None => return fail("set CRM_ADMIN_PASSWORD or pass --password-stdin"),
                }
            };
            let result = async {
                let db = db::connect(&settings).await?;
                db::migrate(&db, settings.time_zone).await?;
                bootstrap::create_admin(&db, &name, &email, password).await
            }
            .await;
            match result {
                Ok(()) => {
                    println!("Administrator {email} created.");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Seed { demo, scale, seed, until } => {
            let settings = match settings() {
                Ok(s) => s,
                Err(code) => return code,
            };
            let options = crate::seed::Options {
                scale: if demo { 1.0 } else { scale.unwrap_or(1.0) },
                seed,
                until: until.unwrap_or_else(|| crate::domain::time::now().date_naive()),
                progress: true,
            };
            run_seed(settings, options).await
        }
        Command::Serve => {
            let settings = match settings() {
                Ok(s) => s,
                Err(code) => return code,
            };
            serve(settings).await
        }
    }
}

async fn run_seed(settings: Settings, options: crate::seed::Options) -> ExitCode {
    let result = async {
        let db = db::connect(&settings).await?;
        db::migrate(&db, settings.time_zone).await?;
        let admin = bootstrap::ensure_admin(&db, &settings).await?;
        let report = crate::seed::run(&db, options).await?;
        anyhow::Ok((admin, report))
    }
    .await;
    match result {
        Ok((admin, report)) => {
            let seconds = report.elapsed.as_secs_f64();
            println!(
                "Loaded {} rows in {seconds:.1} s ({:.0} rows/s): scale {}, seed {}, history until {}.",
                report.total,
                report.total as f64 / seconds.max(0.001),
                options.scale,
                options.seed,
                options.until
            );
            for (table, rows) in &report.rows {
                println!("  {table:<26} {rows:>10}");
            }
            print_logins(admin.as_ref(), &report.password);
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("seed failed: {e}")),
    }
}

/// The logins to try the demo with (on standard output, never the log).
fn print_logins(admin: Option<&bootstrap::CreatedAdmin>, demo_password: &str) {
    if let Some(admin) = admin {
        match &admin.generated_password {
            Some(password) => println!("  Admin login (created now, shown once): {} / {password}", admin.email),
            None => println!("  Admin login: {} (password from CRM_ADMIN_PASSWORD)", admin.email),
        }
    }
    println!("  Demo logins (password {demo_password}):");
    for (role, email) in crate::seed::DEMO_LOGINS {
        println!("    {role:<14} {email}");
    }
}

async fn serve(settings: Settings) -> ExitCode {
    if settings.jwt_secret_generated {
        tracing::warn!("CRM_JWT_SECRET is not set: using a random per-process secret (tokens end with the process)");
    }
    let bind = settings.bind;
    let database = redact_url(&settings.database_url);
    let log_format = settings.log_format;
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => return fail(format!("cannot start: {e:#}")),
    };
    let base = format!("http://{}:{}", bind.ip(), app.port());
    tracing::info!(address = %base, database = %database, "CRM API listening");
    // The banner goes to standard output (not the log) so that a generated
    // password is never written to log storage.
    if log_format == LogFormat::Text || app.created_admin().is_some() || app.demo().is_some() {
        println!("CRM API listening on {base}");
        println!("  Swagger UI: {base}/swagger-ui/");
        println!("  OpenAPI:    {base}/api-docs/openapi.json");
        match app.demo() {
            Some(report) => {
                println!(
                    "  Demo data loaded: {} rows in {:.1} s (crm seed --demo; CRM_DEMO_DATA=false to start empty)",
                    report.total,
                    report.elapsed.as_secs_f64()
                );
                print_logins(app.created_admin(), &report.password);
            }
            None => {
                if let Some(admin) = app.created_admin() {
                    match &admin.generated_password {
                        Some(password) => {
                            println!("  Admin login (created now, shown once): {} / {password}", admin.email)
                        }
                        None => println!("  Admin login: {} (password from CRM_ADMIN_PASSWORD)", admin.email),
                    }
                }
            }
        }
    }
    match app.run_until_stopped().await {
        Ok(()) => {
            tracing::info!("server stopped");
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("server error: {e}")),
    }
}

/// `GET /healthz` over plain TCP; an unspecified bind address (0.0.0.0,
/// [::]) is reached through loopback.
fn healthcheck(bind: &str) -> Result<(), String> {
    use std::io::Write;
    use std::net::{SocketAddr, TcpStream};
    use std::time::Duration;

    let mut addr: SocketAddr = bind.trim().parse().map_err(|_| format!("CRM_BIND {bind:?} is not an address"))?;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
    }
    let timeout = Duration::from_secs(3);
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    stream
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())
        .map_err(|e| e.to_string())?;
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    match response.lines().next() {
        Some(status) if status.split_whitespace().nth(1) == Some("200") => Ok(()),
        Some(status) => Err(status.to_string()),
        None => Err("no response".into()),
    }
}
