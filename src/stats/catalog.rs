//! The statistics describe themselves: for every endpoint its path, who may
//! ask, its figures (name, unit, one-line definition), the `by=` dimensions
//! and filters it accepts, and whether it takes a window, `granularity`
//! and `compare`, so that a frontend builds its charts and filters without
//! hard-coding them. A test checks the catalog against the OpenAPI
//! document (paths, filters, dimensions).

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Role;

/// The unit of a figure.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A decimal string with two fraction digits.
    Money,
    Count,
    /// A number, 0.1234 = 12.34 %.
    Ratio,
    Minutes,
    Hours,
    Days,
    /// A rating or index on its own scale (CSAT 1–5, NPS −100…100).
    Score,
}

/// One figure of a statistic.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub struct Figure {
    /// The field name; a dotted path for nested fields (`csat.avg`).
    pub name: &'static str,
    pub unit: Unit,
    /// A one-line definition.
    pub definition: &'static str,
}

/// One statistics endpoint.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Endpoint {
    /// The path, from the host (`/api/v1/stats/...`).
    pub path: String,
    /// A short name.
    pub title: &'static str,
    /// What the statistic answers.
    pub description: &'static str,
    /// The roles that may ask (each within their scope).
    pub roles: &'static [Role],
    /// The figures it returns.
    pub figures: &'static [Figure],
    /// The values `by=` accepts (required when not empty).
    pub dimensions: &'static [&'static str],
    /// The filter parameters.
    pub filters: &'static [&'static str],
    /// Whether `from`/`to`/`range` apply.
    pub window: bool,
    /// Whether it takes `granularity`.
    pub granularity: bool,
    /// Whether it takes `compare`.
    pub compare: bool,
    /// Whether its dates, days, weeks and periods are on the organization's
    /// calendar (the catalog's `calendar`); the others are figures of now.
    pub on_calendar: bool,
}

/// What the catalog says of a statistic besides its path and roles (which
/// come from its row in the registry).
#[derive(Clone, Copy, Debug)]
pub struct Details {
    pub title: &'static str,
    pub description: &'static str,
    pub figures: &'static [Figure],
    pub dimensions: &'static [&'static str],
    pub filters: &'static [&'static str],
    pub window: bool,
    pub granularity: bool,
    pub compare: bool,
}

/// Every statistics endpoint, and the calendar they are computed on.
#[derive(Debug, Serialize, ToSchema)]
pub struct Catalog {
    /// The organization's calendar (`GET /api/v1/settings/organization`):
    /// a date in a query is midnight in `time_zone`, and days, weeks,
    /// months, quarters and fiscal periods are its local ones.
    pub calendar: CatalogCalendar,
    /// Every statistics endpoint.
    pub endpoints: Vec<Endpoint>,
}

/// The calendar the statistics are on.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogCalendar {
    /// The IANA time zone.
    pub time_zone: &'static str,
    pub week_start: crate::calendar::WeekStart,
    /// 1 (January) to 12.
    pub fiscal_year_start_month: u32,
    pub fiscal_year_label: crate::calendar::FiscalYearLabel,
}

impl From<crate::calendar::Calendar> for CatalogCalendar {
    fn from(calendar: crate::calendar::Calendar) -> Self {
        CatalogCalendar {
            time_zone: calendar.zone.name(),
            week_start: calendar.week_start,
            fiscal_year_start_month: calendar.fiscal_year_start_month,
            fiscal_year_label: calendar.fiscal_year_label,
        }
    }
}

pub const fn f(name: &'static str, unit: Unit, definition: &'static str) -> Figure {
    Figure { name, unit, definition }
}

use Unit::{Count, Hours, Minutes, Money, Ratio, Score};

pub const SALES: &[Figure] = &[
    f("revenue", Money, "Σ quantity × unit price − discount over the counted (paid or completed) order lines"),
    f("cost", Money, "Σ quantity × unit cost over the counted lines"),
    f("profit", Money, "revenue − cost"),
    f("margin", Ratio, "profit / revenue"),
    f("orders", Count, "counted orders placed in the window"),
    f("units", Count, "units sold"),
    f("customers", Count, "distinct buying customers"),
    f("aov", Money, "average order value: revenue / orders"),
    f("revenue_per_customer", Money, "revenue / customers"),
];

pub const SALES_BREAKDOWN: &[Figure] = &[
    f("revenue", Money, "as in the summary, per value"),
    f("cost", Money, "as in the summary, per value"),
    f("profit", Money, "as in the summary, per value"),
    f("margin", Ratio, "as in the summary, per value"),
    f("orders", Count, "as in the summary, per value"),
    f("units", Count, "as in the summary, per value"),
    f("customers", Count, "as in the summary, per value"),
    f("aov", Money, "as in the summary, per value"),
    f("revenue_per_customer", Money, "as in the summary, per value"),
    f("share", Ratio, "the value's revenue / the total revenue"),
    f("penetration", Ratio, "product and product_category: buyers of it / all buyers in the window"),
];

pub const SALES_FILTERS: &[&str] =
    &["owner_id", "team_id", "region", "channel", "product_category", "customer_segment"];

pub const SERVICE: &[Figure] = &[
    f("created", Count, "tickets created in the window"),
    f("resolved", Count, "of those, resolved before to"),
    f("resolution_rate", Ratio, "resolved / created"),
    f("backlog", Count, "tickets created before to and neither resolved nor closed before to"),
    f("first_response_minutes", Minutes, "avg, p50, p90 of the minutes to first response, answered before to"),
    f("resolution_hours", Hours, "avg, p50, p90 of the hours to resolution, resolved before to"),
    f("csat.avg", Score, "mean rating (1–5) of the window's tickets"),
    f("csat.responses", Count, "ratings given"),
    f("csat.satisfied_rate", Ratio, "share of ratings of 4 or 5"),
];

pub const SERVICE_FILTERS: &[&str] = &["assignee_id", "team_id", "channel", "category", "priority", "customer_segment"];

pub const SERVICE_BREAKDOWN: &[Figure] = &[
    f("created", Count, "as in the summary, per value"),
    f("resolved", Count, "as in the summary, per value"),
    f("resolution_rate", Ratio, "as in the summary, per value"),
    f("backlog", Count, "as in the summary, per value"),
    f("first_response_minutes", Minutes, "as in the summary, per value"),
    f("resolution_hours", Hours, "as in the summary, per value"),
    f("csat.avg", Score, "as in the summary, per value"),
    f("csat.responses", Count, "as in the summary, per value"),
    f("csat.satisfied_rate", Ratio, "as in the summary, per value"),
    f("share", Ratio, "the value's created tickets / all created tickets"),
];

pub const CUSTOMER_FILTERS: &[&str] = &["owner_id", "team_id", "region", "customer_segment"];

pub const CAMPAIGNS: &[Figure] = &[
    f("cost", Money, "the campaign's actual cost"),
    f("impressions", Count, "as recorded on the campaign"),
    f("clicks", Count, "as recorded on the campaign"),
    f("ctr", Ratio, "clicks / impressions"),
    f("cpc", Money, "cost / clicks"),
    f("members", Count, "members added before to"),
    f("participated", Count, "members who participated or converted"),
    f("participation_rate", Ratio, "participated / members"),
    f("leads", Count, "leads attributed to the campaign, created before to"),
    f("converted_leads", Count, "of those, converted before to"),
    f("lead_conversion_rate", Ratio, "converted_leads / leads"),
    f("cost_per_lead", Money, "cost / leads"),
    f("won_opportunities", Count, "won opportunities attributed to the campaign, closed before to"),
    f("revenue", Money, "Σ amount of those"),
    f("roi", Ratio, "(revenue − cost) / cost"),
];

pub const CHANNELS: &[Figure] = &[
    f("campaigns", Count, "campaigns of the channel"),
    f("cost", Money, "Σ of the campaigns' figures, ratios recomputed from the sums"),
    f("impressions", Count, "Σ"),
    f("clicks", Count, "Σ"),
    f("ctr", Ratio, "clicks / impressions"),
    f("cpc", Money, "cost / clicks"),
    f("members", Count, "Σ"),
    f("participated", Count, "Σ"),
    f("participation_rate", Ratio, "participated / members"),
    f("leads", Count, "Σ"),
    f("converted_leads", Count, "Σ"),
    f("lead_conversion_rate", Ratio, "converted_leads / leads"),
    f("cost_per_lead", Money, "cost / leads"),
    f("won_opportunities", Count, "Σ"),
    f("revenue", Money, "Σ"),
    f("roi", Ratio, "(revenue − cost) / cost"),
];

pub const PERFORMANCE: &[Figure] = &[
    f("revenue", Money, "counted orders credited to the employee, placed in the window"),
    f("orders", Count, "those orders"),
    f("deals_won", Count, "opportunities they own won (closed) in the window"),
    f("deals_lost", Count, "opportunities they own lost in the window"),
    f("win_rate", Ratio, "deals_won / (deals_won + deals_lost)"),
    f("new_customers", Count, "customers created in the window that they own now"),
    f("avg_deal_size", Money, "won amount / deals_won"),
    f("pipeline", Money, "amount of their open opportunities now"),
    f("tasks_due", Count, "their tasks due in the window (cancelled ones excluded)"),
    f("tasks_completed_on_time", Count, "of those, completed before to and no later than due"),
    f("task_completion_rate", Ratio, "tasks due in the window completed before to / tasks_due"),
    f("tickets_resolved", Count, "tickets assigned to them resolved in the window"),
    f("first_response_minutes_avg", Minutes, "mean minutes to first response of their tickets created in the window"),
    f("csat_avg", Score, "mean rating of their tickets created in the window"),
    f("activities.total", Count, "activities they logged in the window (also per type)"),
    f("target", Money, "their revenue targets whose period lies inside the window"),
    f("attainment", Ratio, "revenue / target"),
];

pub const TEAMS: &[Figure] = &[
    f("members", Count, "active members now"),
    f("revenue", Money, "Σ of the members' figures (ratios recomputed from the sums)"),
    f("orders", Count, "Σ"),
    f("deals_won", Count, "Σ"),
    f("deals_lost", Count, "Σ"),
    f("win_rate", Ratio, "deals_won / (deals_won + deals_lost)"),
    f("new_customers", Count, "Σ"),
    f("avg_deal_size", Money, "won amount / deals_won"),
    f("pipeline", Money, "Σ"),
    f("tasks_due", Count, "Σ"),
    f("tasks_completed_on_time", Count, "Σ"),
    f("task_completion_rate", Ratio, "completed / due"),
    f("tickets_resolved", Count, "Σ"),
    f("first_response_minutes_avg", Minutes, "mean over the members' answered tickets"),
    f("csat_avg", Score, "mean over the members' ratings"),
    f("activities.total", Count, "Σ (also per type)"),
    f("target", Money, "the team's own revenue targets inside the window, else Σ of the members'"),
    f("attainment", Ratio, "revenue / target"),
    f("revenue_per_member", Money, "revenue / members"),
];
