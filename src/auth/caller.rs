//! Who is calling: the user (or the API key's creator) and what they may
//! do as of this request.

use uuid::Uuid;

use crate::domain::Role;

/// The caller: the user an access token names, with their role and team
/// as the database has them now (`callers`), or an API key's creator.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user (for an API key: the administrator who created it, who is
    /// the actor of its changes in the audit log).
    pub id: Uuid,
    pub role: Role,
    pub team_id: Option<Uuid>,
    /// The API key the request came with, if it did.
    pub api_key: Option<Uuid>,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}
