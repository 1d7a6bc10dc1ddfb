//! `/api/v1/campaigns/{id}/members`: the customers and leads a campaign
//! reached, and how far each went (`invited` → `participated` →
//! `converted`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Select,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::service::Campaigns;
use crate::api::customers::service::Customers;
use crate::api::etag::IfMatch;
use crate::api::extract::{Json, Query};
use crate::api::fields::created_at;
use crate::api::leads::service::Leads;
use crate::api::list::{ListSpec, Page};
use crate::api::patch::required;
use crate::api::record::update_guarded;
use crate::api::resource::{self, ListQuery, Resource, ensure_exists};
use crate::api::respond;
use crate::auth::policy::{MarketingReaders, MarketingWriters};
use crate::auth::{AuthUser, Authorized};
use crate::calendar::Calendar;
use crate::domain::enums::{MemberStatus, stored};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use entity::campaign_member::{self, Column, Entity};

/// A customer or lead reached by a campaign.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a2047b-7c00-7000-8000-0000000000c0", "campaign_id": "01a2047b-7400-7000-8000-000000000040",
    "customer_id": null, "lead_id": "01a2047b-7600-7000-8000-000000000060", "status": "participated",
    "external_id": null, "created_at": "2025-03-02T00:00:00Z", "updated_at": "2025-03-03T00:00:00Z", "version": 2, "deleted_at": null
}))]
pub struct CampaignMember {
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// Set for a customer member.
    pub customer_id: Option<Uuid>,
    /// Set for a lead member.
    pub lead_id: Option<Uuid>,
    /// `converted` implies participated.
    pub status: MemberStatus,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A new member: exactly one of `customer_id` and `lead_id`, at most once
/// per campaign.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lead_id": "01a2047b-7600-7000-8000-000000000060", "status": "invited"}))]
pub struct CreateMember {
    pub customer_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    /// Default `invited`.
    pub status: Option<MemberStatus>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
    /// For imports of historic records; default now.
    #[validate(custom(function = "crate::api::fields::not_in_future"))]
    pub created_at: Option<DateTime<Utc>>,
    /// The campaign, from the path.
    #[serde(skip)]
    #[schema(ignore)]
    pub campaign_id: Uuid,
}

/// A JSON merge patch of a member.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "participated"}))]
pub struct UpdateMember {
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub status: Option<MemberStatus>,
}

crate::list_query! {
    /// Filters of a campaign's member list.
    pub struct MemberListQuery {
        pub status: Option<MemberStatus>,
    }
}

pub struct Members;

impl ListQuery<Entity> for MemberListQuery {
    fn filter(&self, mut select: Select<Entity>, _calendar: &Calendar) -> AppResult<Select<Entity>> {
        if let Some(status) = self.status {
            select = select.filter(Column::Status.eq(status.as_str()));
        }
        Ok(select)
    }
}

impl Resource for Members {
    type Entity = Entity;
    type Dto = CampaignMember;
    type Create = CreateMember;
    type Update = UpdateMember;
    type Query = MemberListQuery;

    const NAME: &'static str = "campaign member";
    const PLURAL: &'static str = "campaign_members";
    const LIST: ListSpec<Entity> = ListSpec { sortable: &[], search: &[] };

    fn visible(_caller: &AuthUser) -> Condition {
        Condition::all()
    }

    async fn create(
        db: &impl ConnectionTrait,
        _caller: &AuthUser,
        input: CreateMember,
    ) -> AppResult<campaign_member::Model> {
        let (field, column, id) = match (input.customer_id, input.lead_id) {
            (Some(customer_id), None) => {
                ensure_exists::<Customers>(db, customer_id, "customer_id").await?;
                ("customer_id", Column::CustomerId, customer_id)
            }
            (None, Some(lead_id)) => {
                ensure_exists::<Leads>(db, lead_id, "lead_id").await?;
                ("lead_id", Column::LeadId, lead_id)
            }
            _ => {
                return Err(AppError::validation(
                    "customer_id",
                    "required",
                    "give exactly one of customer_id and lead_id",
                ));
            }
        };
        let existing = Entity::find()
            .filter(Column::CampaignId.eq(input.campaign_id))
            .filter(column.eq(id))
            .filter(Column::DeletedAt.is_null())
            .count(db)
            .await?;
        if existing > 0 {
            return Err(AppError::Conflict {
                detail: "This campaign already has this member.".into(),
                errors: vec![crate::error::FieldError::new(field, "unique", "is already a member of the campaign")],
            });
        }
        let created = created_at(input.created_at);
        campaign_member::ActiveModel {
            id: Set(Uuid::now_v7()),
            campaign_id: Set(input.campaign_id),
            customer_id: Set(input.customer_id),
            lead_id: Set(input.lead_id),
            status: Set(input.status.unwrap_or(MemberStatus::Invited).as_str().into()),
            external_id: Set(input.external_id),
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
        current: &campaign_member::Model,
        patch: UpdateMember,
    ) -> AppResult<campaign_member::Model> {
        let mut model = <campaign_member::ActiveModel as ActiveModelTrait>::default();
        if let Some(status) = patch.status {
            model.status = Set(status.as_str().into());
        }
        update_guarded(db, model, current.id, current.version).await
    }

    async fn to_dtos(_db: &impl ConnectionTrait, rows: Vec<campaign_member::Model>) -> AppResult<Vec<CampaignMember>> {
        rows.into_iter()
            .map(|m| {
                Ok(CampaignMember {
                    id: m.id,
                    campaign_id: m.campaign_id,
                    customer_id: m.customer_id,
                    lead_id: m.lead_id,
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

/// The member `member_id` of campaign `campaign_id`, or 404.
async fn member_of(state: &AppState, auth: &AuthUser, campaign_id: Uuid, member_id: Uuid) -> AppResult<()> {
    resource::get::<Campaigns>(&state.db, auth, campaign_id).await?;
    let member = resource::get::<Members>(&state.db, auth, member_id).await?;
    if member.campaign_id != campaign_id {
        return Err(AppError::not_found("campaign member"));
    }
    Ok(())
}

/// List a campaign's members
#[utoipa::path(
    tag = "campaigns",
    params(("id" = Uuid, Path, description = "The campaign's id."), crate::api::list::Searched<Members, MemberListQuery>),
    responses((status = 200, description = "A page of members.", body = Page<CampaignMember>)),
    security(("bearer" = []))
)]
#[get("/campaigns/{id}/members")]
pub async fn list_members(
    auth: Authorized<MarketingReaders>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: Query<MemberListQuery>,
) -> AppResult<web::Json<Page<CampaignMember>>> {
    let campaign = resource::get::<Campaigns>(&state.db, &auth, id.into_inner()).await?;
    let within = Condition::all().add(Column::CampaignId.eq(campaign.id));
    let calendar = crate::calendar::load(&state.db).await?.calendar;
    Ok(web::Json(resource::list_where::<Members>(&state.db, &auth, &query.0, within, &calendar).await?))
}

/// Add a member to a campaign
#[utoipa::path(
    tag = "campaigns",
    params(("id" = Uuid, Path, description = "The campaign's id.")),
    request_body = CreateMember,
    responses(
        (status = 201, description = "The member was added.", body = CampaignMember,
            headers(("ETag" = String, description = "The record version."), ("Location" = String, description = "The member's URL."))),
        (status = 409, description = "The customer or lead is already a member.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/campaigns/{id}/members")]
pub async fn add_member(
    auth: Authorized<MarketingWriters>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Json<CreateMember>,
) -> AppResult<HttpResponse> {
    let campaign = resource::get::<Campaigns>(&state.db, &auth, id.into_inner()).await?;
    let input = CreateMember { campaign_id: campaign.id, ..body.0 };
    let (member_id, version, dto) = resource::create::<Members>(&state.db, &auth, input).await?;
    let location = format!("/api/v1/campaigns/{}/members/{member_id}", campaign.id);
    Ok(respond::record(StatusCode::CREATED, version, Some(location), &dto))
}

/// Get a campaign member
#[utoipa::path(
    tag = "campaigns",
    params(("id" = Uuid, Path, description = "The campaign's id."), ("member_id" = Uuid, Path, description = "The member's id.")),
    responses((status = 200, description = "The member.", body = CampaignMember, headers(("ETag" = String, description = "The record version.")))),
    security(("bearer" = []))
)]
#[get("/campaigns/{id}/members/{member_id}")]
pub async fn get_member(
    auth: Authorized<MarketingReaders>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (campaign_id, member_id) = path.into_inner();
    member_of(&state, &auth, campaign_id, member_id).await?;
    let (version, dto) = resource::read::<Members>(&state.db, &auth, member_id).await?;
    Ok(respond::record(StatusCode::OK, version, None, &dto))
}

/// Update a campaign member
#[utoipa::path(
    tag = "campaigns",
    params(
        ("id" = Uuid, Path, description = "The campaign's id."),
        ("member_id" = Uuid, Path, description = "The member's id."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on; a stale one is refused with 412."),
    ),
    request_body(content((UpdateMember = "application/merge-patch+json"), (UpdateMember = "application/json"))),
    responses(
        (status = 200, description = "The updated member.", body = CampaignMember, headers(("ETag" = String, description = "The new record version."))),
        (status = 412, description = "`If-Match` does not name the current version.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/campaigns/{id}/members/{member_id}")]
pub async fn update_member(
    auth: Authorized<MarketingWriters>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: Json<UpdateMember>,
) -> AppResult<HttpResponse> {
    let (campaign_id, member_id) = path.into_inner();
    member_of(&state, &auth, campaign_id, member_id).await?;
    let (version, dto) = resource::update::<Members>(&state.db, &auth, member_id, body.0, &if_match).await?;
    Ok(respond::record(StatusCode::OK, version, None, &dto))
}

/// Remove a campaign member
#[utoipa::path(
    tag = "campaigns",
    params(
        ("id" = Uuid, Path, description = "The campaign's id."),
        ("member_id" = Uuid, Path, description = "The member's id."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the deletion is based on; a stale one is refused with 412."),
    ),
    responses(
        (status = 204, description = "The member was removed."),
        (status = 412, description = "`If-Match` does not name the current version.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/campaigns/{id}/members/{member_id}")]
pub async fn remove_member(
    auth: Authorized<MarketingWriters>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    let (campaign_id, member_id) = path.into_inner();
    member_of(&state, &auth, campaign_id, member_id).await?;
    resource::delete::<Members>(&state.db, &auth, member_id, &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the member handlers.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_members).service(add_member).service(get_member).service(update_member).service(remove_member);
}
