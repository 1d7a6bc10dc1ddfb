//! Every resource serves what a resource must, as it says in its `ROUTES`
//! (made by `crud_handlers!` from the resource's own module): the API has
//! exactly these resources, each with its tag (described in the document,
//! on every operation under its paths), an API-key scope for reading and
//! writing it, its changes audited under its own name, and an export; the
//! fixed paths (`export`, `bulk`) answer as themselves, not as an `{id}`.

use std::collections::BTreeSet;

use actix_web::http::Method;
use crm::api::RESOURCES;
use crm::auth::api_keys::{WRITABLE, required_scopes};

use crate::helpers::{create, spawn_app};

#[tokio::test]
async fn every_resource_has_its_tag_scope_audit_name_and_export() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let doc = app.get("/api-docs/openapi.json", None).await.body;
    let described: BTreeSet<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["description"].as_str().is_some_and(|d| !d.is_empty()))
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let names: BTreeSet<&str> = RESOURCES.iter().map(|r| r.plural).collect();
    assert_eq!(names.len(), RESOURCES.len(), "each resource once");
    assert_eq!(names, WRITABLE.iter().copied().collect(), "the resources are the ones API keys may read and write");

    for resource in RESOURCES {
        let plural = resource.plural;
        assert_eq!(resource.tag, plural, "{plural}: tagged by its plural");
        assert!(described.contains(resource.tag), "{plural}: its tag is described in the document");
        assert_eq!(resource.audit, plural, "{plural}: audited under its own name");
        for (path, method, scope) in [
            (format!("/api/v1/{plural}"), Method::GET, format!("{plural}:read")),
            (format!("/api/v1/{plural}/x"), Method::PATCH, format!("{plural}:write")),
        ] {
            assert_eq!(required_scopes(&method, &path), Some(vec![scope.clone()]), "{plural}: {method} {path}");
        }
        // Every operation under its paths carries its tag (imports: `imports`).
        for (path, item) in doc["paths"].as_object().unwrap() {
            let own = path == &format!("/api/v1/{plural}") || path.starts_with(&format!("/api/v1/{plural}/"));
            for operation in item.as_object().unwrap().values().filter(|_| own) {
                assert!(
                    operation["tags"].as_array().unwrap().iter().any(|t| t == resource.tag),
                    "{path}: tagged {}",
                    resource.tag
                );
            }
        }
        assert!(resource.export, "{plural}: every resource can be exported");
        let paths = &doc["paths"];
        assert!(paths[format!("/api/v1/{plural}/export")]["get"].is_object(), "{plural}: export documented");
        assert_eq!(paths[format!("/api/v1/{plural}/bulk")]["post"].is_object(), resource.bulk, "{plural}: bulk");
        assert_eq!(paths[format!("/api/v1/imports/{plural}")]["post"].is_object(), resource.import, "{plural}: import");

        // The fixed paths are served as themselves, before `/{id}`.
        let export = app.get(&format!("/api/v1/{plural}/export"), Some(&admin)).await;
        assert_eq!(export.status, 200, "{plural}/export: {}", export.text);
        if resource.bulk {
            let bulk =
                app.post(&format!("/api/v1/{plural}/bulk"), Some(&admin), &serde_json::json!({"items": []})).await;
            assert_ne!(bulk.status, 404, "{plural}/bulk is not taken for an id: {}", bulk.text);
            assert_ne!(bulk.status, 405, "{plural}/bulk is not taken for an id: {}", bulk.text);
        }
    }

    // A change is audited under the resource's name.
    let customer = create(&app, &admin, "customers", serde_json::json!({"name": "Audited"})).await;
    let trail = app.get(&format!("/api/v1/audit?resource=customers&record_id={customer}"), Some(&admin)).await;
    assert_eq!(trail.status, 200, "{}", trail.text);
    assert_eq!(trail.body["data"][0]["resource"], "customers", "{}", trail.text);
}
