//! The statistics registry: one row per statistic, and everything else
//! derived from it. A row names the statistic's path, the policy that may
//! ask, its query and answer types, how it is computed, its catalog entry
//! and its recorded example; from the table come
//!
//! - the compute function per statistic (`registry::sales_summary`, …) and
//!   the dispatcher [`answer`] the benchmarks and tests use,
//! - [`STATISTICS`], from which the catalog (`/stats/metrics`, roles taken
//!   from the policy) and the OpenAPI examples are built,
//! - the HTTP handlers and their OpenAPI operations, in
//!   `src/api/statistics.rs` (this module imports no actix).
//!
//! Adding a statistic: its SQL in a file of this module, a row here, a test,
//! a section in docs/metrics.md; then record the example and regenerate
//! openapi.json. `tests/api/stats_registry.rs` fails while any of those is
//! missing or disagrees with the table.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::catalog::Unit::{Count, Days, Minutes, Money, Ratio, Score};
use super::catalog::{
    CAMPAIGNS, CHANNELS, CUSTOMER_FILTERS, Catalog, Details, Endpoint, PERFORMANCE, SALES, SALES_BREAKDOWN,
    SALES_FILTERS, SERVICE, SERVICE_BREAKDOWN, SERVICE_FILTERS, TEAMS, f,
};
use super::{csat_nps, sales, sla, tickets};
use super::{
    customers, dashboard, employees, forecast, funnel, interactions, leads, marketing, pipeline, quality, rfm,
};
use crate::auth::AuthUser;
use crate::auth::policy::{AnyUser, LeadReaders, MarketingReaders, Policy, SalesStats, ServiceStats, TeamStats};
use crate::calendar::Calendar;
use crate::config::SlaPolicy;
use crate::domain::Role;
use crate::error::{AppError, AppResult};

/// What a statistic is asked: its query, the id in its path (for the
/// statistics of one record), the organization's calendar its dates and
/// periods are on, and the settings some of them read.
pub struct Ask<'a, Q> {
    pub query: &'a Q,
    pub id: Option<Uuid>,
    pub calendar: Calendar,
    pub sla: &'a SlaPolicy,
}

impl<Q> Ask<'_, Q> {
    /// The id in the path; a request without one (or with one that is not
    /// an id) names no `what`.
    pub fn id(&self, what: &'static str) -> AppResult<Uuid> {
        self.id.ok_or_else(|| AppError::not_found(what))
    }
}

/// One statistic, as the table holds it.
#[derive(Clone, Copy, Debug)]
pub struct Statistic {
    /// The function name of its handler and compute function, and its
    /// OpenAPI operation id.
    pub name: &'static str,
    /// Its path under the API root (`/api/v1`).
    pub path: &'static str,
    /// The roles its policy lets ask.
    pub roles: &'static [Role],
    /// Its catalog entry.
    pub details: Details,
    /// The name of its recorded example (`openapi/examples/stats/<name>.json`).
    pub example_name: &'static str,
    /// The recorded example response.
    pub example: &'static str,
}

/// The table. Each consumer macro receives the rows as written here.
macro_rules! statistics {
    ($($then:tt)+) => {
        $($then)+! {
            /// Sales summary
            ///
            /// Revenue, cost, profit, margin, orders, units, buying customers, average
            /// order value and revenue per customer over the counted orders (paid or
            /// completed) placed in the window, within the caller's scope.
            sales_summary {
                path: "/stats/sales/summary",
                policy: SalesStats,
                query: sales::SummaryQuery,
                answer: sales::SalesSummary,
                returns: "The figures of the window (and the comparison window).",
                compute: |db, caller, ask| sales::summary(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Sales summary",
                    description: "Revenue, cost, profit and order figures of the counted orders placed in the window.",
                    figures: SALES,
                    dimensions: &[],
                    filters: SALES_FILTERS,
                    window: true,
                    granularity: false,
                    compare: true,
                },
                example: "sales_summary",
            }

            /// Sales time series
            ///
            /// The summary figures per day, ISO week, month, quarter or year; every
            /// bucket of the window is present, empty ones with zeros.
            sales_timeseries {
                path: "/stats/sales/timeseries",
                policy: SalesStats,
                query: sales::TimeseriesQuery,
                answer: sales::SalesTimeseries,
                returns: "The figures per bucket, and in total.",
                compute: |db, caller, ask| sales::timeseries(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Sales time series",
                    description: "The sales summary per bucket, every bucket present.",
                    figures: SALES,
                    dimensions: &[],
                    filters: SALES_FILTERS,
                    window: true,
                    granularity: true,
                    compare: true,
                },
                example: "sales_timeseries",
            }

            /// Sales breakdown
            ///
            /// The summary figures per product, product category, channel, region,
            /// owner, team or customer segment, largest revenue first, with each
            /// group's share of revenue (and, for products and categories, their
            /// penetration among the window's buying customers).
            sales_breakdown {
                path: "/stats/sales/breakdown",
                policy: SalesStats,
                query: sales::BreakdownQuery,
                answer: sales::SalesBreakdown,
                returns: "The figures per group, and in total.",
                compute: |db, caller, ask| sales::breakdown(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Sales breakdown",
                    description: "The sales summary per value of a dimension, largest revenue first.",
                    figures: SALES_BREAKDOWN,
                    dimensions: &["product", "product_category", "channel", "region", "owner", "team", "customer_segment"],
                    filters: SALES_FILTERS,
                    window: true,
                    granularity: false,
                    compare: true,
                },
                example: "sales_breakdown",
            }

            /// Product affinity
            ///
            /// Pairs of products bought in the same counted orders of the window, with
            /// support (share of orders holding both), confidence both ways and lift;
            /// only pairs with at least `min_orders` orders together.
            sales_product_affinity {
                path: "/stats/sales/product-affinity",
                policy: SalesStats,
                query: sales::AffinityQuery,
                answer: sales::ProductAffinity,
                returns: "The pairs, most orders together first.",
                compute: |db, caller, ask| sales::product_affinity(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Product affinity",
                    description: "Pairs of products bought in the same counted orders of the window (market basket analysis).",
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
                example: "sales_product_affinity",
            }

            /// Sales forecast
            ///
            /// For the current period and the next ones: the weighted open pipeline
            /// expected to close in each, and a statistical forecast of the revenue
            /// from the history of complete periods (additive Holt-Winters with two
            /// seasons of history, Holt's linear trend with four periods, else the
            /// last period), with the method's error on the last 6 complete periods.
            sales_forecast {
                path: "/stats/sales/forecast",
                policy: SalesStats,
                query: forecast::ForecastQuery,
                answer: forecast::Forecast,
                returns: "The forecast per period, the method, its history and backtest.",
                compute: |db, caller, ask| forecast::forecast(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Sales forecast",
                    description: "Per coming period: the weighted pipeline expected to close and a statistical revenue forecast with its backtest error.",
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
                example: "sales_forecast",
            }

            /// Sales funnel
            ///
            /// For the opportunities created in the window: how many reached each
            /// stage (from their stage history as of `to`), with amounts and the
            /// conversion to the next stage; won, lost and open; the win rate and the
            /// average sales cycle.
            sales_funnel {
                path: "/stats/sales/funnel",
                policy: SalesStats,
                query: funnel::FunnelQuery,
                answer: funnel::Funnel,
                returns: "The funnel of the window's opportunities.",
                compute: |db, caller, ask| funnel::funnel(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Sales funnel",
                    description: "The stages reached by the opportunities created in the window, as of to.",
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
                example: "sales_funnel",
            }

            /// Sales pipeline
            ///
            /// The open opportunities now (the window does not apply): count, amount
            /// and probability-weighted amount per stage, per expected-close month and
            /// in total.
            sales_pipeline {
                path: "/stats/sales/pipeline",
                policy: SalesStats,
                query: pipeline::PipelineQuery,
                answer: pipeline::Pipeline,
                returns: "The open pipeline.",
                compute: |db, caller, ask| pipeline::pipeline(db, caller, ask.query),
                catalog: Details {
                    title: "Sales pipeline",
                    description: "The open opportunities now, per stage and per expected-close month.",
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
                example: "sales_pipeline",
            }

            /// Customer overview
            ///
            /// Customers existing at `to` (per lifecycle stage), new in the window,
            /// active (with a counted order), first-time buyers and the repeat rate.
            customers_overview {
                path: "/stats/customers/overview",
                policy: SalesStats,
                query: customers::CustomerQuery,
                answer: customers::CustomerOverview,
                returns: "The customer figures of the window (and the comparison window).",
                compute: |db, caller, ask| customers::overview(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Customer overview",
                    description: "Customers existing, new, active and buying for the first time; the repeat rate.",
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
                example: "customers_overview",
            }

            /// Customer distribution
            ///
            /// Customers existing at `to` per region, city, industry, segment, source,
            /// lifecycle stage, gender, age band or occupation, with their share and
            /// the revenue of their counted orders in the window.
            customers_distribution {
                path: "/stats/customers/distribution",
                policy: SalesStats,
                query: customers::DistributionQuery,
                answer: customers::Distribution,
                returns: "Customers per value.",
                compute: |db, caller, ask| customers::distribution(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Customer distribution",
                    description: "Customers existing at to per value of a profile field, with their revenue in the window.",
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
                example: "customers_distribution",
            }

            /// Customer retention
            ///
            /// Of the customers with a counted order in the previous window of equal
            /// length, how many ordered again in this window (retained) and how many
            /// did not (churned).
            customers_retention {
                path: "/stats/customers/retention",
                policy: SalesStats,
                query: customers::CustomerQuery,
                answer: customers::Retention,
                returns: "Retention and churn.",
                compute: |db, caller, ask| customers::retention(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Customer retention",
                    description: "Of the customers active in the previous window, how many ordered again.",
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
                example: "customers_retention",
            }

            /// Retention cohorts
            ///
            /// Customers grouped by the period (week, month or quarter) of their first
            /// counted order ever, for the periods of the window, and for each later
            /// period up to `to` the number and share of them that ordered in it.
            customers_cohorts {
                path: "/stats/customers/retention/cohorts",
                policy: SalesStats,
                query: customers::CohortQuery,
                answer: customers::Cohorts,
                returns: "One cohort per period of the window, oldest first.",
                compute: |db, caller, ask| customers::cohorts(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Retention cohorts",
                    description: "Customers grouped by the period of their first counted order; per later period, the share that ordered.",
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
                example: "customers_cohorts",
            }

            /// RFM segments
            ///
            /// Every customer with a counted order before `to` scored 1–5 on recency,
            /// frequency and monetary value (quintiles among the customers in scope),
            /// the named segments of the recency × frequency grid with their customers
            /// and revenue, and the top customers with their scores.
            customers_rfm {
                path: "/stats/customers/rfm",
                policy: SalesStats,
                query: rfm::RfmQuery,
                answer: rfm::Rfm,
                returns: "Every segment, and the top customers with their scores.",
                compute: |db, caller, ask| rfm::rfm(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "RFM segments",
                    description: "Customers scored 1–5 on recency, frequency and monetary value as of to, and the named segments.",
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
                example: "customers_rfm",
            }

            /// Churn risk
            ///
            /// The customers whose days since their last counted order exceed `factor`
            /// times their own median gap between purchase days (or `days` for a
            /// customer with one purchase day), as of `to`, ranked by revenue to date.
            customers_churn_risk {
                path: "/stats/customers/churn-risk",
                policy: SalesStats,
                query: rfm::ChurnRiskQuery,
                answer: rfm::ChurnRisk,
                returns: "How many customers are at risk, and the most valuable of them.",
                compute: |db, caller, ask| rfm::churn_risk(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Churn risk",
                    description: "Customers silent for longer than factor × their own median gap between purchase days (or days).",
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
                example: "customers_churn_risk",
            }

            /// Interaction patterns
            ///
            /// The activities logged on customers in the window by type and direction,
            /// activities per contacted customer (mean, median, 90th percentile), and
            /// the customers without an activity in the last `inactive_days` before
            /// `to`, the most valuable first.
            customers_interactions {
                path: "/stats/customers/interactions",
                policy: SalesStats,
                query: interactions::InteractionQuery,
                answer: interactions::Interactions,
                returns: "Activities by type, per customer, and the uncontacted customers.",
                compute: |db, caller, ask| interactions::interactions(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Interaction patterns",
                    description: "Activities on customers by type and direction, per contacted customer, and who has not been contacted.",
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
                example: "customers_interactions",
            }

            /// Customer lifetime value
            ///
            /// Average order value × purchase frequency (orders per active customer
            /// per month of the window) × expected lifespan in months, and the top
            /// customers by revenue to date.
            customers_clv {
                path: "/stats/customers/clv",
                policy: SalesStats,
                query: customers::ClvQuery,
                answer: customers::Clv,
                returns: "The lifetime value and the top customers.",
                compute: |db, caller, ask| customers::clv(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Customer lifetime value",
                    description: "Average order value × purchase frequency × lifespan, and the top customers to date.",
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
                example: "customers_clv",
            }

            /// Lead conversion
            ///
            /// Leads created in the window per source channel: how many, how many were
            /// converted before `to`, the conversion rate and the mean days to convert.
            leads_conversion {
                path: "/stats/leads/conversion",
                policy: LeadReaders,
                query: leads::LeadQuery,
                answer: leads::LeadConversion,
                returns: "Conversion per source, and in total.",
                compute: |db, caller, ask| leads::conversion(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Lead conversion",
                    description: "Leads created in the window per source, and how many converted.",
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
                example: "leads_conversion",
            }

            /// Campaign performance
            ///
            /// Each campaign whose dates overlap the window (or the one named), with
            /// its cost, reach, members, leads, won revenue and ROI over its whole life
            /// up to `to`.
            marketing_campaigns {
                path: "/stats/marketing/campaigns",
                policy: MarketingReaders,
                query: marketing::CampaignQuery,
                answer: marketing::CampaignStats,
                returns: "The campaigns' figures.",
                compute: |db, caller, ask| marketing::campaigns(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Campaign performance",
                    description: "Each campaign overlapping the window, over its life up to to.",
                    figures: CAMPAIGNS,
                    dimensions: &[],
                    filters: &["campaign_id", "channel"],
                    window: true,
                    granularity: false,
                    compare: true,
                },
                example: "marketing_campaigns",
            }

            /// Campaign performance per channel
            ///
            /// The campaign figures summed per channel, ratios recomputed from the sums.
            marketing_channels {
                path: "/stats/marketing/channels",
                policy: MarketingReaders,
                query: marketing::CampaignQuery,
                answer: marketing::ChannelStats,
                returns: "The figures per channel.",
                compute: |db, caller, ask| marketing::channels(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Campaign performance per channel",
                    description: "The campaign figures summed per channel.",
                    figures: CHANNELS,
                    dimensions: &[],
                    filters: &["campaign_id", "channel"],
                    window: true,
                    granularity: false,
                    compare: true,
                },
                example: "marketing_channels",
            }

            /// Service summary
            ///
            /// For the tickets created in the window: how many, how many were resolved
            /// (before `to`), first response minutes and resolution hours (average,
            /// median, 90th percentile) and CSAT; and the backlog at `to`.
            service_summary {
                path: "/stats/service/summary",
                policy: ServiceStats,
                query: tickets::ServiceQuery,
                answer: tickets::ServiceSummary,
                returns: "The service figures of the window (and the comparison window).",
                compute: |db, caller, ask| tickets::summary(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Service summary",
                    description: "Tickets created in the window: volumes, response and resolution times, CSAT; the backlog.",
                    figures: SERVICE,
                    dimensions: &[],
                    filters: SERVICE_FILTERS,
                    window: true,
                    granularity: false,
                    compare: true,
                },
                example: "service_summary",
            }

            /// Service time series
            ///
            /// The service summary per day, ISO week, month, quarter or year, each
            /// bucket a window of its own: the tickets created in it, resolved and
            /// answered before its end, and the backlog at its end.
            service_timeseries {
                path: "/stats/service/timeseries",
                policy: ServiceStats,
                query: tickets::ServiceTimeseriesQuery,
                answer: tickets::ServiceTimeseries,
                returns: "The service figures per bucket, and in total.",
                compute: |db, caller, ask| tickets::timeseries(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Service time series",
                    description: "The service summary per bucket, each bucket a window of its own.",
                    figures: SERVICE,
                    dimensions: &[],
                    filters: SERVICE_FILTERS,
                    window: true,
                    granularity: true,
                    compare: true,
                },
                example: "service_timeseries",
            }

            /// Service breakdown
            ///
            /// The service summary per ticket category, priority, channel or assigned
            /// agent, most tickets first, with each value's share of the window's
            /// tickets.
            service_breakdown {
                path: "/stats/service/breakdown",
                policy: ServiceStats,
                query: tickets::ServiceBreakdownQuery,
                answer: tickets::ServiceBreakdown,
                returns: "The service figures per value, and in total.",
                compute: |db, caller, ask| tickets::breakdown(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Service breakdown",
                    description: "The service summary per category, priority, channel or agent.",
                    figures: SERVICE_BREAKDOWN,
                    dimensions: &["category", "priority", "channel", "agent"],
                    filters: SERVICE_FILTERS,
                    window: true,
                    granularity: false,
                    compare: true,
                },
                example: "service_breakdown",
            }

            /// Service SLA
            ///
            /// The SLA policy (first response and resolution targets per priority) and,
            /// per priority, the share of the window's tickets that met each target.
            service_sla {
                path: "/stats/service/sla",
                policy: ServiceStats,
                query: sla::SlaQuery,
                answer: sla::SlaStats,
                returns: "SLA attainment per priority.",
                compute: |db, caller, ask| sla::sla(db, caller, ask.sla, ask.query, ask.calendar),
                catalog: Details {
                    title: "Service SLA",
                    description: "Per priority, the share of the window's tickets that met the first-response and resolution targets.",
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
                example: "service_sla",
            }

            /// Satisfaction
            ///
            /// CSAT from the ratings of the tickets created in the window, and NPS
            /// from the survey answers submitted in it.
            satisfaction {
                path: "/stats/satisfaction",
                policy: ServiceStats,
                query: csat_nps::SatisfactionQuery,
                answer: csat_nps::Satisfaction,
                returns: "CSAT and NPS of the window (and the comparison window).",
                compute: |db, caller, ask| csat_nps::satisfaction(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Satisfaction",
                    description: "CSAT of the window's tickets and NPS of the survey answers submitted in it.",
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
                example: "satisfaction",
            }

            /// Employee performance
            ///
            /// One row per employee in the caller's scope (a manager: their team; a
            /// sales rep, marketer or agent: themselves), ranked by revenue: orders,
            /// deals won and lost, new customers, open pipeline, tasks, tickets,
            /// activities, and revenue against target.
            employees_performance {
                path: "/stats/employees/performance",
                policy: AnyUser,
                query: employees::PerformanceQuery,
                answer: employees::EmployeePerformance,
                returns: "The employees' figures, ranked by revenue.",
                compute: |db, caller, ask| employees::performance(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Employee performance",
                    description: "One row per employee in scope, ranked by revenue.",
                    figures: PERFORMANCE,
                    dimensions: &[],
                    filters: &["team_id", "role"],
                    window: true,
                    granularity: false,
                    compare: true,
                },
                example: "employees_performance",
            }

            /// Employee scorecard
            ///
            /// One employee's performance figures for the window, the previous period
            /// (or `compare`'s window) with the change, and the figures per bucket.
            /// 404 for a user outside the caller's scope.
            employee_scorecard {
                path: "/stats/employees/{id}/scorecard",
                id: "The employee's user id.",
                policy: AnyUser,
                query: employees::ScorecardQuery,
                answer: employees::Scorecard,
                returns: "The employee's scorecard.",
                compute: |db, caller, ask| employees::scorecard(db, caller, ask.id("user")?, ask.query, ask.calendar),
                catalog: Details {
                    title: "Employee scorecard",
                    description: "One employee's figures, the previous period and a time series.",
                    figures: PERFORMANCE,
                    dimensions: &[],
                    filters: &[],
                    window: true,
                    granularity: true,
                    compare: true,
                },
                example: "employees_scorecard",
            }

            /// Team performance
            ///
            /// The employee figures summed per team (members as they are now), with
            /// revenue per active member; a team's own revenue targets, where it has
            /// any, replace the sum of its members'.
            teams_performance {
                path: "/stats/teams/performance",
                policy: TeamStats,
                query: employees::PerformanceQuery,
                answer: employees::TeamPerformance,
                returns: "The teams' figures, ranked by revenue.",
                compute: |db, caller, ask| employees::teams(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Team performance",
                    description: "The employee figures summed per team, ranked by revenue.",
                    figures: TEAMS,
                    dimensions: &[],
                    filters: &["team_id", "role"],
                    window: true,
                    granularity: false,
                    compare: true,
                },
                example: "teams_performance",
            }

            /// Data quality
            ///
            /// The current state of the customer data (no window): the share of
            /// customers with each key field filled, duplicate groups, and customers
            /// not updated in 180 days.
            data_quality {
                path: "/stats/data-quality",
                policy: SalesStats,
                query: quality::QualityQuery,
                answer: quality::DataQuality,
                returns: "Completeness, duplicates and staleness.",
                compute: |db, caller, ask| quality::data_quality(db, caller, ask.query),
                catalog: Details {
                    title: "Data quality",
                    description: "The current completeness, duplicates and staleness of the customer data.",
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
                example: "data_quality",
            }

            /// Dashboard
            ///
            /// The headline figures of the window in one call, with the previous
            /// period and the change: sales (revenue, profit, orders, AOV, new and
            /// active customers, win rate, weighted pipeline), service (tickets, median
            /// first response, CSAT) and marketing (campaign ROI), each family present
            /// for the roles that may read it and within the caller's scope; the top
            /// five employees and a revenue series for a sparkline.
            stats_dashboard {
                path: "/stats/dashboard",
                policy: AnyUser,
                query: dashboard::DashboardQuery,
                answer: dashboard::Dashboard,
                returns: "The headline figures.",
                compute: |db, caller, ask| dashboard::dashboard(db, caller, ask.query, ask.calendar),
                catalog: Details {
                    title: "Dashboard",
                    description: "The headline figures of every family the caller may read, with the previous period.",
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
                example: "dashboard",
            }
        }
    };
}
pub(crate) use statistics;

/// The items the rows make in this module: the compute functions,
/// [`STATISTICS`] and [`answer`].
macro_rules! registry {
    ($(
        $(#[doc = $doc:tt])*
        $name:ident {
            path: $path:tt,
            $(id: $id:tt,)?
            policy: $policy:ident,
            query: $qm:ident :: $query:ident,
            answer: $am:ident :: $answer:ident,
            returns: $returns:tt,
            compute: |$db:ident, $caller:ident, $ask:ident| $compute:expr,
            catalog: $catalog:expr,
            example: $example:tt $(,)?
        }
    )*) => {
        $(
            $(#[doc = $doc])*
            pub async fn $name(
                $db: &impl ConnectionTrait,
                $caller: &AuthUser,
                $ask: Ask<'_, $qm::$query>,
            ) -> AppResult<$am::$answer> {
                $compute.await
            }
        )*

        /// Each statistic's row by its name (`statistic::sales_summary.path`),
        /// for code that names one statistic (the reports).
        #[allow(non_upper_case_globals)]
        pub mod statistic {
            use super::*;
            $(
                pub const $name: Statistic = Statistic {
                    name: stringify!($name),
                    path: $path,
                    roles: <$policy as Policy>::ROLES,
                    details: $catalog,
                    example_name: $example,
                    example: include_str!(concat!("../../openapi/examples/stats/", $example, ".json")),
                };
            )*
        }

        /// Every statistic, in the order of the catalog.
        pub const STATISTICS: &[Statistic] = &[$(statistic::$name),*];

        /// Answers a statistics request without HTTP, as the handler does
        /// (on the organization's calendar, [`on_calendar`]): `path` under
        /// `/api/v1/stats/` (`sales/summary`, `employees/{id}/scorecard`)
        /// and its query string, for the caller. Benchmarks and tests use
        /// it; the HTTP handlers and the reports call the compute functions.
        pub async fn answer(
            db: &impl ConnectionTrait,
            caller: &AuthUser,
            sla: &SlaPolicy,
            path: &str,
            query: &str,
        ) -> AppResult<serde_json::Value> {
            let path = format!("/stats/{}", path.trim_start_matches('/'));
            $(
                if let Some(id) = matches($path, &path) {
                    let query: $qm::$query = parse(query)?;
                    let (query, id) = (&query, id.and_then(|id| id.parse().ok()));
                    let answer = on_calendar(db, |calendar| async move {
                        $name(db, caller, Ask { query, id, calendar, sla }).await
                    });
                    return json(answer.await?);
                }
            )*
            Err(AppError::NotFound(format!("no statistic {}", path.trim_start_matches("/stats/"))))
        }
    };
}

statistics!(registry);

/// Runs `compute` on the organization's calendar as it is stored, and
/// again on the new one if it changed meanwhile: the rollups are rebuilt
/// on the new days in the transaction that changes the zone, so an answer
/// computed across that commit could mix the two calendars. It is
/// checked by the version, read again after the answer (three tries).
pub async fn on_calendar<T, F, A>(db: &impl ConnectionTrait, compute: F) -> AppResult<T>
where
    F: Fn(Calendar) -> A,
    A: std::future::Future<Output = AppResult<T>>,
{
    let mut stored = crate::calendar::load(db).await?;
    for _ in 0..3 {
        let answer = compute(stored.calendar).await?;
        let now = crate::calendar::load(db).await?;
        if now.version == stored.version {
            return Ok(answer);
        }
        stored = now;
    }
    Err(AppError::Unavailable("the organization's calendar is being changed; try again".into()))
}

/// Whether `path` is an instance of `template`, and the value of its
/// `{id}` segment if it has one.
fn matches<'a>(template: &str, path: &'a str) -> Option<Option<&'a str>> {
    let (mut wanted, mut given) = (template.split('/'), path.split('/'));
    let mut id = None;
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(id),
            (Some("{id}"), Some(segment)) if !segment.is_empty() => id = Some(segment),
            (Some(wanted), Some(segment)) if wanted == segment => {}
            _ => return None,
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(query: &str) -> AppResult<T> {
    serde_urlencoded::from_str(query).map_err(|e| AppError::validation("query", "invalid", e.to_string()))
}

fn json(value: impl serde::Serialize) -> AppResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| AppError::internal(e.to_string()))
}

/// The catalog, one endpoint per row of the statistics registry, on the
/// organization's calendar.
pub fn catalog(calendar: Calendar) -> Catalog {
    let endpoints = STATISTICS
        .iter()
        .map(|statistic| {
            let d = statistic.details;
            Endpoint {
                path: format!("/api/v1{}", statistic.path),
                title: d.title,
                description: d.description,
                roles: statistic.roles,
                figures: d.figures,
                dimensions: d.dimensions,
                filters: d.filters,
                window: d.window,
                granularity: d.granularity,
                compare: d.compare,
                on_calendar: d.window || d.granularity,
            }
        })
        .collect();
    Catalog { calendar: calendar.into(), endpoints }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_matches_its_instances_only() {
        assert_eq!(matches("/stats/sales/summary", "/stats/sales/summary"), Some(None));
        assert_eq!(matches("/stats/employees/{id}/scorecard", "/stats/employees/abc/scorecard"), Some(Some("abc")));
        assert_eq!(matches("/stats/employees/{id}/scorecard", "/stats/employees//scorecard"), None);
        assert_eq!(matches("/stats/sales/summary", "/stats/sales/summary/x"), None);
        assert_eq!(matches("/stats/customers/retention", "/stats/customers/retention/cohorts"), None);
    }

    #[test]
    fn names_paths_and_examples_are_unique_and_examples_are_json() {
        let mut seen = std::collections::BTreeSet::new();
        for statistic in STATISTICS {
            assert!(seen.insert(statistic.name), "{}", statistic.name);
            assert!(seen.insert(statistic.path), "{}", statistic.path);
            assert!(statistic.path.starts_with("/stats/"), "{}", statistic.path);
            assert!(!statistic.roles.is_empty(), "{}", statistic.path);
            assert!(
                serde_json::from_str::<serde_json::Value>(statistic.example).is_ok_and(|v| v.is_object()),
                "{}: the example is a JSON object",
                statistic.example_name
            );
        }
    }
}
