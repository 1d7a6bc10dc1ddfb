//! Customers: validation, scope and persistence.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Select,
};
use uuid::Uuid;

use super::dto::{CreateCustomer, Customer, CustomerListQuery, UpdateCustomer};
use crate::api::assignment;
use crate::api::fields::{clean, clean_email, clean_tags, created_at, patch_opt, patch_text, phone_digits};
use crate::api::list::{ListSpec, SortKind};
use crate::api::record::update_guarded;
use crate::api::resource::{ListQuery, Resource};
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::calendar::Calendar;
use crate::domain::Role;
use crate::domain::enums::{CustomerKind, LifecycleStage, stored};
use crate::error::{AppError, AppResult};
use entity::customer::{self, Column, Entity};
use entity::{feedback, ticket};

pub struct Customers;

impl ListQuery<Entity> for CustomerListQuery {
    fn filter(&self, mut select: Select<Entity>, _calendar: &Calendar) -> AppResult<Select<Entity>> {
        if let Some(owner_id) = self.owner_id {
            select = select.filter(Column::OwnerId.eq(owner_id));
        }
        if let Some(kind) = self.kind {
            select = select.filter(Column::Kind.eq(kind.as_str()));
        }
        if let Some(stage) = self.lifecycle_stage {
            select = select.filter(Column::LifecycleStage.eq(stage.as_str()));
        }
        for (column, value) in [
            (Column::Segment, &self.segment),
            (Column::Region, &self.region),
            (Column::City, &self.city),
            (Column::Industry, &self.industry),
            (Column::Source, &self.source),
        ] {
            if let Some(value) = value {
                select = select.filter(column.eq(value.trim()));
            }
        }
        Ok(select)
    }
}

fn to_dto(m: customer::Model) -> AppResult<Customer> {
    Ok(Customer {
        id: m.id,
        kind: stored(&m.kind)?,
        gender: m.gender.as_deref().map(stored).transpose()?,
        name: m.name,
        birth_date: m.birth_date,
        occupation: m.occupation,
        industry: m.industry,
        phone: m.phone,
        email: m.email,
        address: m.address,
        city: m.city,
        region: m.region,
        country: m.country,
        source: m.source,
        segment: m.segment,
        lifecycle_stage: stored(&m.lifecycle_stage)?,
        owner_id: m.owner_id,
        tags: serde_json::from_str(&m.tags).unwrap_or_default(),
        external_id: m.external_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
        deleted_at: m.deleted_at,
    })
}

fn tags_json(tags: Vec<String>) -> String {
    serde_json::to_string(&clean_tags(tags)).unwrap_or_else(|_| "[]".into())
}

impl Resource for Customers {
    type Entity = Entity;
    type Dto = Customer;
    type Create = CreateCustomer;
    type Update = UpdateCustomer;
    type Query = CustomerListQuery;

    const NAME: &'static str = "customer";
    const PLURAL: &'static str = "customers";
    const LIST: ListSpec<Entity> = ListSpec {
        sortable: &[("name", SortKind::Text, Column::Name)],
        search: &[Column::Name, Column::Email, Column::Phone],
    };

    /// Service agents see the customers their tickets and feedback touch;
    /// everyone else the customers they (or their team) own.
    fn visible(caller: &AuthUser) -> Condition {
        if caller.role != Role::Service {
            return Scope::owned(caller).condition(Column::OwnerId);
        }
        let with_tickets = Query::select()
            .column(ticket::Column::CustomerId)
            .from(ticket::Entity)
            .and_where(ticket::Column::DeletedAt.is_null())
            .to_owned();
        let with_feedback = Query::select()
            .column(feedback::Column::CustomerId)
            .from(feedback::Entity)
            .and_where(feedback::Column::DeletedAt.is_null())
            .to_owned();
        Condition::any().add(Column::Id.in_subquery(with_tickets)).add(Column::Id.in_subquery(with_feedback))
    }

    async fn create(db: &impl ConnectionTrait, caller: &AuthUser, input: CreateCustomer) -> AppResult<customer::Model> {
        let owner_id = input.owner_id.unwrap_or(caller.id);
        assignment::ensure_assignable(db, caller, owner_id, "owner_id").await?;
        let created = created_at(input.created_at);
        let phone = clean(input.phone);
        customer::ActiveModel {
            id: Set(Uuid::now_v7()),
            kind: Set(input.kind.unwrap_or(CustomerKind::Individual).as_str().into()),
            name: Set(input.name.trim().into()),
            gender: Set(input.gender.map(|g| g.as_str().into())),
            birth_date: Set(input.birth_date),
            occupation: Set(clean(input.occupation)),
            industry: Set(clean(input.industry)),
            phone_digits: Set(phone_digits(phone.as_deref())),
            phone: Set(phone),
            email: Set(clean_email(input.email)),
            address: Set(clean(input.address)),
            city: Set(clean(input.city)),
            region: Set(clean(input.region)),
            country: Set(clean(input.country)),
            source: Set(clean(input.source)),
            segment: Set(clean(input.segment)),
            lifecycle_stage: Set(input.lifecycle_stage.unwrap_or(LifecycleStage::Prospect).as_str().into()),
            owner_id: Set(Some(owner_id)),
            tags: Set(tags_json(input.tags.unwrap_or_default())),
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
        current: &customer::Model,
        patch: UpdateCustomer,
    ) -> AppResult<customer::Model> {
        let mut model = <customer::ActiveModel as ActiveModelTrait>::default();
        match patch.owner_id {
            Some(Some(owner_id)) => {
                assignment::ensure_assignable(db, caller, owner_id, "owner_id").await?;
                model.owner_id = Set(Some(owner_id));
            }
            Some(None) if caller.is_admin() => model.owner_id = Set(None),
            Some(None) => {
                return Err(AppError::validation(
                    "owner_id",
                    "required",
                    "only administrators may leave a customer unowned",
                ));
            }
            None => {}
        }
        if let Some(kind) = patch.kind {
            model.kind = Set(kind.as_str().into());
        }
        if let Some(name) = patch.name {
            model.name = Set(name.trim().into());
        }
        if let Some(gender) = patch.gender {
            model.gender = Set(gender.map(|g| g.as_str().into()));
        }
        patch_opt(&mut model.birth_date, patch.birth_date);
        patch_text(&mut model.occupation, patch.occupation);
        patch_text(&mut model.industry, patch.industry);
        if let Some(phone) = patch.phone {
            let phone = clean(phone);
            model.phone_digits = Set(phone_digits(phone.as_deref()));
            model.phone = Set(phone);
        }
        if let Some(email) = patch.email {
            model.email = Set(clean_email(email));
        }
        patch_text(&mut model.address, patch.address);
        patch_text(&mut model.city, patch.city);
        patch_text(&mut model.region, patch.region);
        patch_text(&mut model.country, patch.country);
        patch_text(&mut model.source, patch.source);
        patch_text(&mut model.segment, patch.segment);
        if let Some(stage) = patch.lifecycle_stage {
            model.lifecycle_stage = Set(stage.as_str().into());
        }
        if let Some(tags) = patch.tags {
            model.tags = Set(tags_json(tags));
        }
        patch_text(&mut model.external_id, patch.external_id);
        update_guarded(db, model, current.id, current.version).await
    }

    async fn before_delete(db: &impl ConnectionTrait, _caller: &AuthUser, current: &customer::Model) -> AppResult<()> {
        let orders = entity::order::Entity::find()
            .filter(entity::order::Column::CustomerId.eq(current.id))
            .filter(entity::order::Column::DeletedAt.is_null())
            .count(db)
            .await?;
        if orders > 0 {
            return Err(AppError::Conflict {
                detail: format!("The customer has {orders} order(s); delete or reassign them first."),
                errors: vec![],
            });
        }
        Ok(())
    }

    async fn to_dtos(_db: &impl ConnectionTrait, rows: Vec<customer::Model>) -> AppResult<Vec<Customer>> {
        rows.into_iter().map(to_dto).collect()
    }
}
