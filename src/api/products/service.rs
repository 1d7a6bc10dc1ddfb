//! Products: the catalog.

use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, QueryFilter, Select};
use uuid::Uuid;

use super::dto::{CreateProduct, Product, ProductListQuery, UpdateProduct};
use crate::api::fields::{clean, created_at, patch_text};
use crate::api::list::{ListSpec, SortKind};
use crate::api::record::update_guarded;
use crate::api::resource::{ListQuery, Resource};
use crate::auth::AuthUser;
use crate::calendar::Calendar;
use crate::domain::Money;
use crate::error::{AppError, AppResult};
use entity::product::{self, Column, Entity};

pub struct Products;

impl ListQuery<Entity> for ProductListQuery {
    fn filter(&self, mut select: Select<Entity>, _calendar: &Calendar) -> AppResult<Select<Entity>> {
        if let Some(category) = &self.category {
            select = select.filter(Column::Category.eq(category.trim()));
        }
        if let Some(active) = self.active {
            select = select.filter(Column::Active.eq(active));
        }
        Ok(select)
    }
}

impl From<product::Model> for Product {
    fn from(m: product::Model) -> Self {
        Product {
            id: m.id,
            sku: m.sku,
            name: m.name,
            category: m.category,
            unit_price: Money(m.unit_price),
            unit_cost: Money(m.unit_cost),
            active: m.active,
            external_id: m.external_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
            deleted_at: m.deleted_at,
        }
    }
}

impl Resource for Products {
    type Entity = Entity;
    type Dto = Product;
    type Create = CreateProduct;
    type Update = UpdateProduct;
    type Query = ProductListQuery;

    const NAME: &'static str = "product";
    const PLURAL: &'static str = "products";
    const LIST: ListSpec<Entity> = ListSpec {
        sortable: &[("name", SortKind::Text, Column::Name), ("sku", SortKind::Text, Column::Sku)],
        search: &[Column::Name, Column::Sku],
    };

    /// The catalog is visible to everyone.
    fn visible(_caller: &AuthUser) -> Condition {
        Condition::all()
    }

    async fn create(db: &impl ConnectionTrait, _caller: &AuthUser, input: CreateProduct) -> AppResult<product::Model> {
        let created = created_at(input.created_at);
        product::ActiveModel {
            id: Set(Uuid::now_v7()),
            sku: Set(input.sku.trim().into()),
            name: Set(input.name.trim().into()),
            category: Set(clean(input.category)),
            unit_price: Set(input.unit_price.cents()),
            unit_cost: Set(input.unit_cost.unwrap_or(Money::ZERO).cents()),
            active: Set(input.active.unwrap_or(true)),
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
        current: &product::Model,
        patch: UpdateProduct,
    ) -> AppResult<product::Model> {
        let mut model = <product::ActiveModel as ActiveModelTrait>::default();
        if let Some(sku) = patch.sku {
            model.sku = Set(sku.trim().into());
        }
        if let Some(name) = patch.name {
            model.name = Set(name.trim().into());
        }
        let moves_category = patch.category.as_ref().is_some_and(|next| {
            next.as_deref().map(str::trim).filter(|text| !text.is_empty()) != current.category.as_deref()
        });
        patch_text(&mut model.category, patch.category);
        if let Some(price) = patch.unit_price {
            model.unit_price = Set(price.cents());
        }
        if let Some(cost) = patch.unit_cost {
            model.unit_cost = Set(cost.cents());
        }
        if let Some(active) = patch.active {
            model.active = Set(active);
        }
        patch_text(&mut model.external_id, patch.external_id);
        if moves_category {
            // The product's past lines move to the new category.
            return crate::rollup::moving_product(db, current.id, async || {
                update_guarded(db, model, current.id, current.version).await
            })
            .await;
        }
        update_guarded(db, model, current.id, current.version).await
    }

    async fn to_dtos(_db: &impl ConnectionTrait, rows: Vec<product::Model>) -> AppResult<Vec<Product>> {
        Ok(rows.into_iter().map(Product::from).collect())
    }
}
