//! Record scope: which rows a caller may see and change, as SQL conditions
//! applied in the query (never by filtering results afterwards).
//!
//! - admins and analysts see every record (analysts only read);
//! - managers see the records owned by the members of their team — the
//!   teams they manage and the team they belong to — themselves included;
//! - everyone else sees the records they own (resources may widen this:
//!   service agents see every ticket, marketing every lead).

use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use entity::{team, user};

/// `SELECT id FROM users WHERE team_id IN (teams the caller manages or
/// belongs to)`.
pub fn team_members(caller: &AuthUser) -> SelectStatement {
    Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .cond_where(user::Column::TeamId.in_subquery(teams_of(caller)))
        .to_owned()
}

/// The teams the caller manages or belongs to, as one union (so that an
/// index on the team column serves the `IN`).
fn teams_of(caller: &AuthUser) -> SelectStatement {
    let own = Query::select()
        .column(user::Column::TeamId)
        .from(user::Entity)
        .and_where(Expr::col(user::Column::Id).eq(caller.id))
        .to_owned();
    Query::select()
        .column(team::Column::Id)
        .from(team::Entity)
        .and_where(Expr::col(team::Column::ManagerId).eq(caller.id))
        .union(UnionType::Distinct, own)
        .to_owned()
}

/// Rows whose owner column is in the caller's scope.
pub fn owned<C: ColumnTrait>(caller: &AuthUser, owner: C) -> Condition {
    match caller.role {
        Role::Admin | Role::Analyst => Condition::all(),
        Role::Manager => Condition::any().add(owner.eq(caller.id)).add(owner.in_subquery(team_members(caller))),
        Role::Sales | Role::Marketing | Role::Service => Condition::all().add(owner.eq(caller.id)),
    }
}

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
                    .add(user::Column::Id.in_subquery(team_members(caller))),
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

/// Rows whose team column is a team of the caller's (one they manage or
/// belong to).
pub fn my_teams<C: ColumnTrait>(caller: &AuthUser, team: C) -> Condition {
    Condition::all().add(team.in_subquery(teams_of(caller)))
}
