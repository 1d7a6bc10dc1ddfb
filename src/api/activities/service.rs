//! Activities.

use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, QueryFilter, Select};
use uuid::Uuid;

use super::dto::{Activity, ActivityListQuery, CreateActivity, UpdateActivity};
use crate::api::assignment;
use crate::api::contacts::service::Contacts;
use crate::api::customers::service::Customers;
use crate::api::fields::{clean, created_at, patch_opt, patch_text, time_range};
use crate::api::list::{ListSpec, SortKind};
use crate::api::opportunities::service::Opportunities;
use crate::api::record::update_guarded;
use crate::api::resource::{ListQuery, Resource, ensure_reference};
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::calendar::Calendar;
use crate::domain::enums::stored;
use crate::domain::time::{now, truncate};
use crate::error::{AppError, AppResult};
use entity::activity::{self, Column, Entity};

pub struct Activities;

impl ListQuery<Entity> for ActivityListQuery {
    fn filter(&self, mut select: Select<Entity>, calendar: &Calendar) -> AppResult<Select<Entity>> {
        if let Some(kind) = self.activity_type {
            select = select.filter(Column::ActivityType.eq(kind.as_str()));
        }
        if let Some(direction) = self.direction {
            select = select.filter(Column::Direction.eq(direction.as_str()));
        }
        for (column, value) in [
            (Column::CustomerId, self.customer_id),
            (Column::OpportunityId, self.opportunity_id),
            (Column::OwnerId, self.owner_id),
        ] {
            if let Some(value) = value {
                select = select.filter(column.eq(value));
            }
        }
        select = select.filter(time_range(
            Column::OccurredAt,
            ("occurred_from", self.occurred_from.as_deref()),
            ("occurred_to", self.occurred_to.as_deref()),
            calendar,
        )?);
        Ok(select)
    }
}

impl Resource for Activities {
    type Entity = Entity;
    type Dto = Activity;
    type Create = CreateActivity;
    type Update = UpdateActivity;
    type Query = ActivityListQuery;

    const NAME: &'static str = "activity";
    const PLURAL: &'static str = "activities";
    const LIST: ListSpec<Entity> =
        ListSpec { sortable: &[("occurred_at", SortKind::Time, Column::OccurredAt)], search: &[Column::Subject] };

    fn visible(caller: &AuthUser) -> Condition {
        Scope::owned(caller).condition(Column::OwnerId)
    }

    async fn create(db: &impl ConnectionTrait, caller: &AuthUser, input: CreateActivity) -> AppResult<activity::Model> {
        let mut customer_id = input.customer_id;
        if let Some(id) = customer_id {
            ensure_reference::<Customers>(db, caller, id, "customer_id").await?;
        }
        if let Some(contact_id) = input.contact_id {
            let contact = ensure_reference::<Contacts>(db, caller, contact_id, "contact_id").await?;
            if customer_id.is_some_and(|c| c != contact.customer_id) {
                return Err(AppError::validation("contact_id", "mismatch", "the contact belongs to another customer"));
            }
            customer_id = Some(contact.customer_id);
        }
        if let Some(opportunity_id) = input.opportunity_id {
            let opportunity = ensure_reference::<Opportunities>(db, caller, opportunity_id, "opportunity_id").await?;
            if customer_id.is_some_and(|c| c != opportunity.customer_id) {
                return Err(AppError::validation(
                    "opportunity_id",
                    "mismatch",
                    "the opportunity belongs to another customer",
                ));
            }
            customer_id = Some(opportunity.customer_id);
        }
        let owner_id = input.owner_id.unwrap_or(caller.id);
        assignment::ensure_assignable(db, caller, owner_id, "owner_id").await?;
        let created = created_at(input.created_at);
        activity::ActiveModel {
            id: Set(Uuid::now_v7()),
            activity_type: Set(input.activity_type.as_str().into()),
            direction: Set(input.direction.map(|d| d.as_str().into())),
            customer_id: Set(customer_id),
            contact_id: Set(input.contact_id),
            opportunity_id: Set(input.opportunity_id),
            owner_id: Set(Some(owner_id)),
            subject: Set(input.subject.trim().into()),
            occurred_at: Set(input.occurred_at.map(truncate).unwrap_or_else(now)),
            duration_minutes: Set(input.duration_minutes),
            outcome: Set(clean(input.outcome)),
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
        caller: &AuthUser,
        current: &activity::Model,
        patch: UpdateActivity,
    ) -> AppResult<activity::Model> {
        let mut model = <activity::ActiveModel as ActiveModelTrait>::default();
        if let Some(kind) = patch.activity_type {
            model.activity_type = Set(kind.as_str().into());
        }
        if let Some(direction) = patch.direction {
            model.direction = Set(direction.map(|d| d.as_str().into()));
        }
        if let Some(subject) = patch.subject {
            model.subject = Set(subject.trim().into());
        }
        if let Some(occurred_at) = patch.occurred_at {
            model.occurred_at = Set(truncate(occurred_at));
        }
        patch_opt(&mut model.duration_minutes, patch.duration_minutes);
        patch_text(&mut model.outcome, patch.outcome);
        if let Some(owner_id) = patch.owner_id {
            assignment::ensure_assignable(db, caller, owner_id, "owner_id").await?;
            model.owner_id = Set(Some(owner_id));
        }
        patch_text(&mut model.external_id, patch.external_id);
        update_guarded(db, model, current.id, current.version).await
    }

    async fn after_create(db: &impl ConnectionTrait, created: &activity::Model) -> AppResult<()> {
        Ok(crate::rollup::activities::changed(db, None, Some(created)).await?)
    }

    async fn after_update(
        db: &impl ConnectionTrait,
        before: &activity::Model,
        after: &activity::Model,
    ) -> AppResult<()> {
        Ok(crate::rollup::activities::changed(db, Some(before), Some(after)).await?)
    }

    async fn after_delete(db: &impl ConnectionTrait, current: &activity::Model) -> AppResult<()> {
        Ok(crate::rollup::activities::changed(db, Some(current), None).await?)
    }

    async fn to_dtos(_db: &impl ConnectionTrait, rows: Vec<activity::Model>) -> AppResult<Vec<Activity>> {
        rows.into_iter()
            .map(|m| {
                Ok(Activity {
                    id: m.id,
                    activity_type: stored(&m.activity_type)?,
                    direction: m.direction.as_deref().map(stored).transpose()?,
                    customer_id: m.customer_id,
                    contact_id: m.contact_id,
                    opportunity_id: m.opportunity_id,
                    owner_id: m.owner_id,
                    subject: m.subject,
                    occurred_at: m.occurred_at,
                    duration_minutes: m.duration_minutes,
                    outcome: m.outcome,
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
