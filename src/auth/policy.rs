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
