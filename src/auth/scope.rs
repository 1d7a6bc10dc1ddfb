//! Which rows a caller sees: the scope rules, stated once and rendered in
//! both query languages — as a sea-query [`Condition`] for the records
//! (`api/`) and as an SQL fragment for the statistics (`stats/`), so that a
//! list and a statistic over the same rows can never disagree.
//!
//! - admins and analysts see every record (analysts only read);
//! - managers see the records of the members of their teams — the teams
//!   they manage and the team they belong to — themselves included;
//! - everyone else sees the records they own;
//! - leads: marketing sees every lead; tickets (by assignee): service
//!   agents see every ticket, managers also the unassigned ones.

use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

use super::AuthUser;
use crate::domain::Role;
use crate::sql::Sql;
use entity::{team, user};

/// How far a caller's sight reaches along one column holding a user id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    /// Every row.
    All,
    /// The rows whose column is the caller.
    Own,
    /// The rows whose column is the caller or a member of their teams.
    Team,
}

/// The rows of one table a caller sees, by the column that holds the
/// responsible user (owner, assignee).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    caller: Uuid,
    reach: Reach,
    /// Rows whose column is empty are seen too.
    unassigned: bool,
}

impl Scope {
    /// Records by owner: admins and analysts all, managers their teams',
    /// everyone else their own.
    pub fn owned(caller: &AuthUser) -> Scope {
        let reach = match caller.role {
            Role::Admin | Role::Analyst => Reach::All,
            Role::Manager => Reach::Team,
            Role::Sales | Role::Marketing | Role::Service => Reach::Own,
        };
        Scope { caller: caller.id, reach, unassigned: false }
    }

    /// Every row (what a statistic reads before it narrows the rows down
    /// another way, such as by the customers' owners).
    pub fn everything() -> Scope {
        Scope { caller: Uuid::nil(), reach: Reach::All, unassigned: false }
    }

    /// Leads by owner: marketing works every lead; the others as
    /// [`Scope::owned`].
    pub fn leads(caller: &AuthUser) -> Scope {
        match caller.role {
            Role::Marketing => Scope { caller: caller.id, reach: Reach::All, unassigned: false },
            _ => Scope::owned(caller),
        }
    }

    /// Tickets by assignee: the service desk (and admins, analysts) every
    /// ticket; managers their teams' and the unassigned ones; the others
    /// the tickets assigned to them.
    pub fn tickets(caller: &AuthUser) -> Scope {
        match caller.role {
            Role::Service | Role::Admin | Role::Analyst => {
                Scope { caller: caller.id, reach: Reach::All, unassigned: false }
            }
            Role::Manager => Scope { caller: caller.id, reach: Reach::Team, unassigned: true },
            Role::Sales | Role::Marketing => Scope::owned(caller),
        }
    }

    /// Whether the scope holds every row (no condition at all).
    pub fn is_everything(&self) -> bool {
        self.reach == Reach::All
    }

    /// The scope as a sea-query condition on `column`.
    pub fn condition<C: ColumnTrait>(&self, column: C) -> Condition {
        let mine = match self.reach {
            Reach::All => return Condition::all(),
            Reach::Own => Condition::any().add(column.eq(self.caller)),
            Reach::Team => {
                Condition::any().add(column.eq(self.caller)).add(column.in_subquery(team_members(self.caller)))
            }
        };
        if self.unassigned { mine.add(column.is_null()) } else { mine }
    }

    /// ` AND (<the scope on column>)`, nothing when it holds every row.
    pub fn push_and(&self, sql: &mut Sql, column: &str) {
        self.push_and_with(sql, column, None);
    }

    /// The same over a rollup's column, where `none` (a sentinel) stands
    /// for rows without anyone.
    pub fn push_and_keyed(&self, sql: &mut Sql, column: &str, none: Uuid) {
        self.push_and_with(sql, column, Some(none));
    }

    fn push_and_with(&self, sql: &mut Sql, column: &str, none: Option<Uuid>) {
        if self.reach == Reach::All {
            return;
        }
        sql.push(" AND (");
        match (self.unassigned, none) {
            (false, _) => {}
            (true, None) => {
                sql.push(&format!("{column} IS NULL OR "));
            }
            (true, Some(none)) => {
                sql.push(&format!("{column} = ")).bind(none).push(" OR ");
            }
        }
        sql.push(&format!("{column} = ")).bind(self.caller);
        if self.reach == Reach::Team {
            sql.push(&format!(" OR {column} IN "));
            push_team_members(sql, self.caller);
        }
        sql.push(")");
    }
}

/// `SELECT id FROM users WHERE team_id IN (the teams of user)`.
pub fn team_members(user_id: Uuid) -> SelectStatement {
    Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .cond_where(user::Column::TeamId.in_subquery(teams_of(user_id)))
        .to_owned()
}

/// The teams a user manages or belongs to, as one union (so that an index
/// on the team column serves the `IN`).
fn teams_of(user_id: Uuid) -> SelectStatement {
    let own = Query::select()
        .column(user::Column::TeamId)
        .from(user::Entity)
        .and_where(Expr::col(user::Column::Id).eq(user_id))
        .to_owned();
    Query::select()
        .column(team::Column::Id)
        .from(team::Entity)
        .and_where(Expr::col(team::Column::ManagerId).eq(user_id))
        .union(UnionType::Distinct, own)
        .to_owned()
}

/// Rows whose team column is one of the caller's teams.
pub fn my_teams<C: ColumnTrait>(caller: &AuthUser, team: C) -> Condition {
    Condition::all().add(team.in_subquery(teams_of(caller.id)))
}

/// `(SELECT id FROM users …)`: the members of the user's teams, as
/// [`team_members`] in SQL text.
pub fn push_team_members(sql: &mut Sql, user_id: Uuid) {
    sql.push("(SELECT id FROM users WHERE team_id IN ");
    push_my_teams(sql, user_id);
    sql.push(")");
}

/// `(SELECT id FROM teams …)`: the teams the user manages or belongs to,
/// as `teams_of` in SQL text.
pub fn push_my_teams(sql: &mut Sql, user_id: Uuid) {
    sql.push("(SELECT id FROM teams WHERE manager_id = ")
        .bind(user_id)
        .push(" UNION SELECT team_id FROM users WHERE id = ")
        .bind(user_id)
        .push(")");
}

#[cfg(test)]
mod tests {
    use sea_orm::DbBackend;
    use sea_orm::sea_query::{PostgresQueryBuilder, Query};

    use super::*;

    fn caller(role: Role) -> AuthUser {
        AuthUser { id: Uuid::nil(), role, team_id: None, api_key: None }
    }

    /// The WHERE clause sea-query renders for a condition on `owner_id`.
    fn rendered(condition: Condition) -> String {
        let sql = Query::select()
            .column(entity::customer::Column::Id)
            .from(entity::customer::Entity)
            .cond_where(condition)
            .to_string(PostgresQueryBuilder);
        sql.split_once(" WHERE ").map(|(_, w)| w.replace(['"', '\''], "")).unwrap_or_default()
    }

    fn pushed(scope: Scope) -> String {
        let mut sql = Sql::new(DbBackend::Postgres);
        scope.push_and(&mut sql, "owner_id");
        sql.statement().to_string().replace('\'', "")
    }

    /// Both renderings state the same rule: the same columns, constants and
    /// subqueries, for every role and rule.
    #[test]
    fn the_condition_and_the_sql_fragment_agree() {
        let nil = Uuid::nil().to_string();
        for role in Role::ALL {
            for scope in [Scope::owned(&caller(role)), Scope::leads(&caller(role)), Scope::tickets(&caller(role))] {
                let condition = rendered(scope.condition(entity::customer::Column::OwnerId));
                let fragment = pushed(scope);
                if scope.is_everything() {
                    assert!(["", "TRUE"].contains(&condition.as_str()) && fragment.is_empty(), "{role:?}: {condition}");
                    continue;
                }
                let fragment = fragment.trim_start_matches(" AND ");
                assert_eq!(condition.matches("owner_id IS NULL").count(), fragment.matches("owner_id IS NULL").count());
                assert_eq!(
                    condition.contains(&format!("owner_id = {nil}")),
                    fragment.contains(&format!("owner_id = {nil}"))
                );
                assert_eq!(
                    condition.contains("manager_id ="),
                    fragment.contains("manager_id ="),
                    "{role:?}: {condition} / {fragment}"
                );
                assert_eq!(condition.contains("UNION"), fragment.contains("UNION"));
            }
        }
    }

    #[test]
    fn each_rule_reaches_as_documented() {
        use Role::*;
        let reach = |scope: Scope| (scope.reach, scope.unassigned);
        for (role, owned, leads, tickets) in [
            (Admin, Reach::All, Reach::All, (Reach::All, false)),
            (Analyst, Reach::All, Reach::All, (Reach::All, false)),
            (Manager, Reach::Team, Reach::Team, (Reach::Team, true)),
            (Sales, Reach::Own, Reach::Own, (Reach::Own, false)),
            (Marketing, Reach::Own, Reach::All, (Reach::Own, false)),
            (Service, Reach::Own, Reach::Own, (Reach::All, false)),
        ] {
            let c = caller(role);
            assert_eq!(reach(Scope::owned(&c)), (owned, false), "{role:?}");
            assert_eq!(reach(Scope::leads(&c)), (leads, false), "{role:?}");
            assert_eq!(reach(Scope::tickets(&c)), tickets, "{role:?}");
        }
    }
}
