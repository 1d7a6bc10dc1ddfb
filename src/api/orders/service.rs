//! Orders: items priced from the catalog, totals computed exactly in
//! integer cents, and status moves that make sense.

use std::collections::HashMap;

use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select,
};
use uuid::Uuid;

use super::dto::{CreateOrder, Order, OrderItem, OrderItemInput, OrderListQuery, UpdateOrder};
use crate::api::assignment;
use crate::api::customers::service::Customers;
use crate::api::fields::{clean, created_at, patch_text, time_range};
use crate::api::list::{ListSpec, SortKind};
use crate::api::record::update_guarded;
use crate::api::resource::{ListQuery, Resource, ensure_reference};
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::calendar::Calendar;
use crate::domain::Money;
use crate::domain::enums::{OrderStatus, stored};
use crate::domain::time::{now, truncate};
use crate::error::{AppError, AppResult, FieldError};
use entity::order::{self, Column, Entity};
use entity::{order_item, product};

pub struct Orders;

impl ListQuery<Entity> for OrderListQuery {
    fn filter(&self, mut select: Select<Entity>, calendar: &Calendar) -> AppResult<Select<Entity>> {
        if let Some(customer_id) = self.customer_id {
            select = select.filter(Column::CustomerId.eq(customer_id));
        }
        if let Some(owner_id) = self.owner_id {
            select = select.filter(Column::OwnerId.eq(owner_id));
        }
        if let Some(status) = self.status {
            select = select.filter(Column::Status.eq(status.as_str()));
        }
        if let Some(channel) = &self.channel {
            select = select.filter(Column::Channel.eq(channel.trim()));
        }
        if let Some(region) = &self.region {
            select = select.filter(Column::Region.eq(region.trim()));
        }
        select = select.filter(time_range(
            Column::OrderedAt,
            ("ordered_from", self.ordered_from.as_deref()),
            ("ordered_to", self.ordered_to.as_deref()),
            calendar,
        )?);
        Ok(select)
    }
}

/// Order lines priced and checked, ready to insert.
struct PricedLines {
    lines: Vec<order_item::ActiveModel>,
    total_amount: i64,
    total_cost: i64,
}

/// Prices each line (defaults from the product), checks discounts and
/// products, and sums the totals exactly. Errors name `items[i].field`.
async fn price_lines(db: &impl ConnectionTrait, order_id: Uuid, items: &[OrderItemInput]) -> AppResult<PricedLines> {
    let ids: Vec<Uuid> = items.iter().map(|i| i.product_id).collect();
    let products: HashMap<Uuid, product::Model> = product::Entity::find()
        .filter(product::Column::Id.is_in(ids))
        .filter(product::Column::DeletedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut errors = vec![];
    let mut lines = vec![];
    let (mut total_amount, mut total_cost) = (0i64, 0i64);
    for (index, item) in items.iter().enumerate() {
        let Some(product) = products.get(&item.product_id) else {
            errors.push(FieldError::new(
                format!("items[{index}].product_id"),
                "not_found",
                "no product with this id exists",
            ));
            continue;
        };
        let unit_price = item.unit_price.map(Money::cents).unwrap_or(product.unit_price);
        let unit_cost = item.unit_cost.map(Money::cents).unwrap_or(product.unit_cost);
        let discount = item.discount.map(Money::cents).unwrap_or(0);
        // Each line, and the order's totals, within Money::MAX_CENTS: what
        // statistics add up stays far from 64 bits.
        let within = |value: Option<i64>| value.filter(|v| *v <= Money::MAX_CENTS);
        let gross = within(item.quantity.checked_mul(unit_price));
        let cost = within(item.quantity.checked_mul(unit_cost));
        let (Some(gross), Some(cost)) = (gross, cost) else {
            errors.push(FieldError::new(
                format!("items[{index}].quantity"),
                "range",
                "the line's value (quantity × unit price or unit cost) must be at most 10000000000.00",
            ));
            continue;
        };
        if discount > gross {
            errors.push(FieldError::new(
                format!("items[{index}].discount"),
                "range",
                "must not exceed quantity × unit_price",
            ));
            continue;
        }
        let amount = gross - discount;
        match (within(total_amount.checked_add(amount)), within(total_cost.checked_add(cost))) {
            (Some(a), Some(c)) => (total_amount, total_cost) = (a, c),
            _ if errors.iter().any(|e| e.field == "items") => continue,
            _ => {
                errors.push(FieldError::new(
                    "items",
                    "range",
                    "the order's total (amount or cost) must be at most 10000000000.00",
                ));
                continue;
            }
        }
        lines.push(order_item::ActiveModel {
            id: Set(Uuid::now_v7()),
            order_id: Set(order_id),
            position: Set(index as i32),
            product_id: Set(item.product_id),
            quantity: Set(item.quantity),
            unit_price: Set(unit_price),
            unit_cost: Set(unit_cost),
            discount: Set(discount),
            line_amount: Set(amount),
            line_cost: Set(cost),
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(PricedLines { lines, total_amount, total_cost })
}

async fn insert_lines(db: &impl ConnectionTrait, lines: Vec<order_item::ActiveModel>) -> AppResult<()> {
    if !lines.is_empty() {
        order_item::Entity::insert_many(lines).exec(db).await?;
    }
    Ok(())
}

impl Resource for Orders {
    type Entity = Entity;
    type Dto = Order;
    type Create = CreateOrder;
    type Update = UpdateOrder;
    type Query = OrderListQuery;

    const NAME: &'static str = "order";
    const PLURAL: &'static str = "orders";
    const LIST: ListSpec<Entity> = ListSpec {
        sortable: &[("ordered_at", SortKind::Time, Column::OrderedAt)],
        search: &[Column::Channel, Column::Region, Column::ExternalId],
    };

    fn visible(caller: &AuthUser) -> Condition {
        Scope::owned(caller).condition(Column::OwnerId)
    }

    async fn create(db: &impl ConnectionTrait, caller: &AuthUser, input: CreateOrder) -> AppResult<order::Model> {
        let customer = ensure_reference::<Customers>(db, caller, input.customer_id, "customer_id").await?;
        let owner_id = match input.owner_id {
            Some(owner_id) => owner_id,
            None => customer.owner_id.unwrap_or(caller.id),
        };
        assignment::ensure_assignable(db, caller, owner_id, "owner_id").await?;
        let id = Uuid::now_v7();
        let priced = price_lines(db, id, &input.items).await?;
        let created = created_at(input.created_at);
        let status = input.status.unwrap_or(OrderStatus::Pending);
        let order = order::ActiveModel {
            id: Set(id),
            customer_id: Set(customer.id),
            owner_id: Set(Some(owner_id)),
            channel: Set(clean(input.channel)),
            region: Set(clean(input.region).or(customer.region)),
            status: Set(status.as_str().into()),
            ordered_at: Set(input.ordered_at.map(truncate).unwrap_or_else(now)),
            total_amount: Set(priced.total_amount),
            total_cost: Set(priced.total_cost),
            external_id: Set(clean(input.external_id)),
            created_at: Set(created),
            updated_at: Set(created),
            version: Set(1),
            deleted_at: Set(None),
        }
        .insert(db)
        .await?;
        insert_lines(db, priced.lines).await?;
        Ok(order)
    }

    /// A counted order enters the rollups last: the daily rows every
    /// order of the day shares are held from there to the commit. (The
    /// daily rows before the customer's, as in an update: two writes
    /// taking them in opposite orders would deadlock.)
    async fn after_create(db: &impl ConnectionTrait, created: &order::Model) -> AppResult<()> {
        if stored::<OrderStatus>(&created.status)?.counted() {
            crate::rollup::add_order(db, created.id, None).await?;
            crate::rollup::refresh_customers(db, &[created.customer_id]).await?;
        }
        Ok(())
    }

    async fn update(
        db: &impl ConnectionTrait,
        caller: &AuthUser,
        current: &order::Model,
        patch: UpdateOrder,
    ) -> AppResult<order::Model> {
        let status: OrderStatus = stored(&current.status)?;
        // Everything a counted line is rolled up by, and its buyer: the
        // order is taken out of the rollups before the change and put back
        // after it.
        let moves_sales = patch.status.is_some()
            || patch.owner_id.is_some()
            || patch.channel.is_some()
            || patch.region.is_some()
            || patch.ordered_at.is_some()
            || patch.items.is_some()
            || patch.customer_id.is_some();
        let pending = if moves_sales { Some(crate::rollup::remove_order(db, current.id).await?) } else { None };
        let patch_moves_customer_sales = patch.status.is_some()
            || patch.ordered_at.is_some()
            || patch.items.is_some()
            || patch.customer_id.is_some();
        let mut model = <order::ActiveModel as ActiveModelTrait>::default();
        if let Some(next) = patch.status {
            if !status.can_become(next) {
                return Err(AppError::validation(
                    "status",
                    "invalid_transition",
                    format!("an order that is {status} cannot become {next}"),
                ));
            }
            model.status = Set(next.as_str().into());
        }
        if let Some(customer_id) = patch.customer_id {
            ensure_reference::<Customers>(db, caller, customer_id, "customer_id").await?;
            model.customer_id = Set(customer_id);
        }
        if let Some(owner_id) = patch.owner_id {
            assignment::ensure_assignable(db, caller, owner_id, "owner_id").await?;
            model.owner_id = Set(Some(owner_id));
        }
        patch_text(&mut model.channel, patch.channel);
        patch_text(&mut model.region, patch.region);
        if let Some(ordered_at) = patch.ordered_at {
            model.ordered_at = Set(truncate(ordered_at));
        }
        patch_text(&mut model.external_id, patch.external_id);
        if let Some(items) = patch.items {
            if matches!(status, OrderStatus::Cancelled | OrderStatus::Refunded) {
                return Err(AppError::validation(
                    "items",
                    "invalid_transition",
                    format!("the items of a {status} order cannot change"),
                ));
            }
            let priced = price_lines(db, current.id, &items).await?;
            // The same lines again (a re-sent order) keep their ids.
            let stored = order_item::Entity::find()
                .filter(order_item::Column::OrderId.eq(current.id))
                .order_by_asc(order_item::Column::Position)
                .all(db)
                .await?;
            let key = |line: &order_item::ActiveModel| {
                (
                    line.product_id.try_as_ref().copied(),
                    line.quantity.try_as_ref().copied(),
                    line.unit_price.try_as_ref().copied(),
                    line.unit_cost.try_as_ref().copied(),
                    line.discount.try_as_ref().copied(),
                )
            };
            let same = stored.len() == priced.lines.len()
                && stored.iter().zip(&priced.lines).all(|(old, new)| {
                    key(new)
                        == (
                            Some(old.product_id),
                            Some(old.quantity),
                            Some(old.unit_price),
                            Some(old.unit_cost),
                            Some(old.discount),
                        )
                });
            if !same {
                order_item::Entity::delete_many().filter(order_item::Column::OrderId.eq(current.id)).exec(db).await?;
                insert_lines(db, priced.lines).await?;
            }
            model.total_amount = Set(priced.total_amount);
            model.total_cost = Set(priced.total_cost);
        }
        let updated = update_guarded(db, model, current.id, current.version).await?;
        if let Some(pending) = pending {
            crate::rollup::add_order(db, current.id, Some(pending)).await?;
        }
        // What the per-customer rollup holds: counted or not, when, how much, whose.
        if patch_moves_customer_sales {
            crate::rollup::refresh_customers(db, &[current.customer_id, updated.customer_id]).await?;
        }
        Ok(updated)
    }

    /// A deleted order's lines leave the rollup with it.
    async fn before_delete(db: &impl ConnectionTrait, _caller: &AuthUser, current: &order::Model) -> AppResult<()> {
        crate::rollup::delete_order(db, current.id).await?;
        Ok(())
    }

    /// And its customer's totals no longer count it.
    async fn after_delete(db: &impl ConnectionTrait, current: &order::Model) -> AppResult<()> {
        crate::rollup::refresh_customers(db, &[current.customer_id]).await?;
        Ok(())
    }

    /// One query for the items of the whole page.
    async fn to_dtos(db: &impl ConnectionTrait, rows: Vec<order::Model>) -> AppResult<Vec<Order>> {
        let ids: Vec<Uuid> = rows.iter().map(|o| o.id).collect();
        let mut items: HashMap<Uuid, Vec<OrderItem>> = HashMap::new();
        if !ids.is_empty() {
            let lines = order_item::Entity::find()
                .filter(order_item::Column::OrderId.is_in(ids))
                .order_by_asc(order_item::Column::OrderId)
                .order_by_asc(order_item::Column::Position)
                .all(db)
                .await?;
            for line in lines {
                items.entry(line.order_id).or_default().push(OrderItem {
                    id: line.id,
                    product_id: line.product_id,
                    quantity: line.quantity,
                    unit_price: Money(line.unit_price),
                    unit_cost: Money(line.unit_cost),
                    discount: Money(line.discount),
                    amount: Money(line.line_amount),
                    cost: Money(line.line_cost),
                });
            }
        }
        rows.into_iter()
            .map(|m| {
                Ok(Order {
                    items: items.remove(&m.id).unwrap_or_default(),
                    id: m.id,
                    customer_id: m.customer_id,
                    owner_id: m.owner_id,
                    channel: m.channel,
                    region: m.region,
                    status: stored(&m.status)?,
                    ordered_at: m.ordered_at,
                    total_amount: Money(m.total_amount),
                    total_cost: Money(m.total_cost),
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
