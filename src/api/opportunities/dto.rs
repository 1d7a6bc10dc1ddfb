use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::api::fields::{non_negative, not_in_future};
use crate::api::patch::{double_option, required};
use crate::api::validation::{error, not_blank};
use crate::domain::Money;
use crate::domain::enums::Stage;

/// A deal in the sales funnel.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a2047b-7500-7000-8000-000000000050", "customer_id": "01a2047b-63bb-74a9-b827-1d616b895695",
    "name": "Acme annual tea supply", "amount": "120000.00", "stage": "proposal", "probability": 0.5,
    "expected_close_date": "2025-09-30", "owner_id": "01a2047b-5a00-7000-8000-000000000001", "campaign_id": null,
    "closed_at": null, "lost_reason": null, "external_id": null,
    "created_at": "2025-06-01T00:00:00Z", "updated_at": "2025-06-20T00:00:00Z", "version": 3, "deleted_at": null
}))]
pub struct Opportunity {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub name: String,
    pub amount: Money,
    pub stage: Stage,
    /// A ratio 0–1; defaults from the stage (10%, 25%, 50%, 75%, 100%, 0%).
    pub probability: f64,
    pub expected_close_date: Option<NaiveDate>,
    pub owner_id: Option<Uuid>,
    /// The campaign the deal is attributed to.
    pub campaign_id: Option<Uuid>,
    /// When it was won or lost.
    pub closed_at: Option<DateTime<Utc>>,
    pub lost_reason: Option<String>,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// One stage an opportunity entered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StageChange {
    pub stage: Stage,
    pub changed_at: DateTime<Utc>,
    /// The stage before (`null` for the first entry).
    pub from_stage: Option<Stage>,
    /// Who made the change (`null` for imported history).
    pub changed_by: Option<Uuid>,
}

/// One stage of an imported history: the stage, and when it was entered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageEntry {
    pub stage: Stage,
    pub changed_at: DateTime<Utc>,
}

pub fn ratio(value: f64) -> Result<(), ValidationError> {
    if !(0.0..=1.0).contains(&value) {
        return Err(error("range", "must be between 0 and 1"));
    }
    let basis_points = value * 10_000.0;
    if (basis_points - basis_points.round()).abs() > 1e-6 {
        return Err(error("precision", "must have at most 4 decimal places"));
    }
    Ok(())
}

/// A new opportunity.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer_id": "01a2047b-63bb-74a9-b827-1d616b895695", "name": "Acme annual tea supply", "amount": "120000.00", "expected_close_date": "2025-09-30"}))]
pub struct CreateOpportunity {
    /// A customer the caller can see.
    pub customer_id: Uuid,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(custom(function = "non_negative"))]
    pub amount: Money,
    /// Default `qualification`.
    pub stage: Option<Stage>,
    /// Default: the stage's probability.
    #[validate(custom(function = "ratio"))]
    #[schema(minimum = 0, maximum = 1)]
    pub probability: Option<f64>,
    pub expected_close_date: Option<NaiveDate>,
    /// Default: the caller.
    pub owner_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    /// For imports of closed deals; default now when the stage is `won` or `lost`.
    #[validate(custom(function = "not_in_future"))]
    pub closed_at: Option<DateTime<Utc>>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub lost_reason: Option<String>,
    /// For imports: the stages the deal went through, oldest first, ending
    /// with `stage`. Default: one entry, `stage` at `created_at`.
    #[validate(length(min = 1, max = 100))]
    pub stage_history: Option<Vec<StageEntry>>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
    /// For imports of historic records; default now.
    #[validate(custom(function = "not_in_future"))]
    pub created_at: Option<DateTime<Utc>>,
}

/// A JSON merge patch of an opportunity. A new `stage` is appended to the
/// history; `won`/`lost` set `closed_at`, reopening clears it; the
/// probability follows the stage unless given.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"stage": "negotiation"}))]
pub struct UpdateOpportunity {
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub customer_id: Option<Uuid>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(custom(function = "non_negative"))]
    pub amount: Option<Money>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub stage: Option<Stage>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(custom(function = "ratio"))]
    #[schema(minimum = 0, maximum = 1)]
    pub probability: Option<f64>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub expected_close_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub owner_id: Option<Uuid>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub campaign_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 2000))]
    #[schema(value_type = Option<String>, nullable, max_length = 2000)]
    pub lost_reason: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 200)]
    pub external_id: Option<Option<String>>,
}

crate::list_query! {
    /// Filters of the opportunity list; `q` searches the name.
    pub struct OpportunityListQuery {
        pub customer_id: Option<Uuid>,
        pub owner_id: Option<Uuid>,
        pub stage: Option<Stage>,
        pub campaign_id: Option<Uuid>,
        /// `true`: only won or lost; `false`: only open.
        pub closed: Option<bool>,
    }
}
