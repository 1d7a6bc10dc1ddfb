//! Campaigns.

use chrono::NaiveDate;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, QueryFilter, Select};
use uuid::Uuid;

use super::dto::{Campaign, CampaignListQuery, CreateCampaign, UpdateCampaign};
use crate::api::fields::{clean, created_at, patch_text};
use crate::api::list::{ListSpec, SortKind};
use crate::api::record::update_guarded;
use crate::api::resource::{ListQuery, Resource};
use crate::auth::AuthUser;
use crate::calendar::Calendar;
use crate::domain::Money;
use crate::domain::enums::{CampaignStatus, stored};
use crate::error::{AppError, AppResult};
use entity::campaign::{self, Column, Entity};

pub struct Campaigns;

impl ListQuery<Entity> for CampaignListQuery {
    fn filter(&self, mut select: Select<Entity>, _calendar: &Calendar) -> AppResult<Select<Entity>> {
        if let Some(status) = self.status {
            select = select.filter(Column::Status.eq(status.as_str()));
        }
        if let Some(channel) = &self.channel {
            select = select.filter(Column::Channel.eq(channel.trim()));
        }
        Ok(select)
    }
}

fn check_dates(start: NaiveDate, end: Option<NaiveDate>) -> AppResult<()> {
    if end.is_some_and(|end| end < start) {
        return Err(AppError::validation("end_date", "range", "must not be before start_date"));
    }
    Ok(())
}

impl Resource for Campaigns {
    type Entity = Entity;
    type Dto = Campaign;
    type Create = CreateCampaign;
    type Update = UpdateCampaign;
    type Query = CampaignListQuery;

    const NAME: &'static str = "campaign";
    const PLURAL: &'static str = "campaigns";
    const LIST: ListSpec<Entity> =
        ListSpec { sortable: &[("name", SortKind::Text, Column::Name)], search: &[Column::Name] };

    fn visible(_caller: &AuthUser) -> Condition {
        Condition::all()
    }

    async fn create(
        db: &impl ConnectionTrait,
        _caller: &AuthUser,
        input: CreateCampaign,
    ) -> AppResult<campaign::Model> {
        check_dates(input.start_date, input.end_date)?;
        let created = created_at(input.created_at);
        campaign::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(input.name.trim().into()),
            channel: Set(clean(input.channel)),
            status: Set(input.status.unwrap_or(CampaignStatus::Planned).as_str().into()),
            start_date: Set(input.start_date),
            end_date: Set(input.end_date),
            budget: Set(input.budget.map(Money::cents)),
            actual_cost: Set(input.actual_cost.unwrap_or_default().cents()),
            impressions: Set(input.impressions.unwrap_or(0)),
            clicks: Set(input.clicks.unwrap_or(0)),
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
        current: &campaign::Model,
        patch: UpdateCampaign,
    ) -> AppResult<campaign::Model> {
        check_dates(patch.start_date.unwrap_or(current.start_date), patch.end_date.unwrap_or(current.end_date))?;
        let mut model = <campaign::ActiveModel as ActiveModelTrait>::default();
        if let Some(name) = patch.name {
            model.name = Set(name.trim().into());
        }
        patch_text(&mut model.channel, patch.channel);
        if let Some(status) = patch.status {
            model.status = Set(status.as_str().into());
        }
        if let Some(start) = patch.start_date {
            model.start_date = Set(start);
        }
        if let Some(end) = patch.end_date {
            model.end_date = Set(end);
        }
        if let Some(budget) = patch.budget {
            model.budget = Set(budget.map(Money::cents));
        }
        if let Some(cost) = patch.actual_cost {
            model.actual_cost = Set(cost.cents());
        }
        if let Some(impressions) = patch.impressions {
            model.impressions = Set(impressions);
        }
        if let Some(clicks) = patch.clicks {
            model.clicks = Set(clicks);
        }
        patch_text(&mut model.external_id, patch.external_id);
        update_guarded(db, model, current.id, current.version).await
    }

    async fn to_dtos(_db: &impl ConnectionTrait, rows: Vec<campaign::Model>) -> AppResult<Vec<Campaign>> {
        rows.into_iter()
            .map(|m| {
                Ok(Campaign {
                    id: m.id,
                    name: m.name,
                    channel: m.channel,
                    status: stored(&m.status)?,
                    start_date: m.start_date,
                    end_date: m.end_date,
                    budget: m.budget.map(Money),
                    actual_cost: Money(m.actual_cost),
                    impressions: m.impressions,
                    clicks: m.clicks,
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
