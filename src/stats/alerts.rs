//! Alerts: what needs attention now — tickets breaching or about to
//! breach their SLA, open opportunities nobody has touched for a while,
//! customers at churn risk, and employees behind the pace their monthly
//! revenue target needs. Each rule reads the records in the caller's
//! scope; a rule whose statistics the caller's role may not read is left
//! out and named in `omitted_rules`. Thresholds are parameters.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::window::Window;
use crate::auth::AuthUser;
use crate::auth::policy::{AnyUser, Policy, SalesStats, ServiceStats};
use crate::auth::scope::Scope;
use crate::calendar::Calendar;
use crate::config::SlaPolicy;
use crate::domain::enums::Priority;
use crate::domain::time::now;
use crate::domain::{Money, Role};
use crate::error::AppResult;
use crate::sql::Sql;

/// An alert rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertRule {
    /// An open ticket without a first response past `sla_warning` of its priority's first-response target.
    SlaFirstResponse,
    /// An unresolved ticket past `sla_warning` of its priority's resolution target.
    SlaResolution,
    /// An open opportunity without an activity (or, without any, its creation) for `stale_days`.
    StaleOpportunity,
    /// A customer at churn risk (as `/stats/customers/churn-risk` with `churn_factor` and `churn_days`).
    ChurnRisk,
    /// An employee whose month-to-date revenue is behind the pace their monthly revenue target needs.
    BehindTarget,
}

/// How urgent an alert is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Warning,
}

/// Parameters of the alerts: filters and thresholds.
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// Only this rule's alerts.
    pub rule: Option<AlertRule>,
    /// Only alerts of this severity.
    pub severity: Option<Severity>,
    /// The share of an SLA target elapsed that raises a warning (default 0.8); past the target it is critical.
    #[param(minimum = 0.1, maximum = 1)]
    #[validate(range(min = 0.1, max = 1.0))]
    pub sla_warning: Option<f64>,
    /// Days without an activity that make an open opportunity stale (default 14); twice as many is critical.
    #[param(minimum = 1, maximum = 365)]
    #[validate(range(min = 1, max = 365))]
    pub stale_days: Option<i64>,
    /// The churn-risk factor on a customer's median gap between purchase days (default 2); overdue twice over is critical.
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = 1.0, max = 100.0))]
    pub churn_factor: Option<f64>,
    /// The churn-risk days for a customer with one purchase day (default 90).
    #[param(minimum = 1, maximum = 3650)]
    #[validate(range(min = 1, max = 3650))]
    pub churn_days: Option<i64>,
    /// Behind target when attainment / the share of the month elapsed is below this (default 0.9); below half of it is critical.
    #[param(minimum = 0.1, maximum = 1)]
    #[validate(range(min = 0.1, max = 1.0))]
    pub pace: Option<f64>,
    /// No behind-target alerts in the month's first days (default 3).
    #[param(minimum = 0, maximum = 27)]
    #[validate(range(min = 0, max = 27))]
    pub pace_grace_days: Option<i64>,
    /// At most this many alerts per rule, the most urgent first (default 100, at most 1,000).
    #[param(minimum = 1, maximum = 1000)]
    #[validate(range(min = 1, max = 1000))]
    pub limit: Option<u64>,
}

/// The thresholds used.
#[derive(Debug, Serialize, ToSchema)]
pub struct Thresholds {
    pub sla_warning: f64,
    pub stale_days: i64,
    pub churn_factor: f64,
    pub churn_days: i64,
    pub pace: f64,
    pub pace_grace_days: i64,
}

/// The kind of record an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Ticket,
    Opportunity,
    Customer,
    User,
}

/// The record an alert is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertRecord {
    #[serde(rename = "type")]
    pub kind: RecordKind,
    pub id: Uuid,
    /// Its subject, name or title.
    pub label: String,
}

/// The figures behind an alert (those of its rule).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct AlertDetails {
    /// SLA: the ticket's priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// SLA: when the target is (was) reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// SLA: the target, in minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_minutes: Option<i64>,
    /// SLA: the share of the target elapsed (1 = due now).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_share: Option<f64>,
    /// Stale opportunity: the latest activity on it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_activity_at: Option<DateTime<Utc>>,
    /// Stale opportunity: whole days since its latest activity (or creation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_days: Option<i64>,
    /// Stale opportunity: its amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    /// Churn risk: whole days since the last counted order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_since_last_order: Option<i64>,
    /// Churn risk: the customer's threshold in days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold_days: Option<f64>,
    /// Churn risk: revenue to date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue_to_date: Option<Money>,
    /// Behind target: the month's revenue target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Money>,
    /// Behind target: revenue so far this month.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue: Option<Money>,
    /// Behind target: revenue / target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attainment: Option<f64>,
    /// Behind target: the share of the month elapsed (the attainment on pace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_attainment: Option<f64>,
}

/// Something that needs attention.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "rule": "sla_first_response", "severity": "critical",
    "record": {"type": "ticket", "id": "01a2047b-8c00-7000-8000-000000000031", "label": "Kettle leaks"},
    "owner_id": "01a2047b-5a00-7000-8000-000000000007",
    "message": "The first response of this urgent ticket is overdue since 2025-06-10 10:00 UTC.",
    "details": {"priority": "urgent", "due_at": "2025-06-10T10:00:00Z", "target_minutes": 60, "elapsed_share": 1.75}
}))]
pub struct Alert {
    pub rule: AlertRule,
    pub severity: Severity,
    pub record: AlertRecord,
    /// Who should act: the ticket's assignee, the opportunity's or customer's owner, the employee.
    pub owner_id: Option<Uuid>,
    /// What is wrong, in a sentence.
    pub message: String,
    pub details: AlertDetails,
}

/// The count of one rule's alerts.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleCount {
    pub rule: AlertRule,
    /// All its alerts (even past `limit`).
    pub alerts: i64,
}

/// The alerts of now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Alerts {
    pub as_of: DateTime<Utc>,
    pub thresholds: Thresholds,
    /// Per rule evaluated, its number of alerts.
    pub by_rule: Vec<RuleCount>,
    /// The alerts listed: critical first, then by rule, the most urgent first.
    pub alerts: Vec<Alert>,
    /// The rules left out because the caller's role may not read their records' statistics.
    pub omitted_rules: Vec<AlertRule>,
}

const RULES: [(AlertRule, &[Role]); 5] = [
    (AlertRule::SlaFirstResponse, ServiceStats::ROLES),
    (AlertRule::SlaResolution, ServiceStats::ROLES),
    (AlertRule::StaleOpportunity, SalesStats::ROLES),
    (AlertRule::ChurnRisk, SalesStats::ROLES),
    (AlertRule::BehindTarget, AnyUser::ROLES),
];

pub async fn alerts(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    sla: &SlaPolicy,
    query: &AlertQuery,
    calendar: Calendar,
) -> AppResult<Alerts> {
    let as_of = now();
    let thresholds = Thresholds {
        sla_warning: query.sla_warning.unwrap_or(0.8),
        stale_days: query.stale_days.unwrap_or(14),
        churn_factor: query.churn_factor.unwrap_or(2.0),
        churn_days: query.churn_days.unwrap_or(90),
        pace: query.pace.unwrap_or(0.9),
        pace_grace_days: query.pace_grace_days.unwrap_or(3),
    };
    let limit = query.limit.unwrap_or(100);
    let mut by_rule = vec![];
    let mut alerts = vec![];
    let mut omitted_rules = vec![];
    for (rule, roles) in RULES {
        if query.rule.is_some_and(|wanted| wanted != rule) {
            continue;
        }
        if !roles.contains(&caller.role) {
            omitted_rules.push(rule);
            continue;
        }
        let (count, mut found) = match rule {
            AlertRule::SlaFirstResponse => sla_alerts(db, caller, sla, &thresholds, as_of, limit, true).await?,
            AlertRule::SlaResolution => sla_alerts(db, caller, sla, &thresholds, as_of, limit, false).await?,
            AlertRule::StaleOpportunity => stale_opportunities(db, caller, &thresholds, as_of, limit).await?,
            AlertRule::ChurnRisk => churn(db, caller, &thresholds, limit, calendar).await?,
            AlertRule::BehindTarget => behind_target(db, caller, &thresholds, as_of, calendar).await?,
        };
        if let Some(severity) = query.severity {
            found.retain(|alert| alert.severity == severity);
        }
        found.truncate(limit as usize);
        by_rule.push(RuleCount { rule, alerts: count });
        alerts.extend(found);
    }
    // Critical first; within a severity, the rules' order and each rule's own order.
    alerts.sort_by_key(|alert| alert.severity);
    Ok(Alerts { as_of, thresholds, by_rule, alerts, omitted_rules })
}

/// Alerts of open tickets still waiting for their first response
/// (`first`) or resolution: past `sla_warning` of the target a warning,
/// past the target critical; the longest waiting first.
async fn sla_alerts(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    policy: &SlaPolicy,
    thresholds: &Thresholds,
    as_of: DateTime<Utc>,
    limit: u64,
    first: bool,
) -> AppResult<(i64, Vec<Alert>)> {
    let pick = |targets: (i64, i64)| if first { targets.0 } else { targets.1 };
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT t.id AS id, t.subject AS subject, t.priority AS priority, t.assignee_id AS assignee_id, \
         t.created_at AS created_at, CAST(COUNT(*) OVER () AS BIGINT) AS total FROM tickets t \
         WHERE t.deleted_at IS NULL AND t.resolved_at IS NULL AND t.closed_at IS NULL",
    );
    if first {
        sql.push(" AND t.first_response_at IS NULL");
    }
    // Created before now − sla_warning × the priority's target.
    sql.push(" AND CASE t.priority");
    for (priority, targets) in Priority::ALL.iter().zip(policy.targets) {
        let warn_after = Duration::seconds((pick(targets) as f64 * 60.0 * thresholds.sla_warning).ceil() as i64);
        sql.push(&format!(" WHEN '{}' THEN t.created_at <= ", priority.as_str())).bind(as_of - warn_after);
    }
    sql.push(" ELSE FALSE END");
    super::tickets::push_ticket_scope(&mut sql, caller);
    sql.push(" ORDER BY t.created_at, t.id LIMIT ").bind(limit as i64);
    let mut total = 0;
    let mut alerts = vec![];
    for row in db.query_all_raw(sql.statement()).await? {
        total = row.try_get("", "total")?;
        let priority: String = row.try_get("", "priority")?;
        let Some((priority, targets)) = Priority::ALL.iter().zip(policy.targets).find(|(p, _)| p.as_str() == priority)
        else {
            continue;
        };
        let created_at: DateTime<Utc> = row.try_get("", "created_at")?;
        let target = pick(targets);
        let due_at = created_at + Duration::minutes(target);
        let elapsed_share = (as_of - created_at).num_seconds() as f64 / (target as f64 * 60.0);
        let breached = as_of >= due_at;
        let what = if first { "first response" } else { "resolution" };
        let message = if breached {
            format!(
                "The {what} of this {} ticket is overdue since {}.",
                priority.as_str(),
                due_at.format("%Y-%m-%d %H:%M UTC")
            )
        } else {
            format!(
                "The {what} of this {} ticket is due at {}.",
                priority.as_str(),
                due_at.format("%Y-%m-%d %H:%M UTC")
            )
        };
        alerts.push(Alert {
            rule: if first { AlertRule::SlaFirstResponse } else { AlertRule::SlaResolution },
            severity: if breached { Severity::Critical } else { Severity::Warning },
            record: AlertRecord {
                kind: RecordKind::Ticket,
                id: row.try_get("", "id")?,
                label: row.try_get("", "subject")?,
            },
            owner_id: row.try_get("", "assignee_id")?,
            message,
            details: AlertDetails {
                priority: Some(*priority),
                due_at: Some(due_at),
                target_minutes: Some(target),
                elapsed_share: Some(elapsed_share),
                ..AlertDetails::default()
            },
        });
    }
    Ok((total, alerts))
}

/// Open opportunities without an activity since `stale_days` ago (and
/// created before then); idle twice as long is critical. The longest idle
/// first.
async fn stale_opportunities(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    thresholds: &Thresholds,
    as_of: DateTime<Utc>,
    limit: u64,
) -> AppResult<(i64, Vec<Alert>)> {
    let cutoff = as_of - Duration::days(thresholds.stale_days);
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT s.id AS id, s.name AS name, s.owner_id AS owner_id, s.amount AS amount, s.last_at AS last_at, \
         s.created_at AS created_at, CAST(COUNT(*) OVER () AS BIGINT) AS total FROM (SELECT op.id, op.name, \
         op.owner_id, op.amount, op.created_at, (SELECT MAX(a.occurred_at) FROM activities a \
         WHERE a.opportunity_id = op.id AND a.deleted_at IS NULL) AS last_at FROM opportunities op \
         WHERE op.deleted_at IS NULL AND op.closed_at IS NULL AND op.created_at < ",
    )
    .bind(cutoff);
    Scope::owned(caller).push_and(&mut sql, "op.owner_id");
    sql.push(
        " AND NOT EXISTS (SELECT 1 FROM activities r WHERE r.opportunity_id = op.id AND r.deleted_at IS NULL \
         AND r.occurred_at >= ",
    )
    .bind(cutoff)
    .push(")) s ORDER BY COALESCE(s.last_at, s.created_at), s.id LIMIT ")
    .bind(limit as i64);
    let mut total = 0;
    let mut alerts = vec![];
    for row in db.query_all_raw(sql.statement()).await? {
        total = row.try_get("", "total")?;
        let last_activity_at: Option<DateTime<Utc>> = row.try_get("", "last_at")?;
        let created_at: DateTime<Utc> = row.try_get("", "created_at")?;
        let idle_days = (as_of - last_activity_at.unwrap_or(created_at)).num_days();
        let message = match last_activity_at {
            Some(_) => format!("No activity on this open opportunity for {idle_days} days."),
            None => format!("No activity on this open opportunity since it was created {idle_days} days ago."),
        };
        alerts.push(Alert {
            rule: AlertRule::StaleOpportunity,
            severity: if idle_days >= 2 * thresholds.stale_days { Severity::Critical } else { Severity::Warning },
            record: AlertRecord {
                kind: RecordKind::Opportunity,
                id: row.try_get("", "id")?,
                label: row.try_get("", "name")?,
            },
            owner_id: row.try_get("", "owner_id")?,
            message,
            details: AlertDetails {
                last_activity_at,
                idle_days: Some(idle_days),
                amount: Some(Money(row.try_get("", "amount")?)),
                ..AlertDetails::default()
            },
        });
    }
    Ok((total, alerts))
}

/// The customers at churn risk now, the most valuable first; overdue
/// twice over is critical.
async fn churn(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    thresholds: &Thresholds,
    limit: u64,
    calendar: Calendar,
) -> AppResult<(i64, Vec<Alert>)> {
    let query = super::rfm::ChurnRiskQuery {
        factor: Some(thresholds.churn_factor),
        days: Some(thresholds.churn_days),
        limit: Some(limit),
        ..Default::default()
    };
    let risk = super::rfm::churn_risk(db, caller, &query, calendar).await?;
    let alerts = risk
        .top_customers
        .into_iter()
        .map(|customer| Alert {
            rule: AlertRule::ChurnRisk,
            severity: if customer.overdue >= 2.0 { Severity::Critical } else { Severity::Warning },
            message: format!(
                "No order for {} days, against a usual rhythm of {:.0} days.",
                customer.days_since_last_order, customer.threshold_days
            ),
            record: AlertRecord { kind: RecordKind::Customer, id: customer.customer_id, label: customer.label },
            owner_id: customer.owner_id,
            details: AlertDetails {
                days_since_last_order: Some(customer.days_since_last_order),
                threshold_days: Some(customer.threshold_days),
                revenue_to_date: Some(customer.revenue),
                ..AlertDetails::default()
            },
        })
        .collect();
    Ok((risk.at_risk, alerts))
}

/// The employees in scope with a revenue target for this month whose
/// attainment so far is below `pace` × the share of the month elapsed
/// (below half of that: critical); none in the month's first
/// `pace_grace_days` days. The furthest behind first.
async fn behind_target(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    thresholds: &Thresholds,
    as_of: DateTime<Utc>,
    calendar: Calendar,
) -> AppResult<(i64, Vec<Alert>)> {
    use super::window::Granularity;
    // This month on the organization's calendar.
    let start = calendar.start_of(Granularity::Month, calendar.date_of(as_of));
    let month =
        Window::new(calendar, calendar.midnight(start), calendar.midnight(calendar.next(Granularity::Month, start)));
    let elapsed = (as_of - month.from).num_seconds() as f64 / (month.to - month.from).num_seconds() as f64;
    if as_of < month.from + Duration::days(thresholds.pace_grace_days) || elapsed <= 0.0 {
        return Ok((0, vec![]));
    }
    let ranking =
        super::employees::ranking(db, caller, month, None, super::employees::PeopleFilters::default()).await?;
    let mut behind: Vec<(f64, Alert)> = ranking
        .rows
        .into_iter()
        .filter(|row| row.figures.target.cents() > 0)
        .filter_map(|row| {
            let attainment = row.figures.attainment?;
            let pace = attainment / elapsed;
            (pace < thresholds.pace).then(|| {
                let alert = Alert {
                    rule: AlertRule::BehindTarget,
                    severity: if pace < thresholds.pace / 2.0 { Severity::Critical } else { Severity::Warning },
                    message: format!(
                        "{:.0} % of this month's revenue target reached with {:.0} % of the month gone.",
                        attainment * 100.0,
                        elapsed * 100.0
                    ),
                    record: AlertRecord { kind: RecordKind::User, id: row.user_id, label: row.name },
                    owner_id: Some(row.user_id),
                    details: AlertDetails {
                        target: Some(row.figures.target),
                        revenue: Some(row.figures.revenue),
                        attainment: Some(attainment),
                        expected_attainment: Some(elapsed),
                        ..AlertDetails::default()
                    },
                };
                (pace, alert)
            })
        })
        .collect();
    behind.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok((behind.len() as i64, behind.into_iter().map(|(_, alert)| alert).collect()))
}
