//! Marketing statistics: each campaign over its whole life up to `to`.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::figures::{average_cents, change, change_opt, ratio};
use super::window::Window;
use crate::auth::AuthUser;
use crate::calendar::Calendar;
use crate::domain::Money;
use crate::error::AppResult;
use crate::sql::Sql;

crate::stats_query! {
    /// Parameters of the campaign statistics.
    pub struct CampaignQuery {
        /// Only this campaign (whatever its dates).
        pub campaign_id: Option<Uuid>,
        /// Only campaigns of this channel.
        pub channel: Option<String>,
    }
}

/// The figures of one campaign, over its life up to `to`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct CampaignFigures {
    /// The campaign's actual cost.
    pub cost: Money,
    /// Impressions recorded on the campaign.
    pub impressions: i64,
    /// Clicks recorded on the campaign.
    pub clicks: i64,
    /// clicks / impressions.
    pub ctr: Option<f64>,
    /// cost / clicks, rounded half-up to the cent.
    pub cpc: Option<Money>,
    /// Members added before `to`.
    pub members: i64,
    /// Of those, participated or converted (by their current status).
    pub participated: i64,
    /// participated / members.
    pub participation_rate: Option<f64>,
    /// Leads attributed to the campaign, created before `to`.
    pub leads: i64,
    /// Of those, converted before `to`.
    pub converted_leads: i64,
    /// converted_leads / leads.
    pub lead_conversion_rate: Option<f64>,
    /// cost / leads, rounded half-up to the cent.
    pub cost_per_lead: Option<Money>,
    /// Won opportunities attributed to the campaign, closed before `to`.
    pub won_opportunities: i64,
    /// Σ amount of those.
    pub revenue: Money,
    /// (revenue − cost) / cost.
    pub roi: Option<f64>,
}

/// One campaign's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignRow {
    /// The campaign.
    pub campaign_id: Uuid,
    /// The campaign's name.
    pub label: String,
    /// The campaign's channel.
    pub channel: Option<String>,
    /// First day of the campaign.
    pub start_date: NaiveDate,
    /// Last day of the campaign (inclusive); `null` while open-ended.
    pub end_date: Option<NaiveDate>,
    #[serde(flatten)]
    pub figures: CampaignFigures,
}

/// Campaign performance.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignStats {
    pub window: Window,
    /// The campaigns whose dates overlap the window (or the one asked for), by revenue, largest first.
    pub rows: Vec<CampaignRow>,
    /// The rows summed, ratios recomputed from the sums.
    pub total: CampaignFigures,
    #[serde(flatten)]
    pub comparison: CampaignComparison,
}

#[derive(Default, Clone, Copy)]
struct Counts {
    members: i64,
    participated: i64,
    leads: i64,
    converted_leads: i64,
    won: i64,
    revenue: i64,
}

/// `WHERE` the campaign is in the request: overlapping the window (its
/// end date inclusive) or the one named.
fn push_campaigns(sql: &mut Sql, window: &Window, query: &Selection) {
    sql.push(" WHERE cp.deleted_at IS NULL");
    match query.campaign_id {
        Some(id) => {
            sql.push(" AND cp.id = ").bind(id);
        }
        None => {
            // Campaign dates are the organization's local days.
            let last_day = window.calendar.date_of(window.to - Duration::microseconds(1));
            sql.push(" AND cp.start_date <= ")
                .bind(last_day)
                .push(" AND (cp.end_date IS NULL OR cp.end_date >= ")
                .bind(window.calendar.date_of(window.from))
                .push(")");
        }
    }
    if let Some(channel) = query.channel {
        sql.push(" AND cp.channel = ").bind(channel.trim().to_string());
    }
}

/// Which campaigns a request is about, apart from the window.
#[derive(Default)]
pub struct Selection<'a> {
    pub campaign_id: Option<Uuid>,
    pub channel: Option<&'a String>,
}

impl CampaignQuery {
    fn selection(&self) -> Selection<'_> {
        Selection { campaign_id: self.campaign_id, channel: self.channel.as_ref() }
    }
}

/// The campaigns overlapping `window` (or the one selected), each over its
/// life up to `to`, by revenue, largest first.
pub async fn rows(db: &impl ConnectionTrait, window: &Window, query: &Selection<'_>) -> AppResult<Vec<CampaignRow>> {
    let window = *window;
    let backend = db.get_database_backend();
    let mut counts: HashMap<Uuid, Counts> = HashMap::new();

    let mut sql = Sql::new(backend);
    sql.push(
        "SELECT m.campaign_id AS id, CAST(COUNT(*) AS BIGINT) AS members, \
         CAST(COUNT(CASE WHEN m.status IN ('participated', 'converted') THEN 1 END) AS BIGINT) AS participated \
         FROM campaign_members m JOIN campaigns cp ON cp.id = m.campaign_id",
    );
    push_campaigns(&mut sql, &window, query);
    sql.push(" AND m.deleted_at IS NULL AND m.created_at < ").bind(window.to).push(" GROUP BY m.campaign_id");
    for row in db.query_all_raw(sql.statement()).await? {
        let entry = counts.entry(row.try_get("", "id")?).or_default();
        entry.members = row.try_get("", "members")?;
        entry.participated = row.try_get("", "participated")?;
    }

    let mut sql = Sql::new(backend);
    sql.push("SELECT l.campaign_id AS id, CAST(COUNT(*) AS BIGINT) AS leads, CAST(COUNT(CASE WHEN l.converted_at < ")
        .bind(window.to)
        .push(" THEN 1 END) AS BIGINT) AS converted FROM leads l JOIN campaigns cp ON cp.id = l.campaign_id");
    push_campaigns(&mut sql, &window, query);
    sql.push(" AND l.deleted_at IS NULL AND l.created_at < ").bind(window.to).push(" GROUP BY l.campaign_id");
    for row in db.query_all_raw(sql.statement()).await? {
        let entry = counts.entry(row.try_get("", "id")?).or_default();
        entry.leads = row.try_get("", "leads")?;
        entry.converted_leads = row.try_get("", "converted")?;
    }

    let mut sql = Sql::new(backend);
    sql.push(
        "SELECT op.campaign_id AS id, CAST(COUNT(*) AS BIGINT) AS won, CAST(COALESCE(SUM(op.amount), 0) AS BIGINT) AS revenue \
         FROM opportunities op JOIN campaigns cp ON cp.id = op.campaign_id",
    );
    push_campaigns(&mut sql, &window, query);
    sql.push(" AND op.deleted_at IS NULL AND op.stage = 'won' AND op.closed_at < ")
        .bind(window.to)
        .push(" GROUP BY op.campaign_id");
    for row in db.query_all_raw(sql.statement()).await? {
        let entry = counts.entry(row.try_get("", "id")?).or_default();
        entry.won = row.try_get("", "won")?;
        entry.revenue = row.try_get("", "revenue")?;
    }

    let mut sql = Sql::new(backend);
    sql.push("SELECT cp.id, cp.name, cp.channel, cp.start_date, cp.end_date, cp.actual_cost, cp.impressions, cp.clicks FROM campaigns cp");
    push_campaigns(&mut sql, &window, query);
    let mut rows = vec![];
    for row in db.query_all_raw(sql.statement()).await? {
        let id: Uuid = row.try_get("", "id")?;
        let c = counts.get(&id).copied().unwrap_or_default();
        let cost: i64 = row.try_get("", "actual_cost")?;
        let (impressions, clicks): (i64, i64) = (row.try_get("", "impressions")?, row.try_get("", "clicks")?);
        rows.push(CampaignRow {
            campaign_id: id,
            label: row.try_get("", "name")?,
            channel: row.try_get("", "channel")?,
            start_date: row.try_get("", "start_date")?,
            end_date: row.try_get("", "end_date")?,
            figures: CampaignFigures {
                cost: Money(cost),
                impressions,
                clicks,
                ctr: ratio(clicks, impressions),
                cpc: average_cents(cost, clicks).map(Money),
                members: c.members,
                participated: c.participated,
                participation_rate: ratio(c.participated, c.members),
                leads: c.leads,
                converted_leads: c.converted_leads,
                lead_conversion_rate: ratio(c.converted_leads, c.leads),
                cost_per_lead: average_cents(cost, c.leads).map(Money),
                won_opportunities: c.won,
                revenue: Money(c.revenue),
                roi: ratio(c.revenue - cost, cost),
            },
        });
    }
    rows.sort_by(|a, b| b.figures.revenue.cmp(&a.figures.revenue).then_with(|| a.label.cmp(&b.label)));
    Ok(rows)
}

/// The figures of campaigns summed, ratios recomputed from the sums.
/// The campaigns overlapping the window, their actual cost and the
/// amounts of their won opportunities closed before `to`: the headline
/// the dashboard shows, in one statement (without the members and leads
/// the campaign statistics count).
pub struct Headline {
    pub campaigns: i64,
    pub cost: Money,
    pub revenue: Money,
    /// (revenue − cost) / cost.
    pub roi: Option<f64>,
}

pub async fn headline(db: &impl ConnectionTrait, window: &Window) -> AppResult<Headline> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT CAST(COUNT(*) AS BIGINT) AS campaigns, CAST(COALESCE(SUM(c.cost), 0) AS BIGINT) AS cost, \
         CAST(COALESCE(SUM(c.revenue), 0) AS BIGINT) AS revenue FROM (SELECT cp.actual_cost AS cost, \
         (SELECT SUM(op.amount) FROM opportunities op WHERE op.campaign_id = cp.id AND op.deleted_at IS NULL \
         AND op.stage = 'won' AND op.closed_at < ",
    )
    .bind(window.to)
    .push(") AS revenue FROM campaigns cp");
    push_campaigns(&mut sql, window, &Selection::default());
    sql.push(") c");
    let row = crate::sql::one_row(db, sql).await?;
    let (campaigns, cost, revenue): (i64, i64, i64) =
        (row.try_get("", "campaigns")?, row.try_get("", "cost")?, row.try_get("", "revenue")?);
    Ok(Headline { campaigns, cost: Money(cost), revenue: Money(revenue), roi: ratio(revenue - cost, cost) })
}

pub fn sum<'a>(figures: impl IntoIterator<Item = &'a CampaignFigures>) -> CampaignFigures {
    let mut sum = CampaignFigures::default();
    for f in figures {
        sum.cost = Money(sum.cost.cents() + f.cost.cents());
        sum.impressions += f.impressions;
        sum.clicks += f.clicks;
        sum.members += f.members;
        sum.participated += f.participated;
        sum.leads += f.leads;
        sum.converted_leads += f.converted_leads;
        sum.won_opportunities += f.won_opportunities;
        sum.revenue = Money(sum.revenue.cents() + f.revenue.cents());
    }
    with_ratios(sum)
}

/// The relative change of the summed figures.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct CampaignChange {
    /// Relative change of `cost`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub cost: Option<f64>,
    /// Relative change of `impressions`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub impressions: Option<f64>,
    /// Relative change of `clicks`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub clicks: Option<f64>,
    /// Relative change of `members`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub members: Option<f64>,
    /// Relative change of `leads`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub leads: Option<f64>,
    /// Relative change of `converted_leads`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub converted_leads: Option<f64>,
    /// Relative change of `lead_conversion_rate`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub lead_conversion_rate: Option<f64>,
    /// Relative change of `won_opportunities`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub won_opportunities: Option<f64>,
    /// Relative change of `revenue`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub revenue: Option<f64>,
    /// Relative change of `roi`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub roi: Option<f64>,
}

fn figure_change(current: &CampaignFigures, previous: &CampaignFigures) -> CampaignChange {
    let count = |c: i64, p: i64| change(c as f64, p as f64);
    CampaignChange {
        cost: count(current.cost.cents(), previous.cost.cents()),
        impressions: count(current.impressions, previous.impressions),
        clicks: count(current.clicks, previous.clicks),
        members: count(current.members, previous.members),
        leads: count(current.leads, previous.leads),
        converted_leads: count(current.converted_leads, previous.converted_leads),
        lead_conversion_rate: change_opt(current.lead_conversion_rate, previous.lead_conversion_rate),
        won_opportunities: count(current.won_opportunities, previous.won_opportunities),
        revenue: count(current.revenue.cents(), previous.revenue.cents()),
        roi: change_opt(current.roi, previous.roi),
    }
}

/// The comparison of a campaign request: the campaigns of the earlier
/// window, summed.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct CampaignComparison {
    /// The comparison window, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_window: Option<Window>,
    /// The comparison window's campaigns summed, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<CampaignFigures>,
    /// The relative change of the totals, with `compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<CampaignChange>,
}

async fn comparison(
    db: &impl ConnectionTrait,
    window: &Window,
    query: &CampaignQuery,
    total: &CampaignFigures,
) -> AppResult<CampaignComparison> {
    let Some(compare) = query.compare else { return Ok(CampaignComparison::default()) };
    let previous_window = window.previous(compare);
    let previous = sum(rows(db, &previous_window, &query.selection()).await?.iter().map(|r| &r.figures));
    Ok(CampaignComparison {
        previous_window: Some(previous_window),
        change: Some(figure_change(total, &previous)),
        previous: Some(previous),
    })
}

pub async fn campaigns(
    db: &impl ConnectionTrait,
    _caller: &AuthUser,
    query: &CampaignQuery,
    calendar: Calendar,
) -> AppResult<CampaignStats> {
    let window = query.window(calendar)?;
    let rows = rows(db, &window, &query.selection()).await?;
    let total = sum(rows.iter().map(|r| &r.figures));
    let comparison = comparison(db, &window, query, &total).await?;
    Ok(CampaignStats { window, rows, total, comparison })
}

/// One channel's campaigns, summed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelRow {
    /// The campaigns' channel; `null` for campaigns without one.
    pub channel: Option<String>,
    /// Campaigns summed.
    pub campaigns: i64,
    #[serde(flatten)]
    pub figures: CampaignFigures,
}

/// Campaign performance per channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelStats {
    pub window: Window,
    /// By revenue, largest first.
    pub rows: Vec<ChannelRow>,
    /// All channels summed.
    pub total: CampaignFigures,
    #[serde(flatten)]
    pub comparison: CampaignComparison,
}

/// Recomputes the ratios of summed counts.
fn with_ratios(sum: CampaignFigures) -> CampaignFigures {
    let cost = sum.cost.cents();
    CampaignFigures {
        ctr: ratio(sum.clicks, sum.impressions),
        cpc: average_cents(cost, sum.clicks).map(Money),
        participation_rate: ratio(sum.participated, sum.members),
        lead_conversion_rate: ratio(sum.converted_leads, sum.leads),
        cost_per_lead: average_cents(cost, sum.leads).map(Money),
        roi: ratio(sum.revenue.cents() - cost, cost),
        ..sum
    }
}

/// The campaign figures summed per channel (the campaigns are the groups
/// the database already aggregated; this adds up one row per campaign).
pub async fn channels(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &CampaignQuery,
    calendar: Calendar,
) -> AppResult<ChannelStats> {
    let stats = campaigns(db, caller, query, calendar).await?;
    let mut by_channel: Vec<(Option<String>, Vec<CampaignFigures>)> = vec![];
    for row in stats.rows {
        match by_channel.iter_mut().find(|(channel, _)| *channel == row.channel) {
            Some((_, figures)) => figures.push(row.figures),
            None => by_channel.push((row.channel, vec![row.figures])),
        }
    }
    let mut rows: Vec<ChannelRow> = by_channel
        .into_iter()
        .map(|(channel, figures)| ChannelRow { channel, campaigns: figures.len() as i64, figures: sum(&figures) })
        .collect();
    rows.sort_by(|a, b| b.figures.revenue.cmp(&a.figures.revenue).then_with(|| a.channel.cmp(&b.channel)));
    Ok(ChannelStats { window: stats.window, rows, total: stats.total, comparison: stats.comparison })
}
