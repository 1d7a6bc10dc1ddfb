use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a user may do; see the role table in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including users, roles and settings.
    Admin,
    /// Everything of their team's members; statistics scoped to the team.
    Manager,
    /// Their own customers, leads, opportunities, orders, activities, tasks.
    Sales,
    /// Campaigns, members, leads; marketing statistics.
    Marketing,
    /// Tickets, feedback and the customers those touch.
    Service,
    /// Read-only, all statistics, no personal data export.
    Analyst,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::Admin, Role::Manager, Role::Sales, Role::Marketing, Role::Service, Role::Analyst];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Sales => "sales",
            Role::Marketing => "marketing",
            Role::Service => "service",
            Role::Analyst => "analyst",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| format!("unknown role {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(serde_json::to_value(role).ok(), Some(serde_json::json!(role.as_str())));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
