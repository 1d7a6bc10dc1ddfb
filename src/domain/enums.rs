//! Closed sets of values stored as strings (`status`, `stage`, ...).

/// Declares a string enum: serde and OpenAPI as its snake_case names,
/// `as_str`, `FromStr`, and `ALL` in declaration order (which is the
/// order of a funnel or a lifecycle).
#[macro_export]
macro_rules! string_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("unknown {} {other:?}", stringify!($name))),
                }
            }
        }
    };
}

string_enum! {
    /// A person or an organization.
    pub enum CustomerKind {
        Individual = "individual",
        Company = "company",
    }
}

string_enum! {
    pub enum Gender {
        Male = "male",
        Female = "female",
        Other = "other",
        Unknown = "unknown",
    }
}

string_enum! {
    /// Where a customer stands with the company.
    pub enum LifecycleStage {
        Lead = "lead",
        Prospect = "prospect",
        Customer = "customer",
        Churned = "churned",
    }
}

string_enum! {
    /// An order counts as a sale when `paid` or `completed`.
    pub enum OrderStatus {
        Pending = "pending",
        Paid = "paid",
        Completed = "completed",
        Cancelled = "cancelled",
        Refunded = "refunded",
    }
}

impl OrderStatus {
    /// The moves an order may make. Cancelled and refunded are final; a
    /// paid or completed order is refunded, not cancelled.
    pub fn can_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        self == next
            || matches!(
                (self, next),
                (Pending, Paid | Completed | Cancelled) | (Paid, Completed | Refunded) | (Completed, Refunded)
            )
    }
}

/// Reads a stored enum value; values are only written through the enum, so
/// a failure means the database was edited by hand.
pub fn stored<T: std::str::FromStr>(value: &str) -> Result<T, crate::error::AppError> {
    value.parse().map_err(|_| crate::error::AppError::internal(format!("unexpected stored value {value:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_status_moves() {
        use OrderStatus::*;
        assert!(Pending.can_become(Paid));
        assert!(Paid.can_become(Refunded));
        assert!(Completed.can_become(Refunded));
        assert!(!Refunded.can_become(Paid));
        assert!(!Cancelled.can_become(Paid));
        assert!(!Paid.can_become(Pending));
        assert!(!Completed.can_become(Cancelled));
        assert_eq!("paid".parse::<OrderStatus>(), Ok(Paid));
        assert_eq!(serde_json::to_string(&Completed).unwrap_or_default(), "\"completed\"");
    }
}
