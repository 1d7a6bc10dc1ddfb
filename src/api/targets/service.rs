//! Sales targets.

use chrono::NaiveDate;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Select,
};
use uuid::Uuid;

use super::dto::{CreateTarget, Target, TargetListQuery, TargetValue, UpdateTarget};
use crate::api::assignment;
use crate::api::fields::{clean, created_at, patch_text};
use crate::api::list::ListSpec;
use crate::api::record::update_guarded;
use crate::api::resource::{ListQuery, Resource};
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::calendar::{Calendar, Granularity};
use crate::domain::enums::{TargetMetric, TargetPeriod, stored};
use crate::domain::{Money, Role};
use crate::error::{AppError, AppResult};
use entity::target::{self, Column, Entity};
use entity::team;

pub struct Targets;

impl ListQuery<Entity> for TargetListQuery {
    fn filter(&self, mut select: Select<Entity>, _calendar: &Calendar) -> AppResult<Select<Entity>> {
        if let Some(owner_id) = self.owner_id {
            select = select.filter(Column::OwnerId.eq(owner_id));
        }
        if let Some(team_id) = self.team_id {
            select = select.filter(Column::TeamId.eq(team_id));
        }
        if let Some(period) = self.period {
            select = select.filter(Column::Period.eq(period.as_str()));
        }
        if let Some(metric) = self.metric {
            select = select.filter(Column::Metric.eq(metric.as_str()));
        }
        if let Some(from) = self.period_from {
            select = select.filter(Column::PeriodStart.gte(from));
        }
        if let Some(to) = self.period_to {
            select = select.filter(Column::PeriodStart.lt(to));
        }
        Ok(select)
    }
}

fn aligned(period: TargetPeriod, start: NaiveDate, calendar: &Calendar) -> bool {
    let starts = |granularity: Granularity| calendar.start_of(granularity, start) == start;
    match period {
        TargetPeriod::Month => starts(Granularity::Month),
        TargetPeriod::Quarter => starts(Granularity::Quarter),
        TargetPeriod::Year => starts(Granularity::Year),
        TargetPeriod::FiscalQuarter => starts(Granularity::FiscalQuarter),
        TargetPeriod::FiscalYear => starts(Granularity::FiscalYear),
    }
}

/// The stored value: cents for revenue, a whole count otherwise.
fn stored_value(metric: TargetMetric, value: Money) -> AppResult<i64> {
    match metric {
        TargetMetric::Revenue => Ok(value.cents()),
        _ if value.cents() % 100 == 0 => Ok(value.cents() / 100),
        _ => Err(AppError::validation("target_value", "invalid_type", "must be a whole number for this metric")),
    }
}

async fn ensure_team(db: &impl ConnectionTrait, caller: &AuthUser, team_id: Uuid) -> AppResult<()> {
    let mut query = team::Entity::find().filter(team::Column::Id.eq(team_id)).filter(team::Column::DeletedAt.is_null());
    if caller.role != Role::Admin {
        query = query.filter(crate::auth::scope::my_teams(caller, team::Column::Id));
    }
    if query.count(db).await? == 0 {
        return Err(AppError::validation("team_id", "not_found", "no team of yours with this id exists"));
    }
    Ok(())
}

impl Resource for Targets {
    type Entity = Entity;
    type Dto = Target;
    type Create = CreateTarget;
    type Update = UpdateTarget;
    type Query = TargetListQuery;

    const NAME: &'static str = "target";
    const PLURAL: &'static str = "targets";
    const LIST: ListSpec<Entity> = ListSpec { sortable: &[], search: &[] };

    /// Everyone sees their own and their team's targets; managers their
    /// team members' too.
    fn visible(caller: &AuthUser) -> Condition {
        match caller.role {
            Role::Admin | Role::Analyst => Condition::all(),
            _ => Condition::any()
                .add(Scope::owned(caller).condition(Column::OwnerId))
                .add(crate::auth::scope::my_teams(caller, Column::TeamId)),
        }
    }

    async fn create(db: &impl ConnectionTrait, caller: &AuthUser, input: CreateTarget) -> AppResult<target::Model> {
        match (input.owner_id, input.team_id) {
            (Some(owner_id), None) => assignment::ensure_assignable(db, caller, owner_id, "owner_id").await?,
            (None, Some(team_id)) => ensure_team(db, caller, team_id).await?,
            _ => return Err(AppError::validation("owner_id", "required", "give exactly one of owner_id and team_id")),
        }
        let calendar = crate::calendar::load(db).await?.calendar;
        if !aligned(input.period, input.period_start, &calendar) {
            return Err(AppError::validation("period_start", "invalid_value", "must be the first day of the period"));
        }
        let value = stored_value(input.metric, input.target_value)?;
        let duplicate = Entity::find()
            .filter(Column::DeletedAt.is_null())
            .filter(match input.owner_id {
                Some(owner_id) => Column::OwnerId.eq(owner_id),
                None => Column::TeamId.eq(input.team_id),
            })
            .filter(Column::Period.eq(input.period.as_str()))
            .filter(Column::PeriodStart.eq(input.period_start))
            .filter(Column::Metric.eq(input.metric.as_str()))
            .count(db)
            .await?;
        if duplicate > 0 {
            return Err(AppError::Conflict {
                detail: "A target for this owner, period and metric already exists; change its value instead.".into(),
                errors: vec![],
            });
        }
        let created = created_at(input.created_at);
        target::ActiveModel {
            id: Set(Uuid::now_v7()),
            owner_id: Set(input.owner_id),
            team_id: Set(input.team_id),
            period: Set(input.period.as_str().into()),
            period_start: Set(input.period_start),
            metric: Set(input.metric.as_str().into()),
            target_value: Set(value),
            external_id: Set(clean(input.external_id)),
            created_at: Set(created),
            updated_at: Set(created),
            version: Set(1),
            deleted_at: Set(None),
        }
        .insert(db)
        .await
        .map_err(AppError::from)
    }

    async fn update(
        db: &impl ConnectionTrait,
        _caller: &AuthUser,
        current: &target::Model,
        patch: UpdateTarget,
    ) -> AppResult<target::Model> {
        let mut model = <target::ActiveModel as ActiveModelTrait>::default();
        if let Some(value) = patch.target_value {
            model.target_value = Set(stored_value(stored(&current.metric)?, value)?);
        }
        patch_text(&mut model.external_id, patch.external_id);
        update_guarded(db, model, current.id, current.version).await
    }

    async fn to_dtos(_db: &impl ConnectionTrait, rows: Vec<target::Model>) -> AppResult<Vec<Target>> {
        rows.into_iter()
            .map(|m| {
                let metric: TargetMetric = stored(&m.metric)?;
                Ok(Target {
                    id: m.id,
                    owner_id: m.owner_id,
                    team_id: m.team_id,
                    period: stored(&m.period)?,
                    period_start: m.period_start,
                    target_value: match metric {
                        TargetMetric::Revenue => TargetValue::Money(Money(m.target_value)),
                        _ => TargetValue::Count(m.target_value),
                    },
                    metric,
                    external_id: m.external_id,
                    created_at: m.created_at,
                    updated_at: m.updated_at,
                    version: m.version,
                    deleted_at: m.deleted_at,
                })
            })
            .collect()
    }
}
