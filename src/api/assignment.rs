//! Assignments: whom a caller may make responsible for a record. Which rows
//! a caller sees is `crate::auth::scope` (rendered into each resource's
//! `visible` condition and into the statistics alike).

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use entity::user;

/// Checks that the caller may make `owner_id` the owner of a record: an
/// admin (or marketing, routing leads) anyone active, a manager a member of
/// their team, everyone else only themselves. A failure is a 422 naming `field`.
pub async fn ensure_assignable(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    owner_id: Uuid,
    field: &str,
) -> AppResult<()> {
    let mut query = user::Entity::find()
        .filter(user::Column::Id.eq(owner_id))
        .filter(user::Column::DeletedAt.is_null())
        .filter(user::Column::Active.eq(true));
    match caller.role {
        // Marketing routes leads to whoever should work them.
        Role::Admin | Role::Marketing => {}
        Role::Manager => {
            query = query.filter(
                Condition::any()
                    .add(user::Column::Id.eq(caller.id))
                    .add(user::Column::Id.in_subquery(crate::auth::scope::team_members(caller.id))),
            )
        }
        _ => query = query.filter(user::Column::Id.eq(caller.id)),
    }
    if query.count(db).await? == 0 {
        let message = match caller.role {
            Role::Admin | Role::Marketing => "no active user with this id exists",
            Role::Manager => "must be an active member of your team",
            _ => "you can only assign records to yourself",
        };
        return Err(AppError::validation(field, "not_assignable", message));
    }
    Ok(())
}

/// An active user, for assignments anyone in the role may make (a ticket's
/// assignee). A failure is a 422 naming `field`.
pub async fn ensure_active_user(db: &impl ConnectionTrait, user_id: Uuid, field: &str) -> AppResult<()> {
    let found = user::Entity::find()
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::DeletedAt.is_null())
        .filter(user::Column::Active.eq(true))
        .count(db)
        .await?;
    if found == 0 {
        return Err(AppError::validation(field, "not_found", "no active user with this id exists"));
    }
    Ok(())
}
