//! The statistics describe themselves: for every endpoint its path, who may
//! ask, its figures (name, unit, one-line definition), the `by=` dimensions
//! and filters it accepts, and whether it takes a window, `granularity`
//! and `compare`, so that a frontend builds its charts and filters without
//! hard-coding them. A test checks the catalog against the OpenAPI
//! document (paths, filters, dimensions).

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::policy::{AnyUser, LeadReaders, MarketingReaders, Policy, SalesStats, ServiceStats, TeamStats};
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
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub struct Endpoint {
    /// The path, under the API root.
    pub path: &'static str,
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
}

/// Every statistics endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct Catalog {
    /// Every statistics endpoint.
    pub endpoints: Vec<Endpoint>,
}

const fn f(name: &'static str, unit: Unit, definition: &'static str) -> Figure {
    Figure { name, unit, definition }
}

use Unit::{Count, Days, Hours, Minutes, Money, Ratio, Score};

const SALES: &[Figure] = &[
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

const SALES_BREAKDOWN: &[Figure] = &[
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

const SALES_FILTERS: &[&str] = &["owner_id", "team_id", "region", "channel", "product_category", "customer_segment"];

const SERVICE: &[Figure] = &[
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

const SERVICE_FILTERS: &[&str] = &["assignee_id", "team_id", "channel", "category", "priority", "customer_segment"];

const SERVICE_BREAKDOWN: &[Figure] = &[
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

const CUSTOMER_FILTERS: &[&str] = &["owner_id", "team_id", "region", "customer_segment"];

const CAMPAIGNS: &[Figure] = &[
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

const CHANNELS: &[Figure] = &[
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

const PERFORMANCE: &[Figure] = &[
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

const TEAMS: &[Figure] = &[
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

const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        path: "/api/v1/stats/sales/summary",
        title: "Sales summary",
        description: "Revenue, cost, profit and order figures of the counted orders placed in the window.",
        roles: SalesStats::ROLES,
        figures: SALES,
        dimensions: &[],
        filters: SALES_FILTERS,
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/sales/timeseries",
        title: "Sales time series",
        description: "The sales summary per bucket, every bucket present.",
        roles: SalesStats::ROLES,
        figures: SALES,
        dimensions: &[],
        filters: SALES_FILTERS,
        window: true,
        granularity: true,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/sales/breakdown",
        title: "Sales breakdown",
        description: "The sales summary per value of a dimension, largest revenue first.",
        roles: SalesStats::ROLES,
        figures: SALES_BREAKDOWN,
        dimensions: &["product", "product_category", "channel", "region", "owner", "team", "customer_segment"],
        filters: SALES_FILTERS,
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/sales/product-affinity",
        title: "Product affinity",
        description: "Pairs of products bought in the same counted orders of the window (market basket analysis).",
        roles: SalesStats::ROLES,
        figures: &[
            f("orders", Count, "counted orders of the window holding both products"),
            f("support", Ratio, "orders with both / all counted orders of the window"),
            f("confidence_a_to_b", Ratio, "orders with both / orders with a"),
            f("confidence_b_to_a", Ratio, "orders with both / orders with b"),
            f(
                "lift",
                Score,
                "support / (share of orders with a × share with b); above 1: bought together more than chance",
            ),
        ],
        dimensions: &[],
        filters: SALES_FILTERS,
        window: true,
        granularity: false,
        compare: false,
    },
    Endpoint {
        path: "/api/v1/stats/sales/forecast",
        title: "Sales forecast",
        description: "Per coming period: the weighted pipeline expected to close and a statistical revenue forecast with its backtest error.",
        roles: SalesStats::ROLES,
        figures: &[
            f(
                "periods.pipeline",
                Money,
                "Σ amount × probability of the open opportunities expected to close in the period",
            ),
            f("periods.pipeline_amount", Money, "their unweighted amount"),
            f("periods.statistical", Money, "the method's forecast of the period's revenue (method in the response)"),
            f("periods.actual_to_date", Money, "revenue booked so far in the current period"),
            f("history.revenue", Money, "revenue of each complete period the method learnt from"),
            f("backtest.mape", Ratio, "mean |actual − forecast| / actual over the last 6 complete periods"),
            f("backtest.naive_mape", Ratio, "the same for the last-period (naive) forecast"),
            f("pipeline_overdue.weighted", Money, "open opportunities whose expected close date has passed"),
        ],
        dimensions: &[],
        filters: &["owner_id", "team_id", "customer_segment"],
        window: false,
        granularity: true,
        compare: false,
    },
    Endpoint {
        path: "/api/v1/stats/sales/funnel",
        title: "Sales funnel",
        description: "The stages reached by the opportunities created in the window, as of to.",
        roles: SalesStats::ROLES,
        figures: &[
            f("reached", Count, "per stage: opportunities whose history holds the stage or a later one"),
            f("amount", Money, "per stage: Σ amount of those"),
            f("conversion", Ratio, "per stage: reached(next) / reached(this)"),
            f("won", Count, "won before to"),
            f("lost", Count, "lost before to"),
            f("open", Count, "neither, as of to"),
            f("win_rate", Ratio, "won / (won + lost)"),
            f("avg_sales_cycle_days", Days, "mean days from creation to the win"),
        ],
        dimensions: &[],
        filters: &["owner_id", "team_id", "campaign_id"],
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/sales/pipeline",
        title: "Sales pipeline",
        description: "The open opportunities now, per stage and per expected-close month.",
        roles: SalesStats::ROLES,
        figures: &[
            f("count", Count, "open opportunities"),
            f("amount", Money, "Σ amount"),
            f("weighted", Money, "Σ amount × probability"),
        ],
        dimensions: &[],
        filters: &["owner_id", "team_id", "campaign_id", "customer_segment", "region"],
        window: false,
        granularity: false,
        compare: false,
    },
    Endpoint {
        path: "/api/v1/stats/customers/overview",
        title: "Customer overview",
        description: "Customers existing, new, active and buying for the first time; the repeat rate.",
        roles: SalesStats::ROLES,
        figures: &[
            f("total", Count, "customers existing at to"),
            f("new", Count, "customers created in the window"),
            f("active", Count, "customers with a counted order in the window"),
            f("first_time_buyers", Count, "customers whose first counted order ever is in the window"),
            f("repeat_rate", Ratio, "share of active customers with two or more counted orders in the window"),
        ],
        dimensions: &[],
        filters: CUSTOMER_FILTERS,
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/customers/distribution",
        title: "Customer distribution",
        description: "Customers existing at to per value of a profile field, with their revenue in the window.",
        roles: SalesStats::ROLES,
        figures: &[
            f("customers", Count, "customers existing at to with the value"),
            f("share", Ratio, "their share of all customers existing at to"),
            f("revenue", Money, "revenue of their counted orders in the window"),
        ],
        dimensions: &[
            "region",
            "city",
            "industry",
            "segment",
            "source",
            "lifecycle_stage",
            "gender",
            "age_band",
            "occupation",
        ],
        filters: CUSTOMER_FILTERS,
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/customers/retention",
        title: "Customer retention",
        description: "Of the customers active in the previous window, how many ordered again.",
        roles: SalesStats::ROLES,
        figures: &[
            f("previously_active", Count, "customers with a counted order in the base window"),
            f("retained", Count, "of those, with a counted order in the window"),
            f("churned", Count, "of those, without"),
            f("churn_rate", Ratio, "churned / previously_active"),
            f("retention_rate", Ratio, "1 − churn_rate"),
        ],
        dimensions: &[],
        filters: CUSTOMER_FILTERS,
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/customers/retention/cohorts",
        title: "Retention cohorts",
        description: "Customers grouped by the period of their first counted order; per later period, the share that ordered.",
        roles: SalesStats::ROLES,
        figures: &[
            f("customers", Count, "per cohort: customers whose first counted order ever fell in the period"),
            f("periods.customers", Count, "per cohort and later period: of those, with a counted order in it"),
            f("periods.share", Ratio, "periods.customers / the cohort's customers"),
        ],
        dimensions: &[],
        filters: CUSTOMER_FILTERS,
        window: true,
        granularity: true,
        compare: false,
    },
    Endpoint {
        path: "/api/v1/stats/customers/rfm",
        title: "RFM segments",
        description: "Customers scored 1–5 on recency, frequency and monetary value as of to, and the named segments.",
        roles: SalesStats::ROLES,
        figures: &[
            f("customers", Count, "customers with a counted order before to"),
            f("revenue", Money, "their revenue from counted orders before to"),
            f("segments.customers", Count, "per segment of the recency × frequency grid: customers"),
            f("segments.share", Ratio, "segments.customers / customers"),
            f("segments.revenue", Money, "per segment: revenue before to"),
            f("segments.revenue_share", Ratio, "segments.revenue / revenue"),
            f("segments.orders", Count, "per segment: counted orders before to"),
            f("top_customers.recency_days", Days, "whole days from the last counted order's day to to's"),
            f("top_customers.recency_score", Score, "1–5 quintile of recency among the customers (5 = most recent)"),
            f("top_customers.frequency_score", Score, "1–5 quintile of counted orders (5 = most)"),
            f("top_customers.monetary_score", Score, "1–5 quintile of revenue (5 = most)"),
        ],
        dimensions: &[],
        filters: &["owner_id", "team_id", "region", "customer_segment", "segment"],
        window: true,
        granularity: false,
        compare: false,
    },
    Endpoint {
        path: "/api/v1/stats/customers/churn-risk",
        title: "Churn risk",
        description: "Customers silent for longer than factor × their own median gap between purchase days (or days).",
        roles: SalesStats::ROLES,
        figures: &[
            f("customers", Count, "customers with a counted order before to"),
            f("at_risk", Count, "of those, whose days since the last order exceed their threshold"),
            f("at_risk_share", Ratio, "at_risk / customers"),
            f("revenue_at_risk", Money, "revenue to date of the customers at risk"),
            f("top_customers.days_since_last_order", Days, "whole days from the last counted order's day to to's"),
            f("top_customers.median_gap_days", Days, "median days between consecutive purchase days"),
            f("top_customers.threshold_days", Days, "factor × median_gap_days, or days for one purchase day"),
            f("top_customers.overdue", Ratio, "days_since_last_order / threshold_days"),
        ],
        dimensions: &[],
        filters: CUSTOMER_FILTERS,
        window: true,
        granularity: false,
        compare: false,
    },
    Endpoint {
        path: "/api/v1/stats/customers/interactions",
        title: "Interaction patterns",
        description: "Activities on customers by type and direction, per contacted customer, and who has not been contacted.",
        roles: SalesStats::ROLES,
        figures: &[
            f("activities", Count, "activities in the window on customers in scope"),
            f("by_type.activities", Count, "per activity type: activities (and inbound, outbound, unspecified)"),
            f("by_type.share", Ratio, "by_type.activities / activities"),
            f("customers", Count, "customers existing at to"),
            f("customers_contacted", Count, "customers with an activity in the window"),
            f("contacted_share", Ratio, "customers_contacted / customers"),
            f("per_customer.avg", Count, "mean activities per contacted customer"),
            f("per_customer.p50", Count, "median activities per contacted customer"),
            f("per_customer.p90", Count, "90th percentile of activities per contacted customer"),
            f("uncontacted", Count, "customers existing at to without an activity in the inactive_days before to"),
        ],
        dimensions: &[],
        filters: CUSTOMER_FILTERS,
        window: true,
        granularity: false,
        compare: false,
    },
    Endpoint {
        path: "/api/v1/stats/customers/clv",
        title: "Customer lifetime value",
        description: "Average order value × purchase frequency × lifespan, and the top customers to date.",
        roles: SalesStats::ROLES,
        figures: &[
            f("average_order_value", Money, "revenue / counted orders in the window"),
            f("purchase_frequency", Count, "counted orders per active customer per month of the window"),
            f("lifespan_months", Count, "the expected lifespan used (parameter, default 36)"),
            f("clv", Money, "average_order_value × purchase_frequency × lifespan_months"),
        ],
        dimensions: &[],
        filters: CUSTOMER_FILTERS,
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/leads/conversion",
        title: "Lead conversion",
        description: "Leads created in the window per source, and how many converted.",
        roles: LeadReaders::ROLES,
        figures: &[
            f("leads", Count, "leads created in the window"),
            f("converted", Count, "of those, converted before to"),
            f("conversion_rate", Ratio, "converted / leads"),
            f("avg_days_to_convert", Days, "mean days from creation to conversion"),
        ],
        dimensions: &[],
        filters: &["owner_id", "team_id", "campaign_id"],
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/marketing/campaigns",
        title: "Campaign performance",
        description: "Each campaign overlapping the window, over its life up to to.",
        roles: MarketingReaders::ROLES,
        figures: CAMPAIGNS,
        dimensions: &[],
        filters: &["campaign_id", "channel"],
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/marketing/channels",
        title: "Campaign performance per channel",
        description: "The campaign figures summed per channel.",
        roles: MarketingReaders::ROLES,
        figures: CHANNELS,
        dimensions: &[],
        filters: &["campaign_id", "channel"],
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/service/summary",
        title: "Service summary",
        description: "Tickets created in the window: volumes, response and resolution times, CSAT; the backlog.",
        roles: ServiceStats::ROLES,
        figures: SERVICE,
        dimensions: &[],
        filters: SERVICE_FILTERS,
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/service/timeseries",
        title: "Service time series",
        description: "The service summary per bucket, each bucket a window of its own.",
        roles: ServiceStats::ROLES,
        figures: SERVICE,
        dimensions: &[],
        filters: SERVICE_FILTERS,
        window: true,
        granularity: true,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/service/breakdown",
        title: "Service breakdown",
        description: "The service summary per category, priority, channel or agent.",
        roles: ServiceStats::ROLES,
        figures: SERVICE_BREAKDOWN,
        dimensions: &["category", "priority", "channel", "agent"],
        filters: SERVICE_FILTERS,
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/service/sla",
        title: "Service SLA",
        description: "Per priority, the share of the window's tickets that met the first-response and resolution targets.",
        roles: ServiceStats::ROLES,
        figures: &[
            f("first_response_target_minutes", Minutes, "the policy's first-response target"),
            f("resolution_target_minutes", Minutes, "the policy's resolution target"),
            f("first_response_counted", Count, "tickets whose first-response target is decided by to"),
            f("first_response_met_rate", Ratio, "share of those answered within the target"),
            f("resolution_counted", Count, "tickets whose resolution target is decided by to"),
            f("resolution_met_rate", Ratio, "share of those resolved within the target"),
        ],
        dimensions: &[],
        filters: &["assignee_id", "team_id", "channel", "category"],
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/satisfaction",
        title: "Satisfaction",
        description: "CSAT of the window's tickets and NPS of the survey answers submitted in it.",
        roles: ServiceStats::ROLES,
        figures: &[
            f("csat.avg", Score, "mean rating (1–5)"),
            f("csat.responses", Count, "ratings given"),
            f("csat.satisfied_rate", Ratio, "share of ratings of 4 or 5"),
            f("nps.score", Score, "(promoters − detractors) / responses × 100"),
            f("nps.promoters", Count, "answers of 9–10"),
            f("nps.passives", Count, "answers of 7–8"),
            f("nps.detractors", Count, "answers of 0–6"),
            f("nps.responses", Count, "all answers"),
        ],
        dimensions: &[],
        filters: &["channel", "customer_segment"],
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/employees/performance",
        title: "Employee performance",
        description: "One row per employee in scope, ranked by revenue.",
        roles: AnyUser::ROLES,
        figures: PERFORMANCE,
        dimensions: &[],
        filters: &["team_id", "role"],
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/employees/{id}/scorecard",
        title: "Employee scorecard",
        description: "One employee's figures, the previous period and a time series.",
        roles: AnyUser::ROLES,
        figures: PERFORMANCE,
        dimensions: &[],
        filters: &[],
        window: true,
        granularity: true,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/teams/performance",
        title: "Team performance",
        description: "The employee figures summed per team, ranked by revenue.",
        roles: TeamStats::ROLES,
        figures: TEAMS,
        dimensions: &[],
        filters: &["team_id", "role"],
        window: true,
        granularity: false,
        compare: true,
    },
    Endpoint {
        path: "/api/v1/stats/data-quality",
        title: "Data quality",
        description: "The current completeness, duplicates and staleness of the customer data.",
        roles: SalesStats::ROLES,
        figures: &[
            f("customers", Count, "customers (not deleted)"),
            f("completeness.all", Ratio, "share of customers with every key field filled (also per field)"),
            f("duplicate_records", Count, "Σ over duplicate groups of (size − 1)"),
            f("duplicate_rate", Ratio, "duplicate_records / customers"),
            f("stale", Count, "customers not updated in 180 days"),
            f("stale_rate", Ratio, "stale / customers"),
        ],
        dimensions: &[],
        filters: CUSTOMER_FILTERS,
        window: false,
        granularity: false,
        compare: false,
    },
    Endpoint {
        path: "/api/v1/stats/dashboard",
        title: "Dashboard",
        description: "The headline figures of every family the caller may read, with the previous period.",
        roles: AnyUser::ROLES,
        figures: &[
            f("sales.revenue", Money, "as in the sales summary"),
            f("sales.profit", Money, "as in the sales summary"),
            f("sales.orders", Count, "as in the sales summary"),
            f("sales.aov", Money, "as in the sales summary"),
            f("sales.new_customers", Count, "customers created in the window"),
            f("sales.active_customers", Count, "customers with a counted order in the window"),
            f("sales.win_rate", Ratio, "won / (won + lost), over the opportunities closed in the window"),
            f("sales.weighted_pipeline", Money, "the weighted open pipeline now"),
            f("service.tickets_created", Count, "tickets created in the window"),
            f("service.first_response_minutes_p50", Minutes, "median minutes to first response"),
            f("service.csat", Score, "mean rating of the window's tickets"),
            f("marketing.campaign_roi", Ratio, "(revenue − cost) / cost of the campaigns overlapping the window"),
        ],
        dimensions: &[],
        filters: &[],
        window: true,
        granularity: true,
        compare: true,
    },
];

pub fn catalog() -> Catalog {
    Catalog { endpoints: ENDPOINTS.to_vec() }
}
