use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::fields::not_in_future;
use crate::api::patch::{double_option, required};
use crate::api::validation::not_blank;
use crate::domain::enums::{Priority, TicketStatus};

/// A customer service ticket.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a2047b-7800-7000-8000-000000000080", "customer_id": "01a2047b-63bb-74a9-b827-1d616b895695",
    "subject": "Damaged parcel", "description": "Two boxes arrived crushed.", "category": "delivery",
    "priority": "high", "channel": "phone", "status": "resolved", "assignee_id": "01a2047b-5a00-7000-8000-000000000002",
    "first_response_at": "2025-06-10T02:20:00Z", "resolved_at": "2025-06-11T09:00:00Z", "closed_at": null,
    "satisfaction_score": 4, "satisfaction_comment": "Quick replacement", "external_id": null,
    "created_at": "2025-06-10T01:55:00Z", "updated_at": "2025-06-11T10:00:00Z", "version": 4, "deleted_at": null
}))]
pub struct Ticket {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub subject: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub priority: Priority,
    pub channel: Option<String>,
    pub status: TicketStatus,
    pub assignee_id: Option<Uuid>,
    /// Set by `POST /tickets/{id}/respond` (or resolving, or closing).
    pub first_response_at: Option<DateTime<Utc>>,
    /// Set by `POST /tickets/{id}/resolve` (or closing an unresolved ticket).
    pub resolved_at: Option<DateTime<Utc>>,
    /// Set by `POST /tickets/{id}/close`.
    pub closed_at: Option<DateTime<Utc>>,
    /// CSAT, 1–5, set by `POST /tickets/{id}/rate`.
    pub satisfaction_score: Option<i32>,
    pub satisfaction_comment: Option<String>,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A new ticket. Imports may give the event times and the rating; they
/// must be consistent with the status and in time order.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer_id": "01a2047b-63bb-74a9-b827-1d616b895695", "subject": "Damaged parcel", "category": "delivery", "priority": "high", "channel": "phone"}))]
pub struct CreateTicket {
    /// Any existing customer.
    pub customer_id: Uuid,
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 300)]
    pub subject: String,
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub category: Option<String>,
    /// Default `normal`.
    pub priority: Option<Priority>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub channel: Option<String>,
    /// Default `open`.
    pub status: Option<TicketStatus>,
    /// An active user; default unassigned.
    pub assignee_id: Option<Uuid>,
    #[validate(custom(function = "not_in_future"))]
    pub first_response_at: Option<DateTime<Utc>>,
    #[validate(custom(function = "not_in_future"))]
    pub resolved_at: Option<DateTime<Utc>>,
    #[validate(custom(function = "not_in_future"))]
    pub closed_at: Option<DateTime<Utc>>,
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5)]
    pub satisfaction_score: Option<i32>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub satisfaction_comment: Option<String>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
    /// For imports of historic records; default now.
    #[validate(custom(function = "not_in_future"))]
    pub created_at: Option<DateTime<Utc>>,
}

/// A JSON merge patch of a ticket. Status moves go through the actions
/// (`respond`, `resolve`, `close`) so their times are kept; setting
/// `status` to `open` reopens a resolved or closed ticket.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"priority": "urgent", "assignee_id": "01a2047b-5a00-7000-8000-000000000002"}))]
pub struct UpdateTicket {
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 300)]
    pub subject: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 10000))]
    #[schema(value_type = Option<String>, nullable, max_length = 10000)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 100))]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub category: Option<Option<String>>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 100))]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub channel: Option<Option<String>>,
    /// Only `open` (reopen) or `pending` (waiting on the customer).
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub status: Option<TicketStatus>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub assignee_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 200)]
    pub external_id: Option<Option<String>>,
}

/// A customer's satisfaction rating of a resolved or closed ticket.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"score": 4, "comment": "Quick replacement"}))]
pub struct RateTicket {
    /// 1 (very unsatisfied) to 5 (very satisfied).
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5)]
    pub score: i32,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

crate::list_query! {
    /// Filters of the ticket list; `q` searches the subject.
    pub struct TicketListQuery {
        pub customer_id: Option<Uuid>,
        pub assignee_id: Option<Uuid>,
        pub status: Option<TicketStatus>,
        pub priority: Option<Priority>,
        /// Exact match.
        pub category: Option<String>,
        /// Exact match.
        pub channel: Option<String>,
    }
}
