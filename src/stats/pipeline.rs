//! The sales pipeline: open opportunities as of now.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::domain::Money;
use crate::domain::enums::Stage;
use crate::domain::time::now;
use crate::error::AppResult;
use crate::sql::Sql;

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

/// The pipeline figures per value of `group` (one group, keyed `None`,
/// without one). The weighted amount is Σ amount (cents) × probability
/// (basis points) / 10,000: the database sums the amounts per probability,
/// which cannot overflow where the products could (an amount at the bound
/// times 10,000 basis points is 10^16), and the products are added here in
/// 128 bits, then rounded half-up to the cent once per group.
pub(super) async fn grouped(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &PipelineQuery,
    group: Option<&str>,
) -> AppResult<Vec<(Option<String>, PipelineFigures)>> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(&format!("SELECT {} AS group_key, ", group.unwrap_or("NULL")));
    sql.push(
        "CAST(op.probability_bp AS BIGINT) AS bp, CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(op.amount), 0) AS BIGINT) AS amount \
         FROM opportunities op",
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
    Scope::owned(caller).push_and(&mut sql, "op.owner_id");
    sql.push(&format!(" GROUP BY {}op.probability_bp", group.map(|g| format!("{g}, ")).unwrap_or_default()));
    let mut groups: Vec<(Option<String>, i64, i64, i128)> = Vec::new();
    for row in db.query_all_raw(sql.statement()).await? {
        let key: Option<String> = row.try_get("", "group_key")?;
        let bp: i64 = row.try_get::<Option<i64>>("", "bp")?.unwrap_or(0);
        let (n, amount): (i64, i64) = (row.try_get("", "n")?, row.try_get("", "amount")?);
        let basis = i128::from(amount) * i128::from(bp);
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => (g.1, g.2, g.3) = (g.1 + n, g.2 + amount, g.3 + basis),
            None => groups.push((key, n, amount, basis)),
        }
    }
    Ok(groups
        .into_iter()
        .map(|(key, count, amount, basis)| {
            let weighted = i64::try_from((basis + 5_000).div_euclid(10_000)).unwrap_or(i64::MAX);
            (key, PipelineFigures { count, amount: Money(amount), weighted: Money(weighted) })
        })
        .collect())
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
    for (stage, figures) in grouped(db, caller, query, Some("op.stage")).await? {
        stages.insert(stage.unwrap_or_default(), figures);
    }
    let by_stage = Stage::ALL
        .iter()
        .filter(|stage| !stage.is_closed())
        .map(|stage| StagePipeline { stage: *stage, figures: stages.remove(stage.as_str()).unwrap_or_default() })
        .collect();
    let month = month_of(db.get_database_backend(), "op.expected_close_date");
    let mut by_month = vec![];
    for (month, figures) in grouped(db, caller, query, Some(&month)).await? {
        by_month.push(MonthPipeline { month, figures });
    }
    // Months in order, undated last.
    by_month.sort_by(|a, b| (a.month.is_none(), &a.month).cmp(&(b.month.is_none(), &b.month)));
    let total = total(db, caller, query).await?;
    Ok(Pipeline { as_of, by_stage, by_month, total })
}

/// The whole open pipeline now, in one query.
pub async fn total(db: &impl ConnectionTrait, caller: &AuthUser, query: &PipelineQuery) -> AppResult<PipelineFigures> {
    Ok(grouped(db, caller, query, None).await?.into_iter().next().map(|(_, figures)| figures).unwrap_or_default())
}
