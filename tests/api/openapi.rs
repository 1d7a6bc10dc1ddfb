use serde_json::Value;

use crate::helpers::spawn_app;

fn committed() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let text = std::fs::read_to_string(path).expect("openapi/openapi.json is committed");
    serde_json::from_str(&text).expect("openapi/openapi.json is JSON")
}

#[tokio::test]
async fn the_committed_document_is_what_the_server_serves() {
    let app = spawn_app().await;
    let served = app.get("/api-docs/openapi.json", None).await;
    assert_eq!(served.status, 200);
    assert_eq!(
        served.body,
        committed(),
        "openapi/openapi.json is stale: regenerate it with `cargo run -- openapi -o openapi/openapi.json`"
    );
}

#[test]
fn the_committed_document_is_what_the_code_generates() {
    let generated = serde_json::to_value(crm::openapi::document()).unwrap();
    assert_eq!(
        generated,
        committed(),
        "openapi/openapi.json is stale: regenerate it with `cargo run -- openapi -o openapi/openapi.json`"
    );
}

#[test]
fn every_operation_documents_its_errors_and_security() {
    let doc = committed();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/v1/users/{id}"));
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{method} {path} lacks 500");
            assert!(operation.get("security").is_some(), "{method} {path} does not state its security");
            let secured = operation["security"].as_array().unwrap().iter().any(|s| s.get("bearer").is_some());
            if secured {
                assert!(responses.contains_key("401") && responses.contains_key("403"), "{method} {path}");
            }
            if operation.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(status), "{method} {path} lacks {status}");
                }
            }
            assert!(operation["summary"].is_string(), "{method} {path} lacks a summary");
        }
    }
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}

/// Every `$ref` names a component that exists (a client generator, or
/// the contract fuzzer, would otherwise skip or fail on it).
#[test]
fn every_reference_resolves() {
    fn walk<'a>(value: &'a Value, refs: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    refs.push(target);
                }
                map.values().for_each(|v| walk(v, refs));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, refs)),
            _ => {}
        }
    }
    let doc = committed();
    let mut refs = vec![];
    walk(&doc, &mut refs);
    assert!(refs.len() > 100);
    let missing: Vec<&str> = refs
        .into_iter()
        .filter(|target| {
            let pointer = target.trim_start_matches('#');
            doc.pointer(pointer).is_none()
        })
        .collect();
    assert!(missing.is_empty(), "unresolvable references: {missing:?}");
}
