//! The dashboard: the headline figures of every family in one call, with
//! the previous period, each family within the caller's scope and present
//! only for the roles that may read it.

use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::customers::CustomerFilters;
use super::figures::{Filters, change, change_opt, ratio};
use super::tickets::ServiceFilters;
use super::window::{Compare, Granularity, Window};
use crate::auth::AuthUser;
use crate::auth::policy::{MarketingReaders, Policy, SalesStats, ServiceStats};
use crate::auth::scope::Scope;
use crate::calendar::Calendar;
use crate::domain::Money;
use crate::error::AppResult;
use crate::sql::{Sql, one_row};

crate::stats_query! {
    /// Parameters of the dashboard. The comparison window is the previous
    /// period unless `compare` says otherwise.
    pub struct DashboardQuery {
        /// Bucket size of the revenue series; default `day` for windows up to 31 days, `month` otherwise.
        pub granularity: Option<Granularity>,
    }
}

/// Sales headlines; `null` for roles that may not read sales statistics.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct SalesKpis {
    /// Revenue of the counted orders placed in the window.
    pub revenue: Money,
    /// revenue − cost.
    pub profit: Money,
    /// Counted orders.
    pub orders: i64,
    /// revenue / orders, rounded half-up to the cent.
    pub aov: Option<Money>,
    /// Customers created in the window.
    pub new_customers: i64,
    /// Customers with a counted order in the window.
    pub active_customers: i64,
    /// Opportunities won / (won + lost), over those closed in the window.
    pub win_rate: Option<f64>,
    /// The probability-weighted amount of the open opportunities now; `null` in `previous`.
    pub weighted_pipeline: Option<Money>,
}

/// Service headlines; `null` for roles that may not read service statistics.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ServiceKpis {
    /// Tickets created in the window.
    pub tickets_created: i64,
    /// Median minutes to first response of those, answered before `to`.
    pub first_response_minutes_p50: Option<f64>,
    /// Mean rating (1–5) of those.
    pub csat: Option<f64>,
    /// Ratings given.
    pub csat_responses: i64,
}

/// Marketing headlines; `null` for roles that may not read marketing statistics.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct MarketingKpis {
    /// Campaigns whose dates overlap the window.
    pub campaigns: i64,
    /// Their actual cost.
    pub campaign_cost: Money,
    /// The amounts of their won opportunities closed before `to`.
    pub campaign_revenue: Money,
    /// (campaign_revenue − campaign_cost) / campaign_cost.
    pub campaign_roi: Option<f64>,
}

/// The headline figures of a window.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Kpis {
    pub sales: Option<SalesKpis>,
    pub service: Option<ServiceKpis>,
    pub marketing: Option<MarketingKpis>,
}

/// The relative change of each headline figure (`null` where either side is missing or previous is 0).
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct KpiChange {
    /// Relative change of `revenue`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub revenue: Option<f64>,
    /// Relative change of `profit`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub profit: Option<f64>,
    /// Relative change of `orders`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub orders: Option<f64>,
    /// Relative change of `aov`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub aov: Option<f64>,
    /// Relative change of `new_customers`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub new_customers: Option<f64>,
    /// Relative change of `active_customers`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub active_customers: Option<f64>,
    /// Relative change of `win_rate`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub win_rate: Option<f64>,
    /// Relative change of `tickets_created`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub tickets_created: Option<f64>,
    /// Relative change of `first_response_minutes_p50`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub first_response_minutes_p50: Option<f64>,
    /// Relative change of `csat`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub csat: Option<f64>,
    /// Relative change of `campaign_roi`: (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub campaign_roi: Option<f64>,
}

/// An employee among the top five by revenue.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopEmployee {
    /// 1 for the highest revenue.
    pub rank: usize,
    /// The employee.
    pub user_id: Uuid,
    /// The employee's name.
    pub name: String,
    pub revenue: Money,
    /// Opportunities won in the window.
    pub deals_won: i64,
    /// Won / (won + lost), closed in the window.
    pub win_rate: Option<f64>,
    /// revenue / revenue target; `null` without a target.
    pub attainment: Option<f64>,
}

/// Revenue per bucket, for a sparkline.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevenuePoint {
    /// The first instant of the bucket, with the organization's offset (`2026-04-01T00:00:00+08:00`).
    pub period_start: crate::calendar::LocalTime,
    pub revenue: Money,
}

/// The dashboard.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dashboard {
    pub window: Window,
    pub previous_window: Window,
    #[serde(flatten)]
    pub kpis: Kpis,
    /// The same figures for the comparison window.
    pub previous: Kpis,
    pub change: KpiChange,
    /// The five employees in scope with the most revenue in the window (sales statistics readers only).
    pub top_employees: Vec<TopEmployee>,
    pub granularity: Granularity,
    /// Revenue per bucket of the window, every bucket present (sales statistics readers only).
    pub revenue_series: Vec<RevenuePoint>,
}

fn may<P: Policy>(caller: &AuthUser) -> bool {
    P::ROLES.contains(&caller.role)
}

/// Won and lost opportunities closed in the window, in scope.
async fn win_rate(db: &impl ConnectionTrait, caller: &AuthUser, window: &Window) -> AppResult<Option<f64>> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT CAST(COUNT(CASE WHEN op.stage = 'won' THEN 1 END) AS BIGINT) AS won, \
         CAST(COUNT(CASE WHEN op.stage = 'lost' THEN 1 END) AS BIGINT) AS lost \
         FROM opportunities op WHERE op.deleted_at IS NULL AND op.closed_at >= ",
    )
    .bind(window.from)
    .push(" AND op.closed_at < ")
    .bind(window.to);
    Scope::owned(caller).push_and(&mut sql, "op.owner_id");
    let row = one_row(db, sql).await?;
    let (won, lost): (i64, i64) = (row.try_get("", "won")?, row.try_get("", "lost")?);
    Ok(ratio(won, won + lost))
}

async fn kpis(db: &impl ConnectionTrait, caller: &AuthUser, window: &Window, now: bool) -> AppResult<Kpis> {
    let sales = if may::<SalesStats>(caller) {
        let figures = super::sales::figures(db, caller, window, &Filters::default()).await?;
        // Every buyer of the window is in an unscoped caller's figures.
        let buyers = Scope::owned(caller).is_everything().then_some(figures.customers);
        let (new_customers, active_customers) =
            super::customers::new_and_active(db, caller, window, &CustomerFilters::default(), buyers).await?;
        let weighted_pipeline =
            if now { Some(super::pipeline::total(db, caller, &Default::default()).await?.weighted) } else { None };
        Some(SalesKpis {
            revenue: figures.revenue,
            profit: figures.profit,
            orders: figures.orders,
            aov: figures.aov,
            new_customers,
            active_customers,
            win_rate: win_rate(db, caller, window).await?,
            weighted_pipeline,
        })
    } else {
        None
    };
    let service = if may::<ServiceStats>(caller) {
        let figures = super::tickets::figures(db, caller, window, &ServiceFilters::default()).await?;
        Some(ServiceKpis {
            tickets_created: figures.created,
            first_response_minutes_p50: figures.first_response_minutes.p50,
            csat: figures.csat.avg,
            csat_responses: figures.csat.responses,
        })
    } else {
        None
    };
    let marketing = if may::<MarketingReaders>(caller) {
        let headline = super::marketing::headline(db, window).await?;
        Some(MarketingKpis {
            campaigns: headline.campaigns,
            campaign_cost: headline.cost,
            campaign_revenue: headline.revenue,
            campaign_roi: headline.roi,
        })
    } else {
        None
    };
    Ok(Kpis { sales, service, marketing })
}

fn kpi_change(current: &Kpis, previous: &Kpis) -> KpiChange {
    let money = |m: Money| m.cents() as f64;
    let mut out = KpiChange::default();
    if let (Some(c), Some(p)) = (&current.sales, &previous.sales) {
        out.revenue = change(money(c.revenue), money(p.revenue));
        out.profit = change(money(c.profit), money(p.profit));
        out.orders = change(c.orders as f64, p.orders as f64);
        out.aov = change_opt(c.aov.map(money), p.aov.map(money));
        out.new_customers = change(c.new_customers as f64, p.new_customers as f64);
        out.active_customers = change(c.active_customers as f64, p.active_customers as f64);
        out.win_rate = change_opt(c.win_rate, p.win_rate);
    }
    if let (Some(c), Some(p)) = (&current.service, &previous.service) {
        out.tickets_created = change(c.tickets_created as f64, p.tickets_created as f64);
        out.first_response_minutes_p50 = change_opt(c.first_response_minutes_p50, p.first_response_minutes_p50);
        out.csat = change_opt(c.csat, p.csat);
    }
    if let (Some(c), Some(p)) = (&current.marketing, &previous.marketing) {
        out.campaign_roi = change_opt(c.campaign_roi, p.campaign_roi);
    }
    out
}

pub async fn dashboard(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &DashboardQuery,
    calendar: Calendar,
) -> AppResult<Dashboard> {
    let window = query.window(calendar)?;
    let previous_window = window.previous(query.compare.unwrap_or(Compare::PreviousPeriod));
    let (granularity, buckets) = super::window::series_buckets(&window, query.granularity)?;
    let current = kpis(db, caller, &window, true).await?;
    let previous = kpis(db, caller, &previous_window, false).await?;
    let (top_employees, revenue_series) = if may::<SalesStats>(caller) {
        let top = super::employees::top(db, caller, window, 5)
            .await?
            .into_iter()
            .map(|row| TopEmployee {
                rank: row.rank,
                user_id: row.user_id,
                name: row.name,
                revenue: row.figures.revenue,
                deals_won: row.figures.deals_won,
                win_rate: row.figures.win_rate,
                attainment: row.figures.attainment,
            })
            .collect();
        let revenue = super::sales::revenue_by_bucket(db, caller, &window, granularity, &Filters::default()).await?;
        let points = buckets
            .into_iter()
            .map(|start| RevenuePoint {
                period_start: window.calendar.period_start(start),
                revenue: Money(revenue.get(&start).copied().unwrap_or(0)),
            })
            .collect();
        (top, points)
    } else {
        (vec![], vec![])
    };
    Ok(Dashboard {
        window,
        previous_window,
        change: kpi_change(&current, &previous),
        kpis: current,
        previous,
        top_employees,
        granularity,
        revenue_series,
    })
}
