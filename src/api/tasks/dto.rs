use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::fields::not_in_future;
use crate::api::patch::{double_option, required};
use crate::api::validation::not_blank;
use crate::domain::enums::{RelatedType, TaskStatus};

/// A task.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a2047b-7b00-7000-8000-0000000000b0", "title": "Send revised quote", "assignee_id": "01a2047b-5a00-7000-8000-000000000001",
    "related_type": "opportunity", "related_id": "01a2047b-7500-7000-8000-000000000050", "due_at": "2025-06-14T10:00:00Z",
    "completed_at": null, "status": "open", "external_id": null,
    "created_at": "2025-06-10T03:30:00Z", "updated_at": "2025-06-10T03:30:00Z", "version": 1, "deleted_at": null
}))]
pub struct Task {
    pub id: Uuid,
    pub title: String,
    pub assignee_id: Option<Uuid>,
    /// What the task is about (with `related_id`).
    pub related_type: Option<RelatedType>,
    pub related_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    /// Set when the task is done.
    pub completed_at: Option<DateTime<Utc>>,
    pub status: TaskStatus,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A new task; `related_type` and `related_id` go together.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Send revised quote", "related_type": "opportunity", "related_id": "01a2047b-7500-7000-8000-000000000050", "due_at": "2025-06-14T10:00:00Z"}))]
pub struct CreateTask {
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    /// Default: the caller.
    pub assignee_id: Option<Uuid>,
    pub related_type: Option<RelatedType>,
    pub related_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    /// Default `open`.
    pub status: Option<TaskStatus>,
    /// For imports of done tasks; default now when `status` is `done`.
    #[validate(custom(function = "not_in_future"))]
    pub completed_at: Option<DateTime<Utc>>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
    /// For imports of historic records; default now.
    #[validate(custom(function = "not_in_future"))]
    pub created_at: Option<DateTime<Utc>>,
}

/// A JSON merge patch of a task. `status: done` sets `completed_at`;
/// reopening clears it.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "done"}))]
pub struct UpdateTask {
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub assignee_id: Option<Uuid>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DateTime<Utc>>, nullable)]
    pub due_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub status: Option<TaskStatus>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 200)]
    pub external_id: Option<Option<String>>,
}

crate::list_query! {
    /// Filters of the task list; `q` searches the title.
    pub struct TaskListQuery {
        pub assignee_id: Option<Uuid>,
        pub status: Option<TaskStatus>,
        pub related_type: Option<RelatedType>,
        pub related_id: Option<Uuid>,
        /// Only tasks due at or after this instant.
        #[param(schema_with = crate::api::fields::instant_schema)]
        pub due_from: Option<String>,
        /// Only tasks due before this instant.
        #[param(schema_with = crate::api::fields::instant_schema)]
        pub due_to: Option<String>,
    }
}
