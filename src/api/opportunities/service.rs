//! Opportunities: the funnel, with a stage history kept in the same
//! transaction as every stage change.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select,
};
use serde_json::json;
use uuid::Uuid;

use super::dto::{CreateOpportunity, Opportunity, OpportunityListQuery, StageChange, StageEntry, UpdateOpportunity};
use crate::api::assignment;
use crate::api::audit;
use crate::api::campaigns::service::Campaigns;
use crate::api::customers::service::Customers;
use crate::api::fields::{clean, created_at, patch_text};
use crate::api::list::{ListSpec, SortKind};
use crate::api::record::update_guarded;
use crate::api::resource::{ListQuery, Resource, ensure_reference};
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::calendar::Calendar;
use crate::domain::Money;
use crate::domain::enums::{Stage, stored};
use crate::domain::time::{now, truncate};
use crate::error::{AppError, AppResult};
use entity::opportunity::{self, Column, Entity};
use entity::stage_history;

pub struct Opportunities;

impl ListQuery<Entity> for OpportunityListQuery {
    fn filter(&self, mut select: Select<Entity>, _calendar: &Calendar) -> AppResult<Select<Entity>> {
        if let Some(customer_id) = self.customer_id {
            select = select.filter(Column::CustomerId.eq(customer_id));
        }
        if let Some(owner_id) = self.owner_id {
            select = select.filter(Column::OwnerId.eq(owner_id));
        }
        if let Some(stage) = self.stage {
            select = select.filter(Column::Stage.eq(stage.as_str()));
        }
        if let Some(campaign_id) = self.campaign_id {
            select = select.filter(Column::CampaignId.eq(campaign_id));
        }
        match self.closed {
            Some(true) => select = select.filter(Column::ClosedAt.is_not_null()),
            Some(false) => select = select.filter(Column::ClosedAt.is_null()),
            None => {}
        }
        Ok(select)
    }
}

fn probability_bp(probability: f64) -> i32 {
    (probability * 10_000.0).round() as i32
}

async fn append_history(
    db: &impl ConnectionTrait,
    opportunity_id: Uuid,
    from: Option<Stage>,
    to: Stage,
    at: DateTime<Utc>,
    by: Option<Uuid>,
) -> AppResult<()> {
    stage_history::ActiveModel {
        id: Set(Uuid::now_v7()),
        opportunity_id: Set(opportunity_id),
        from_stage: Set(from.map(|s| s.as_str().into())),
        stage: Set(to.as_str().into()),
        changed_at: Set(at),
        changed_by: Set(by),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn history(db: &impl ConnectionTrait, opportunity_id: Uuid) -> AppResult<Vec<StageChange>> {
    stage_history::Entity::find()
        .filter(stage_history::Column::OpportunityId.eq(opportunity_id))
        .order_by_asc(stage_history::Column::ChangedAt)
        .order_by_asc(stage_history::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|h| {
            Ok(StageChange {
                stage: stored(&h.stage)?,
                changed_at: h.changed_at,
                from_stage: h.from_stage.as_deref().map(stored).transpose()?,
                changed_by: h.changed_by,
            })
        })
        .collect()
}

/// Checks imported history: in time order, not before the creation, and
/// ending in the current stage.
fn check_history(history: &[StageEntry], stage: Stage, created: DateTime<Utc>) -> AppResult<()> {
    let ordered = history.windows(2).all(|w| w[0].changed_at <= w[1].changed_at);
    if !ordered || history.first().is_some_and(|h| h.changed_at < created) {
        return Err(AppError::validation("stage_history", "order", "must be in time order, not before created_at"));
    }
    if history.last().map(|h| h.stage) != Some(stage) {
        return Err(AppError::validation("stage_history", "mismatch", "must end with the opportunity's stage"));
    }
    if history.iter().any(|h| h.changed_at > Utc::now() + chrono::Duration::minutes(5)) {
        return Err(AppError::validation("stage_history", "future", "must not be in the future"));
    }
    Ok(())
}

impl Resource for Opportunities {
    type Entity = Entity;
    type Dto = Opportunity;
    type Create = CreateOpportunity;
    type Update = UpdateOpportunity;
    type Query = OpportunityListQuery;

    const NAME: &'static str = "opportunity";
    const PLURAL: &'static str = "opportunities";
    const LIST: ListSpec<Entity> =
        ListSpec { sortable: &[("name", SortKind::Text, Column::Name)], search: &[Column::Name] };

    fn visible(caller: &AuthUser) -> Condition {
        Scope::owned(caller).condition(Column::OwnerId)
    }

    async fn create(
        db: &impl ConnectionTrait,
        caller: &AuthUser,
        input: CreateOpportunity,
    ) -> AppResult<opportunity::Model> {
        ensure_reference::<Customers>(db, caller, input.customer_id, "customer_id").await?;
        if let Some(campaign_id) = input.campaign_id {
            ensure_reference::<Campaigns>(db, caller, campaign_id, "campaign_id").await?;
        }
        let owner_id = input.owner_id.unwrap_or(caller.id);
        assignment::ensure_assignable(db, caller, owner_id, "owner_id").await?;
        let stage = input.stage.unwrap_or(Stage::Qualification);
        let created = created_at(input.created_at);
        let closed_at = match (stage.is_closed(), input.closed_at) {
            (true, given) => Some(given.map(truncate).unwrap_or_else(now)),
            (false, None) => None,
            (false, Some(_)) => {
                return Err(AppError::validation(
                    "closed_at",
                    "invalid",
                    "only a won or lost opportunity has closed_at",
                ));
            }
        };
        if closed_at.is_some_and(|c| c < created) {
            return Err(AppError::validation("closed_at", "range", "must not be before created_at"));
        }
        // Imported history has no known author; a new deal is the caller's.
        let author = if input.stage_history.is_some() { None } else { Some(caller.id) };
        let history = match input.stage_history {
            Some(history) => {
                check_history(&history, stage, created)?;
                history
            }
            None => vec![StageEntry { stage, changed_at: created }],
        };
        let id = Uuid::now_v7();
        let model = opportunity::ActiveModel {
            id: Set(id),
            customer_id: Set(input.customer_id),
            name: Set(input.name.trim().into()),
            amount: Set(input.amount.cents()),
            stage: Set(stage.as_str().into()),
            probability_bp: Set(input.probability.map(probability_bp).unwrap_or(stage.default_probability_bp())),
            expected_close_date: Set(input.expected_close_date),
            owner_id: Set(Some(owner_id)),
            campaign_id: Set(input.campaign_id),
            closed_at: Set(closed_at),
            lost_reason: Set(clean(input.lost_reason)),
            external_id: Set(clean(input.external_id)),
            created_at: Set(created),
            updated_at: Set(created),
            version: Set(1),
            deleted_at: Set(None),
        }
        .insert(db)
        .await?;
        let mut previous = None;
        for change in history {
            append_history(db, id, previous, change.stage, truncate(change.changed_at), author).await?;
            previous = Some(change.stage);
        }
        Ok(model)
    }

    async fn update(
        db: &impl ConnectionTrait,
        caller: &AuthUser,
        current: &opportunity::Model,
        patch: UpdateOpportunity,
    ) -> AppResult<opportunity::Model> {
        let stage: Stage = stored(&current.stage)?;
        let mut model = <opportunity::ActiveModel as ActiveModelTrait>::default();
        if let Some(customer_id) = patch.customer_id {
            ensure_reference::<Customers>(db, caller, customer_id, "customer_id").await?;
            model.customer_id = Set(customer_id);
        }
        if let Some(Some(campaign_id)) = patch.campaign_id {
            ensure_reference::<Campaigns>(db, caller, campaign_id, "campaign_id").await?;
        }
        if let Some(campaign_id) = patch.campaign_id {
            model.campaign_id = Set(campaign_id);
        }
        if let Some(owner_id) = patch.owner_id {
            assignment::ensure_assignable(db, caller, owner_id, "owner_id").await?;
            model.owner_id = Set(Some(owner_id));
        }
        if let Some(name) = patch.name {
            model.name = Set(name.trim().into());
        }
        if let Some(amount) = patch.amount {
            model.amount = Set(amount.cents());
        }
        if let Some(date) = patch.expected_close_date {
            model.expected_close_date = Set(date);
        }
        patch_text(&mut model.lost_reason, patch.lost_reason);
        patch_text(&mut model.external_id, patch.external_id);
        if let Some(next) = patch.stage.filter(|next| *next != stage) {
            let at = now();
            model.stage = Set(next.as_str().into());
            model.closed_at = Set(next.is_closed().then_some(at));
            if patch.probability.is_none() {
                model.probability_bp = Set(next.default_probability_bp());
            }
            append_history(db, current.id, Some(stage), next, at, Some(caller.id)).await?;
            audit::record(
                db,
                "opportunities",
                current.id,
                "stage_change",
                Some(caller.id),
                json!({"stage": {"before": stage, "after": next}}),
            )
            .await?;
        }
        if let Some(probability) = patch.probability {
            model.probability_bp = Set(probability_bp(probability));
        }
        update_guarded(db, model, current.id, current.version).await
    }

    async fn to_dtos(_db: &impl ConnectionTrait, rows: Vec<opportunity::Model>) -> AppResult<Vec<Opportunity>> {
        rows.into_iter()
            .map(|m| {
                Ok(Opportunity {
                    id: m.id,
                    customer_id: m.customer_id,
                    name: m.name,
                    amount: Money(m.amount),
                    stage: stored(&m.stage)?,
                    probability: f64::from(m.probability_bp) / 10_000.0,
                    expected_close_date: m.expected_close_date,
                    owner_id: m.owner_id,
                    campaign_id: m.campaign_id,
                    closed_at: m.closed_at,
                    lost_reason: m.lost_reason,
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
