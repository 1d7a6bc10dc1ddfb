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
            .configure(api_keys::configure)
            .configure(bulk::handlers::configure)
            .configure(export::handlers::configure)
            .configure(imports::configure)
            .configure(webhooks::configure)
            .configure(customers::configure)
            .configure(privacy::configure)
            .configure(contacts::configure)
            .configure(products::configure)
            .configure(orders::configure)
            .configure(campaigns::configure)
            .configure(campaigns::members::configure)
            .configure(leads::configure)
            .service(leads::convert)
            .configure(opportunities::configure)
            .configure(activities::configure)
            .configure(tickets::configure)
            .configure(tickets::configure_actions)
            .configure(feedback::configure)
            .configure(targets::configure)
            .configure(tasks::configure)
            .service(opportunities::history)
            .service(audit::handlers::list_audit)
            .configure(statistics::configure),
    );
}
