//! The first administrator: from `CRM_ADMIN_EMAIL`/`CRM_ADMIN_PASSWORD`,
//! or, on a development start, a generated login printed to the console.

use rand::RngCore;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::api::users::dto::CreateUser;
use crate::api::users::service;
use crate::config::Settings;
use crate::domain::Role;
use crate::error::AppError;
use entity::user;

pub const DEFAULT_ADMIN_EMAIL: &str = "admin@example.com";

/// An administrator created at start-up, for the start banner.
#[derive(Debug)]
pub struct CreatedAdmin {
    pub email: String,
    /// Set when the password was generated (and must be shown once).
    pub generated_password: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("CRM_ADMIN_PASSWORD must be at least 8 characters long")]
    ShortPassword,
    #[error("CRM_ADMIN_EMAIL is set without CRM_ADMIN_PASSWORD (or the reverse); set both")]
    Incomplete,
    #[error("could not create the administrator {email}: {reason}")]
    Create { email: String, reason: String },
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
}

fn describe(err: AppError) -> String {
    match err {
        AppError::Validation(errors) | AppError::Conflict { errors, .. } if !errors.is_empty() => {
            errors.iter().map(|e| format!("{} {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

pub async fn create_admin(
    db: &DatabaseConnection,
    name: &str,
    email: &str,
    password: String,
) -> Result<(), BootstrapError> {
    if password.chars().count() < 8 {
        return Err(BootstrapError::ShortPassword);
    }
    let input = CreateUser {
        name: name.to_string(),
        email: email.to_string(),
        password,
        role: Role::Admin,
        team_id: None,
        active: Some(true),
        external_id: None,
    };
    validator::Validate::validate(&input)
        .map_err(|e| BootstrapError::Create { email: email.into(), reason: describe(e.into()) })?;
    service::create(db, input)
        .await
        .map(|_| ())
        .map_err(|e| BootstrapError::Create { email: email.into(), reason: describe(e) })
}

/// Creates the first administrator if none is active.
pub async fn ensure_admin(
    db: &DatabaseConnection,
    settings: &Settings,
) -> Result<Option<CreatedAdmin>, BootstrapError> {
    let admins = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::DeletedAt.is_null())
        .count(db)
        .await?;
    if admins > 0 {
        return Ok(None);
    }
    match (&settings.admin_email, &settings.admin_password) {
        (Some(email), Some(password)) => {
            create_admin(db, "Administrator", email, password.expose().to_string()).await?;
            Ok(Some(CreatedAdmin { email: email.clone(), generated_password: None }))
        }
        (Some(_), None) | (None, Some(_)) => Err(BootstrapError::Incomplete),
        (None, None) if !settings.is_production() => {
            let mut bytes = [0u8; 12];
            rand::rng().fill_bytes(&mut bytes);
            let password: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            create_admin(db, "Administrator", DEFAULT_ADMIN_EMAIL, password.clone()).await?;
            Ok(Some(CreatedAdmin { email: DEFAULT_ADMIN_EMAIL.into(), generated_password: Some(password) }))
        }
        (None, None) => {
            tracing::warn!(
                "no administrator exists: set CRM_ADMIN_EMAIL and CRM_ADMIN_PASSWORD, or run `crm create-admin`"
            );
            Ok(None)
        }
    }
}
