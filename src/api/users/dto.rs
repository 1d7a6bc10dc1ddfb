use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::patch::{double_option, required};
use crate::api::validation::not_blank;
use crate::domain::Role;

/// A user. The password is never returned.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a3b2-7c1e-7d2a-9f4e-2b8c1d5e6f70",
    "name": "Li Wei",
    "email": "li.wei@example.com",
    "role": "sales",
    "team_id": "0193a3b2-6a00-7000-8000-000000000001",
    "active": true,
    "last_login_at": null,
    "external_id": null,
    "created_at": "2026-01-05T09:30:00Z",
    "updated_at": "2026-01-05T09:30:00Z",
    "version": 1,
    "deleted_at": null
}))]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub team_id: Option<Uuid>,
    /// Inactive users cannot sign in.
    pub active: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    /// The id of this user in an external system (unique).
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented on every change; also the `ETag`.
    pub version: i64,
    /// Set when the user was deleted (only listed with `include_deleted=true`).
    pub deleted_at: Option<DateTime<Utc>>,
}

impl From<entity::user::Model> for User {
    fn from(m: entity::user::Model) -> Self {
        User {
            id: m.id,
            name: m.name,
            email: m.email,
            // Only valid roles are ever written; an unknown one (a manual
            // edit) is shown as the least privileged.
            role: m.role.parse().unwrap_or(Role::Analyst),
            team_id: m.team_id,
            active: m.active,
            last_login_at: m.last_login_at,
            external_id: m.external_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
            deleted_at: m.deleted_at,
        }
    }
}

/// A new user.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Li Wei", "email": "li.wei@example.com", "password": "a long passphrase", "role": "sales"}))]
pub struct CreateUser {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Unique, compared case-insensitively; stored lower-case.
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// 8 to 128 characters; stored as an argon2id hash.
    #[validate(length(min = 8, max = 128))]
    #[schema(write_only, format = Password, min_length = 8, max_length = 128)]
    pub password: String,
    pub role: Role,
    pub team_id: Option<Uuid>,
    /// Default `true`.
    pub active: Option<bool>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
}

/// A JSON merge patch of a user: absent fields are left alone, `null`
/// clears an optional field.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "manager", "team_id": null}))]
pub struct UpdateUser {
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    /// A new password; signs the user out of every session.
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    #[validate(length(min = 8, max = 128))]
    #[schema(write_only, format = Password, min_length = 8, max_length = 128)]
    pub password: Option<String>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub team_id: Option<Option<Uuid>>,
    /// `false` signs the user out and blocks sign-in.
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub active: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 200)]
    pub external_id: Option<Option<String>>,
}

crate::list_query! {
    /// Filters of the user list.
    pub struct UserListQuery {
        /// Only users with this role.
        pub role: Option<Role>,
        /// Only members of this team.
        pub team_id: Option<Uuid>,
        /// Only active (`true`) or inactive (`false`) users.
        pub active: Option<bool>,
    }
}
