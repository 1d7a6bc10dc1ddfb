use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::fields::{non_negative, not_in_future};
use crate::api::patch::{double_option, required};
use crate::domain::Money;
use crate::domain::enums::{TargetMetric, TargetPeriod};

/// A target value: money for `revenue`, a count otherwise.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum TargetValue {
    Money(Money),
    Count(i64),
}

/// A sales target of one employee (`owner_id`) or one team (`team_id`)
/// for one period.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a2047b-7a00-7000-8000-0000000000a0", "owner_id": "01a2047b-5a00-7000-8000-000000000001", "team_id": null,
    "period": "month", "period_start": "2025-06-01", "metric": "revenue", "target_value": "150000.00",
    "external_id": null, "created_at": "2025-05-25T00:00:00Z", "updated_at": "2025-05-25T00:00:00Z", "version": 1, "deleted_at": null
}))]
pub struct Target {
    pub id: Uuid,
    pub owner_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub period: TargetPeriod,
    /// The first day of the period (a month's 1st, a quarter's first month, 1 January, or the first day of a fiscal quarter or year on the organization's calendar).
    pub period_start: NaiveDate,
    pub metric: TargetMetric,
    /// A money string for `revenue`; a whole number for `deals_won` and `new_customers`.
    pub target_value: TargetValue,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A new target: exactly one of `owner_id` and `team_id`; one target per
/// owner (or team), period, start and metric.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"owner_id": "01a2047b-5a00-7000-8000-000000000001", "period": "month", "period_start": "2025-06-01", "metric": "revenue", "target_value": "150000.00"}))]
pub struct CreateTarget {
    pub owner_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub period: TargetPeriod,
    pub period_start: NaiveDate,
    pub metric: TargetMetric,
    /// Money for `revenue` (string or number); a whole number otherwise.
    #[validate(custom(function = "non_negative"))]
    #[schema(value_type = String, example = "150000.00")]
    pub target_value: Money,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
    /// For imports of historic records; default now.
    #[validate(custom(function = "not_in_future"))]
    pub created_at: Option<DateTime<Utc>>,
}

/// A JSON merge patch of a target (its value).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"target_value": "160000.00"}))]
pub struct UpdateTarget {
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(custom(function = "non_negative"))]
    #[schema(value_type = String)]
    pub target_value: Option<Money>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 200)]
    pub external_id: Option<Option<String>>,
}

crate::list_query! {
    /// Filters of the target list.
    pub struct TargetListQuery {
        pub owner_id: Option<Uuid>,
        pub team_id: Option<Uuid>,
        pub period: Option<TargetPeriod>,
        pub metric: Option<TargetMetric>,
        /// Only targets whose period starts on or after this date.
        pub period_from: Option<NaiveDate>,
        /// Only targets whose period starts before this date.
        pub period_to: Option<NaiveDate>,
    }
}
