//! The HTTP API: one module per resource (handlers, DTOs, services) plus
//! the shared request/response machinery.

pub mod activities;
pub mod api_keys;
pub mod assignment;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod campaigns;
pub mod contacts;
pub mod customers;
pub mod decode;
pub mod etag;
pub mod export;
pub mod extract;
pub mod fallback;
pub mod feedback;
pub mod fields;
pub mod health;
pub mod imports;
pub mod leads;
pub mod limits;
pub mod list;
pub mod opportunities;
pub mod orders;
pub mod patch;
pub mod privacy;
pub mod products;
pub mod record;
pub mod resource;
pub mod respond;
pub mod settings;
pub mod statistics;
pub mod targets;
pub mod tasks;
pub mod teams;
pub mod tickets;
pub mod users;
pub mod validation;
pub mod webhooks;

use utoipa_actix_web::scope as route_scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// The resources: each registers its own routes (CRUD, export, bulk,
/// import, actions) in the order they must be matched, and says what it
/// serves in `ROUTES` (`tests/api/resources.rs` checks every one).
macro_rules! resources {
    ($($resource:ident),* $(,)?) => {
        /// What every resource serves.
        pub const RESOURCES: &[resource::ResourceRoutes] = &[$($resource::ROUTES),*];

        fn configure_resources(cfg: &mut ServiceConfig) {
            $(cfg.configure($resource::configure);)*
        }
    };
}

resources!(
    customers,
    contacts,
    products,
    orders,
    campaigns,
    leads,
    opportunities,
    activities,
    tickets,
    feedback,
    targets,
    tasks
);

/// Every route of the API. Routes are registered with `.service(...)` only,
/// so each is also collected into the OpenAPI document.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz).service(
        route_scope("/api/v1")
            .service(auth::handlers::login)
            .service(auth::handlers::refresh)
            .service(auth::handlers::logout)
            .service(auth::handlers::me)
            .service(users::handlers::list_users)
            .service(users::handlers::create_user)
            .service(users::handlers::get_user)
            .service(users::handlers::update_user)
            .service(users::handlers::delete_user)
            .service(teams::handlers::list_teams)
            .service(teams::handlers::create_team)
            .service(teams::handlers::get_team)
            .service(teams::handlers::update_team)
            .service(teams::handlers::delete_team)
            .configure(settings::configure)
            .configure(api_keys::configure)
            .configure(webhooks::configure)
            .configure(configure_resources)
            .service(audit::handlers::list_audit)
            .configure(statistics::configure),
    );
}
