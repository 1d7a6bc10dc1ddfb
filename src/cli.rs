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
                db::migrate(&db).await
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
                db::migrate(&db).await?;
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
        Command::Serve => {
            let settings = match settings() {
                Ok(s) => s,
                Err(code) => return code,
            };
            serve(settings).await
        }
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
    if log_format == LogFormat::Text || app.created_admin().is_some() {
        println!("CRM API listening on {base}");
        println!("  Swagger UI: {base}/swagger-ui/");
        println!("  OpenAPI:    {base}/api-docs/openapi.json");
        if let Some(admin) = app.created_admin() {
            match &admin.generated_password {
                Some(password) => println!("  Admin login (created now, shown once): {} / {password}", admin.email),
                None => println!("  Admin login: {} (password from CRM_ADMIN_PASSWORD)", admin.email),
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
