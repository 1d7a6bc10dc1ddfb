//! Tickets: service requests whose response, resolution and close times
//! are set by their actions, never left inconsistent with the status.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, QueryFilter, Select};
use uuid::Uuid;

use super::dto::{CreateTicket, RateTicket, Ticket, TicketListQuery, UpdateTicket};
use crate::api::assignment;
use crate::api::customers::service::Customers;
use crate::api::etag::IfMatch;
use crate::api::fields::{clean, created_at, patch_text};
use crate::api::list::ListSpec;
use crate::api::record::update_guarded;
use crate::api::resource::{self, ListQuery, Resource, ensure_exists};
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::calendar::Calendar;
use crate::domain::enums::{Priority, TicketStatus, stored};
use crate::domain::time::{now, truncate};
use crate::error::{AppError, AppResult};
use entity::ticket::{self, Column, Entity};

pub struct Tickets;

impl ListQuery<Entity> for TicketListQuery {
    fn filter(&self, mut select: Select<Entity>, _calendar: &Calendar) -> AppResult<Select<Entity>> {
        if let Some(customer_id) = self.customer_id {
            select = select.filter(Column::CustomerId.eq(customer_id));
        }
        if let Some(assignee_id) = self.assignee_id {
            select = select.filter(Column::AssigneeId.eq(assignee_id));
        }
        if let Some(status) = self.status {
            select = select.filter(Column::Status.eq(status.as_str()));
        }
        if let Some(priority) = self.priority {
            select = select.filter(Column::Priority.eq(priority.as_str()));
        }
        if let Some(category) = &self.category {
            select = select.filter(Column::Category.eq(category.trim()));
        }
        if let Some(channel) = &self.channel {
            select = select.filter(Column::Channel.eq(channel.trim()));
        }
        Ok(select)
    }
}

/// The event times of a ticket, completed and checked against its status
/// and against each other.
struct Times {
    first_response_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
}

fn settle_times(status: TicketStatus, created: DateTime<Utc>, given: Times) -> AppResult<Times> {
    let Times { mut first_response_at, mut resolved_at, mut closed_at } = given;
    match status {
        TicketStatus::Open | TicketStatus::Pending => {
            if resolved_at.is_some() {
                return Err(AppError::validation(
                    "resolved_at",
                    "invalid",
                    "an open or pending ticket is not resolved",
                ));
            }
            if closed_at.is_some() {
                return Err(AppError::validation("closed_at", "invalid", "an open or pending ticket is not closed"));
            }
        }
        TicketStatus::Resolved => {
            if closed_at.is_some() {
                return Err(AppError::validation("closed_at", "invalid", "a resolved ticket is not closed"));
            }
            resolved_at = Some(resolved_at.unwrap_or_else(now));
        }
        TicketStatus::Closed => {
            let closed = closed_at.unwrap_or_else(now);
            closed_at = Some(closed);
            // Closing a ticket that was never resolved resolves it too.
            resolved_at = Some(resolved_at.unwrap_or(closed));
        }
    }
    // A resolution answers the customer.
    if first_response_at.is_none() {
        first_response_at = resolved_at;
    }
    let ordered = [("resolved_at", resolved_at), ("closed_at", closed_at), ("first_response_at", first_response_at)];
    for (field, time) in ordered {
        if time.is_some_and(|t| t < created) {
            return Err(AppError::validation(field, "range", "must not be before created_at"));
        }
    }
    if let (Some(resolved), Some(first)) = (resolved_at, first_response_at)
        && first > resolved
    {
        return Err(AppError::validation("first_response_at", "range", "must not be after resolved_at"));
    }
    if let (Some(closed), Some(resolved)) = (closed_at, resolved_at)
        && resolved > closed
    {
        return Err(AppError::validation("resolved_at", "range", "must not be after closed_at"));
    }
    Ok(Times { first_response_at, resolved_at, closed_at })
}

impl Resource for Tickets {
    type Entity = Entity;
    type Dto = Ticket;
    type Create = CreateTicket;
    type Update = UpdateTicket;
    type Query = TicketListQuery;

    const NAME: &'static str = "ticket";
    const PLURAL: &'static str = "tickets";
    const LIST: ListSpec<Entity> = ListSpec { sortable: &[], search: &[Column::Subject] };

    /// Service agents work on every ticket; managers on their team's and
    /// the unassigned ones.
    fn visible(caller: &AuthUser) -> Condition {
        Scope::tickets(caller).condition(Column::AssigneeId)
    }

    async fn create(db: &impl ConnectionTrait, _caller: &AuthUser, input: CreateTicket) -> AppResult<ticket::Model> {
        ensure_exists::<Customers>(db, input.customer_id, "customer_id").await?;
        if let Some(assignee_id) = input.assignee_id {
            assignment::ensure_active_user(db, assignee_id, "assignee_id").await?;
        }
        let status = input.status.unwrap_or(TicketStatus::Open);
        let created = created_at(input.created_at);
        let times = settle_times(
            status,
            created,
            Times {
                first_response_at: input.first_response_at.map(truncate),
                resolved_at: input.resolved_at.map(truncate),
                closed_at: input.closed_at.map(truncate),
            },
        )?;
        if input.satisfaction_score.is_some() && !matches!(status, TicketStatus::Resolved | TicketStatus::Closed) {
            return Err(AppError::validation(
                "satisfaction_score",
                "invalid",
                "only a resolved or closed ticket is rated",
            ));
        }
        ticket::ActiveModel {
            id: Set(Uuid::now_v7()),
            customer_id: Set(input.customer_id),
            subject: Set(input.subject.trim().into()),
            description: Set(clean(input.description)),
            category: Set(clean(input.category)),
            priority: Set(input.priority.unwrap_or(Priority::Normal).as_str().into()),
            channel: Set(clean(input.channel)),
            status: Set(status.as_str().into()),
            assignee_id: Set(input.assignee_id),
            first_response_at: Set(times.first_response_at),
            resolved_at: Set(times.resolved_at),
            closed_at: Set(times.closed_at),
            satisfaction_score: Set(input.satisfaction_score),
            satisfaction_comment: Set(clean(input.satisfaction_comment)),
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
        current: &ticket::Model,
        patch: UpdateTicket,
    ) -> AppResult<ticket::Model> {
        let mut model = <ticket::ActiveModel as ActiveModelTrait>::default();
        let status: TicketStatus = stored(&current.status)?;
        match patch.status {
            Some(next) if next == status => {}
            Some(TicketStatus::Open) => {
                // Reopening: the ticket is no longer resolved or closed (and
                // its old rating no longer applies).
                model.status = Set(TicketStatus::Open.as_str().into());
                model.resolved_at = Set(None);
                model.closed_at = Set(None);
                model.satisfaction_score = Set(None);
                model.satisfaction_comment = Set(None);
            }
            Some(TicketStatus::Pending) if status == TicketStatus::Open => {
                model.status = Set(TicketStatus::Pending.as_str().into());
            }
            Some(next) => {
                return Err(AppError::validation(
                    "status",
                    "invalid_transition",
                    format!(
                        "a {status} ticket cannot become {next} by a patch; use the respond, resolve and close actions"
                    ),
                ));
            }
            None => {}
        }
        if let Some(assignee) = patch.assignee_id {
            if let Some(assignee_id) = assignee {
                assignment::ensure_active_user(db, assignee_id, "assignee_id").await?;
            }
            model.assignee_id = Set(assignee);
        }
        if let Some(subject) = patch.subject {
            model.subject = Set(subject.trim().into());
        }
        patch_text(&mut model.description, patch.description);
        patch_text(&mut model.category, patch.category);
        if let Some(priority) = patch.priority {
            model.priority = Set(priority.as_str().into());
        }
        patch_text(&mut model.channel, patch.channel);
        patch_text(&mut model.external_id, patch.external_id);
        update_guarded(db, model, current.id, current.version).await
    }

    async fn after_create(db: &impl ConnectionTrait, created: &ticket::Model) -> AppResult<()> {
        Ok(crate::rollup::tickets::changed(db, None, Some(created)).await?)
    }

    async fn after_update(db: &impl ConnectionTrait, before: &ticket::Model, after: &ticket::Model) -> AppResult<()> {
        Ok(crate::rollup::tickets::changed(db, Some(before), Some(after)).await?)
    }

    async fn after_delete(db: &impl ConnectionTrait, current: &ticket::Model) -> AppResult<()> {
        Ok(crate::rollup::tickets::changed(db, Some(current), None).await?)
    }

    async fn to_dtos(_db: &impl ConnectionTrait, rows: Vec<ticket::Model>) -> AppResult<Vec<Ticket>> {
        rows.into_iter()
            .map(|m| {
                Ok(Ticket {
                    id: m.id,
                    customer_id: m.customer_id,
                    subject: m.subject,
                    description: m.description,
                    category: m.category,
                    priority: stored(&m.priority)?,
                    channel: m.channel,
                    status: stored(&m.status)?,
                    assignee_id: m.assignee_id,
                    first_response_at: m.first_response_at,
                    resolved_at: m.resolved_at,
                    closed_at: m.closed_at,
                    satisfaction_score: m.satisfaction_score,
                    satisfaction_comment: m.satisfaction_comment,
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

/// What a ticket action does.
#[derive(Clone, Copy, Debug)]
pub enum Action {
    /// The first answer to the customer; an open ticket becomes pending.
    Respond,
    Resolve,
    Close,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Respond => "respond",
            Action::Resolve => "resolve",
            Action::Close => "close",
        }
    }
}

fn conflict(detail: String) -> AppError {
    AppError::Conflict { detail, errors: vec![] }
}

pub async fn act(
    db: &DatabaseConnection,
    caller: &AuthUser,
    id: Uuid,
    action: Action,
    if_match: &IfMatch,
) -> AppResult<(i64, Ticket)> {
    resource::change::<Tickets>(db, caller, id, if_match, action.name(), async |txn, current| {
        let status: TicketStatus = stored(&current.status)?;
        let at = now();
        let mut model = <ticket::ActiveModel as ActiveModelTrait>::default();
        if current.first_response_at.is_none() {
            model.first_response_at = Set(Some(at));
        }
        match (action, status) {
            (_, TicketStatus::Closed) => return Err(conflict("The ticket is closed; reopen it first.".into())),
            (Action::Respond, TicketStatus::Resolved) => {
                return Err(conflict("The ticket is resolved; reopen it first.".into()));
            }
            (Action::Respond, TicketStatus::Open) => model.status = Set(TicketStatus::Pending.as_str().into()),
            // Already answered and waiting on the customer: nothing to do.
            (Action::Respond, TicketStatus::Pending) if current.first_response_at.is_some() => {
                return Ok(current.clone());
            }
            (Action::Respond, TicketStatus::Pending) => {}
            (Action::Resolve, TicketStatus::Resolved) => {
                return Err(conflict("The ticket is already resolved.".into()));
            }
            (Action::Resolve, _) => {
                model.status = Set(TicketStatus::Resolved.as_str().into());
                model.resolved_at = Set(Some(at));
            }
            (Action::Close, _) => {
                model.status = Set(TicketStatus::Closed.as_str().into());
                model.closed_at = Set(Some(at));
                if current.resolved_at.is_none() {
                    model.resolved_at = Set(Some(at));
                }
            }
        }
        update_guarded(txn, model, current.id, current.version).await
    })
    .await
}

pub async fn rate(
    db: &DatabaseConnection,
    caller: &AuthUser,
    id: Uuid,
    rating: RateTicket,
    if_match: &IfMatch,
) -> AppResult<(i64, Ticket)> {
    resource::change::<Tickets>(db, caller, id, if_match, "rate", async |txn, current| {
        let status: TicketStatus = stored(&current.status)?;
        if !matches!(status, TicketStatus::Resolved | TicketStatus::Closed) {
            return Err(conflict(format!("A {status} ticket cannot be rated yet; resolve it first.")));
        }
        let model = ticket::ActiveModel {
            satisfaction_score: Set(Some(rating.score)),
            satisfaction_comment: Set(clean(rating.comment)),
            ..<ticket::ActiveModel as ActiveModelTrait>::default()
        };
        update_guarded(txn, model, current.id, current.version).await
    })
    .await
}
