//! Satisfaction: CSAT from the ratings of the window's tickets and NPS
//! from the survey answers submitted in it.

use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;

use super::figures::ratio;
use super::tickets::{Csat, ServiceFilters, csat};
use super::window::Window;
use crate::auth::AuthUser;
use crate::calendar::Calendar;
use crate::error::{AppError, AppResult};
use crate::sql::{Sql, one_row};

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
    /// All answers.
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
    calendar: Calendar,
) -> AppResult<Satisfaction> {
    let window = query.window(calendar)?;
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
