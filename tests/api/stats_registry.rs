//! The statistics registry (`crm::stats::registry`) is the one list of
//! statistics; everything else must agree with it. A statistic added to the
//! table but missing anywhere (a handler written by hand, a docs section, a
//! recorded example) or a handler that bypasses the table fails here:
//!
//! - the OpenAPI document serves exactly the table's paths under
//!   `/api/v1/stats/` (besides the catalog), each under the `statistics`
//!   tag with the row's name as operation id and its example on the `200`;
//! - the catalog lists the table's statistics in its order, each with the
//!   roles of its policy, and those roles (and only those) get an answer;
//! - the dispatcher `crm::stats::answer` answers every path of the table,
//!   as HTTP does;
//! - docs/metrics.md has a section for every path.
//!
//! That the examples are the recorded answers is `stats_examples`'s check.

use std::collections::BTreeSet;

use crm::auth::AuthUser;
use crm::domain::Role;
use crm::stats::registry::STATISTICS;
use serde_json::Value;

use crate::helpers::spawn_app;

fn full(path: &str) -> String {
    format!("/api/v1{path}")
}

/// A query every statistic answers: a fixed window where it takes one,
/// and `by` when it has dimensions.
fn query_of(statistic: &crm::stats::registry::Statistic) -> String {
    let mut query = vec![];
    if statistic.details.window {
        query.push("from=2025-01-01&to=2025-04-01".to_string());
    }
    query.extend(statistic.details.dimensions.first().map(|by| format!("by={by}")));
    query.join("&")
}

#[tokio::test]
async fn the_openapi_document_serves_exactly_the_table() {
    let app = spawn_app().await;
    let doc = app.get("/api-docs/openapi.json", None).await.body;
    let served: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|p| p.starts_with("/api/v1/stats/") && *p != "/api/v1/stats/metrics")
        .cloned()
        .collect();
    let table: BTreeSet<String> = STATISTICS.iter().map(|s| full(s.path)).collect();
    assert_eq!(served, table, "the statistics paths of the OpenAPI document are the registry's");
    for statistic in STATISTICS {
        let operation = &doc["paths"][full(statistic.path)]["get"];
        assert_eq!(operation["operationId"], statistic.name, "{}", statistic.path);
        assert_eq!(operation["tags"], serde_json::json!(["statistics"]), "{}", statistic.path);
        let example = &operation["responses"]["200"]["content"]["application/json"]["example"];
        let recorded: Value = serde_json::from_str(statistic.example).unwrap();
        assert_eq!(
            example, &recorded,
            "{}: the OpenAPI example is the recorded {}",
            statistic.path, statistic.example_name
        );
    }
}

#[tokio::test]
async fn the_catalog_is_the_table_with_the_roles_of_each_policy() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let catalog = app.get("/api/v1/stats/metrics", Some(&admin)).await;
    assert_eq!(catalog.status, 200, "{}", catalog.text);
    let endpoints = catalog.body["endpoints"].as_array().unwrap();
    let paths: Vec<&str> = endpoints.iter().map(|e| e["path"].as_str().unwrap()).collect();
    let table: Vec<String> = STATISTICS.iter().map(|s| full(s.path)).collect();
    assert_eq!(paths, table, "the catalog lists the registry, in its order");

    // Each role is answered by exactly the statistics whose policy admits
    // it, and refused the others.
    let me = app.get("/api/v1/auth/me", Some(&admin)).await.body["id"].as_str().unwrap().to_string();
    for role in Role::ALL {
        let token =
            if role == Role::Admin { admin.clone() } else { app.user_with_role(&admin, role.as_str(), None).await.1 };
        for (statistic, endpoint) in STATISTICS.iter().zip(endpoints) {
            let listed: Vec<&str> = endpoint["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
            let roles: Vec<&str> = statistic.roles.iter().map(|r| r.as_str()).collect();
            assert_eq!(listed, roles, "{}: the catalog's roles are the policy's", statistic.path);
            let url = format!("{}?{}", full(statistic.path).replace("{id}", &me), query_of(statistic));
            let reply = app.get(&url, Some(&token)).await;
            // An employee's scorecard of someone else is out of scope (404)
            // for the roles that see only themselves; being let in at all
            // is what the policy decides.
            let admitted = statistic.roles.contains(&role);
            if admitted {
                assert!(
                    reply.status == 200 || (statistic.path.contains("{id}") && reply.status == 404),
                    "{url} as {role:?}: {}",
                    reply.text
                );
            } else {
                assert_eq!(reply.status, 403, "{url} as {role:?}: {}", reply.text);
            }
        }
    }
}

#[tokio::test]
async fn the_dispatcher_answers_every_statistic_as_http_does() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let me = app.get("/api/v1/auth/me", Some(&admin)).await.body;
    let caller =
        AuthUser { id: me["id"].as_str().unwrap().parse().unwrap(), role: Role::Admin, team_id: None, api_key: None };
    let sla = &app.state.settings.sla;
    for statistic in STATISTICS {
        let path = statistic.path.replace("{id}", me["id"].as_str().unwrap());
        let query = query_of(statistic);
        let answer = crm::stats::answer(&app.state.db, &caller, sla, path.trim_start_matches("/stats/"), &query)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e:?}"));
        let reply = app.get(&format!("/api/v1{path}?{query}"), Some(&admin)).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        // The answers agree but for the moment they were computed at.
        let mut answer = answer;
        let mut body = reply.body;
        for value in [&mut answer, &mut body] {
            strip_moments(value);
        }
        assert_eq!(answer, body, "{path}");
    }
    let missing = crm::stats::answer(&app.state.db, &caller, sla, "sales/nothing", "").await;
    assert!(missing.is_err(), "an unknown path is no statistic");
}

/// Removes the fields that hold the moment of the request.
fn strip_moments(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("as_of");
            map.remove("generated_at");
            map.values_mut().for_each(strip_moments);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_moments),
        _ => {}
    }
}

/// The paths docs/metrics.md has a heading for: a heading's code spans are
/// paths, or parts of a path under the last `## … /api/v1/stats/<family>/...`
/// heading; a query string (`?by=…`) is not part of the path.
fn documented_paths(text: &str) -> BTreeSet<String> {
    let mut family = String::new();
    let mut paths = BTreeSet::new();
    for line in text.lines().filter(|l| l.starts_with("## ") || l.starts_with("### ")) {
        for (i, span) in line.split('`').enumerate() {
            if i % 2 == 0 {
                continue;
            }
            let span = span.split('?').next().unwrap();
            if let Some(prefix) = span.strip_suffix("/...") {
                family = format!("{prefix}/");
            } else if span.starts_with('/') {
                paths.insert(span.to_string());
            } else if line.starts_with("### ") {
                paths.insert(format!("{family}{span}"));
            }
        }
    }
    paths
}

#[test]
fn docs_metrics_has_a_section_for_every_statistic() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metrics.md")).unwrap();
    let documented = documented_paths(&text);
    let missing: Vec<String> =
        STATISTICS.iter().map(|s| full(s.path)).filter(|path| !documented.contains(path)).collect();
    assert!(missing.is_empty(), "docs/metrics.md has no section for {missing:?}");
}
