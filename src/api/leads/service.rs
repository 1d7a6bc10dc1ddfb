//! Leads and their conversion into customers (and opportunities).

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Select,
};
use uuid::Uuid;

use super::dto::{ConversionResult, ConvertLead, CreateLead, Lead, LeadListQuery, UpdateLead};
use crate::api::assignment;
use crate::api::audit;
use crate::api::campaigns::service::Campaigns;
use crate::api::customers::dto::CreateCustomer;
use crate::api::customers::service::Customers;
use crate::api::etag::IfMatch;
use crate::api::fields::{clean, clean_email, created_at, patch_text};
use crate::api::list::{ListSpec, SortKind};
use crate::api::opportunities::dto::CreateOpportunity;
use crate::api::opportunities::service::Opportunities;
use crate::api::record::update_guarded;
use crate::api::resource::{self, ListQuery, Resource, ensure_reference};
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::calendar::Calendar;
use crate::domain::enums::{CustomerKind, LeadStatus, LifecycleStage, MemberStatus, stored};
use crate::domain::time::{now, truncate};
use crate::error::{AppError, AppResult};
use entity::campaign_member;
use entity::lead::{self, Column, Entity};

pub struct Leads;

impl ListQuery<Entity> for LeadListQuery {
    fn filter(&self, mut select: Select<Entity>, _calendar: &Calendar) -> AppResult<Select<Entity>> {
        if let Some(owner_id) = self.owner_id {
            select = select.filter(Column::OwnerId.eq(owner_id));
        }
        if let Some(status) = self.status {
            select = select.filter(Column::Status.eq(status.as_str()));
        }
        if let Some(source) = &self.source {
            select = select.filter(Column::Source.eq(source.trim()));
        }
        if let Some(campaign_id) = self.campaign_id {
            select = select.filter(Column::CampaignId.eq(campaign_id));
        }
        Ok(select)
    }
}

impl Resource for Leads {
    type Entity = Entity;
    type Dto = Lead;
    type Create = CreateLead;
    type Update = UpdateLead;
    type Query = LeadListQuery;

    const NAME: &'static str = "lead";
    const PLURAL: &'static str = "leads";
    const LIST: ListSpec<Entity> = ListSpec {
        sortable: &[("name", SortKind::Text, Column::Name)],
        search: &[Column::Name, Column::Email, Column::Phone, Column::Company],
    };

    /// Marketing works on every lead; the others on the leads they (or
    /// their team) own.
    fn visible(caller: &AuthUser) -> Condition {
        Scope::leads(caller).condition(Column::OwnerId)
    }

    async fn create(db: &impl ConnectionTrait, caller: &AuthUser, input: CreateLead) -> AppResult<lead::Model> {
        if let Some(campaign_id) = input.campaign_id {
            ensure_reference::<Campaigns>(db, caller, campaign_id, "campaign_id").await?;
        }
        let owner_id = input.owner_id.unwrap_or(caller.id);
        assignment::ensure_assignable(db, caller, owner_id, "owner_id").await?;
        let status = input.status.unwrap_or(LeadStatus::New);
        let (converted_customer_id, converted_at) = match (status, input.converted_customer_id) {
            (LeadStatus::Converted, Some(customer_id)) => {
                ensure_reference::<Customers>(db, caller, customer_id, "converted_customer_id").await?;
                (Some(customer_id), Some(input.converted_at.map(truncate).unwrap_or_else(now)))
            }
            (LeadStatus::Converted, None) => {
                return Err(AppError::validation(
                    "converted_customer_id",
                    "required",
                    "a converted lead names its customer; or create the lead and use POST /leads/{id}/convert",
                ));
            }
            (_, Some(_)) => {
                return Err(AppError::validation(
                    "converted_customer_id",
                    "invalid",
                    "only a converted lead has a customer",
                ));
            }
            (_, None) => (None, None),
        };
        let created = created_at(input.created_at);
        lead::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(input.name.trim().into()),
            company: Set(clean(input.company)),
            email: Set(clean_email(input.email)),
            phone: Set(clean(input.phone)),
            source: Set(clean(input.source)),
            campaign_id: Set(input.campaign_id),
            status: Set(status.as_str().into()),
            owner_id: Set(Some(owner_id)),
            converted_customer_id: Set(converted_customer_id),
            converted_at: Set(converted_at),
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
        current: &lead::Model,
        patch: UpdateLead,
    ) -> AppResult<lead::Model> {
        let status: LeadStatus = stored(&current.status)?;
        let mut model = <lead::ActiveModel as ActiveModelTrait>::default();
        if let Some(next) = patch.status.filter(|next| *next != status) {
            if status == LeadStatus::Converted {
                return Err(AppError::validation("status", "invalid_transition", "a converted lead stays converted"));
            }
            if next == LeadStatus::Converted {
                return Err(AppError::validation(
                    "status",
                    "invalid_transition",
                    "convert a lead with POST /leads/{id}/convert",
                ));
            }
            model.status = Set(next.as_str().into());
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
        patch_text(&mut model.company, patch.company);
        if let Some(email) = patch.email {
            model.email = Set(clean_email(email));
        }
        patch_text(&mut model.phone, patch.phone);
        patch_text(&mut model.source, patch.source);
        patch_text(&mut model.external_id, patch.external_id);
        update_guarded(db, model, current.id, current.version).await
    }

    async fn to_dtos(_db: &impl ConnectionTrait, rows: Vec<lead::Model>) -> AppResult<Vec<Lead>> {
        rows.into_iter()
            .map(|m| {
                Ok(Lead {
                    id: m.id,
                    name: m.name,
                    company: m.company,
                    email: m.email,
                    phone: m.phone,
                    source: m.source,
                    campaign_id: m.campaign_id,
                    status: stored(&m.status)?,
                    owner_id: m.owner_id,
                    converted_customer_id: m.converted_customer_id,
                    converted_at: m.converted_at,
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

fn snapshot<T: serde::Serialize>(value: &T) -> AppResult<serde_json::Value> {
    serde_json::to_value(value).map_err(AppError::internal)
}

/// Converts a lead in one transaction: links or creates the customer,
/// optionally opens an opportunity attributed to the lead's campaign, marks
/// the lead (and its campaign memberships) converted, and audits each step.
pub async fn convert(
    db: &DatabaseConnection,
    caller: &AuthUser,
    id: Uuid,
    input: ConvertLead,
    if_match: &IfMatch,
) -> AppResult<(i64, ConversionResult)> {
    let txn = crate::db::begin_write(db).await?;
    let current = resource::get_for_update::<Leads>(&txn, caller, id).await?;
    if_match.check(current.version)?;
    if current.status == LeadStatus::Converted.as_str() {
        return Err(AppError::Conflict { detail: "The lead is already converted.".into(), errors: vec![] });
    }
    let before = snapshot(&resource::dto::<Leads>(&txn, current.clone()).await?)?;
    let owner_id = current.owner_id.unwrap_or(caller.id);

    let (customer, customer_created) = match input.customer_id {
        Some(customer_id) => (ensure_reference::<Customers>(&txn, caller, customer_id, "customer_id").await?, false),
        None => {
            let kind = input.customer_kind.unwrap_or(if current.company.is_some() {
                CustomerKind::Company
            } else {
                CustomerKind::Individual
            });
            let name = match kind {
                CustomerKind::Company => current.company.clone().unwrap_or_else(|| current.name.clone()),
                CustomerKind::Individual => current.name.clone(),
            };
            let customer = Customers::create(
                &txn,
                caller,
                CreateCustomer {
                    kind: Some(kind),
                    name,
                    email: current.email.clone(),
                    phone: current.phone.clone(),
                    source: current.source.clone(),
                    lifecycle_stage: Some(LifecycleStage::Prospect),
                    owner_id: Some(owner_id),
                    ..Default::default()
                },
            )
            .await?;
            let created = snapshot(&resource::dto::<Customers>(&txn, customer.clone()).await?)?;
            audit::record(&txn, "customers", customer.id, "create", Some(caller.id), audit::diff(None, Some(&created)))
                .await?;
            (customer, true)
        }
    };

    let opportunity = match input.opportunity {
        Some(request) => {
            let opportunity = Opportunities::create(
                &txn,
                caller,
                CreateOpportunity {
                    customer_id: customer.id,
                    name: request.name,
                    amount: request.amount,
                    stage: request.stage,
                    expected_close_date: request.expected_close_date,
                    owner_id: Some(owner_id),
                    campaign_id: current.campaign_id,
                    ..Default::default()
                },
            )
            .await?;
            let dto = resource::dto::<Opportunities>(&txn, opportunity.clone()).await?;
            audit::record(
                &txn,
                "opportunities",
                opportunity.id,
                "create",
                Some(caller.id),
                audit::diff(None, Some(&snapshot(&dto)?)),
            )
            .await?;
            Some(dto)
        }
        None => None,
    };

    let converted = lead::ActiveModel {
        status: Set(LeadStatus::Converted.as_str().into()),
        converted_customer_id: Set(Some(customer.id)),
        converted_at: Set(Some(now())),
        ..<lead::ActiveModel as ActiveModelTrait>::default()
    };
    let lead = update_guarded(&txn, converted, current.id, current.version).await?;
    campaign_member::Entity::update_many()
        .col_expr(campaign_member::Column::Status, Expr::value(MemberStatus::Converted.as_str()))
        .col_expr(campaign_member::Column::UpdatedAt, Expr::value(now()))
        .col_expr(campaign_member::Column::Version, Expr::col(campaign_member::Column::Version).add(1))
        .filter(campaign_member::Column::LeadId.eq(current.id))
        .filter(campaign_member::Column::DeletedAt.is_null())
        .exec(&txn)
        .await?;
    let version = lead.version;
    let lead = resource::dto::<Leads>(&txn, lead).await?;
    audit::record(
        &txn,
        "leads",
        current.id,
        "convert",
        Some(caller.id),
        audit::diff(Some(&before), Some(&snapshot(&lead)?)),
    )
    .await?;
    let customer = resource::dto::<Customers>(&txn, customer).await?;
    txn.commit().await?;
    Ok((version, ConversionResult { lead, customer, customer_created, opportunity }))
}
