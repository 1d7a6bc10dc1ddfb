use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::fields::{non_negative, not_in_future};
use crate::api::patch::{double_option, required};
use crate::domain::Money;
use crate::domain::enums::OrderStatus;

/// One line of an order.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderItem {
    pub id: Uuid,
    pub product_id: Uuid,
    pub quantity: i64,
    pub unit_price: Money,
    pub unit_cost: Money,
    /// Money off the line.
    pub discount: Money,
    /// `quantity × unit_price − discount`.
    pub amount: Money,
    /// `quantity × unit_cost`.
    pub cost: Money,
}

/// An order with its items.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a2047b-7200-7000-8000-000000000030", "customer_id": "01a2047b-63bb-74a9-b827-1d616b895695",
    "owner_id": "01a2047b-5a00-7000-8000-000000000001", "channel": "online", "region": "East", "status": "paid",
    "ordered_at": "2025-06-03T09:12:00Z",
    "items": [{"id": "01a2047b-7300-7000-8000-000000000031", "product_id": "01a2047b-7000-7000-8000-000000000010",
        "quantity": 3, "unit_price": "89.00", "unit_cost": "41.50", "discount": "10.00", "amount": "257.00", "cost": "124.50"}],
    "total_amount": "257.00", "total_cost": "124.50", "external_id": "ERP-SO-7781",
    "created_at": "2025-06-03T09:12:00Z", "updated_at": "2025-06-03T09:12:00Z", "version": 1, "deleted_at": null
}))]
pub struct Order {
    pub id: Uuid,
    pub customer_id: Uuid,
    /// The sales rep the sale is credited to.
    pub owner_id: Option<Uuid>,
    pub channel: Option<String>,
    pub region: Option<String>,
    pub status: OrderStatus,
    pub ordered_at: DateTime<Utc>,
    pub items: Vec<OrderItem>,
    /// Sum of the items' amounts (read-only).
    pub total_amount: Money,
    /// Sum of the items' costs (read-only).
    pub total_cost: Money,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A line of a new order. Prices default to the product's.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderItemInput {
    pub product_id: Uuid,
    #[validate(range(min = 1, max = 1_000_000))]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: i64,
    #[validate(custom(function = "non_negative"))]
    pub unit_price: Option<Money>,
    #[validate(custom(function = "non_negative"))]
    pub unit_cost: Option<Money>,
    /// Money off the line, at most the line's value; default 0.
    #[validate(custom(function = "non_negative"))]
    pub discount: Option<Money>,
}

/// A new order.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "customer_id": "01a2047b-63bb-74a9-b827-1d616b895695", "channel": "online", "status": "paid",
    "items": [{"product_id": "01a2047b-7000-7000-8000-000000000010", "quantity": 3, "discount": "10.00"}]
}))]
pub struct CreateOrder {
    /// A customer the caller can see.
    pub customer_id: Uuid,
    /// Default: the customer's owner (or the caller).
    pub owner_id: Option<Uuid>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub channel: Option<String>,
    /// Default: the customer's region.
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub region: Option<String>,
    /// Default `pending`.
    pub status: Option<OrderStatus>,
    /// Default now; past times for imports.
    #[validate(custom(function = "not_in_future"))]
    pub ordered_at: Option<DateTime<Utc>>,
    /// 1 to 500 lines.
    #[validate(length(min = 1, max = 500), nested)]
    pub items: Vec<OrderItemInput>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
    /// For imports of historic records; default now.
    #[validate(custom(function = "not_in_future"))]
    pub created_at: Option<DateTime<Utc>>,
}

/// A JSON merge patch of an order. `items`, when given, replaces all the
/// lines (not allowed once cancelled or refunded). Status moves: pending →
/// paid, completed or cancelled; paid → completed or refunded; completed →
/// refunded.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "completed"}))]
pub struct UpdateOrder {
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub customer_id: Option<Uuid>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub owner_id: Option<Uuid>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 100))]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub channel: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 100))]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub region: Option<Option<String>>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub status: Option<OrderStatus>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(custom(function = "not_in_future"))]
    pub ordered_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(length(min = 1, max = 500), nested)]
    pub items: Option<Vec<OrderItemInput>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 200)]
    pub external_id: Option<Option<String>>,
}

crate::list_query! {
    /// Filters of the order list.
    pub struct OrderListQuery {
        pub customer_id: Option<Uuid>,
        /// Only orders credited to this user.
        pub owner_id: Option<Uuid>,
        pub status: Option<OrderStatus>,
        /// Exact match.
        pub channel: Option<String>,
        /// Exact match.
        pub region: Option<String>,
        /// Only orders placed at or after this instant (RFC 3339 or date).
        #[param(schema_with = crate::api::fields::instant_schema)]
        pub ordered_from: Option<String>,
        /// Only orders placed before this instant (RFC 3339 or date).
        #[param(schema_with = crate::api::fields::instant_schema)]
        pub ordered_to: Option<String>,
    }
}
