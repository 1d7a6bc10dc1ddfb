//! Builds the application from settings: the one way to start the server,
//! used by `crm serve` and by the integration tests (on port 0).

use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{Compress, Condition, from_fn};
use actix_web::{App, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::extract::BodyLimit;
use crate::api::fallback::{RouteTable, malformed_path, not_found_or_not_allowed};
use crate::auth::jwt::JwtKeys;
use crate::bootstrap::{self, CreatedAdmin};
use crate::config::Settings;
use crate::state::AppState;
use crate::{db, openapi};

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    created_admin: Option<CreatedAdmin>,
    demo: Option<crate::seed::Report>,
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::ACCEPT,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("x-api-key"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("idempotent-replayed"),
        ])
        .block_on_origin_mismatch(false)
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with(settings, |_| {}).await
    }

    /// Like `build`, with extra (undocumented) routes: the tests use it to
    /// add routes that fail on purpose.
    pub async fn build_with<F>(settings: Settings, extra_routes: F) -> anyhow::Result<Self>
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        let db = db::connect(&settings).await?;
        db::migrate(&db, settings.time_zone).await?;
        let created_admin = bootstrap::ensure_admin(&db, &settings).await?;
        // A development start on an empty database shows real statistics.
        let demo = if settings.demo_data && crate::seed::is_empty(&db).await? {
            let options = crate::seed::Options {
                scale: 1.0,
                seed: crate::seed::DEFAULT_SEED,
                until: crate::domain::time::now().date_naive(),
                progress: false,
            };
            let report = crate::seed::run(&db, options).await?;
            tracing::info!(rows = report.total, seconds = report.elapsed.as_secs_f64(), "demo data loaded");
            Some(report)
        } else {
            None
        };

        let listener = TcpListener::bind(settings.bind)?;
        let port = listener.local_addr()?.port();
        let state = AppState {
            db,
            jwt: Arc::new(JwtKeys::new(settings.jwt_secret.expose().as_bytes(), settings.access_token_ttl_secs)),
            limits: Arc::new(crate::rate_limit::RateLimits::new(&settings)),
            callers: Arc::default(),
            background: tokio::runtime::Handle::current(),
            settings: Arc::new(settings),
        };
        let document = openapi::document();
        let routes = web::Data::new(RouteTable::from_openapi(&document));
        let body_limit = state.settings.max_body_bytes;
        let workers = state.settings.workers;
        if state.settings.webhook_worker {
            tokio::spawn(crate::webhooks::run_worker(state.db.clone(), state.settings.clone()));
            tokio::spawn(crate::webhooks::run_alert_evaluator(state.db.clone(), state.settings.clone()));
        }
        let app_state = state.clone();
        let app = move || {
            let origins = &app_state.settings.cors_origins;
            App::new()
                .app_data(web::Data::new(app_state.clone()))
                .app_data(web::Data::new(BodyLimit(body_limit)))
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(web::PathConfig::default().error_handler(|_, req| malformed_path(req).into()))
                .app_data(routes.clone())
                .configure(extra_routes.clone())
                .into_utoipa_app()
                .configure(crate::api::configure)
                .into_app()
                .service(SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", document.clone()))
                .default_service(web::to(not_found_or_not_allowed))
                .wrap(from_fn(crate::idempotency::middleware))
                .wrap(from_fn(crate::request_budget::middleware))
                .wrap(Compress::default())
                .wrap(Condition::new(!origins.is_empty(), cors(origins)))
                .wrap(from_fn(crate::security_headers::middleware))
                .wrap(from_fn(crate::observe::middleware))
        };
        // actix-web's HttpServer, with each connection wrapped so that the
        // parser's own bare refusals become problem documents (`refusals`).
        let local = listener.local_addr()?;
        let server = actix_server::Server::build()
            .workers(workers)
            .shutdown_timeout(30)
            .listen("crm", listener, move || {
                let app = actix_service::map_config(app(), |_| actix_web::dev::AppConfig::default());
                use actix_service::ServiceFactoryExt;
                actix_service::fn_service(|io: actix_rt::net::TcpStream| async move {
                    let peer = io.peer_addr().ok();
                    // As actix-web's server does; a socket that refuses it still works.
                    let _ = io.set_nodelay(true);
                    let connection = (crate::refusals::Refusals::new(io), actix_http::Protocol::Http1, peer);
                    Ok::<_, actix_http::error::DispatchError>(connection)
                })
                .and_then(
                    actix_http::HttpService::build()
                        .keep_alive(actix_http::KeepAlive::Timeout(std::time::Duration::from_secs(5)))
                        .client_request_timeout(std::time::Duration::from_secs(5))
                        .client_disconnect_timeout(std::time::Duration::from_secs(1))
                        .local_addr(local)
                        .finish(app),
                )
            })?
            .run();
        Ok(Application { port, server, state, created_admin, demo })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The demo data loaded on this start, if any.
    pub fn demo(&self) -> Option<&crate::seed::Report> {
        self.demo.as_ref()
    }

    /// The administrator created on this start, if any.
    pub fn created_admin(&self) -> Option<&CreatedAdmin> {
        self.created_admin.as_ref()
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT/SIGTERM, then lets in-flight requests finish
    /// (up to 30 s) before returning.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
