//! SLA attainment: per priority, the share of the window's tickets that
//! met the first-response and resolution targets of the SLA policy.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::figures::{change_opt, ratio};
use super::tickets::{ServiceFilters, push_tickets};
use super::window::Window;
use crate::auth::AuthUser;
use crate::calendar::Calendar;
use crate::config::SlaPolicy;
use crate::domain::enums::Priority;
use crate::error::{AppError, AppResult};
use crate::sql::{Sql, minutes_between};

crate::stats_query! {
    /// Parameters of the SLA statistics.
    pub struct SlaQuery {
        /// Only tickets assigned to this user.
        pub assignee_id: Option<Uuid>,
        /// Only tickets assigned to members of this team.
        pub team_id: Option<Uuid>,
        /// Only tickets of this channel.
        pub channel: Option<String>,
        /// Only tickets of this category.
        pub category: Option<String>,
    }
}

/// How a set of tickets met their targets.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct SlaFigures {
    /// The window's tickets whose first-response target is decided by `to`: answered, or past the target unanswered.
    pub first_response_counted: i64,
    /// Share of those answered within the target.
    pub first_response_met_rate: Option<f64>,
    /// The window's tickets whose resolution target is decided by `to`.
    pub resolution_counted: i64,
    /// Share of those resolved within the target.
    pub resolution_met_rate: Option<f64>,
}

/// The relative change of the met rates.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct SlaChange {
    /// Relative change of `first_response_met_rate`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub first_response_met_rate: Option<f64>,
    /// Relative change of `resolution_met_rate`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub resolution_met_rate: Option<f64>,
}

/// How one priority meets its targets.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaRow {
    pub priority: Priority,
    /// The policy's first-response target.
    pub first_response_target_minutes: i64,
    /// The policy's resolution target.
    pub resolution_target_minutes: i64,
    #[serde(flatten)]
    pub figures: SlaFigures,
    /// The same for the comparison window, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<SlaFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<SlaChange>,
}

/// SLA attainment per priority.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaStats {
    pub window: Window,
    pub filters: ServiceFilters,
    /// Every priority, most urgent first.
    pub rows: Vec<SlaRow>,
    /// Every priority together, each ticket against its own priority's targets.
    pub total: SlaFigures,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_total: Option<SlaFigures>,
}

/// Met and counted tickets per target.
#[derive(Clone, Copy, Debug, Default)]
struct SlaCounts {
    first_met: i64,
    first_counted: i64,
    resolution_met: i64,
    resolution_counted: i64,
}

impl SlaCounts {
    fn add(&mut self, other: SlaCounts) {
        self.first_met += other.first_met;
        self.first_counted += other.first_counted;
        self.resolution_met += other.resolution_met;
        self.resolution_counted += other.resolution_counted;
    }

    fn figures(self) -> SlaFigures {
        SlaFigures {
            first_response_counted: self.first_counted,
            first_response_met_rate: ratio(self.first_met, self.first_counted),
            resolution_counted: self.resolution_counted,
            resolution_met_rate: ratio(self.resolution_met, self.resolution_counted),
        }
    }
}

fn sla_change(current: &SlaFigures, previous: &SlaFigures) -> SlaChange {
    SlaChange {
        first_response_met_rate: change_opt(current.first_response_met_rate, previous.first_response_met_rate),
        resolution_met_rate: change_opt(current.resolution_met_rate, previous.resolution_met_rate),
    }
}

/// `met` and `counted` SQL for one event against the per-priority targets:
/// met when the event happened before `to` within the target; breached
/// when it happened late, or has not happened and the deadline passed
/// before `to`; undecided otherwise.
fn push_sla_columns(
    sql: &mut Sql,
    window: &Window,
    policy: &SlaPolicy,
    event: &str,
    name: &str,
    pick: fn((i64, i64)) -> i64,
) {
    let elapsed = minutes_between(sql.backend(), "t.created_at", event);
    let mut target = String::from("CASE t.priority");
    for (priority, targets) in Priority::ALL.iter().zip(policy.targets) {
        target.push_str(&format!(" WHEN '{}' THEN {}", priority.as_str(), pick(targets)));
    }
    target.push_str(" END");
    sql.push(&format!("CAST(COUNT(CASE WHEN {event} < "))
        .bind(window.to)
        .push(&format!(" AND {elapsed} <= {target} THEN 1 END) AS BIGINT) AS {name}_met, "));
    sql.push(&format!("CAST(COUNT(CASE WHEN {event} < ")).bind(window.to).push(" OR (CASE t.priority");
    for (priority, targets) in Priority::ALL.iter().zip(policy.targets) {
        // The deadline passed before `to`: created before `to` − target.
        sql.push(&format!(" WHEN '{}' THEN t.created_at < ", priority.as_str()))
            .bind(window.to - chrono::Duration::minutes(pick(targets)));
    }
    sql.push(&format!(" END) THEN 1 END) AS BIGINT) AS {name}_counted"));
}

pub async fn sla(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    policy: &SlaPolicy,
    query: &SlaQuery,
    calendar: Calendar,
) -> AppResult<SlaStats> {
    let window = query.window(calendar)?;
    let filters = ServiceFilters {
        assignee_id: query.assignee_id,
        team_id: query.team_id,
        channel: query.channel.clone(),
        category: query.category.clone(),
        ..Default::default()
    };
    let current = sla_counts(db, caller, policy, &window, &filters).await?;
    let previous_window = query.compare.map(|compare| window.previous(compare));
    let previous = match previous_window {
        Some(previous_window) => Some(sla_counts(db, caller, policy, &previous_window, &filters).await?),
        None => None,
    };
    let (mut total, mut previous_total) = (SlaCounts::default(), SlaCounts::default());
    let rows = Priority::ALL
        .iter()
        .zip(policy.targets)
        .map(|(priority, (first, resolution))| {
            let counts = current.get(priority.as_str()).copied().unwrap_or_default();
            total.add(counts);
            let figures = counts.figures();
            let before = previous.as_ref().map(|previous| {
                let counts = previous.get(priority.as_str()).copied().unwrap_or_default();
                previous_total.add(counts);
                counts.figures()
            });
            SlaRow {
                priority: *priority,
                first_response_target_minutes: first,
                resolution_target_minutes: resolution,
                change: before.as_ref().map(|before| sla_change(&figures, before)),
                figures,
                previous: before,
            }
        })
        .collect();
    Ok(SlaStats {
        window,
        filters,
        rows,
        total: total.figures(),
        previous_total: previous_window.map(|_| previous_total.figures()),
        previous_window,
    })
}

/// Met and counted tickets per priority.
async fn sla_counts(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    policy: &SlaPolicy,
    window: &Window,
    filters: &ServiceFilters,
) -> AppResult<HashMap<String, SlaCounts>> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT t.priority AS priority, ");
    push_sla_columns(&mut sql, window, policy, "t.first_response_at", "first_response", |t| t.0);
    sql.push(", ");
    push_sla_columns(&mut sql, window, policy, "t.resolved_at", "resolution", |t| t.1);
    push_tickets(&mut sql, caller, filters, false, |_| {});
    sql.push(" AND t.created_at >= ").bind(window.from).push(" AND t.created_at < ").bind(window.to);
    sql.push(" GROUP BY t.priority");
    let mut found = HashMap::new();
    for row in db.query_all_raw(sql.statement()).await? {
        let get = |name: &str| row.try_get::<i64>("", name).map_err(AppError::from);
        let counts = SlaCounts {
            first_met: get("first_response_met")?,
            first_counted: get("first_response_counted")?,
            resolution_met: get("resolution_met")?,
            resolution_counted: get("resolution_counted")?,
        };
        found.insert(row.try_get::<String>("", "priority")?, counts);
    }
    Ok(found)
}
