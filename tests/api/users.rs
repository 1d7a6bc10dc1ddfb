use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn users_are_created_read_updated_and_deleted() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let created = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"name": "  Li Wei ", "email": "li.wei@example.com", "password": "a long passphrase", "role": "sales", "external_id": "HR-1"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.header("location"), Some(format!("/api/v1/users/{id}").as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.body["name"], "Li Wei");
    assert_eq!(created.body["active"], true);
    assert_eq!(created.body["version"], 1);
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);

    let fetched = app.get(&format!("/api/v1/users/{id}"), Some(&admin)).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, created.body);

    // Merge patch: absent fields stay, null clears.
    let patched =
        app.patch(&format!("/api/v1/users/{id}"), Some(&admin), &json!({"role": "manager", "external_id": null})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["role"], "manager");
    assert_eq!(patched.body["name"], "Li Wei");
    assert_eq!(patched.body["external_id"], json!(null));
    assert_eq!(patched.body["version"], 2);
    assert_eq!(patched.header("etag"), Some("\"2\""));
    // null on a field that cannot be cleared is a 422 naming it.
    let reply = app.patch(&format!("/api/v1/users/{id}"), Some(&admin), &json!({"name": null})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["name"]);

    // A new password works, the old one does not.
    let reply =
        app.patch(&format!("/api/v1/users/{id}"), Some(&admin), &json!({"password": "another passphrase"})).await;
    assert_eq!(reply.status, 200);
    assert_eq!(app.login("li.wei@example.com", "another passphrase").await.status, 200);
    assert_eq!(app.login("li.wei@example.com", "a long passphrase").await.status, 401);

    let deleted = app.delete(&format!("/api/v1/users/{id}"), Some(&admin)).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    app.get(&format!("/api/v1/users/{id}"), Some(&admin)).await.assert_problem(404);
    app.delete(&format!("/api/v1/users/{id}"), Some(&admin)).await.assert_problem(404);
    assert_eq!(app.login("li.wei@example.com", "another passphrase").await.status, 401);

    // The tombstone is visible to sync clients.
    let listed = app.get("/api/v1/users?include_deleted=true", Some(&admin)).await;
    let tombstone = listed.body["data"].as_array().unwrap().iter().find(|u| u["id"] == id.as_str()).cloned().unwrap();
    assert!(tombstone["deleted_at"].is_string());
    let listed = app.get("/api/v1/users", Some(&admin)).await;
    assert!(listed.body["data"].as_array().unwrap().iter().all(|u| u["id"] != id.as_str()));
}

#[tokio::test]
async fn stale_if_match_is_412() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, _) = app.user_with_role(&admin, "sales", None).await;
    let path = format!("/api/v1/users/{id}");
    let ok = app
        .send(
            app.request(Method::PATCH, &path, Some(&admin)).header("if-match", "\"1\"").json(&json!({"name": "First"})),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let stale = app
        .send(
            app.request(Method::PATCH, &path, Some(&admin))
                .header("if-match", "\"1\"")
                .json(&json!({"name": "Second"})),
        )
        .await;
    stale.assert_problem(412);
    assert_eq!(app.get(&path, Some(&admin)).await.body["name"], "First", "nothing written");
    let stale_delete = app.send(app.request(Method::DELETE, &path, Some(&admin)).header("if-match", "\"1\"")).await;
    stale_delete.assert_problem(412);
    let delete = app.send(app.request(Method::DELETE, &path, Some(&admin)).header("if-match", "\"2\"")).await;
    assert_eq!(delete.status, 204);
}

#[tokio::test]
async fn merge_patch_content_type_is_accepted() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, _) = app.user_with_role(&admin, "sales", None).await;
    let reply = app
        .send(
            app.request(Method::PATCH, &format!("/api/v1/users/{id}"), Some(&admin))
                .header("content-type", "application/merge-patch+json")
                .body(r#"{"name": "Patched"}"#),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["name"], "Patched");
}

#[tokio::test]
async fn duplicate_emails_and_external_ids_are_409_naming_the_field() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = json!({"name": "A", "email": "dup@example.com", "password": "long enough", "role": "sales", "external_id": "X-1"});
    assert_eq!(app.post("/api/v1/users", Some(&admin), &body).await.status, 201);
    let again = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"name": "B", "email": "DUP@example.com", "password": "long enough", "role": "sales"}),
        )
        .await;
    again.assert_problem(409);
    assert_eq!(again.error_fields(), vec!["email"]);
    let again = app
        .post("/api/v1/users", Some(&admin), &json!({"name": "B", "email": "other@example.com", "password": "long enough", "role": "sales", "external_id": "X-1"}))
        .await;
    again.assert_problem(409);
    assert_eq!(again.error_fields(), vec!["external_id"]);
}

#[tokio::test]
async fn references_to_unknown_teams_are_422() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let reply = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"name": "A", "email": "a@example.com", "password": "long enough", "role": "sales", "team_id": uuid::Uuid::now_v7()}),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["team_id"]);
    let users = app.get("/api/v1/users?count=true", Some(&admin)).await;
    assert_eq!(users.body["total"], 1, "nothing written");
}

#[tokio::test]
async fn the_last_admin_cannot_be_removed() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let me = app.get("/api/v1/auth/me", Some(&admin)).await.body;
    let id = me["id"].as_str().unwrap();
    app.patch(&format!("/api/v1/users/{id}"), Some(&admin), &json!({"role": "sales"})).await.assert_problem(409);
    app.patch(&format!("/api/v1/users/{id}"), Some(&admin), &json!({"active": false})).await.assert_problem(409);
    app.delete(&format!("/api/v1/users/{id}"), Some(&admin)).await.assert_problem(409);

    // With a second admin the first can step down.
    let (_, second) = app.user_with_role(&admin, "admin", None).await;
    let reply = app.patch(&format!("/api/v1/users/{id}"), Some(&second), &json!({"role": "analyst"})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn lists_page_by_cursor_sort_filter_and_search() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for (i, role) in ["sales", "sales", "service", "sales", "marketing", "analyst", "sales"].iter().enumerate() {
        let reply = app
            .post(
                "/api/v1/users",
                Some(&admin),
                &json!({"name": format!("User {i}"), "email": format!("user{i}@example.com"), "password": "long enough", "role": role}),
            )
            .await;
        assert_eq!(reply.status, 201);
    }

    // Page through everyone, 3 at a time, by name.
    let mut seen = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=3&sort=name&cursor={c}"),
            None => "/api/v1/users?limit=3&sort=name".to_string(),
        };
        let page = app.get(&path, Some(&admin)).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let data = page.body["data"].as_array().unwrap();
        assert!(data.len() <= 3);
        seen.extend(data.iter().map(|u| u["name"].as_str().unwrap().to_string()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    assert_eq!(seen.len(), 8, "7 users and the admin: {seen:?}");

    // Descending by creation, the default.
    let newest = app.get("/api/v1/users?limit=1", Some(&admin)).await;
    assert_eq!(newest.body["data"][0]["name"], "User 6");

    let sales = app.get("/api/v1/users?role=sales&count=true", Some(&admin)).await;
    assert_eq!(sales.body["total"], 4);
    assert!(sales.body["data"].as_array().unwrap().iter().all(|u| u["role"] == "sales"));

    let search = app.get("/api/v1/users?q=USER3%40EXAMPLE", Some(&admin)).await;
    assert_eq!(search.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(search.body["data"][0]["email"], "user3@example.com");
    // LIKE wildcards in q are literal.
    let literal = app.get("/api/v1/users?q=%25", Some(&admin)).await;
    assert_eq!(literal.body["data"].as_array().unwrap().len(), 0);

    // A cursor only works with the sort it was made for.
    let page = app.get("/api/v1/users?limit=2&sort=name", Some(&admin)).await;
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let reply = app.get(&format!("/api/v1/users?limit=2&sort=email&cursor={cursor}"), Some(&admin)).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["cursor"]);
    app.get("/api/v1/users?sort=password_hash", Some(&admin)).await.assert_problem(422);
    app.get("/api/v1/users?created_from=yesterday", Some(&admin)).await.assert_problem(422);
}

#[tokio::test]
async fn updated_since_returns_changes_in_update_order() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (first, _) = app.user_with_role(&admin, "sales", None).await;
    let (second, _) = app.user_with_role(&admin, "sales", None).await;
    let checkpoint = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    app.patch(&format!("/api/v1/users/{second}"), Some(&admin), &json!({"name": "Changed second"})).await;
    app.patch(&format!("/api/v1/users/{first}"), Some(&admin), &json!({"name": "Changed first"})).await;
    let changes =
        app.get(&format!("/api/v1/users?updated_since={}", checkpoint.replace('+', "%2B")), Some(&admin)).await;
    assert_eq!(changes.status, 200, "{}", changes.text);
    let names: Vec<&str> =
        changes.body["data"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Changed second", "Changed first"]);
}

#[tokio::test]
async fn managers_see_their_team_only_and_cannot_write() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let east = app.post("/api/v1/teams", Some(&admin), &json!({"name": "East"})).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let west = app.post("/api/v1/teams", Some(&admin), &json!({"name": "West"})).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (manager_id, manager) = app.user_with_role(&admin, "manager", Some(&east)).await;
    let (east_rep, _) = app.user_with_role(&admin, "sales", Some(&east)).await;
    let (west_rep, _) = app.user_with_role(&admin, "sales", Some(&west)).await;

    let listed = app.get("/api/v1/users", Some(&manager)).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let mut ids: Vec<&str> =
        listed.body["data"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    ids.sort();
    let mut expected = vec![manager_id.as_str(), east_rep.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(app.get(&format!("/api/v1/users/{east_rep}"), Some(&manager)).await.status, 200);
    app.get(&format!("/api/v1/users/{west_rep}"), Some(&manager)).await.assert_problem(404);
    app.patch(&format!("/api/v1/users/{east_rep}"), Some(&manager), &json!({"name": "X"})).await.assert_problem(403);
}

#[tokio::test]
async fn users_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    crate::helpers::exercise_crud(
        &app,
        &admin,
        "users",
        &[
            json!({"name": "A", "email": "a@example.com", "password": "long enough", "role": "sales"}),
            json!({"name": "B", "email": "b@example.com", "password": "long enough", "role": "service"}),
            json!({"name": "C", "email": "c@example.com", "password": "long enough", "role": "sales"}),
        ],
        ("role=sales", 2),
        &json!({"name": "A. Renamed"}),
    )
    .await;
    // The audit trail never holds a password or its hash.
    let audit = app.get("/api/v1/audit?resource=users", Some(&admin)).await;
    assert!(!audit.text.contains("password") && !audit.text.contains("argon2"), "{}", audit.text);
}
