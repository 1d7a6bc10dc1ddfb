use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::customers::dto::Customer;
use crate::api::fields::{non_negative, not_in_future};
use crate::api::opportunities::dto::Opportunity;
use crate::api::patch::{double_option, required};
use crate::api::validation::not_blank;
use crate::domain::Money;
use crate::domain::enums::{CustomerKind, LeadStatus, Stage};

/// A sales lead: someone who may become a customer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a2047b-7600-7000-8000-000000000060", "name": "Zhao Lei", "company": "Blue River Foods",
    "email": "zhao.lei@blueriver.example", "phone": "+86 571 5555 0199", "source": "website",
    "campaign_id": "01a2047b-7400-7000-8000-000000000040", "status": "qualified",
    "owner_id": "01a2047b-5a00-7000-8000-000000000001", "converted_customer_id": null, "converted_at": null,
    "external_id": null, "created_at": "2025-03-05T00:00:00Z", "updated_at": "2025-03-07T00:00:00Z", "version": 2, "deleted_at": null
}))]
pub struct Lead {
    pub id: Uuid,
    pub name: String,
    pub company: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The channel the lead came from.
    pub source: Option<String>,
    /// The campaign the lead is attributed to.
    pub campaign_id: Option<Uuid>,
    pub status: LeadStatus,
    pub owner_id: Option<Uuid>,
    /// The customer the lead became.
    pub converted_customer_id: Option<Uuid>,
    pub converted_at: Option<DateTime<Utc>>,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A new lead. An import may create an already converted lead by giving
/// `converted_customer_id` (and `converted_at`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Zhao Lei", "company": "Blue River Foods", "email": "zhao.lei@blueriver.example", "source": "website"}))]
pub struct CreateLead {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub company: Option<String>,
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    #[validate(length(max = 50))]
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub source: Option<String>,
    pub campaign_id: Option<Uuid>,
    /// Default `new`; `converted` needs `converted_customer_id`.
    pub status: Option<LeadStatus>,
    /// Default: the caller.
    pub owner_id: Option<Uuid>,
    pub converted_customer_id: Option<Uuid>,
    #[validate(custom(function = "not_in_future"))]
    pub converted_at: Option<DateTime<Utc>>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
    /// For imports of historic records; default now.
    #[validate(custom(function = "not_in_future"))]
    pub created_at: Option<DateTime<Utc>>,
}

/// A JSON merge patch of a lead. Conversion goes through
/// `POST /leads/{id}/convert`; a converted lead's status is final.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "qualified"}))]
pub struct UpdateLead {
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 200))]
    #[schema(value_type = Option<String>, nullable, max_length = 200)]
    pub company: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(email, length(max = 254))]
    #[schema(value_type = Option<String>, nullable, format = Email, max_length = 254)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 50))]
    #[schema(value_type = Option<String>, nullable, max_length = 50)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 100))]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub source: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub campaign_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub status: Option<LeadStatus>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub owner_id: Option<Uuid>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 200)]
    pub external_id: Option<Option<String>>,
}

crate::list_query! {
    /// Filters of the lead list; `q` searches name, email, phone and company.
    pub struct LeadListQuery {
        pub owner_id: Option<Uuid>,
        pub status: Option<LeadStatus>,
        /// Exact match.
        pub source: Option<String>,
        pub campaign_id: Option<Uuid>,
    }
}

/// The opportunity to open with the conversion.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvertOpportunity {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(custom(function = "non_negative"))]
    pub amount: Money,
    /// Default `qualification`.
    pub stage: Option<Stage>,
    pub expected_close_date: Option<NaiveDate>,
}

/// How to convert a lead: link an existing customer (`customer_id`) or
/// create one from the lead (the default), and optionally open an
/// opportunity for it, attributed to the lead's campaign.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"opportunity": {"name": "Blue River first order", "amount": "18000.00"}}))]
pub struct ConvertLead {
    /// An existing customer the caller can see, instead of a new one.
    pub customer_id: Option<Uuid>,
    /// For a new customer; default `company` when the lead has a company.
    pub customer_kind: Option<CustomerKind>,
    #[validate(nested)]
    pub opportunity: Option<ConvertOpportunity>,
}

/// The converted lead and what it became.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionResult {
    pub lead: Lead,
    pub customer: Customer,
    /// `true` when the customer was created by this conversion.
    pub customer_created: bool,
    pub opportunity: Option<Opportunity>,
}
