//! The sales pipeline: open opportunities as of now.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::query::{Sql, push_scope};
use crate::auth::AuthUser;
use crate::domain::Money;
use crate::domain::enums::Stage;
use crate::domain::time::now;
use crate::error::AppResult;

/// Parameters of the pipeline (it has no window: it is the pipeline now).
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PipelineQuery {
    /// Only opportunities owned by this user.
    pub owner_id: Option<Uuid>,
    /// Only opportunities owned by members of this team.
    pub team_id: Option<Uuid>,
    /// Only opportunities attributed to this campaign.
    pub campaign_id: Option<Uuid>,
    /// Only opportunities of customers of this segment.
    pub customer_segment: Option<String>,
    /// Only opportunities of customers of this region.
    pub region: Option<String>,
}

/// Open opportunities: how many, their amount, and their amount weighted by
/// probability.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct PipelineFigures {
    /// Open opportunities.
    pub count: i64,
    pub amount: Money,
    /// Σ amount × probability, rounded half-up to the cent.
    pub weighted: Money,
}

impl PipelineFigures {
    /// Adds another group's figures.
    pub fn add(&mut self, other: &PipelineFigures) {
        self.count += other.count;
        self.amount = Money(self.amount.cents() + other.amount.cents());
        self.weighted = Money(self.weighted.cents() + other.weighted.cents());
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StagePipeline {
    pub stage: Stage,
    #[serde(flatten)]
    pub figures: PipelineFigures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonthPipeline {
    /// The expected close month `YYYY-MM`; `null` for opportunities without an expected close date.
    pub month: Option<String>,
    #[serde(flatten)]
    pub figures: PipelineFigures,
}

/// The open pipeline per stage and per expected-close month.
#[derive(Debug, Serialize, ToSchema)]
pub struct Pipeline {
    /// When the figures were taken.
    pub as_of: DateTime<Utc>,
    /// Every open stage, in funnel order.
    pub by_stage: Vec<StagePipeline>,
    /// Expected-close months in order, then the undated ones.
    pub by_month: Vec<MonthPipeline>,
    pub total: PipelineFigures,
}

pub(super) fn read(row: &QueryResult) -> AppResult<PipelineFigures> {
    let weighted_basis: i64 = row.try_get("", "weighted_basis")?;
    Ok(PipelineFigures {
        count: row.try_get("", "n")?,
        amount: Money(row.try_get("", "amount")?),
        // Σ amount (cents) × probability (basis points), back to cents.
        weighted: Money((weighted_basis + 5_000).div_euclid(10_000)),
    })
}

pub(super) async fn grouped(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &PipelineQuery,
    group: Option<&str>,
) -> AppResult<Vec<QueryResult>> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT ");
    if let Some(group) = group {
        sql.push(&format!("{group} AS group_key, "));
    }
    sql.push(
        "CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(op.amount), 0) AS BIGINT) AS amount, \
         CAST(COALESCE(SUM(op.amount * op.probability_bp), 0) AS BIGINT) AS weighted_basis FROM opportunities op",
    );
    if query.customer_segment.is_some() || query.region.is_some() {
        sql.push(" JOIN customers c ON c.id = op.customer_id");
    }
    sql.push(" WHERE op.deleted_at IS NULL AND op.closed_at IS NULL");
    sql.and_id("op.owner_id", query.owner_id);
    sql.and_in_team("op.owner_id", query.team_id);
    sql.and_id("op.campaign_id", query.campaign_id);
    sql.and_eq("c.segment", query.customer_segment.as_ref());
    sql.and_eq("c.region", query.region.as_ref());
    push_scope(&mut sql, caller, "op.owner_id");
    if let Some(group) = group {
        sql.push(&format!(" GROUP BY {group}"));
    }
    Ok(db.query_all_raw(sql.statement()).await?)
}

/// `YYYY-MM` of a DATE column.
fn month_of(backend: DbBackend, column: &str) -> String {
    if backend == DbBackend::Postgres {
        format!("to_char({column}, 'YYYY-MM')")
    } else {
        format!("strftime('%Y-%m', {column})")
    }
}

pub async fn pipeline(db: &impl ConnectionTrait, caller: &AuthUser, query: &PipelineQuery) -> AppResult<Pipeline> {
    let as_of = now();
    let mut stages = std::collections::HashMap::new();
    for row in grouped(db, caller, query, Some("op.stage")).await? {
        stages.insert(row.try_get::<String>("", "group_key")?, read(&row)?);
    }
    let by_stage = Stage::ALL
        .iter()
        .filter(|stage| !stage.is_closed())
        .map(|stage| StagePipeline { stage: *stage, figures: stages.remove(stage.as_str()).unwrap_or_default() })
        .collect();
    let month = month_of(db.get_database_backend(), "op.expected_close_date");
    let mut by_month = vec![];
    for row in grouped(db, caller, query, Some(&month)).await? {
        by_month.push(MonthPipeline { month: row.try_get("", "group_key")?, figures: read(&row)? });
    }
    // Months in order, undated last.
    by_month.sort_by(|a, b| (a.month.is_none(), &a.month).cmp(&(b.month.is_none(), &b.month)));
    let total = total(db, caller, query).await?;
    Ok(Pipeline { as_of, by_stage, by_month, total })
}

/// The whole open pipeline now, in one query.
pub async fn total(db: &impl ConnectionTrait, caller: &AuthUser, query: &PipelineQuery) -> AppResult<PipelineFigures> {
    match grouped(db, caller, query, None).await?.first() {
        Some(row) => read(row),
        None => Ok(PipelineFigures::default()),
    }
}
