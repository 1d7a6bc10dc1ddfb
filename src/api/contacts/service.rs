//! Contacts: people at a customer, visible with their customer.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Query;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, QueryFilter, Select};
use uuid::Uuid;

use super::dto::{Contact, ContactListQuery, CreateContact, UpdateContact};
use crate::api::customers::service::Customers;
use crate::api::fields::{clean, clean_email, created_at, patch_text};
use crate::api::list::{ListSpec, SortKind};
use crate::api::record::update_guarded;
use crate::api::resource::{ListQuery, Resource, ensure_reference};
use crate::auth::AuthUser;
use crate::calendar::Calendar;
use crate::error::{AppError, AppResult};
use entity::contact::{self, Column, Entity};
use entity::customer;

pub struct Contacts;

impl ListQuery<Entity> for ContactListQuery {
    fn filter(&self, mut select: Select<Entity>, _calendar: &Calendar) -> AppResult<Select<Entity>> {
        if let Some(customer_id) = self.customer_id {
            select = select.filter(Column::CustomerId.eq(customer_id));
        }
        Ok(select)
    }
}

impl From<contact::Model> for Contact {
    fn from(m: contact::Model) -> Self {
        Contact {
            id: m.id,
            customer_id: m.customer_id,
            name: m.name,
            title: m.title,
            phone: m.phone,
            email: m.email,
            external_id: m.external_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
            deleted_at: m.deleted_at,
        }
    }
}

impl Resource for Contacts {
    type Entity = Entity;
    type Dto = Contact;
    type Create = CreateContact;
    type Update = UpdateContact;
    type Query = ContactListQuery;

    const NAME: &'static str = "contact";
    const PLURAL: &'static str = "contacts";
    const LIST: ListSpec<Entity> = ListSpec {
        sortable: &[("name", SortKind::Text, Column::Name)],
        search: &[Column::Name, Column::Email, Column::Phone],
    };

    /// Contacts of the customers the caller may see.
    fn visible(caller: &AuthUser) -> Condition {
        let customers = Query::select()
            .column(customer::Column::Id)
            .from(customer::Entity)
            .cond_where(Customers::visible(caller))
            .to_owned();
        Condition::all().add(Column::CustomerId.in_subquery(customers))
    }

    async fn create(db: &impl ConnectionTrait, caller: &AuthUser, input: CreateContact) -> AppResult<contact::Model> {
        ensure_reference::<Customers>(db, caller, input.customer_id, "customer_id").await?;
        let created = created_at(input.created_at);
        contact::ActiveModel {
            id: Set(Uuid::now_v7()),
            customer_id: Set(input.customer_id),
            name: Set(input.name.trim().into()),
            title: Set(clean(input.title)),
            phone: Set(clean(input.phone)),
            email: Set(clean_email(input.email)),
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
        current: &contact::Model,
        patch: UpdateContact,
    ) -> AppResult<contact::Model> {
        let mut model = <contact::ActiveModel as ActiveModelTrait>::default();
        if let Some(customer_id) = patch.customer_id {
            ensure_reference::<Customers>(db, caller, customer_id, "customer_id").await?;
            model.customer_id = Set(customer_id);
        }
        if let Some(name) = patch.name {
            model.name = Set(name.trim().into());
        }
        patch_text(&mut model.title, patch.title);
        patch_text(&mut model.phone, patch.phone);
        if let Some(email) = patch.email {
            model.email = Set(clean_email(email));
        }
        patch_text(&mut model.external_id, patch.external_id);
        update_guarded(db, model, current.id, current.version).await
    }

    async fn to_dtos(_db: &impl ConnectionTrait, rows: Vec<contact::Model>) -> AppResult<Vec<Contact>> {
        Ok(rows.into_iter().map(Contact::from).collect())
    }
}
