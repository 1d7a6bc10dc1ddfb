use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::fields::{not_in_future, plausible_birth_date, valid_tags};
use crate::api::patch::{double_option, required};
use crate::api::validation::not_blank;
use crate::domain::enums::{CustomerKind, Gender, LifecycleStage};

/// A customer: an individual or a company.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a2047b-63bb-74a9-b827-1d616b895695", "kind": "company", "name": "Acme Trading Co.",
    "gender": null, "birth_date": null, "occupation": null, "industry": "Retail",
    "phone": "+86 21 5555 0100", "email": "buyer@acme.example", "address": "1 Bund Road",
    "city": "Shanghai", "region": "East", "country": "CN", "source": "trade show", "segment": "enterprise",
    "lifecycle_stage": "customer", "owner_id": "01a2047b-5a00-7000-8000-000000000001", "tags": ["vip"],
    "external_id": "ERP-10042", "created_at": "2025-03-01T08:00:00Z", "updated_at": "2025-03-01T08:00:00Z",
    "version": 1, "deleted_at": null
}))]
pub struct Customer {
    pub id: Uuid,
    pub kind: CustomerKind,
    pub name: String,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub occupation: Option<String>,
    pub industry: Option<String>,
    /// As written; statistics compare its digits.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    /// Where the customer came from (free text the company chooses).
    pub source: Option<String>,
    pub segment: Option<String>,
    pub lifecycle_stage: LifecycleStage,
    /// The user responsible for the customer.
    pub owner_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A new customer. `owner_id` defaults to the caller.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "company", "name": "Acme Trading Co.", "email": "buyer@acme.example", "city": "Shanghai", "region": "East", "industry": "Retail", "source": "trade show"}))]
pub struct CreateCustomer {
    /// Default `individual`.
    pub kind: Option<CustomerKind>,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub gender: Option<Gender>,
    #[validate(custom(function = "plausible_birth_date"))]
    pub birth_date: Option<NaiveDate>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub occupation: Option<String>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub industry: Option<String>,
    #[validate(length(max = 50))]
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub city: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub region: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub country: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub source: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub segment: Option<String>,
    /// Default `prospect`.
    pub lifecycle_stage: Option<LifecycleStage>,
    /// Default: the caller.
    pub owner_id: Option<Uuid>,
    #[validate(custom(function = "valid_tags"))]
    pub tags: Option<Vec<String>>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
    /// For imports of historic records; default now.
    #[validate(custom(function = "not_in_future"))]
    pub created_at: Option<DateTime<Utc>>,
}

/// A JSON merge patch of a customer.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lifecycle_stage": "customer", "phone": null}))]
pub struct UpdateCustomer {
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub kind: Option<CustomerKind>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Gender>, nullable)]
    pub gender: Option<Option<Gender>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(custom(function = "plausible_birth_date"))]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub birth_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 200))]
    #[schema(value_type = Option<String>, nullable, max_length = 200)]
    pub occupation: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 200))]
    #[schema(value_type = Option<String>, nullable, max_length = 200)]
    pub industry: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 50))]
    #[schema(value_type = Option<String>, nullable, max_length = 50)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(email, length(max = 254))]
    #[schema(value_type = Option<String>, nullable, format = Email, max_length = 254)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 500))]
    #[schema(value_type = Option<String>, nullable, max_length = 500)]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 100))]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub city: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 100))]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub region: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 100))]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub country: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 100))]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub source: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 100))]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub segment: Option<Option<String>>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub lifecycle_stage: Option<LifecycleStage>,
    /// `null` leaves the customer unowned (administrators only).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub owner_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(custom(function = "valid_tags"))]
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 200)]
    pub external_id: Option<Option<String>>,
}

crate::list_query! {
    /// Filters of the customer list; `q` searches name, email and phone.
    pub struct CustomerListQuery {
        /// Only customers owned by this user.
        pub owner_id: Option<Uuid>,
        pub kind: Option<CustomerKind>,
        pub lifecycle_stage: Option<LifecycleStage>,
        /// Exact match.
        pub segment: Option<String>,
        /// Exact match.
        pub region: Option<String>,
        /// Exact match.
        pub city: Option<String>,
        /// Exact match.
        pub industry: Option<String>,
        /// Exact match.
        pub source: Option<String>,
    }
}
