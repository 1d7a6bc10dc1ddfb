//! Lead conversion statistics.

use sea_orm::{ConnectionTrait, QueryResult};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::figures::ratio;
use super::window::Window;
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::calendar::Calendar;
use crate::error::{AppError, AppResult};
use crate::sql::{Sql, minutes_between};

crate::stats_query! {
    /// Parameters of the lead conversion statistics.
    pub struct LeadQuery {
        /// Only leads owned by this user.
        pub owner_id: Option<Uuid>,
        /// Only leads owned by members of this team.
        pub team_id: Option<Uuid>,
        /// Only leads attributed to this campaign.
        pub campaign_id: Option<Uuid>,
    }
}

/// The filters applied.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct LeadFilters {
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

/// Conversion figures of a set of leads.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct ConversionFigures {
    /// Leads created in the window.
    pub leads: i64,
    /// Of those, converted before `to`.
    pub converted: i64,
    /// converted / leads.
    pub conversion_rate: Option<f64>,
    /// Mean days from creation to conversion, over the converted ones.
    pub avg_days_to_convert: Option<f64>,
}

/// One lead source.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceConversion {
    /// The lead's `source`; `null` for leads without one.
    pub source: Option<String>,
    #[serde(flatten)]
    pub figures: ConversionFigures,
}

/// Lead conversion per source channel, most leads first.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadConversion {
    pub window: Window,
    pub filters: LeadFilters,
    /// Per source, most leads first.
    pub rows: Vec<SourceConversion>,
    pub total: ConversionFigures,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    /// The total of the comparison window, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<ConversionFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<ConversionChange>,
}

/// The relative change of the totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionChange {
    /// Relative change of `leads`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub leads: Option<f64>,
    /// Relative change of `converted`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub converted: Option<f64>,
    /// Relative change of `conversion_rate`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub conversion_rate: Option<f64>,
    /// Relative change of `avg_days_to_convert`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub avg_days_to_convert: Option<f64>,
}

fn read(row: &QueryResult) -> AppResult<ConversionFigures> {
    let leads: i64 = row.try_get("", "leads")?;
    let converted: i64 = row.try_get("", "converted")?;
    Ok(ConversionFigures {
        leads,
        converted,
        conversion_rate: ratio(converted, leads),
        avg_days_to_convert: row.try_get::<Option<f64>>("", "avg_days")?,
    })
}

async fn query_figures(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    filters: &LeadFilters,
    by_source: bool,
) -> AppResult<Vec<(Option<String>, ConversionFigures)>> {
    let backend = db.get_database_backend();
    let days = format!("{} / 1440.0", minutes_between(backend, "l.created_at", "l.converted_at"));
    let mut sql = Sql::new(backend);
    sql.push(if by_source { "SELECT l.source AS source, " } else { "SELECT " })
        .push("CAST(COUNT(*) AS BIGINT) AS leads, CAST(COUNT(CASE WHEN l.converted_at < ")
        .bind(window.to)
        .push(" THEN 1 END) AS BIGINT) AS converted, AVG(CASE WHEN l.converted_at < ")
        .bind(window.to)
        .push(&format!(" THEN {days} END) AS avg_days FROM leads l WHERE l.deleted_at IS NULL AND l.created_at >= "))
        .bind(window.from)
        .push(" AND l.created_at < ")
        .bind(window.to);
    sql.and_id("l.owner_id", filters.owner_id);
    sql.and_in_team("l.owner_id", filters.team_id);
    sql.and_id("l.campaign_id", filters.campaign_id);
    Scope::leads(caller).push_and(&mut sql, "l.owner_id");
    if by_source {
        sql.push(" GROUP BY l.source");
    }
    let mut out = vec![];
    for row in db.query_all_raw(sql.statement()).await? {
        let source = if by_source { row.try_get::<Option<String>>("", "source")? } else { None };
        out.push((source, read(&row)?));
    }
    Ok(out)
}

pub async fn conversion(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &LeadQuery,
    calendar: Calendar,
) -> AppResult<LeadConversion> {
    let window = query.window(calendar)?;
    let filters = LeadFilters { owner_id: query.owner_id, team_id: query.team_id, campaign_id: query.campaign_id };
    let mut rows: Vec<SourceConversion> = query_figures(db, caller, &window, &filters, true)
        .await?
        .into_iter()
        .map(|(source, figures)| SourceConversion { source, figures })
        .collect();
    rows.sort_by(|a, b| b.figures.leads.cmp(&a.figures.leads).then_with(|| a.source.cmp(&b.source)));
    let total = totals(db, caller, &window, &filters).await?;
    let (previous_window, previous, change) = match query.compare {
        Some(compare) => {
            let previous_window = window.previous(compare);
            let previous = totals(db, caller, &previous_window, &filters).await?;
            let change = ConversionChange {
                leads: super::figures::change(total.leads as f64, previous.leads as f64),
                converted: super::figures::change(total.converted as f64, previous.converted as f64),
                conversion_rate: super::figures::change_opt(total.conversion_rate, previous.conversion_rate),
                avg_days_to_convert: super::figures::change_opt(
                    total.avg_days_to_convert,
                    previous.avg_days_to_convert,
                ),
            };
            (Some(previous_window), Some(previous), Some(change))
        }
        None => (None, None, None),
    };
    Ok(LeadConversion { window, filters, rows, total, previous_window, previous, change })
}

async fn totals(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    window: &Window,
    filters: &LeadFilters,
) -> AppResult<ConversionFigures> {
    query_figures(db, caller, window, filters, false)
        .await?
        .pop()
        .map(|(_, figures)| figures)
        .ok_or_else(|| AppError::internal("aggregate returned no row"))
}
