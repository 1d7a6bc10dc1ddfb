//! Incremental sync as an ERP runs it (README, "Integrating"): poll
//! `updated_since` with `include_deleted=true`, page by page, from the
//! latest `updated_at` seen minus an overlap, and keep each record's
//! highest version. While four writers create, change and delete 2,000
//! times, the client must end with exactly the server's final state.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// What the client keeps of a record: version, deleted, name.
type Mirror = HashMap<String, (i64, bool, String)>;

/// The overlap the sync loop re-reads: longer than any write transaction.
const OVERLAP: Duration = Duration::seconds(2);

/// Reads every page of `query` and hands each record to `apply`; returns
/// the latest `updated_at` seen.
async fn pages(app: &TestApp, token: &str, query: &str, mut apply: impl FnMut(&Value)) -> Option<DateTime<Utc>> {
    let mut cursor: Option<String> = None;
    let mut latest = None;
    loop {
        let mut path = format!("/api/v1/customers?{query}&include_deleted=true&limit=500");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let reply = app.get(&path, Some(token)).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        for record in reply.body["data"].as_array().unwrap() {
            let updated: DateTime<Utc> = record["updated_at"].as_str().unwrap().parse().unwrap();
            latest = latest.max(Some(updated));
            apply(record);
        }
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return latest,
        }
    }
}

fn keep(mirror: &mut Mirror, record: &Value) {
    let id = record["id"].as_str().unwrap().to_string();
    let state = (
        record["version"].as_i64().unwrap(),
        !record["deleted_at"].is_null(),
        record["name"].as_str().unwrap().to_string(),
    );
    match mirror.get(&id) {
        Some(known) if (known.0, known.1) >= (state.0, state.1) => {}
        _ => {
            mirror.insert(id, state);
        }
    }
}

#[tokio::test]
async fn a_sync_client_misses_nothing_while_records_change() {
    let app = Arc::new(spawn_app().await);
    let admin = app.admin_token().await;
    let done = Arc::new(AtomicBool::new(false));

    // Four writers: 250 creates each, then 150 renames and 100 deletions
    // of their own records, interleaved — 2,000 writes.
    let mut writers = vec![];
    for writer in 0..4 {
        let (app, token) = (app.clone(), admin.clone());
        writers.push(tokio::spawn(async move {
            let mut ids = vec![];
            for i in 0..250 {
                let reply =
                    app.post("/api/v1/customers", Some(&token), &json!({"name": format!("W{writer}-{i}")})).await;
                assert_eq!(reply.status, 201, "{}", reply.text);
                ids.push(reply.body["id"].as_str().unwrap().to_string());
                if i % 5 == 4 {
                    let id = &ids[i - 2];
                    let patch = json!({"name": format!("W{writer}-{i}-renamed")});
                    assert_eq!(app.patch(&format!("/api/v1/customers/{id}"), Some(&token), &patch).await.status, 200);
                }
            }
            for (k, id) in ids.iter().enumerate().take(200) {
                if k % 2 == 0 {
                    let patch = json!({"name": format!("W{writer}-late-{k}")});
                    let status = app.patch(&format!("/api/v1/customers/{id}"), Some(&token), &patch).await.status;
                    assert_eq!(status, 200);
                } else {
                    assert_eq!(app.delete(&format!("/api/v1/customers/{id}"), Some(&token)).await.status, 204);
                }
            }
        }));
    }

    let client = {
        let (app, token, done) = (app.clone(), admin.clone(), done.clone());
        tokio::spawn(async move {
            let mut mirror = Mirror::new();
            let mut since: DateTime<Utc> = "2000-01-01T00:00:00Z".parse().unwrap();
            let mut polls = 0;
            loop {
                // The last pass starts after the writers are done.
                let last = done.load(Ordering::SeqCst);
                let query = format!("updated_since={}", since.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
                if let Some(latest) = pages(&app, &token, &query, |record| keep(&mut mirror, record)).await {
                    since = since.max(latest - OVERLAP);
                }
                polls += 1;
                if last {
                    return (mirror, polls);
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
        })
    };

    for writer in writers {
        writer.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let (mirror, polls) = client.await.unwrap();
    assert!(polls > 3, "the client synced while the writers wrote ({polls} polls)");

    let mut server = Mirror::new();
    pages(&app, &admin, "sort=created_at", |record| keep(&mut server, record)).await;
    assert_eq!(server.len(), 1000);
    assert_eq!(server.values().filter(|(_, deleted, _)| *deleted).count(), 400);
    assert_eq!(mirror.len(), server.len());
    let differing: Vec<_> = server.iter().filter(|(id, state)| mirror.get(*id) != Some(state)).take(5).collect();
    assert!(differing.is_empty(), "the mirror differs: {differing:?}");
}
