use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::fields::not_in_future;
use crate::api::patch::{double_option, required};

/// A customer's answer to "how likely are you to recommend us" (NPS).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a2047b-7900-7000-8000-000000000090", "customer_id": "01a2047b-63bb-74a9-b827-1d616b895695",
    "score": 9, "comment": "Great tea, fast delivery", "channel": "sms", "submitted_at": "2025-06-12T08:00:00Z",
    "external_id": null, "created_at": "2025-06-12T08:00:00Z", "updated_at": "2025-06-12T08:00:00Z", "version": 1, "deleted_at": null
}))]
pub struct Feedback {
    pub id: Uuid,
    pub customer_id: Uuid,
    /// 0–10: 9–10 promoter, 7–8 passive, 0–6 detractor.
    pub score: i32,
    pub comment: Option<String>,
    pub channel: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A new survey answer.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer_id": "01a2047b-63bb-74a9-b827-1d616b895695", "score": 9, "comment": "Great tea", "channel": "sms"}))]
pub struct CreateFeedback {
    /// Any existing customer.
    pub customer_id: Uuid,
    #[validate(range(min = 0, max = 10))]
    #[schema(minimum = 0, maximum = 10)]
    pub score: i32,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub channel: Option<String>,
    /// Default now.
    #[validate(custom(function = "not_in_future"))]
    pub submitted_at: Option<DateTime<Utc>>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
    /// For imports of historic records; default now.
    #[validate(custom(function = "not_in_future"))]
    pub created_at: Option<DateTime<Utc>>,
}

/// A JSON merge patch of a survey answer (corrections of imports).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"comment": "Great tea, fast delivery"}))]
pub struct UpdateFeedback {
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(range(min = 0, max = 10))]
    #[schema(minimum = 0, maximum = 10)]
    pub score: Option<i32>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 2000))]
    #[schema(value_type = Option<String>, nullable, max_length = 2000)]
    pub comment: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 100))]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub channel: Option<Option<String>>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(custom(function = "not_in_future"))]
    pub submitted_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 200)]
    pub external_id: Option<Option<String>>,
}

crate::list_query! {
    /// Filters of the feedback list; `q` searches the comment.
    pub struct FeedbackListQuery {
        pub customer_id: Option<Uuid>,
        /// Exact match.
        pub channel: Option<String>,
        /// Only answers submitted at or after this instant.
        #[param(schema_with = crate::api::fields::instant_schema)]
        pub submitted_from: Option<String>,
        /// Only answers submitted before this instant.
        #[param(schema_with = crate::api::fields::instant_schema)]
        pub submitted_to: Option<String>,
    }
}
