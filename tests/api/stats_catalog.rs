//! The statistics catalog describes exactly the statistics the OpenAPI
//! document serves: the same paths, filters, dimensions, and windows,
//! granularity and compare where the endpoint takes them.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::spawn_app;

/// Parameters every windowed statistic takes, and per-endpoint options
/// that are not filters.
const NOT_FILTERS: &[&str] = &[
    "from",
    "to",
    "range",
    "compare",
    "granularity",
    "by",
    "id",
    "lifespan_months",
    "top",
    "min_orders",
    "limit",
    "factor",
    "inactive_days",
    "horizon",
    "as_of",
    "days",
];

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

#[tokio::test]
async fn the_catalog_matches_the_openapi_document() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let reply = app.get("/api/v1/stats/metrics", Some(&token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let doc = app.get("/api-docs/openapi.json", None).await.body;
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|p| p.starts_with("/api/v1/stats/") && *p != "/api/v1/stats/metrics")
        .cloned()
        .collect();
    let endpoints = reply.body["endpoints"].as_array().unwrap();
    let described: BTreeSet<String> = endpoints.iter().map(|e| e["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(described, documented, "every statistics path is in the catalog, and only those");

    for endpoint in endpoints {
        let path = endpoint["path"].as_str().unwrap();
        let parameters = doc["paths"][path]["get"]["parameters"].as_array().cloned().unwrap_or_default();
        let names: BTreeSet<&str> = parameters.iter().map(|p| p["name"].as_str().unwrap()).collect();
        let filters: BTreeSet<&str> = names.iter().copied().filter(|n| !NOT_FILTERS.contains(n)).collect();
        let listed: BTreeSet<&str> =
            endpoint["filters"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        assert_eq!(listed, filters, "{path}: filters");
        for (flag, parameter) in [("window", "from"), ("granularity", "granularity"), ("compare", "compare")] {
            assert_eq!(endpoint[flag].as_bool().unwrap(), names.contains(parameter), "{path}: {flag}");
        }
        let dimensions: Vec<&str> =
            endpoint["dimensions"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
        let by = parameters.iter().find(|p| p["name"] == "by");
        let documented: Vec<&str> = by
            .map(|p| {
                resolve(&doc, &p["schema"])["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect()
            })
            .unwrap_or_default();
        assert_eq!(dimensions, documented, "{path}: dimensions");
        assert!(!endpoint["figures"].as_array().unwrap().is_empty(), "{path}: figures");
        for figure in endpoint["figures"].as_array().unwrap() {
            let unit = figure["unit"].as_str().unwrap();
            assert!(["money", "count", "ratio", "minutes", "hours", "days", "score"].contains(&unit), "{path}: {unit}");
            assert!(!figure["definition"].as_str().unwrap().is_empty());
        }
        assert!(!endpoint["roles"].as_array().unwrap().is_empty());
    }
    // Anyone signed in may read the catalog; nobody else.
    app.get("/api/v1/stats/metrics", None).await.assert_problem(401);
}
