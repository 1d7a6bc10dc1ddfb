//! Tasks.

use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, QueryFilter, Select};
use uuid::Uuid;

use super::dto::{CreateTask, Task, TaskListQuery, UpdateTask};
use crate::api::assignment;
use crate::api::campaigns::service::Campaigns;
use crate::api::contacts::service::Contacts;
use crate::api::customers::service::Customers;
use crate::api::fields::{clean, created_at, patch_opt, patch_text, time_range};
use crate::api::leads::service::Leads;
use crate::api::list::ListSpec;
use crate::api::opportunities::service::Opportunities;
use crate::api::orders::service::Orders;
use crate::api::record::update_guarded;
use crate::api::resource::{ListQuery, Resource, ensure_exists};
use crate::api::tickets::service::Tickets;
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::calendar::Calendar;
use crate::domain::enums::{RelatedType, TaskStatus, stored};
use crate::domain::time::{now, truncate};
use crate::error::{AppError, AppResult};
use entity::task::{self, Column, Entity};

pub struct Tasks;

impl ListQuery<Entity> for TaskListQuery {
    fn filter(&self, mut select: Select<Entity>, calendar: &Calendar) -> AppResult<Select<Entity>> {
        if let Some(assignee_id) = self.assignee_id {
            select = select.filter(Column::AssigneeId.eq(assignee_id));
        }
        if let Some(status) = self.status {
            select = select.filter(Column::Status.eq(status.as_str()));
        }
        if let Some(related_type) = self.related_type {
            select = select.filter(Column::RelatedType.eq(related_type.as_str()));
        }
        if let Some(related_id) = self.related_id {
            select = select.filter(Column::RelatedId.eq(related_id));
        }
        Ok(select.filter(time_range(
            Column::DueAt,
            ("due_from", self.due_from.as_deref()),
            ("due_to", self.due_to.as_deref()),
            calendar,
        )?))
    }
}

/// The record a task is about must exist.
async fn ensure_related(db: &impl ConnectionTrait, related_type: RelatedType, id: Uuid) -> AppResult<()> {
    let field = "related_id";
    match related_type {
        RelatedType::Customer => ensure_exists::<Customers>(db, id, field).await.map(|_| ()),
        RelatedType::Contact => ensure_exists::<Contacts>(db, id, field).await.map(|_| ()),
        RelatedType::Lead => ensure_exists::<Leads>(db, id, field).await.map(|_| ()),
        RelatedType::Opportunity => ensure_exists::<Opportunities>(db, id, field).await.map(|_| ()),
        RelatedType::Order => ensure_exists::<Orders>(db, id, field).await.map(|_| ()),
        RelatedType::Ticket => ensure_exists::<Tickets>(db, id, field).await.map(|_| ()),
        RelatedType::Campaign => ensure_exists::<Campaigns>(db, id, field).await.map(|_| ()),
    }
}

impl Resource for Tasks {
    type Entity = Entity;
    type Dto = Task;
    type Create = CreateTask;
    type Update = UpdateTask;
    type Query = TaskListQuery;

    const NAME: &'static str = "task";
    const PLURAL: &'static str = "tasks";
    const LIST: ListSpec<Entity> = ListSpec { sortable: &[], search: &[Column::Title] };

    fn visible(caller: &AuthUser) -> Condition {
        Scope::owned(caller).condition(Column::AssigneeId)
    }

    async fn create(db: &impl ConnectionTrait, caller: &AuthUser, input: CreateTask) -> AppResult<task::Model> {
        let assignee_id = input.assignee_id.unwrap_or(caller.id);
        assignment::ensure_assignable(db, caller, assignee_id, "assignee_id").await?;
        match (input.related_type, input.related_id) {
            (Some(kind), Some(id)) => ensure_related(db, kind, id).await?,
            (None, None) => {}
            (None, Some(_)) => {
                return Err(AppError::validation("related_type", "required", "is required with related_id"));
            }
            (Some(_), None) => {
                return Err(AppError::validation("related_id", "required", "is required with related_type"));
            }
        }
        let status = input.status.unwrap_or(TaskStatus::Open);
        let completed_at = match (status, input.completed_at) {
            (TaskStatus::Done, given) => Some(given.map(truncate).unwrap_or_else(now)),
            (_, None) => None,
            (_, Some(_)) => {
                return Err(AppError::validation("completed_at", "invalid", "only a done task has completed_at"));
            }
        };
        let created = created_at(input.created_at);
        task::ActiveModel {
            id: Set(Uuid::now_v7()),
            title: Set(input.title.trim().into()),
            assignee_id: Set(Some(assignee_id)),
            related_type: Set(input.related_type.map(|t| t.as_str().into())),
            related_id: Set(input.related_id),
            due_at: Set(input.due_at.map(truncate)),
            completed_at: Set(completed_at),
            status: Set(status.as_str().into()),
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
        current: &task::Model,
        patch: UpdateTask,
    ) -> AppResult<task::Model> {
        let mut model = <task::ActiveModel as ActiveModelTrait>::default();
        let status: TaskStatus = stored(&current.status)?;
        if let Some(next) = patch.status.filter(|next| *next != status) {
            model.status = Set(next.as_str().into());
            model.completed_at = Set((next == TaskStatus::Done).then(now));
        }
        if let Some(assignee_id) = patch.assignee_id {
            assignment::ensure_assignable(db, caller, assignee_id, "assignee_id").await?;
            model.assignee_id = Set(Some(assignee_id));
        }
        if let Some(title) = patch.title {
            model.title = Set(title.trim().into());
        }
        patch_opt(&mut model.due_at, patch.due_at.map(|due| due.map(truncate)));
        patch_text(&mut model.external_id, patch.external_id);
        update_guarded(db, model, current.id, current.version).await
    }

    async fn to_dtos(_db: &impl ConnectionTrait, rows: Vec<task::Model>) -> AppResult<Vec<Task>> {
        rows.into_iter()
            .map(|m| {
                Ok(Task {
                    id: m.id,
                    title: m.title,
                    assignee_id: m.assignee_id,
                    related_type: m.related_type.as_deref().map(stored).transpose()?,
                    related_id: m.related_id,
                    due_at: m.due_at,
                    completed_at: m.completed_at,
                    status: stored(&m.status)?,
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
