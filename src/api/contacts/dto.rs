use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::fields::not_in_future;
use crate::api::patch::{double_option, required};
use crate::api::validation::not_blank;

/// A person at a customer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a2047b-7100-7000-8000-000000000020", "customer_id": "01a2047b-63bb-74a9-b827-1d616b895695",
    "name": "Wang Fang", "title": "Purchasing manager", "phone": "+86 21 5555 0101", "email": "wang.fang@acme.example",
    "external_id": null, "created_at": "2025-03-01T08:00:00Z", "updated_at": "2025-03-01T08:00:00Z", "version": 1, "deleted_at": null
}))]
pub struct Contact {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A new contact.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer_id": "01a2047b-63bb-74a9-b827-1d616b895695", "name": "Wang Fang", "title": "Purchasing manager", "email": "wang.fang@acme.example"}))]
pub struct CreateContact {
    /// A customer the caller can see.
    pub customer_id: Uuid,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub title: Option<String>,
    #[validate(length(max = 50))]
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
    /// For imports of historic records; default now.
    #[validate(custom(function = "not_in_future"))]
    pub created_at: Option<DateTime<Utc>>,
}

/// A JSON merge patch of a contact.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Head of purchasing"}))]
pub struct UpdateContact {
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub customer_id: Option<Uuid>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 200))]
    #[schema(value_type = Option<String>, nullable, max_length = 200)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 50))]
    #[schema(value_type = Option<String>, nullable, max_length = 50)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(email, length(max = 254))]
    #[schema(value_type = Option<String>, nullable, format = Email, max_length = 254)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 200)]
    pub external_id: Option<Option<String>>,
}

crate::list_query! {
    /// Filters of the contact list; `q` searches name, email and phone.
    pub struct ContactListQuery {
        /// Only contacts of this customer.
        pub customer_id: Option<Uuid>,
    }
}
