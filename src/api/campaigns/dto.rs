use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::fields::{non_negative, not_in_future};
use crate::api::patch::{double_option, required};
use crate::api::validation::not_blank;
use crate::domain::Money;
use crate::domain::enums::CampaignStatus;

/// A marketing campaign.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a2047b-7400-7000-8000-000000000040", "name": "Spring tea festival", "channel": "wechat",
    "status": "active", "start_date": "2025-03-01", "end_date": "2025-03-31", "budget": "50000.00",
    "actual_cost": "42000.00", "impressions": 1200000, "clicks": 36000, "external_id": null,
    "created_at": "2025-02-01T00:00:00Z", "updated_at": "2025-02-01T00:00:00Z", "version": 1, "deleted_at": null
}))]
pub struct Campaign {
    pub id: Uuid,
    pub name: String,
    pub channel: Option<String>,
    pub status: CampaignStatus,
    pub start_date: NaiveDate,
    /// Inclusive.
    pub end_date: Option<NaiveDate>,
    pub budget: Option<Money>,
    pub actual_cost: Money,
    pub impressions: i64,
    pub clicks: i64,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A new campaign.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Spring tea festival", "channel": "wechat", "start_date": "2025-03-01", "end_date": "2025-03-31", "budget": "50000.00"}))]
pub struct CreateCampaign {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub channel: Option<String>,
    /// Default `planned`.
    pub status: Option<CampaignStatus>,
    pub start_date: NaiveDate,
    /// Inclusive; not before `start_date`.
    pub end_date: Option<NaiveDate>,
    #[validate(custom(function = "non_negative"))]
    pub budget: Option<Money>,
    /// Default 0.
    #[validate(custom(function = "non_negative"))]
    pub actual_cost: Option<Money>,
    /// Default 0.
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub impressions: Option<i64>,
    /// Default 0.
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub clicks: Option<i64>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
    /// For imports of historic records; default now.
    #[validate(custom(function = "not_in_future"))]
    pub created_at: Option<DateTime<Utc>>,
}

/// A JSON merge patch of a campaign.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "completed", "actual_cost": "48250.00", "impressions": 1500000, "clicks": 41000}))]
pub struct UpdateCampaign {
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 100))]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub channel: Option<Option<String>>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub status: Option<CampaignStatus>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub start_date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub end_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(custom(function = "non_negative"))]
    #[schema(value_type = Option<Money>, nullable)]
    pub budget: Option<Option<Money>>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(custom(function = "non_negative"))]
    pub actual_cost: Option<Money>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub impressions: Option<i64>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub clicks: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 200)]
    pub external_id: Option<Option<String>>,
}

crate::list_query! {
    /// Filters of the campaign list; `q` searches the name.
    pub struct CampaignListQuery {
        pub status: Option<CampaignStatus>,
        /// Exact match.
        pub channel: Option<String>,
    }
}
