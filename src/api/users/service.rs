//! Queries and transactions for users.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use super::dto::{CreateUser, UpdateUser, User, UserListQuery};
use crate::api::audit;
use crate::api::list::{CommonParams, ListSpec, SortKind, fetch_page};
use crate::api::record::{soft_delete_guarded, update_guarded};
use crate::auth::{AuthUser, password};
use crate::domain::Role;
use crate::domain::time::now;
use crate::error::{AppError, AppResult};
use entity::user::{self, Column, Entity as Users};
use entity::{refresh_token, team};

const LIST: ListSpec<Users> = ListSpec {
    sortable: &[("name", SortKind::Text, Column::Name), ("email", SortKind::Text, Column::Email)],
    search: &[Column::Name, Column::Email],
};

/// The users list, for its documentation (`q` searches [`LIST`]'s fields).
pub struct UserList;

impl crate::api::list::Searchable for UserList {
    fn search_fields() -> Vec<&'static str> {
        LIST.search_fields()
    }
}

/// The users a caller may see: everyone for an admin; for anyone else,
/// themselves and the members of the teams they manage or belong to.
fn visible_to(caller: &AuthUser) -> Condition {
    if caller.is_admin() {
        return Condition::all();
    }
    Condition::any()
        .add(Column::Id.eq(caller.id))
        .add(Column::Id.in_subquery(crate::auth::scope::team_members(caller.id)))
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

async fn ensure_team_exists(db: &impl ConnectionTrait, team_id: Uuid) -> AppResult<()> {
    let found = team::Entity::find_by_id(team_id).filter(team::Column::DeletedAt.is_null()).count(db).await?;
    if found == 0 {
        return Err(AppError::validation("team_id", "not_found", "no team with this id exists"));
    }
    Ok(())
}

/// Active administrators other than `except`.
async fn other_active_admins(db: &impl ConnectionTrait, except: Uuid) -> AppResult<u64> {
    Ok(Users::find()
        .filter(Column::Role.eq(Role::Admin.as_str()))
        .filter(Column::Active.eq(true))
        .filter(Column::DeletedAt.is_null())
        .filter(Column::Id.ne(except))
        .count(db)
        .await?)
}

/// Holds the active administrators' rows until the transaction ends, so
/// that two writes demoting, deactivating or deleting different
/// administrators cannot each see the other still active and together
/// leave none: the second waits for the first and then counts again
/// (PostgreSQL; SQLite's writers are serialized anyway). Taken before the
/// user's own row, in id order, so that two such writes cannot deadlock.
async fn lock_admins(db: &impl ConnectionTrait) -> AppResult<()> {
    use sea_orm::{QueryOrder, QuerySelect};
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        Users::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::Role.eq(Role::Admin.as_str()))
            .filter(Column::Active.eq(true))
            .filter(Column::DeletedAt.is_null())
            .order_by_asc(Column::Id)
            .lock(sea_orm::sea_query::LockType::NoKeyUpdate)
            .into_tuple::<Uuid>()
            .all(db)
            .await?;
    }
    Ok(())
}

fn last_admin() -> AppError {
    AppError::Conflict {
        detail: "This is the last active administrator; make another user an administrator first.".into(),
        errors: vec![],
    }
}

pub async fn revoke_sessions(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now()))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn create(db: &impl ConnectionTrait, input: CreateUser) -> AppResult<user::Model> {
    if let Some(team_id) = input.team_id {
        ensure_team_exists(db, team_id).await?;
    }
    let password_hash = password::hash(input.password).await?;
    let at = now();
    let model = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(input.name.trim().to_string()),
        email: Set(normalize_email(&input.email)),
        password_hash: Set(password_hash),
        role: Set(input.role.as_str().to_string()),
        team_id: Set(input.team_id),
        active: Set(input.active.unwrap_or(true)),
        last_login_at: Set(None),
        external_id: Set(input.external_id),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
        deleted_at: Set(None),
    };
    Ok(model.insert(db).await?)
}

fn snapshot(model: &user::Model) -> serde_json::Value {
    serde_json::to_value(User::from(model.clone())).unwrap_or_default()
}

/// Creates a user on behalf of `caller`, audited.
pub async fn create_audited(db: &DatabaseConnection, caller: &AuthUser, input: CreateUser) -> AppResult<user::Model> {
    let txn = crate::db::begin_write(db).await?;
    let created = create(&txn, input).await?;
    audit::record(&txn, "users", created.id, "create", Some(caller.id), audit::diff(None, Some(&snapshot(&created))))
        .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn get(db: &impl ConnectionTrait, caller: &AuthUser, id: Uuid) -> AppResult<user::Model> {
    Users::find_by_id(id)
        .filter(Column::DeletedAt.is_null())
        .filter(visible_to(caller))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("user"))
}

pub async fn list(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &UserListQuery,
) -> AppResult<(Vec<user::Model>, Option<String>, Option<u64>)> {
    let common = query.common(&crate::calendar::load(db).await?.calendar)?;
    let mut select = Users::find().filter(visible_to(caller));
    if let Some(role) = query.role {
        select = select.filter(Column::Role.eq(role.as_str()));
    }
    if let Some(team_id) = query.team_id {
        select = select.filter(Column::TeamId.eq(team_id));
    }
    if let Some(active) = query.active {
        select = select.filter(Column::Active.eq(active));
    }
    fetch_page(db, select, &common, &LIST).await
}

/// Applies a merge patch in one transaction. `expected_version` comes from
/// `If-Match`; the update itself is guarded by the version it read, so two
/// concurrent patches cannot both succeed on the same version.
pub async fn update(
    db: &DatabaseConnection,
    caller: &AuthUser,
    id: Uuid,
    patch: UpdateUser,
    if_match: &crate::api::etag::IfMatch,
) -> AppResult<user::Model> {
    let new_hash = match patch.password.clone() {
        Some(p) => Some(password::hash(p).await?),
        None => None,
    };
    let txn = crate::db::begin_write(db).await?;
    if patch.role.is_some() || patch.active == Some(false) {
        lock_admins(&txn).await?;
    }
    crate::api::record::lock_row::<Users>(&txn, id).await?;
    let current = get(&txn, caller, id).await?;
    if_match.check(current.version)?;
    if let Some(Some(team_id)) = patch.team_id {
        ensure_team_exists(&txn, team_id).await?;
    }
    let demoted = patch.role.is_some_and(|r| r != Role::Admin) || patch.active == Some(false);
    if demoted && current.role == Role::Admin.as_str() && current.active && other_active_admins(&txn, id).await? == 0 {
        return Err(last_admin());
    }
    let sign_out =
        new_hash.is_some() || patch.active == Some(false) || patch.role.is_some_and(|r| r.as_str() != current.role);

    let mut model = <user::ActiveModel as ActiveModelTrait>::default();
    if let Some(name) = patch.name {
        model.name = Set(name.trim().to_string());
    }
    if let Some(email) = patch.email {
        model.email = Set(normalize_email(&email));
    }
    if let Some(hash) = new_hash {
        model.password_hash = Set(hash);
    }
    if let Some(role) = patch.role {
        model.role = Set(role.as_str().to_string());
    }
    if let Some(team_id) = patch.team_id {
        model.team_id = Set(team_id);
    }
    if let Some(active) = patch.active {
        model.active = Set(active);
    }
    if let Some(external_id) = patch.external_id {
        model.external_id = Set(external_id);
    }
    let updated = update_guarded(&txn, model, id, current.version).await?;
    if sign_out {
        revoke_sessions(&txn, id).await?;
    }
    let changes = audit::diff(Some(&snapshot(&current)), Some(&snapshot(&updated)));
    audit::record(&txn, "users", id, "update", Some(caller.id), changes).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Soft-deletes a user (their records keep pointing at them) and ends
/// their sessions.
pub async fn delete(
    db: &DatabaseConnection,
    caller: &AuthUser,
    id: Uuid,
    if_match: &crate::api::etag::IfMatch,
) -> AppResult<()> {
    if id == caller.id {
        return Err(AppError::Conflict { detail: "You cannot delete yourself.".into(), errors: vec![] });
    }
    let txn = crate::db::begin_write(db).await?;
    lock_admins(&txn).await?;
    crate::api::record::lock_row::<Users>(&txn, id).await?;
    let current = get(&txn, caller, id).await?;
    if_match.check(current.version)?;
    if current.role == Role::Admin.as_str() && current.active && other_active_admins(&txn, id).await? == 0 {
        return Err(last_admin());
    }
    soft_delete_guarded::<Users>(&txn, id, current.version, vec![(Column::Active, Expr::value(false))]).await?;
    revoke_sessions(&txn, id).await?;
    audit::record(&txn, "users", id, "delete", Some(caller.id), audit::diff(Some(&snapshot(&current)), None)).await?;
    txn.commit().await?;
    Ok(())
}
