use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn teams_are_managed_by_admins_and_readable_by_everyone() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (manager_id, _) = app.user_with_role(&admin, "manager", None).await;
    let created = app.post("/api/v1/teams", Some(&admin), &json!({"name": "North", "manager_id": manager_id})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["manager_id"], manager_id.as_str());

    let (_, sales) = app.user_with_role(&admin, "sales", Some(&id)).await;
    let read = app.get(&format!("/api/v1/teams/{id}"), Some(&sales)).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["name"], "North");
    let list = app.get(&format!("/api/v1/teams?manager_id={manager_id}"), Some(&sales)).await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
    app.patch(&format!("/api/v1/teams/{id}"), Some(&sales), &json!({"name": "Mine"})).await.assert_problem(403);

    let patched = app
        .patch(&format!("/api/v1/teams/{id}"), Some(&admin), &json!({"manager_id": null, "name": "North-East"}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["manager_id"], json!(null));
    assert_eq!(patched.body["version"], 2);

    // Names are unique; managers must exist.
    app.post("/api/v1/teams", Some(&admin), &json!({"name": "North-East"})).await.assert_problem(409);
    let reply =
        app.post("/api/v1/teams", Some(&admin), &json!({"name": "South", "manager_id": uuid::Uuid::now_v7()})).await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), vec!["manager_id"]);

    // A team with members cannot be deleted.
    app.delete(&format!("/api/v1/teams/{id}"), Some(&admin)).await.assert_problem(409);
    let empty = app.post("/api/v1/teams", Some(&admin), &json!({"name": "Empty"})).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.delete(&format!("/api/v1/teams/{empty}"), Some(&admin)).await.status, 204);
    app.get(&format!("/api/v1/teams/{empty}"), Some(&admin)).await.assert_problem(404);
}

#[tokio::test]
async fn teams_crud() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (manager, _) = app.user_with_role(&admin, "manager", None).await;
    crate::helpers::exercise_crud(
        &app,
        &admin,
        "teams",
        &[
            json!({"name": "North", "manager_id": manager}),
            json!({"name": "South", "manager_id": manager}),
            json!({"name": "West"}),
        ],
        (&format!("manager_id={manager}"), 2),
        &json!({"name": "North-East"}),
    )
    .await;
}
