use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::fields::not_in_future;
use crate::api::patch::{double_option, required};
use crate::api::validation::not_blank;
use crate::domain::enums::{ActivityType, Direction};

/// An interaction with a customer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a2047b-7700-7000-8000-000000000070", "type": "call", "direction": "outbound",
    "customer_id": "01a2047b-63bb-74a9-b827-1d616b895695", "contact_id": null,
    "opportunity_id": "01a2047b-7500-7000-8000-000000000050", "owner_id": "01a2047b-5a00-7000-8000-000000000001",
    "subject": "Pricing follow-up", "occurred_at": "2025-06-10T03:00:00Z", "duration_minutes": 25, "outcome": "Sent revised quote",
    "external_id": null, "created_at": "2025-06-10T03:30:00Z", "updated_at": "2025-06-10T03:30:00Z", "version": 1, "deleted_at": null
}))]
pub struct Activity {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub activity_type: ActivityType,
    pub direction: Option<Direction>,
    pub customer_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub opportunity_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub subject: String,
    pub occurred_at: DateTime<Utc>,
    pub duration_minutes: Option<i32>,
    pub outcome: Option<String>,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A new activity. A contact must belong to the customer when both are
/// given; the customer defaults to the contact's or the opportunity's.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type": "call", "direction": "outbound", "customer_id": "01a2047b-63bb-74a9-b827-1d616b895695", "subject": "Pricing follow-up", "duration_minutes": 25}))]
pub struct CreateActivity {
    #[serde(rename = "type")]
    pub activity_type: ActivityType,
    pub direction: Option<Direction>,
    pub customer_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub opportunity_id: Option<Uuid>,
    /// Default: the caller.
    pub owner_id: Option<Uuid>,
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 300)]
    pub subject: String,
    /// Default now.
    #[validate(custom(function = "not_in_future"))]
    pub occurred_at: Option<DateTime<Utc>>,
    #[validate(range(min = 0, max = 10080))]
    #[schema(minimum = 0, maximum = 10080)]
    pub duration_minutes: Option<i32>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub outcome: Option<String>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
    /// For imports of historic records; default now.
    #[validate(custom(function = "not_in_future"))]
    pub created_at: Option<DateTime<Utc>>,
}

/// A JSON merge patch of an activity.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "Customer accepted the quote"}))]
pub struct UpdateActivity {
    #[serde(default, rename = "type", deserialize_with = "required")]
    pub activity_type: Option<ActivityType>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Direction>, nullable)]
    pub direction: Option<Option<Direction>>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 300)]
    pub subject: Option<String>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(custom(function = "not_in_future"))]
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(range(min = 0, max = 10080))]
    #[schema(value_type = Option<i32>, nullable, minimum = 0, maximum = 10080)]
    pub duration_minutes: Option<Option<i32>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 2000))]
    #[schema(value_type = Option<String>, nullable, max_length = 2000)]
    pub outcome: Option<Option<String>>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub owner_id: Option<Uuid>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 200)]
    pub external_id: Option<Option<String>>,
}

crate::list_query! {
    /// Filters of the activity list; `q` searches the subject.
    pub struct ActivityListQuery {
        #[serde(rename = "type")]
        #[param(rename = "type")]
        pub activity_type: Option<ActivityType>,
        pub direction: Option<Direction>,
        pub customer_id: Option<Uuid>,
        pub opportunity_id: Option<Uuid>,
        pub owner_id: Option<Uuid>,
        /// Only activities at or after this instant (RFC 3339 or date).
        #[param(schema_with = crate::api::fields::instant_schema)]
        pub occurred_from: Option<String>,
        /// Only activities before this instant (RFC 3339 or date).
        #[param(schema_with = crate::api::fields::instant_schema)]
        pub occurred_to: Option<String>,
    }
}
