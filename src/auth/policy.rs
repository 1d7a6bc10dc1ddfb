//! Role policies. A handler declares who may call it in its signature —
//! `auth: Authorized<AdminOnly>` — so authorization sits next to the route
//! and is enforced in one place (the `Authorized` extractor).

use crate::domain::Role;

/// A set of roles allowed to call an endpoint.
pub trait Policy: 'static {
    const ROLES: &'static [Role];
}

macro_rules! policy {
    ($(#[$doc:meta])* $name:ident = [$($role:ident),* $(,)?]) => {
        $(#[$doc])*
        pub struct $name;
        impl Policy for $name {
            const ROLES: &'static [Role] = &[$(Role::$role),*];
        }
    };
}

policy!(
    /// Any signed-in user.
    AnyUser = [Admin, Manager, Sales, Marketing, Service, Analyst]
);
policy!(
    /// Administrators only.
    AdminOnly = [Admin]
);
policy!(
    /// Administrators and managers (managers are scoped to their team).
    AdminOrManager = [Admin, Manager]
);
policy!(
    /// Who may read customers and contacts (scoped to the records they own
    /// or their team owns, service agents to the customers their tickets
    /// and feedback touch; analysts read everything).
    CustomerReaders = [Admin, Manager, Sales, Service, Analyst]
);
policy!(
    /// Who may read activities.
    ActivityReaders = [Admin, Manager, Sales, Service, Analyst]
);
policy!(
    /// Who may log and change activities.
    ActivityWriters = [Admin, Manager, Sales, Service]
);
policy!(
    /// Who may create and change customers, contacts and orders.
    SalesWriters = [Admin, Manager, Sales]
);
policy!(
    /// Who may read orders.
    SalesReaders = [Admin, Manager, Sales, Analyst]
);
policy!(
    /// Who may change the product catalog.
    CatalogWriters = [Admin, Manager]
);
policy!(
    /// Who may plan and change campaigns and their members.
    MarketingWriters = [Admin, Manager, Marketing]
);
policy!(
    /// Who may read leads (marketing works on all of them).
    LeadReaders = [Admin, Manager, Sales, Marketing, Analyst]
);
policy!(
    /// Who may create and change leads.
    LeadWriters = [Admin, Manager, Sales, Marketing]
);
policy!(
    /// Who may read tickets and feedback.
    ServiceReaders = [Admin, Manager, Service, Analyst]
);
policy!(
    /// Who may create and change tickets and feedback.
    ServiceWriters = [Admin, Manager, Service]
);
policy!(
    /// Who may change sales targets.
    TargetWriters = [Admin, Manager]
);
policy!(
    /// Who may read and change tasks (their own, or their team's).
    TaskUsers = [Admin, Manager, Sales, Marketing, Service]
);
policy!(
    /// Who may read campaign members.
    MarketingReaders = [Admin, Manager, Marketing, Analyst]
);
policy!(
    /// Who may read sales statistics (each within their scope).
    SalesStats = [Admin, Manager, Sales, Analyst]
);
policy!(
    /// Who may compare teams (managers their own teams).
    TeamStats = [Admin, Manager, Analyst]
);
policy!(
    /// Who may read service statistics (managers for their team's tickets).
    ServiceStats = [Admin, Manager, Service, Analyst]
);
