//! The sales funnel of the opportunities created in a window, from their
//! stage history as of `to`.

use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::figures::ratio;
use super::window::Window;
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::calendar::Calendar;
use crate::domain::Money;
use crate::domain::enums::Stage;
use crate::error::{AppError, AppResult};
use crate::sql::{Sql, minutes_between, one_row};

crate::stats_query! {
    /// Parameters of the funnel.
    pub struct FunnelQuery {
        /// Only opportunities owned by this user.
        pub owner_id: Option<Uuid>,
        /// Only opportunities owned by members of this team.
        pub team_id: Option<Uuid>,
        /// Only opportunities attributed to this campaign.
        pub campaign_id: Option<Uuid>,
    }
}

/// The filters applied.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct FunnelFilters {
    /// The `owner_id` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
    /// The `team_id` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    /// The `campaign_id` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<Uuid>,
}

/// One stage of the funnel.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelStage {
    pub stage: Stage,
    /// Opportunities that reached the stage: their history holds it or a
    /// later one (`won` is later than every open stage; a lost opportunity
    /// reached the furthest open stage it held).
    pub reached: i64,
    /// Σ amount of those.
    pub amount: Money,
    /// reached(next stage) / reached(this stage); `null` for `won` or without any.
    pub conversion: Option<f64>,
}

/// The funnel figures of a window.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelFigures {
    /// `qualification` … `negotiation`, then `won`.
    pub stages: Vec<FunnelStage>,
    /// Won before `to`.
    pub won: i64,
    /// Lost before `to`.
    pub lost: i64,
    /// Neither, as of `to`.
    pub open: i64,
    /// won / (won + lost).
    pub win_rate: Option<f64>,
    /// Mean days from creation to the win, over the won ones.
    pub avg_sales_cycle_days: Option<f64>,
}

/// The relative change of the overall figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelChange {
    /// Of the opportunities created in the window (won + lost + open).
    pub opportunities: Option<f64>,
    /// Relative change of `won`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub won: Option<f64>,
    /// Relative change of `lost`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub lost: Option<f64>,
    /// Relative change of `open`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub open: Option<f64>,
    /// Relative change of `win_rate`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub win_rate: Option<f64>,
    /// Relative change of `avg_sales_cycle_days`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub avg_sales_cycle_days: Option<f64>,
}

/// The funnel.
#[derive(Debug, Serialize, ToSchema)]
pub struct Funnel {
    pub window: Window,
    pub filters: FunnelFilters,
    #[serde(flatten)]
    pub figures: FunnelFigures,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    /// The funnel of the opportunities created in the comparison window, as of its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<FunnelFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<FunnelChange>,
}

/// The funnel stages in order, with their rank in SQL.
const RANKED: [(Stage, i32); 5] = [
    (Stage::Qualification, 1),
    (Stage::NeedsAnalysis, 2),
    (Stage::Proposal, 3),
    (Stage::Negotiation, 4),
    (Stage::Won, 5),
];

pub async fn funnel(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &FunnelQuery,
    calendar: Calendar,
) -> AppResult<Funnel> {
    let window = query.window(calendar)?;
    let filters = FunnelFilters { owner_id: query.owner_id, team_id: query.team_id, campaign_id: query.campaign_id };
    let current = figures(db, caller, &window, &filters).await?;
    let (previous_window, previous, change) = match query.compare {
        Some(compare) => {
            let previous_window = window.previous(compare);
            let previous = figures(db, caller, &previous_window, &filters).await?;
            let count = |c: i64, p: i64| super::figures::change(c as f64, p as f64);
            let change = FunnelChange {
                opportunities: count(
                    current.won + current.lost + current.open,
                    previous.won + previous.lost + previous.open,
                ),
                won: count(current.won, previous.won),
                lost: count(current.lost, previous.lost),
                open: count(current.open, previous.open),
                win_rate: super::figures::change_opt(current.win_rate, previous.win_rate),
                avg_sales_cycle_days: super::figures::change_opt(
                    current.avg_sales_cycle_days,
                    previous.avg_sales_cycle_days,
                ),
            };
            (Some(previous_window), Some(previous), Some(change))
        }
        None => (None, None, None),
    };
    Ok(Funnel { window, filters, figures: current, previous_window, previous, change })
}

/// The funnel of the opportunities created in `window`, as of its end.
pub async fn figures(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    filters: &FunnelFilters,
) -> AppResult<FunnelFigures> {
    let backend = db.get_database_backend();
    let rank = "CASE sh.stage WHEN 'qualification' THEN 1 WHEN 'needs_analysis' THEN 2 WHEN 'proposal' THEN 3 \
                WHEN 'negotiation' THEN 4 WHEN 'won' THEN 5 ELSE 0 END";
    let mut sql = Sql::new(backend);
    // Per opportunity: the furthest stage reached before `to`, and its
    // stage (and when it entered it) as of `to`.
    sql.push(&format!(
        "WITH entries AS (SELECT op.id, op.amount, op.created_at, sh.stage, sh.changed_at, {rank} AS stage_rank, \
         ROW_NUMBER() OVER (PARTITION BY op.id ORDER BY sh.changed_at DESC, sh.id DESC) AS latest \
         FROM opportunities op JOIN opportunity_stage_history sh ON sh.opportunity_id = op.id AND sh.changed_at < "
    ))
    .bind(window.to)
    .push(" WHERE op.deleted_at IS NULL AND op.created_at >= ")
    .bind(window.from)
    .push(" AND op.created_at < ")
    .bind(window.to);
    sql.and_id("op.owner_id", filters.owner_id);
    sql.and_in_team("op.owner_id", filters.team_id);
    sql.and_id("op.campaign_id", filters.campaign_id);
    Scope::owned(caller).push_and(&mut sql, "op.owner_id");
    sql.push(&format!(
        "), per_opportunity AS (SELECT id, MAX(amount) AS amount, MAX(stage_rank) AS max_rank, \
         MAX(CASE WHEN latest = 1 THEN stage END) AS state, \
         MAX(CASE WHEN latest = 1 AND stage = 'won' THEN {} END) AS won_minutes \
         FROM entries GROUP BY id) SELECT ",
        minutes_between(backend, "created_at", "changed_at")
    ));
    for (_, rank) in RANKED {
        sql.push(&format!(
            "CAST(COUNT(CASE WHEN max_rank >= {rank} THEN 1 END) AS BIGINT) AS reached_{rank}, \
             CAST(COALESCE(SUM(CASE WHEN max_rank >= {rank} THEN amount END), 0) AS BIGINT) AS amount_{rank}, "
        ));
    }
    sql.push(
        "CAST(COUNT(CASE WHEN state = 'won' THEN 1 END) AS BIGINT) AS won, \
         CAST(COUNT(CASE WHEN state = 'lost' THEN 1 END) AS BIGINT) AS lost, \
         CAST(COUNT(CASE WHEN state NOT IN ('won', 'lost') THEN 1 END) AS BIGINT) AS still_open, \
         AVG(won_minutes) AS won_minutes FROM per_opportunity",
    );
    let row = one_row(db, sql).await?;
    let get = |name: &str| row.try_get::<i64>("", name).map_err(AppError::from);
    let reached: Vec<i64> = RANKED.iter().map(|(_, rank)| get(&format!("reached_{rank}"))).collect::<AppResult<_>>()?;
    let mut stages = vec![];
    for (index, (stage, rank)) in RANKED.iter().enumerate() {
        stages.push(FunnelStage {
            stage: *stage,
            reached: reached[index],
            amount: Money(get(&format!("amount_{rank}"))?),
            conversion: reached.get(index + 1).and_then(|next| ratio(*next, reached[index])),
        });
    }
    let (won, lost, open) = (get("won")?, get("lost")?, get("still_open")?);
    let won_minutes: Option<f64> = row.try_get("", "won_minutes")?;
    Ok(FunnelFigures {
        stages,
        won,
        lost,
        open,
        win_rate: ratio(won, won + lost),
        avg_sales_cycle_days: won_minutes.map(|m| m / 1440.0),
    })
}
