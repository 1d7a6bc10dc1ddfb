//! Closed sets of values stored as strings (`status`, `stage`, ...).

/// Declares a string enum: serde and OpenAPI as its snake_case names,
/// `as_str`, `FromStr`, and `ALL` in declaration order (which is the
/// order of a funnel or a lifecycle).
#[macro_export]
macro_rules! string_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        // The texts are the snake_case variant names (a test checks it);
        // `rename_all` written out here is what utoipa reads, it does not
        // see a per-variant rename passed through the macro.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Whether every variant's JSON form is its text.
            #[cfg(test)]
            fn serde_matches_text() -> bool {
                Self::ALL.iter().all(|v| serde_json::to_value(v).ok() == Some(serde_json::Value::from(v.as_str())))
            }

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
    /// Whether an order of this status counts as a sale.
    pub fn counted(self) -> bool {
        matches!(self, OrderStatus::Paid | OrderStatus::Completed)
    }

    /// The SQL of [`OrderStatus::counted`] for the orders table aliased
    /// `alias`: `o.status IN ('paid', 'completed')`.
    pub fn counted_sql(alias: &str) -> String {
        let list: Vec<String> = Self::ALL.iter().filter(|s| s.counted()).map(|s| format!("'{}'", s.as_str())).collect();
        format!("{alias}.status IN ({})", list.join(", "))
    }

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
    fn counted_orders_are_the_same_in_the_server_and_the_rollups() {
        let counted: Vec<&str> = OrderStatus::ALL.iter().filter(|s| s.counted()).map(|s| s.as_str()).collect();
        assert_eq!(counted, migration::COUNTED_ORDER_STATUSES);
        assert_eq!(OrderStatus::counted_sql("o"), migration::counted_orders("o"));
        assert_eq!(OrderStatus::counted_sql("p"), "p.status IN ('paid', 'completed')");
    }

    #[test]
    fn json_forms_are_the_texts() {
        let all = [
            CustomerKind::serde_matches_text(),
            Gender::serde_matches_text(),
            LifecycleStage::serde_matches_text(),
            OrderStatus::serde_matches_text(),
            CampaignStatus::serde_matches_text(),
            MemberStatus::serde_matches_text(),
            LeadStatus::serde_matches_text(),
            Stage::serde_matches_text(),
            ActivityType::serde_matches_text(),
            Direction::serde_matches_text(),
            Priority::serde_matches_text(),
            TicketStatus::serde_matches_text(),
            TargetPeriod::serde_matches_text(),
            WeekStart::serde_matches_text(),
            FiscalYearLabel::serde_matches_text(),
            TargetMetric::serde_matches_text(),
            TaskStatus::serde_matches_text(),
            RelatedType::serde_matches_text(),
        ];
        assert!(all.iter().all(|matches| *matches));
    }

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

string_enum! {
    pub enum CampaignStatus {
        Planned = "planned",
        Active = "active",
        Completed = "completed",
        Cancelled = "cancelled",
    }
}

string_enum! {
    /// A campaign member's current status; `converted` implies participated.
    pub enum MemberStatus {
        Invited = "invited",
        Participated = "participated",
        Converted = "converted",
    }
}

string_enum! {
    pub enum LeadStatus {
        New = "new",
        Contacted = "contacted",
        Qualified = "qualified",
        Unqualified = "unqualified",
        Converted = "converted",
    }
}

string_enum! {
    /// The sales funnel, in order; `won` and `lost` close an opportunity.
    pub enum Stage {
        Qualification = "qualification",
        NeedsAnalysis = "needs_analysis",
        Proposal = "proposal",
        Negotiation = "negotiation",
        Won = "won",
        Lost = "lost",
    }
}

impl Stage {
    /// The default probability of the stage, in basis points.
    pub fn default_probability_bp(self) -> i32 {
        match self {
            Stage::Qualification => 1_000,
            Stage::NeedsAnalysis => 2_500,
            Stage::Proposal => 5_000,
            Stage::Negotiation => 7_500,
            Stage::Won => 10_000,
            Stage::Lost => 0,
        }
    }

    pub fn is_closed(self) -> bool {
        matches!(self, Stage::Won | Stage::Lost)
    }
}

string_enum! {
    pub enum ActivityType {
        Call = "call",
        Email = "email",
        Meeting = "meeting",
        Visit = "visit",
        Social = "social",
        Note = "note",
    }
}

string_enum! {
    pub enum Direction {
        Inbound = "inbound",
        Outbound = "outbound",
    }
}

string_enum! {
    pub enum Priority {
        Urgent = "urgent",
        High = "high",
        Normal = "normal",
        Low = "low",
    }
}

string_enum! {
    pub enum TicketStatus {
        Open = "open",
        Pending = "pending",
        Resolved = "resolved",
        Closed = "closed",
    }
}

string_enum! {
    /// The first day of a week.
    pub enum WeekStart {
        /// ISO weeks (the default).
        Monday = "monday",
        Sunday = "sunday",
    }
}

string_enum! {
    /// Which calendar year a fiscal year is named after when it does not
    /// start in January (April 2026 – March 2027 is `FY2026` named after the
    /// year it starts in, as in Japan, Hong Kong and Salesforce's default,
    /// or `FY2027` after the year it ends in, as in the United States).
    pub enum FiscalYearLabel {
        StartYear = "start_year",
        EndYear = "end_year",
    }
}

string_enum! {
    /// Calendar months, quarters and years, or the fiscal quarters and
    /// years of the organization's fiscal year (its settings).
    pub enum TargetPeriod {
        Month = "month",
        Quarter = "quarter",
        Year = "year",
        FiscalQuarter = "fiscal_quarter",
        FiscalYear = "fiscal_year",
    }
}

string_enum! {
    /// `revenue` targets are money; the others are counts.
    pub enum TargetMetric {
        Revenue = "revenue",
        DealsWon = "deals_won",
        NewCustomers = "new_customers",
    }
}

string_enum! {
    pub enum TaskStatus {
        Open = "open",
        Done = "done",
        Cancelled = "cancelled",
    }
}

string_enum! {
    /// What a task is about.
    pub enum RelatedType {
        Customer = "customer",
        Contact = "contact",
        Lead = "lead",
        Opportunity = "opportunity",
        Order = "order",
        Ticket = "ticket",
        Campaign = "campaign",
    }
}
