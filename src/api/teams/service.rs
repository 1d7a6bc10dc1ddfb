//! Queries and transactions for teams.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use uuid::Uuid;

use super::dto::{CreateTeam, Team, TeamListQuery, UpdateTeam};
use crate::api::audit;
use crate::api::etag::IfMatch;
use crate::api::list::{CommonParams, ListSpec, SortKind, fetch_page};
use crate::api::record::{find_live, soft_delete_guarded, update_guarded};
use crate::auth::AuthUser;
use crate::domain::time::now;
use crate::error::{AppError, AppResult};
use entity::team::{self, Column, Entity as Teams};
use entity::user;

const LIST: ListSpec<Teams> = ListSpec { sortable: &[("name", SortKind::Text, Column::Name)], search: &[Column::Name] };

/// The teams list, for its documentation (`q` searches [`LIST`]'s fields).
pub struct TeamList;

impl crate::api::list::Searchable for TeamList {
    fn search_fields() -> Vec<&'static str> {
        LIST.search_fields()
    }
}

async fn ensure_manager_exists(db: &impl ConnectionTrait, manager_id: Uuid) -> AppResult<()> {
    let found = user::Entity::find_by_id(manager_id).filter(user::Column::DeletedAt.is_null()).count(db).await?;
    if found == 0 {
        return Err(AppError::validation("manager_id", "not_found", "no user with this id exists"));
    }
    Ok(())
}

pub async fn create(db: &impl ConnectionTrait, input: CreateTeam) -> AppResult<team::Model> {
    if let Some(manager_id) = input.manager_id {
        ensure_manager_exists(db, manager_id).await?;
    }
    let at = now();
    let model = team::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(input.name.trim().to_string()),
        manager_id: Set(input.manager_id),
        external_id: Set(input.external_id),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
        deleted_at: Set(None),
    };
    Ok(model.insert(db).await?)
}

fn snapshot(model: &team::Model) -> serde_json::Value {
    serde_json::to_value(Team::from(model.clone())).unwrap_or_default()
}

/// Creates a team on behalf of `caller`, audited.
pub async fn create_audited(db: &DatabaseConnection, caller: &AuthUser, input: CreateTeam) -> AppResult<team::Model> {
    let txn = crate::db::begin_write(db).await?;
    let created = create(&txn, input).await?;
    audit::record(&txn, "teams", created.id, "create", Some(caller.id), audit::diff(None, Some(&snapshot(&created))))
        .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> AppResult<team::Model> {
    find_live::<Teams>(db, id, "team").await
}

pub async fn list(
    db: &impl ConnectionTrait,
    query: &TeamListQuery,
) -> AppResult<(Vec<team::Model>, Option<String>, Option<u64>)> {
    let common = query.common(&crate::calendar::load(db).await?.calendar)?;
    let mut select = Teams::find();
    if let Some(manager_id) = query.manager_id {
        select = select.filter(Column::ManagerId.eq(manager_id));
    }
    fetch_page(db, select, &common, &LIST).await
}

pub async fn update(
    db: &DatabaseConnection,
    caller: &AuthUser,
    id: Uuid,
    patch: UpdateTeam,
    if_match: &IfMatch,
) -> AppResult<team::Model> {
    let txn = crate::db::begin_write(db).await?;
    crate::api::record::lock_row::<Teams>(&txn, id).await?;
    let current = get(&txn, id).await?;
    if_match.check(current.version)?;
    if let Some(Some(manager_id)) = patch.manager_id {
        ensure_manager_exists(&txn, manager_id).await?;
    }
    let mut model = <team::ActiveModel as ActiveModelTrait>::default();
    if let Some(name) = patch.name {
        model.name = Set(name.trim().to_string());
    }
    if let Some(manager_id) = patch.manager_id {
        model.manager_id = Set(manager_id);
    }
    if let Some(external_id) = patch.external_id {
        model.external_id = Set(external_id);
    }
    let updated = update_guarded(&txn, model, id, current.version).await?;
    let changes = audit::diff(Some(&snapshot(&current)), Some(&snapshot(&updated)));
    audit::record(&txn, "teams", id, "update", Some(caller.id), changes).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Soft-deletes a team that has no members left.
pub async fn delete(db: &DatabaseConnection, caller: &AuthUser, id: Uuid, if_match: &IfMatch) -> AppResult<()> {
    let txn = crate::db::begin_write(db).await?;
    crate::api::record::lock_row::<Teams>(&txn, id).await?;
    let current = get(&txn, id).await?;
    if_match.check(current.version)?;
    let members = user::Entity::find()
        .filter(user::Column::TeamId.eq(id))
        .filter(user::Column::DeletedAt.is_null())
        .count(&txn)
        .await?;
    if members > 0 {
        return Err(AppError::Conflict {
            detail: format!("The team still has {members} member(s); move them to another team first."),
            errors: vec![],
        });
    }
    soft_delete_guarded::<Teams>(&txn, id, current.version, vec![]).await?;
    audit::record(&txn, "teams", id, "delete", Some(caller.id), audit::diff(Some(&snapshot(&current)), None)).await?;
    txn.commit().await?;
    Ok(())
}
