//! Feedback (NPS answers).

use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, QueryFilter, Select};
use uuid::Uuid;

use super::dto::{CreateFeedback, Feedback, FeedbackListQuery, UpdateFeedback};
use crate::api::customers::service::Customers;
use crate::api::fields::{clean, created_at, patch_text, time_range};
use crate::api::list::{ListSpec, SortKind};
use crate::api::record::update_guarded;
use crate::api::resource::{ListQuery, Resource, ensure_exists};
use crate::auth::AuthUser;
use crate::calendar::Calendar;
use crate::domain::time::{now, truncate};
use crate::error::{AppError, AppResult};
use entity::feedback::{self, Column, Entity};

pub struct FeedbackResource;

impl ListQuery<Entity> for FeedbackListQuery {
    fn filter(&self, mut select: Select<Entity>, calendar: &Calendar) -> AppResult<Select<Entity>> {
        if let Some(customer_id) = self.customer_id {
            select = select.filter(Column::CustomerId.eq(customer_id));
        }
        if let Some(channel) = &self.channel {
            select = select.filter(Column::Channel.eq(channel.trim()));
        }
        Ok(select.filter(time_range(
            Column::SubmittedAt,
            ("submitted_from", self.submitted_from.as_deref()),
            ("submitted_to", self.submitted_to.as_deref()),
            calendar,
        )?))
    }
}

impl From<feedback::Model> for Feedback {
    fn from(m: feedback::Model) -> Self {
        Feedback {
            id: m.id,
            customer_id: m.customer_id,
            score: m.score,
            comment: m.comment,
            channel: m.channel,
            submitted_at: m.submitted_at,
            external_id: m.external_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
            deleted_at: m.deleted_at,
        }
    }
}

impl Resource for FeedbackResource {
    type Entity = Entity;
    type Dto = Feedback;
    type Create = CreateFeedback;
    type Update = UpdateFeedback;
    type Query = FeedbackListQuery;

    const NAME: &'static str = "feedback";
    const PLURAL: &'static str = "feedback";
    const LIST: ListSpec<Entity> =
        ListSpec { sortable: &[("submitted_at", SortKind::Time, Column::SubmittedAt)], search: &[Column::Comment] };

    /// Survey answers are visible to everyone who may read them.
    fn visible(_caller: &AuthUser) -> Condition {
        Condition::all()
    }

    async fn create(
        db: &impl ConnectionTrait,
        _caller: &AuthUser,
        input: CreateFeedback,
    ) -> AppResult<feedback::Model> {
        ensure_exists::<Customers>(db, input.customer_id, "customer_id").await?;
        let created = created_at(input.created_at);
        feedback::ActiveModel {
            id: Set(Uuid::now_v7()),
            customer_id: Set(input.customer_id),
            score: Set(input.score),
            comment: Set(clean(input.comment)),
            channel: Set(clean(input.channel)),
            submitted_at: Set(input.submitted_at.map(truncate).unwrap_or_else(now)),
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
        current: &feedback::Model,
        patch: UpdateFeedback,
    ) -> AppResult<feedback::Model> {
        let mut model = <feedback::ActiveModel as ActiveModelTrait>::default();
        if let Some(score) = patch.score {
            model.score = Set(score);
        }
        patch_text(&mut model.comment, patch.comment);
        patch_text(&mut model.channel, patch.channel);
        if let Some(submitted_at) = patch.submitted_at {
            model.submitted_at = Set(truncate(submitted_at));
        }
        patch_text(&mut model.external_id, patch.external_id);
        update_guarded(db, model, current.id, current.version).await
    }

    async fn to_dtos(_db: &impl ConnectionTrait, rows: Vec<feedback::Model>) -> AppResult<Vec<Feedback>> {
        Ok(rows.into_iter().map(Feedback::from).collect())
    }
}
