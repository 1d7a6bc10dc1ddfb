use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::fields::{non_negative, not_in_future};
use crate::api::patch::{double_option, required};
use crate::api::validation::not_blank;
use crate::domain::Money;

/// A product of the catalog.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a2047b-7000-7000-8000-000000000010", "sku": "TEA-OOLONG-250", "name": "Oolong tea 250 g",
    "category": "Tea", "unit_price": "89.00", "unit_cost": "41.50", "active": true, "external_id": null,
    "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z", "version": 1, "deleted_at": null
}))]
pub struct Product {
    pub id: Uuid,
    /// Unique stock-keeping unit.
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    /// The default price of an order line.
    pub unit_price: Money,
    /// The default cost of an order line.
    pub unit_cost: Money,
    /// `false` marks a discontinued product; past orders keep it.
    pub active: bool,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A new product.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sku": "TEA-OOLONG-250", "name": "Oolong tea 250 g", "category": "Tea", "unit_price": "89.00", "unit_cost": "41.50"}))]
pub struct CreateProduct {
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100)]
    pub sku: String,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub category: Option<String>,
    #[validate(custom(function = "non_negative"))]
    pub unit_price: Money,
    /// Default 0.
    #[validate(custom(function = "non_negative"))]
    pub unit_cost: Option<Money>,
    /// Default `true`.
    pub active: Option<bool>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
    /// For imports of historic records; default now.
    #[validate(custom(function = "not_in_future"))]
    pub created_at: Option<DateTime<Utc>>,
}

/// A JSON merge patch of a product. Price changes apply to new order lines
/// only.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit_price": "95.00"}))]
pub struct UpdateProduct {
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100)]
    pub sku: Option<String>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 100))]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub category: Option<Option<String>>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(custom(function = "non_negative"))]
    pub unit_price: Option<Money>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(custom(function = "non_negative"))]
    pub unit_cost: Option<Money>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub active: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 200)]
    pub external_id: Option<Option<String>>,
}

crate::list_query! {
    /// Filters of the product list; `q` searches name and SKU.
    pub struct ProductListQuery {
        /// Exact match.
        pub category: Option<String>,
        pub active: Option<bool>,
    }
}
