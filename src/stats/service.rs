//! Service statistics: ticket volumes, backlog, response and resolution
//! times (average, median, 90th percentile) and CSAT.

use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::query::{Distribution, Sql, Window, change, minutes_between, one_row, push_distribution, ratio};
use crate::auth::AuthUser;
use crate::config::SlaPolicy;
use crate::domain::Role;
use crate::domain::enums::Priority;
use crate::error::{AppError, AppResult};

crate::stats_query! {
    /// Parameters of the service summary.
    pub struct ServiceQuery {
        /// Only tickets assigned to this user.
        pub assignee_id: Option<Uuid>,
        /// Only tickets assigned to members of this team.
        pub team_id: Option<Uuid>,
        /// Only tickets of this channel.
        pub channel: Option<String>,
        /// Only tickets of this category.
        pub category: Option<String>,
        pub priority: Option<Priority>,
        /// Only tickets of customers of this segment.
        pub customer_segment: Option<String>,
    }
}

/// The filters applied to a service statistic.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ServiceFilters {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_segment: Option<String>,
}

impl ServiceQuery {
    fn filters(&self) -> ServiceFilters {
        ServiceFilters {
            assignee_id: self.assignee_id,
            team_id: self.team_id,
            channel: self.channel.clone(),
            category: self.category.clone(),
            priority: self.priority,
            customer_segment: self.customer_segment.clone(),
        }
    }
}

/// Customer satisfaction from ticket ratings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Csat {
    /// Mean score, 1–5; `null` without ratings.
    pub avg: Option<f64>,
    /// Ratings given.
    pub responses: i64,
    /// Share of ratings of 4 or 5.
    pub satisfied_rate: Option<f64>,
}

/// The service figures of a window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct ServiceFigures {
    /// Tickets created in the window.
    pub created: i64,
    /// Of those, resolved before `to`.
    pub resolved: i64,
    /// resolved / created.
    pub resolution_rate: Option<f64>,
    /// Tickets created before `to` and neither resolved nor closed before `to`, whenever created.
    pub backlog: i64,
    /// Minutes from creation to first response, over the window's tickets answered before `to`.
    pub first_response_minutes: Distribution,
    /// Hours from creation to resolution, over the window's tickets resolved before `to`.
    pub resolution_hours: Distribution,
    /// Ratings of the window's tickets.
    pub csat: Csat,
}

/// The relative change of the headline figures.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ServiceChange {
    pub created: Option<f64>,
    pub resolved: Option<f64>,
    pub resolution_rate: Option<f64>,
    pub backlog: Option<f64>,
    pub first_response_minutes_avg: Option<f64>,
    pub resolution_hours_avg: Option<f64>,
    pub csat_avg: Option<f64>,
}

/// The service summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceSummary {
    pub window: Window,
    pub filters: ServiceFilters,
    #[serde(flatten)]
    pub figures: ServiceFigures,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<ServiceFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<ServiceChange>,
}

/// `AND` the ticket is in the caller's scope: service agents, analysts and
/// admins see every ticket, a manager the team's and the unassigned ones.
fn push_ticket_scope(sql: &mut Sql, caller: &AuthUser) {
    if caller.role == Role::Manager {
        sql.push(" AND (t.assignee_id IS NULL OR t.assignee_id = ")
            .bind(caller.id)
            .push(
                " OR t.assignee_id IN (SELECT id FROM users WHERE team_id IN (SELECT id FROM teams WHERE manager_id = ",
            )
            .bind(caller.id)
            .push(") OR team_id IN (SELECT team_id FROM users WHERE id = ")
            .bind(caller.id)
            .push(")))");
    }
}

/// `FROM tickets t … WHERE` the filters and scope hold (no time condition).
fn push_tickets(sql: &mut Sql, caller: &AuthUser, filters: &ServiceFilters) {
    sql.push(" FROM tickets t");
    if filters.customer_segment.is_some() {
        sql.push(" JOIN customers c ON c.id = t.customer_id");
    }
    if filters.team_id.is_some() {
        sql.push(" LEFT JOIN users u ON u.id = t.assignee_id");
    }
    sql.push(" WHERE t.deleted_at IS NULL");
    sql.and_id("t.assignee_id", filters.assignee_id);
    sql.and_id("u.team_id", filters.team_id);
    if let Some(priority) = filters.priority {
        sql.push(" AND t.priority = ").bind(priority.as_str());
    }
    sql.and_eq("t.channel", filters.channel.as_ref());
    sql.and_eq("t.category", filters.category.as_ref());
    sql.and_eq("c.segment", filters.customer_segment.as_ref());
    push_ticket_scope(sql, caller);
}

fn push_created_in(sql: &mut Sql, window: &Window) {
    sql.push(" AND t.created_at >= ").bind(window.from).push(" AND t.created_at < ").bind(window.to);
}

async fn distribution(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    filters: &ServiceFilters,
    event: &str,
) -> AppResult<Distribution> {
    let backend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    push_distribution(&mut sql, |sql| {
        sql.push(&format!("SELECT {} AS x", minutes_between(backend, "t.created_at", event)));
        push_tickets(sql, caller, filters);
        push_created_in(sql, window);
        sql.push(&format!(" AND {event} IS NOT NULL AND {event} < ")).bind(window.to);
    });
    let row = one_row(db, sql).await?;
    Ok(Distribution::read(&row)?.0)
}

pub async fn figures(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    filters: &ServiceFilters,
) -> AppResult<ServiceFigures> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT CAST(COUNT(*) AS BIGINT) AS created, CAST(COUNT(CASE WHEN t.resolved_at < ")
        .bind(window.to)
        .push(" THEN 1 END) AS BIGINT) AS resolved");
    push_tickets(&mut sql, caller, filters);
    push_created_in(&mut sql, window);
    let row = one_row(db, sql).await?;
    let (created, resolved): (i64, i64) = (row.try_get("", "created")?, row.try_get("", "resolved")?);

    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT CAST(COUNT(*) AS BIGINT) AS backlog");
    push_tickets(&mut sql, caller, filters);
    sql.push(" AND t.created_at < ")
        .bind(window.to)
        .push(" AND (t.resolved_at IS NULL OR t.resolved_at >= ")
        .bind(window.to)
        .push(") AND (t.closed_at IS NULL OR t.closed_at >= ")
        .bind(window.to)
        .push(")");
    let row = one_row(db, sql).await?;
    let backlog: i64 = row.try_get("", "backlog")?;

    let first_response_minutes = distribution(db, caller, window, filters, "t.first_response_at").await?;
    let resolution_hours = distribution(db, caller, window, filters, "t.resolved_at").await?.scaled(1.0 / 60.0);
    Ok(ServiceFigures {
        created,
        resolved,
        resolution_rate: ratio(resolved, created),
        backlog,
        first_response_minutes,
        resolution_hours,
        csat: csat(db, caller, window, filters).await?,
    })
}

/// CSAT over the ratings of the tickets created in the window.
pub async fn csat(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    filters: &ServiceFilters,
) -> AppResult<Csat> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT CAST(COUNT(t.satisfaction_score) AS BIGINT) AS responses, \
         CAST(COALESCE(SUM(t.satisfaction_score), 0) AS BIGINT) AS score_sum, \
         CAST(COUNT(CASE WHEN t.satisfaction_score >= 4 THEN 1 END) AS BIGINT) AS satisfied",
    );
    push_tickets(&mut sql, caller, filters);
    push_created_in(&mut sql, window);
    let row = one_row(db, sql).await?;
    let get = |name: &str| row.try_get::<i64>("", name).map_err(AppError::from);
    let (responses, score_sum, satisfied) = (get("responses")?, get("score_sum")?, get("satisfied")?);
    Ok(Csat { avg: ratio(score_sum, responses), responses, satisfied_rate: ratio(satisfied, responses) })
}

fn figure_change(current: &ServiceFigures, previous: &ServiceFigures) -> ServiceChange {
    ServiceChange {
        created: change(current.created as f64, previous.created as f64),
        resolved: change(current.resolved as f64, previous.resolved as f64),
        resolution_rate: super::query::change_opt(current.resolution_rate, previous.resolution_rate),
        backlog: change(current.backlog as f64, previous.backlog as f64),
        first_response_minutes_avg: super::query::change_opt(
            current.first_response_minutes.avg,
            previous.first_response_minutes.avg,
        ),
        resolution_hours_avg: super::query::change_opt(current.resolution_hours.avg, previous.resolution_hours.avg),
        csat_avg: super::query::change_opt(current.csat.avg, previous.csat.avg),
    }
}

pub async fn summary(db: &impl ConnectionTrait, caller: &AuthUser, query: &ServiceQuery) -> AppResult<ServiceSummary> {
    let window = query.window()?;
    let filters = query.filters();
    let current = figures(db, caller, &window, &filters).await?;
    let (previous_window, previous, change) = match query.compare {
        Some(compare) => {
            let previous_window = window.previous(compare);
            let previous = figures(db, caller, &previous_window, &filters).await?;
            let change = figure_change(&current, &previous);
            (Some(previous_window), Some(previous), Some(change))
        }
        None => (None, None, None),
    };
    Ok(ServiceSummary { window, filters, figures: current, previous_window, previous, change })
}

crate::stats_query! {
    /// Parameters of the satisfaction statistics.
    pub struct SatisfactionQuery {
        /// Only tickets and survey answers of this channel.
        pub channel: Option<String>,
        /// Only tickets and survey answers of customers of this segment.
        pub customer_segment: Option<String>,
    }
}

/// Net Promoter Score from the survey answers submitted in the window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Nps {
    /// (promoters − detractors) / responses × 100; `null` without answers.
    pub score: Option<f64>,
    /// Answers of 9 or 10.
    pub promoters: i64,
    /// Answers of 7 or 8.
    pub passives: i64,
    /// Answers of 0 to 6.
    pub detractors: i64,
    pub responses: i64,
}

/// CSAT and NPS.
#[derive(Debug, Serialize, ToSchema)]
pub struct Satisfaction {
    pub window: Window,
    pub filters: ServiceFilters,
    /// Ratings of the tickets created in the window.
    pub csat: Csat,
    /// Survey answers submitted in the window.
    pub nps: Nps,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<SatisfactionFigures>,
}

/// CSAT and NPS of a comparison window.
#[derive(Debug, Serialize, ToSchema)]
pub struct SatisfactionFigures {
    pub csat: Csat,
    pub nps: Nps,
}

async fn nps(db: &impl ConnectionTrait, window: &Window, filters: &ServiceFilters) -> AppResult<Nps> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT CAST(COUNT(CASE WHEN f.score >= 9 THEN 1 END) AS BIGINT) AS promoters, \
         CAST(COUNT(CASE WHEN f.score BETWEEN 7 AND 8 THEN 1 END) AS BIGINT) AS passives, \
         CAST(COUNT(CASE WHEN f.score <= 6 THEN 1 END) AS BIGINT) AS detractors, \
         CAST(COUNT(*) AS BIGINT) AS responses FROM feedback f",
    );
    if filters.customer_segment.is_some() {
        sql.push(" JOIN customers c ON c.id = f.customer_id");
    }
    sql.push(" WHERE f.deleted_at IS NULL AND f.submitted_at >= ")
        .bind(window.from)
        .push(" AND f.submitted_at < ")
        .bind(window.to);
    sql.and_eq("f.channel", filters.channel.as_ref());
    sql.and_eq("c.segment", filters.customer_segment.as_ref());
    let row = one_row(db, sql).await?;
    let get = |name: &str| row.try_get::<i64>("", name).map_err(AppError::from);
    let (promoters, passives, detractors, responses) =
        (get("promoters")?, get("passives")?, get("detractors")?, get("responses")?);
    Ok(Nps {
        score: ratio(promoters - detractors, responses).map(|r| r * 100.0),
        promoters,
        passives,
        detractors,
        responses,
    })
}

pub async fn satisfaction(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &SatisfactionQuery,
) -> AppResult<Satisfaction> {
    let window = query.window()?;
    let filters = ServiceFilters {
        channel: query.channel.clone(),
        customer_segment: query.customer_segment.clone(),
        ..Default::default()
    };
    let (csat_now, nps_now) = (csat(db, caller, &window, &filters).await?, nps(db, &window, &filters).await?);
    let (previous_window, previous) = match query.compare {
        Some(compare) => {
            let previous_window = window.previous(compare);
            let figures = SatisfactionFigures {
                csat: csat(db, caller, &previous_window, &filters).await?,
                nps: nps(db, &previous_window, &filters).await?,
            };
            (Some(previous_window), Some(figures))
        }
        None => (None, None),
    };
    Ok(Satisfaction { window, filters, csat: csat_now, nps: nps_now, previous_window, previous })
}

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

/// How one priority meets its targets.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaRow {
    pub priority: Priority,
    pub first_response_target_minutes: i64,
    pub resolution_target_minutes: i64,
    /// The window's tickets whose first-response target is decided by `to`: answered, or past the target unanswered.
    pub first_response_counted: i64,
    /// Share of those answered within the target.
    pub first_response_met_rate: Option<f64>,
    /// The window's tickets whose resolution target is decided by `to`.
    pub resolution_counted: i64,
    /// Share of those resolved within the target.
    pub resolution_met_rate: Option<f64>,
}

/// SLA attainment per priority.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaStats {
    pub window: Window,
    pub filters: ServiceFilters,
    /// Every priority, most urgent first.
    pub rows: Vec<SlaRow>,
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
) -> AppResult<SlaStats> {
    super::query::refuse_compare(query.compare)?;
    let window = query.window()?;
    let filters = ServiceFilters {
        assignee_id: query.assignee_id,
        team_id: query.team_id,
        channel: query.channel.clone(),
        category: query.category.clone(),
        ..Default::default()
    };
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT t.priority AS priority, ");
    push_sla_columns(&mut sql, &window, policy, "t.first_response_at", "first_response", |t| t.0);
    sql.push(", ");
    push_sla_columns(&mut sql, &window, policy, "t.resolved_at", "resolution", |t| t.1);
    push_tickets(&mut sql, caller, &filters);
    push_created_in(&mut sql, &window);
    sql.push(" GROUP BY t.priority");
    let mut found = std::collections::HashMap::new();
    for row in db.query_all_raw(sql.statement()).await? {
        let get = |name: &str| row.try_get::<i64>("", name).map_err(AppError::from);
        let counts = (
            get("first_response_met")?,
            get("first_response_counted")?,
            get("resolution_met")?,
            get("resolution_counted")?,
        );
        found.insert(row.try_get::<String>("", "priority")?, counts);
    }
    let rows = Priority::ALL
        .iter()
        .zip(policy.targets)
        .map(|(priority, (first, resolution))| {
            let (fr_met, fr_counted, res_met, res_counted) = found.get(priority.as_str()).copied().unwrap_or_default();
            SlaRow {
                priority: *priority,
                first_response_target_minutes: first,
                resolution_target_minutes: resolution,
                first_response_counted: fr_counted,
                first_response_met_rate: ratio(fr_met, fr_counted),
                resolution_counted: res_counted,
                resolution_met_rate: ratio(res_met, res_counted),
            }
        })
        .collect();
    Ok(SlaStats { window, filters, rows })
}
