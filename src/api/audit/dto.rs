use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// One change to one record.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a2047b-6f48-75b8-92ea-570542fec6b7",
    "resource": "orders",
    "record_id": "01a2047b-63bb-74a9-b827-1d616b895695",
    "action": "update",
    "actor_id": "01a2047b-5a00-7000-8000-000000000001",
    "at": "2026-03-01T10:15:00Z",
    "changes": {"status": {"before": "pending", "after": "paid"}}
}))]
pub struct AuditEntry {
    pub id: Uuid,
    /// The resource, as in its path (`customers`, `orders`, ...).
    pub resource: String,
    pub record_id: Uuid,
    /// `create`, `update`, `delete`, `stage_change`, `convert`, ...
    pub action: String,
    /// The user who made the change.
    pub actor_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    /// Each changed field: `{"field": {"before": ..., "after": ...}}`; on
    /// create only `after`, on delete only `before`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

impl From<entity::audit_log::Model> for AuditEntry {
    fn from(m: entity::audit_log::Model) -> Self {
        AuditEntry {
            id: m.id,
            resource: m.resource,
            record_id: m.record_id,
            action: m.action,
            actor_id: m.actor_id,
            at: m.at,
            changes: serde_json::from_str(&m.changes).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// Filters of the audit log. Newest first.
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries of this resource (`orders`, `opportunities`, ...).
    #[validate(length(min = 1, max = 50))]
    pub resource: Option<String>,
    /// Only entries of this record.
    pub record_id: Option<Uuid>,
    /// Only changes made by this user.
    pub actor_id: Option<Uuid>,
    /// Only this action (`create`, `update`, `delete`, ...).
    #[validate(length(min = 1, max = 30))]
    #[param(min_length = 1, max_length = 30)]
    pub action: Option<String>,
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    #[validate(range(min = 1, max = 500))]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
