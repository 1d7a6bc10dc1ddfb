use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::patch::{double_option, required};
use crate::api::validation::not_blank;

/// A team.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a3b2-6a00-7000-8000-000000000001",
    "name": "East region sales",
    "manager_id": "0193a3b2-7c1e-7d2a-9f4e-2b8c1d5e6f70",
    "external_id": null,
    "created_at": "2026-01-05T09:30:00Z",
    "updated_at": "2026-01-05T09:30:00Z",
    "version": 1,
    "deleted_at": null
}))]
pub struct Team {
    pub id: Uuid,
    /// Unique.
    pub name: String,
    /// The user who manages the team.
    pub manager_id: Option<Uuid>,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented on every change; also the `ETag`.
    pub version: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl From<entity::team::Model> for Team {
    fn from(m: entity::team::Model) -> Self {
        Team {
            id: m.id,
            name: m.name,
            manager_id: m.manager_id,
            external_id: m.external_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
            deleted_at: m.deleted_at,
        }
    }
}

/// A new team.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "East region sales", "manager_id": "0193a3b2-7c1e-7d2a-9f4e-2b8c1d5e6f70"}))]
pub struct CreateTeam {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub manager_id: Option<Uuid>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
}

/// A JSON merge patch of a team.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"manager_id": null}))]
pub struct UpdateTeam {
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub manager_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 200)]
    pub external_id: Option<Option<String>>,
}

crate::list_query! {
    /// Filters of the team list.
    pub struct TeamListQuery {
        /// Only teams managed by this user.
        pub manager_id: Option<Uuid>,
    }
}
