//! The statistics module: every figure is computed by the database with
//! aggregate SQL, scoped to what the caller may see. `query.rs` turns a
//! request into SQL; one file per family of metrics. Definitions:
//! `docs/metrics.md`.

pub mod alerts;
pub mod catalog;
pub mod customers;
pub mod dashboard;
pub mod employees;
pub mod examples;
pub mod forecast;
pub mod funnel;
pub mod interactions;
pub mod leads;
pub mod marketing;
pub mod pipeline;
pub mod quality;
pub mod query;
pub mod reports;
pub mod rfm;
pub mod sales;
pub mod service;

use actix_web::{get, web};
use uuid::Uuid;

use crate::api::extract::Query;
use crate::auth::Authorized;
use crate::auth::policy::{AnyUser, LeadReaders, MarketingReaders, SalesStats, ServiceStats, TeamStats};
use crate::error::AppResult;
use crate::state::AppState;

/// Sales summary
///
/// Revenue, cost, profit, margin, orders, units, buying customers, average
/// order value and revenue per customer over the counted orders (paid or
/// completed) placed in the window, within the caller's scope.
#[utoipa::path(
    tag = "statistics",
    params(sales::SummaryQuery),
    responses((status = 200, description = "The figures of the window (and the comparison window).", body = sales::SalesSummary)),
    security(("bearer" = []))
)]
#[get("/stats/sales/summary")]
pub async fn sales_summary(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<sales::SummaryQuery>,
) -> AppResult<web::Json<sales::SalesSummary>> {
    Ok(web::Json(sales::summary(&state.db, &auth, &query.0).await?))
}

/// Product affinity
///
/// Pairs of products bought in the same counted orders of the window, with
/// support (share of orders holding both), confidence both ways and lift;
/// only pairs with at least `min_orders` orders together.
#[utoipa::path(
    tag = "statistics",
    params(sales::AffinityQuery),
    responses((status = 200, description = "The pairs, most orders together first.", body = sales::ProductAffinity)),
    security(("bearer" = []))
)]
#[get("/stats/sales/product-affinity")]
pub async fn sales_product_affinity(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<sales::AffinityQuery>,
) -> AppResult<web::Json<sales::ProductAffinity>> {
    Ok(web::Json(sales::product_affinity(&state.db, &auth, &query.0).await?))
}

/// Sales time series
///
/// The summary figures per day, ISO week, month, quarter or year; every
/// bucket of the window is present, empty ones with zeros.
#[utoipa::path(
    tag = "statistics",
    params(sales::TimeseriesQuery),
    responses((status = 200, description = "The figures per bucket, and in total.", body = sales::SalesTimeseries)),
    security(("bearer" = []))
)]
#[get("/stats/sales/timeseries")]
pub async fn sales_timeseries(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<sales::TimeseriesQuery>,
) -> AppResult<web::Json<sales::SalesTimeseries>> {
    Ok(web::Json(sales::timeseries(&state.db, &auth, &query.0).await?))
}

/// Sales breakdown
///
/// The summary figures per product, product category, channel, region,
/// owner, team or customer segment, largest revenue first, with each
/// group's share of revenue (and, for products and categories, their
/// penetration among the window's buying customers).
#[utoipa::path(
    tag = "statistics",
    params(sales::BreakdownQuery),
    responses((status = 200, description = "The figures per group, and in total.", body = sales::SalesBreakdown)),
    security(("bearer" = []))
)]
#[get("/stats/sales/breakdown")]
pub async fn sales_breakdown(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<sales::BreakdownQuery>,
) -> AppResult<web::Json<sales::SalesBreakdown>> {
    Ok(web::Json(sales::breakdown(&state.db, &auth, &query.0).await?))
}

/// Service summary
///
/// For the tickets created in the window: how many, how many were resolved
/// (before `to`), first response minutes and resolution hours (average,
/// median, 90th percentile) and CSAT; and the backlog at `to`.
#[utoipa::path(
    tag = "statistics",
    params(service::ServiceQuery),
    responses((status = 200, description = "The service figures of the window (and the comparison window).", body = service::ServiceSummary)),
    security(("bearer" = []))
)]
#[get("/stats/service/summary")]
pub async fn service_summary(
    auth: Authorized<ServiceStats>,
    state: web::Data<AppState>,
    query: Query<service::ServiceQuery>,
) -> AppResult<web::Json<service::ServiceSummary>> {
    Ok(web::Json(service::summary(&state.db, &auth, &query.0).await?))
}

/// Service time series
///
/// The service summary per day, ISO week, month, quarter or year, each
/// bucket a window of its own: the tickets created in it, resolved and
/// answered before its end, and the backlog at its end.
#[utoipa::path(
    tag = "statistics",
    params(service::ServiceTimeseriesQuery),
    responses((status = 200, description = "The service figures per bucket, and in total.", body = service::ServiceTimeseries)),
    security(("bearer" = []))
)]
#[get("/stats/service/timeseries")]
pub async fn service_timeseries(
    auth: Authorized<ServiceStats>,
    state: web::Data<AppState>,
    query: Query<service::ServiceTimeseriesQuery>,
) -> AppResult<web::Json<service::ServiceTimeseries>> {
    Ok(web::Json(service::timeseries(&state.db, &auth, &query.0).await?))
}

/// Service breakdown
///
/// The service summary per ticket category, priority, channel or assigned
/// agent, most tickets first, with each value's share of the window's
/// tickets.
#[utoipa::path(
    tag = "statistics",
    params(service::ServiceBreakdownQuery),
    responses((status = 200, description = "The service figures per value, and in total.", body = service::ServiceBreakdown)),
    security(("bearer" = []))
)]
#[get("/stats/service/breakdown")]
pub async fn service_breakdown(
    auth: Authorized<ServiceStats>,
    state: web::Data<AppState>,
    query: Query<service::ServiceBreakdownQuery>,
) -> AppResult<web::Json<service::ServiceBreakdown>> {
    Ok(web::Json(service::breakdown(&state.db, &auth, &query.0).await?))
}

/// Customer overview
///
/// Customers existing at `to` (per lifecycle stage), new in the window,
/// active (with a counted order), first-time buyers and the repeat rate.
#[utoipa::path(
    tag = "statistics",
    params(customers::CustomerQuery),
    responses((status = 200, description = "The customer figures of the window (and the comparison window).", body = customers::CustomerOverview)),
    security(("bearer" = []))
)]
#[get("/stats/customers/overview")]
pub async fn customers_overview(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<customers::CustomerQuery>,
) -> AppResult<web::Json<customers::CustomerOverview>> {
    Ok(web::Json(customers::overview(&state.db, &auth, &query.0).await?))
}

/// Satisfaction
///
/// CSAT from the ratings of the tickets created in the window, and NPS
/// from the survey answers submitted in it.
#[utoipa::path(
    tag = "statistics",
    params(service::SatisfactionQuery),
    responses((status = 200, description = "CSAT and NPS of the window (and the comparison window).", body = service::Satisfaction)),
    security(("bearer" = []))
)]
#[get("/stats/satisfaction")]
pub async fn satisfaction(
    auth: Authorized<ServiceStats>,
    state: web::Data<AppState>,
    query: Query<service::SatisfactionQuery>,
) -> AppResult<web::Json<service::Satisfaction>> {
    Ok(web::Json(service::satisfaction(&state.db, &auth, &query.0).await?))
}

/// Lead conversion
///
/// Leads created in the window per source channel: how many, how many were
/// converted before `to`, the conversion rate and the mean days to convert.
#[utoipa::path(
    tag = "statistics",
    params(leads::LeadQuery),
    responses((status = 200, description = "Conversion per source, and in total.", body = leads::LeadConversion)),
    security(("bearer" = []))
)]
#[get("/stats/leads/conversion")]
pub async fn leads_conversion(
    auth: Authorized<LeadReaders>,
    state: web::Data<AppState>,
    query: Query<leads::LeadQuery>,
) -> AppResult<web::Json<leads::LeadConversion>> {
    Ok(web::Json(leads::conversion(&state.db, &auth, &query.0).await?))
}

/// Sales pipeline
///
/// The open opportunities now (the window does not apply): count, amount
/// and probability-weighted amount per stage, per expected-close month and
/// in total.
#[utoipa::path(
    tag = "statistics",
    params(pipeline::PipelineQuery),
    responses((status = 200, description = "The open pipeline.", body = pipeline::Pipeline)),
    security(("bearer" = []))
)]
#[get("/stats/sales/pipeline")]
pub async fn sales_pipeline(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<pipeline::PipelineQuery>,
) -> AppResult<web::Json<pipeline::Pipeline>> {
    Ok(web::Json(pipeline::pipeline(&state.db, &auth, &query.0).await?))
}

/// Sales funnel
///
/// For the opportunities created in the window: how many reached each
/// stage (from their stage history as of `to`), with amounts and the
/// conversion to the next stage; won, lost and open; the win rate and the
/// average sales cycle.
#[utoipa::path(
    tag = "statistics",
    params(funnel::FunnelQuery),
    responses((status = 200, description = "The funnel of the window's opportunities.", body = funnel::Funnel)),
    security(("bearer" = []))
)]
#[get("/stats/sales/funnel")]
pub async fn sales_funnel(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<funnel::FunnelQuery>,
) -> AppResult<web::Json<funnel::Funnel>> {
    Ok(web::Json(funnel::funnel(&state.db, &auth, &query.0).await?))
}

/// Campaign performance
///
/// Each campaign whose dates overlap the window (or the one named), with
/// its cost, reach, members, leads, won revenue and ROI over its whole life
/// up to `to`.
#[utoipa::path(
    tag = "statistics",
    params(marketing::CampaignQuery),
    responses((status = 200, description = "The campaigns' figures.", body = marketing::CampaignStats)),
    security(("bearer" = []))
)]
#[get("/stats/marketing/campaigns")]
pub async fn marketing_campaigns(
    auth: Authorized<MarketingReaders>,
    state: web::Data<AppState>,
    query: Query<marketing::CampaignQuery>,
) -> AppResult<web::Json<marketing::CampaignStats>> {
    Ok(web::Json(marketing::campaigns(&state.db, &auth, &query.0).await?))
}

/// Service SLA
///
/// The SLA policy (first response and resolution targets per priority) and,
/// per priority, the share of the window's tickets that met each target.
#[utoipa::path(
    tag = "statistics",
    params(service::SlaQuery),
    responses((status = 200, description = "SLA attainment per priority.", body = service::SlaStats)),
    security(("bearer" = []))
)]
#[get("/stats/service/sla")]
pub async fn service_sla(
    auth: Authorized<ServiceStats>,
    state: web::Data<AppState>,
    query: Query<service::SlaQuery>,
) -> AppResult<web::Json<service::SlaStats>> {
    Ok(web::Json(service::sla(&state.db, &auth, &state.settings.sla, &query.0).await?))
}

/// Campaign performance per channel
///
/// The campaign figures summed per channel, ratios recomputed from the sums.
#[utoipa::path(
    tag = "statistics",
    params(marketing::CampaignQuery),
    responses((status = 200, description = "The figures per channel.", body = marketing::ChannelStats)),
    security(("bearer" = []))
)]
#[get("/stats/marketing/channels")]
pub async fn marketing_channels(
    auth: Authorized<MarketingReaders>,
    state: web::Data<AppState>,
    query: Query<marketing::CampaignQuery>,
) -> AppResult<web::Json<marketing::ChannelStats>> {
    Ok(web::Json(marketing::channels(&state.db, &auth, &query.0).await?))
}

/// Customer distribution
///
/// Customers existing at `to` per region, city, industry, segment, source,
/// lifecycle stage, gender, age band or occupation, with their share and
/// the revenue of their counted orders in the window.
#[utoipa::path(
    tag = "statistics",
    params(customers::DistributionQuery),
    responses((status = 200, description = "Customers per value.", body = customers::Distribution)),
    security(("bearer" = []))
)]
#[get("/stats/customers/distribution")]
pub async fn customers_distribution(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<customers::DistributionQuery>,
) -> AppResult<web::Json<customers::Distribution>> {
    Ok(web::Json(customers::distribution(&state.db, &auth, &query.0).await?))
}

/// Customer retention
///
/// Of the customers with a counted order in the previous window of equal
/// length, how many ordered again in this window (retained) and how many
/// did not (churned).
#[utoipa::path(
    tag = "statistics",
    params(customers::CustomerQuery),
    responses((status = 200, description = "Retention and churn.", body = customers::Retention)),
    security(("bearer" = []))
)]
#[get("/stats/customers/retention")]
pub async fn customers_retention(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<customers::CustomerQuery>,
) -> AppResult<web::Json<customers::Retention>> {
    Ok(web::Json(customers::retention(&state.db, &auth, &query.0).await?))
}

/// Retention cohorts
///
/// Customers grouped by the period (week, month or quarter) of their first
/// counted order ever, for the periods of the window, and for each later
/// period up to `to` the number and share of them that ordered in it.
#[utoipa::path(
    tag = "statistics",
    params(customers::CohortQuery),
    responses((status = 200, description = "One cohort per period of the window, oldest first.", body = customers::Cohorts)),
    security(("bearer" = []))
)]
#[get("/stats/customers/retention/cohorts")]
pub async fn customers_cohorts(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<customers::CohortQuery>,
) -> AppResult<web::Json<customers::Cohorts>> {
    Ok(web::Json(customers::cohorts(&state.db, &auth, &query.0).await?))
}

/// RFM segments
///
/// Every customer with a counted order before `to` scored 1–5 on recency,
/// frequency and monetary value (quintiles among the customers in scope),
/// the named segments of the recency × frequency grid with their customers
/// and revenue, and the top customers with their scores.
#[utoipa::path(
    tag = "statistics",
    params(rfm::RfmQuery),
    responses((status = 200, description = "Every segment, and the top customers with their scores.", body = rfm::Rfm)),
    security(("bearer" = []))
)]
#[get("/stats/customers/rfm")]
pub async fn customers_rfm(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<rfm::RfmQuery>,
) -> AppResult<web::Json<rfm::Rfm>> {
    Ok(web::Json(rfm::rfm(&state.db, &auth, &query.0).await?))
}

/// Churn risk
///
/// The customers whose days since their last counted order exceed `factor`
/// times their own median gap between purchase days (or `days` for a
/// customer with one purchase day), as of `to`, ranked by revenue to date.
#[utoipa::path(
    tag = "statistics",
    params(rfm::ChurnRiskQuery),
    responses((status = 200, description = "How many customers are at risk, and the most valuable of them.", body = rfm::ChurnRisk)),
    security(("bearer" = []))
)]
#[get("/stats/customers/churn-risk")]
pub async fn customers_churn_risk(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<rfm::ChurnRiskQuery>,
) -> AppResult<web::Json<rfm::ChurnRisk>> {
    Ok(web::Json(rfm::churn_risk(&state.db, &auth, &query.0).await?))
}

/// Interaction patterns
///
/// The activities logged on customers in the window by type and direction,
/// activities per contacted customer (mean, median, 90th percentile), and
/// the customers without an activity in the last `inactive_days` before
/// `to`, the most valuable first.
#[utoipa::path(
    tag = "statistics",
    params(interactions::InteractionQuery),
    responses((status = 200, description = "Activities by type, per customer, and the uncontacted customers.", body = interactions::Interactions)),
    security(("bearer" = []))
)]
#[get("/stats/customers/interactions")]
pub async fn customers_interactions(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<interactions::InteractionQuery>,
) -> AppResult<web::Json<interactions::Interactions>> {
    Ok(web::Json(interactions::interactions(&state.db, &auth, &query.0).await?))
}

/// Sales forecast
///
/// For the current period and the next ones: the weighted open pipeline
/// expected to close in each, and a statistical forecast of the revenue
/// from the history of complete periods (additive Holt-Winters with two
/// seasons of history, Holt's linear trend with four periods, else the
/// last period), with the method's error on the last 6 complete periods.
#[utoipa::path(
    tag = "statistics",
    params(forecast::ForecastQuery),
    responses((status = 200, description = "The forecast per period, the method, its history and backtest.", body = forecast::Forecast)),
    security(("bearer" = []))
)]
#[get("/stats/sales/forecast")]
pub async fn sales_forecast(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<forecast::ForecastQuery>,
) -> AppResult<web::Json<forecast::Forecast>> {
    Ok(web::Json(forecast::forecast(&state.db, &auth, &query.0).await?))
}

/// Periodic report
///
/// The sales, funnel, marketing, service and employee figures of one week,
/// month, quarter or year (`period`, default the last complete one) next
/// to the previous period, with the change — as JSON, as CSV (one table
/// with a `section` column) or as XLSX (one sheet per section), chosen by
/// `format` or else by `Accept`. Each figure is the answer of the named
/// statistic for the caller, so the report has the statistics' scoping;
/// sections the caller's role may not read are listed in
/// `omitted_sections`. For the current period the window ends now and the
/// previous window is as long.
#[utoipa::path(
    tag = "reports",
    params(
        ("kind" = reports::ReportKind, Path, description = "`weekly`, `monthly`, `quarterly` or `annual`."),
        reports::ReportQuery
    ),
    responses((status = 200, description = "The report.", content(
        (reports::Report = "application/json"),
        (String = "text/csv"),
        (reports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    ))),
    security(("bearer" = []))
)]
#[get("/reports/{kind}")]
pub async fn periodic_report(
    auth: Authorized<AnyUser>,
    state: web::Data<AppState>,
    kind: web::Path<String>,
    query: Query<reports::ReportQuery>,
    request: actix_web::HttpRequest,
) -> AppResult<actix_web::HttpResponse> {
    use actix_web::HttpResponse;
    use actix_web::http::header;
    use reports::ReportFormat;
    let kind = reports::ReportKind::from_path(&kind).ok_or_else(|| {
        crate::error::AppError::NotFound(format!("no {kind} report; weekly, monthly, quarterly or annual"))
    })?;
    let accept = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let format = query.0.format.unwrap_or(if accept.contains("text/csv") {
        ReportFormat::Csv
    } else if accept.contains(reports::XLSX) {
        ReportFormat::Xlsx
    } else {
        ReportFormat::Json
    });
    let report = reports::report(&state.db, &auth, &state.settings.sla, kind, &query.0).await?;
    let attachment = |extension: &str| crate::api::respond::attachment(reports::file_name(&report, extension));
    Ok(match format {
        ReportFormat::Json => HttpResponse::Ok().json(&report),
        ReportFormat::Csv => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(attachment("csv"))
            .body(reports::to_csv(&report)),
        ReportFormat::Xlsx => HttpResponse::Ok()
            .content_type(reports::XLSX)
            .insert_header(attachment("xlsx"))
            .body(reports::to_xlsx(&report)?),
    })
}

/// Alerts
///
/// What needs attention now, in the caller's scope: tickets past (or near)
/// their SLA targets, open opportunities without activity for
/// `stale_days`, customers at churn risk, and employees behind the pace
/// their monthly revenue target needs — each with the record, the rule,
/// its severity and the figures behind it. Thresholds are parameters;
/// rules whose records the caller's role may not read are listed in
/// `omitted_rules`.
#[utoipa::path(
    tag = "alerts",
    params(alerts::AlertQuery),
    responses((status = 200, description = "The alerts, critical first.", body = alerts::Alerts)),
    security(("bearer" = []))
)]
#[get("/alerts")]
pub async fn list_alerts(
    auth: Authorized<AnyUser>,
    state: web::Data<AppState>,
    query: Query<alerts::AlertQuery>,
) -> AppResult<web::Json<alerts::Alerts>> {
    Ok(web::Json(alerts::alerts(&state.db, &auth, &state.settings.sla, &query.0).await?))
}

/// Data quality
///
/// The current state of the customer data (no window): the share of
/// customers with each key field filled, duplicate groups, and customers
/// not updated in 180 days.
#[utoipa::path(
    tag = "statistics",
    params(quality::QualityQuery),
    responses((status = 200, description = "Completeness, duplicates and staleness.", body = quality::DataQuality)),
    security(("bearer" = []))
)]
#[get("/stats/data-quality")]
pub async fn data_quality(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<quality::QualityQuery>,
) -> AppResult<web::Json<quality::DataQuality>> {
    Ok(web::Json(quality::data_quality(&state.db, &auth, &query.0).await?))
}

/// Customer lifetime value
///
/// Average order value × purchase frequency (orders per active customer
/// per month of the window) × expected lifespan in months, and the top
/// customers by revenue to date.
#[utoipa::path(
    tag = "statistics",
    params(customers::ClvQuery),
    responses((status = 200, description = "The lifetime value and the top customers.", body = customers::Clv)),
    security(("bearer" = []))
)]
#[get("/stats/customers/clv")]
pub async fn customers_clv(
    auth: Authorized<SalesStats>,
    state: web::Data<AppState>,
    query: Query<customers::ClvQuery>,
) -> AppResult<web::Json<customers::Clv>> {
    Ok(web::Json(customers::clv(&state.db, &auth, &query.0).await?))
}

/// Employee performance
///
/// One row per employee in the caller's scope (a manager: their team; a
/// sales rep, marketer or agent: themselves), ranked by revenue: orders,
/// deals won and lost, new customers, open pipeline, tasks, tickets,
/// activities, and revenue against target.
#[utoipa::path(
    tag = "statistics",
    params(employees::PerformanceQuery),
    responses((status = 200, description = "The employees' figures, ranked by revenue.", body = employees::EmployeePerformance)),
    security(("bearer" = []))
)]
#[get("/stats/employees/performance")]
pub async fn employees_performance(
    auth: Authorized<AnyUser>,
    state: web::Data<AppState>,
    query: Query<employees::PerformanceQuery>,
) -> AppResult<web::Json<employees::EmployeePerformance>> {
    Ok(web::Json(employees::performance(&state.db, &auth, &query.0).await?))
}

/// Employee scorecard
///
/// One employee's performance figures for the window, the previous period
/// (or `compare`'s window) with the change, and the figures per bucket.
/// 404 for a user outside the caller's scope.
#[utoipa::path(
    tag = "statistics",
    params(("id" = Uuid, Path, description = "The employee's user id."), employees::ScorecardQuery),
    responses((status = 200, description = "The employee's scorecard.", body = employees::Scorecard)),
    security(("bearer" = []))
)]
#[get("/stats/employees/{id}/scorecard")]
pub async fn employee_scorecard(
    auth: Authorized<AnyUser>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: Query<employees::ScorecardQuery>,
) -> AppResult<web::Json<employees::Scorecard>> {
    Ok(web::Json(employees::scorecard(&state.db, &auth, id.into_inner(), &query.0).await?))
}

/// Team performance
///
/// The employee figures summed per team (members as they are now), with
/// revenue per active member; a team's own revenue targets, where it has
/// any, replace the sum of its members'.
#[utoipa::path(
    tag = "statistics",
    params(employees::PerformanceQuery),
    responses((status = 200, description = "The teams' figures, ranked by revenue.", body = employees::TeamPerformance)),
    security(("bearer" = []))
)]
#[get("/stats/teams/performance")]
pub async fn teams_performance(
    auth: Authorized<TeamStats>,
    state: web::Data<AppState>,
    query: Query<employees::PerformanceQuery>,
) -> AppResult<web::Json<employees::TeamPerformance>> {
    Ok(web::Json(employees::teams(&state.db, &auth, &query.0).await?))
}

/// Dashboard
///
/// The headline figures of the window in one call, with the previous
/// period and the change: sales (revenue, profit, orders, AOV, new and
/// active customers, win rate, weighted pipeline), service (tickets, median
/// first response, CSAT) and marketing (campaign ROI), each family present
/// for the roles that may read it and within the caller's scope; the top
/// five employees and a revenue series for a sparkline.
#[utoipa::path(
    tag = "statistics",
    params(dashboard::DashboardQuery),
    responses((status = 200, description = "The headline figures.", body = dashboard::Dashboard)),
    security(("bearer" = []))
)]
#[get("/stats/dashboard")]
pub async fn stats_dashboard(
    auth: Authorized<AnyUser>,
    state: web::Data<AppState>,
    query: Query<dashboard::DashboardQuery>,
) -> AppResult<web::Json<dashboard::Dashboard>> {
    Ok(web::Json(dashboard::dashboard(&state.db, &auth, &query.0).await?))
}

/// Statistics catalog
///
/// Every statistics endpoint described: its path, who may ask, its figures
/// with unit and definition, the `by=` dimensions and filters it accepts,
/// and whether it takes a window, `granularity` and `compare` — so that a
/// frontend can build its charts and filters without hard-coding them.
#[utoipa::path(
    tag = "statistics",
    responses((status = 200, description = "The statistics endpoints.", body = catalog::Catalog)),
    security(("bearer" = []))
)]
#[get("/stats/metrics")]
pub async fn stats_metrics(_auth: Authorized<AnyUser>) -> web::Json<catalog::Catalog> {
    web::Json(catalog::catalog())
}

/// Answers a statistics request without HTTP: `path` under
/// `/api/v1/stats/` and its query string, for the caller. The benchmarks
/// use it to record the statements a request runs; the routes above are
/// the API.
pub async fn answer(
    db: &impl sea_orm::ConnectionTrait,
    caller: &crate::auth::AuthUser,
    sla: &crate::config::SlaPolicy,
    path: &str,
    query: &str,
) -> AppResult<serde_json::Value> {
    fn parse<T: serde::de::DeserializeOwned>(query: &str) -> AppResult<T> {
        serde_urlencoded::from_str(query)
            .map_err(|e| crate::error::AppError::validation("query", "invalid", e.to_string()))
    }
    fn json(value: impl serde::Serialize) -> AppResult<serde_json::Value> {
        serde_json::to_value(value).map_err(|e| crate::error::AppError::internal(e.to_string()))
    }
    match path {
        "sales/summary" => json(sales::summary(db, caller, &parse(query)?).await?),
        "sales/timeseries" => json(sales::timeseries(db, caller, &parse(query)?).await?),
        "sales/breakdown" => json(sales::breakdown(db, caller, &parse(query)?).await?),
        "sales/funnel" => json(funnel::funnel(db, caller, &parse(query)?).await?),
        "sales/pipeline" => json(pipeline::pipeline(db, caller, &parse(query)?).await?),
        "sales/forecast" => json(forecast::forecast(db, caller, &parse(query)?).await?),
        "sales/product-affinity" => json(sales::product_affinity(db, caller, &parse(query)?).await?),
        "customers/overview" => json(customers::overview(db, caller, &parse(query)?).await?),
        "customers/distribution" => json(customers::distribution(db, caller, &parse(query)?).await?),
        "customers/retention" => json(customers::retention(db, caller, &parse(query)?).await?),
        "customers/retention/cohorts" => json(customers::cohorts(db, caller, &parse(query)?).await?),
        "customers/rfm" => json(rfm::rfm(db, caller, &parse(query)?).await?),
        "customers/churn-risk" => json(rfm::churn_risk(db, caller, &parse(query)?).await?),
        "customers/interactions" => json(interactions::interactions(db, caller, &parse(query)?).await?),
        "customers/clv" => json(customers::clv(db, caller, &parse(query)?).await?),
        "leads/conversion" => json(leads::conversion(db, caller, &parse(query)?).await?),
        "marketing/campaigns" => json(marketing::campaigns(db, caller, &parse(query)?).await?),
        "marketing/channels" => json(marketing::channels(db, caller, &parse(query)?).await?),
        "service/summary" => json(service::summary(db, caller, &parse(query)?).await?),
        "service/timeseries" => json(service::timeseries(db, caller, &parse(query)?).await?),
        "service/breakdown" => json(service::breakdown(db, caller, &parse(query)?).await?),
        "service/sla" => json(service::sla(db, caller, sla, &parse(query)?).await?),
        "satisfaction" => json(service::satisfaction(db, caller, &parse(query)?).await?),
        "employees/performance" => json(employees::performance(db, caller, &parse(query)?).await?),
        "teams/performance" => json(employees::teams(db, caller, &parse(query)?).await?),
        "data-quality" => json(quality::data_quality(db, caller, &parse(query)?).await?),
        "dashboard" => json(dashboard::dashboard(db, caller, &parse(query)?).await?),
        _ if path.starts_with("employees/") && path.ends_with("/scorecard") => {
            let id = path.trim_start_matches("employees/").trim_end_matches("/scorecard");
            let id = id.parse().map_err(|_| crate::error::AppError::not_found("user"))?;
            json(employees::scorecard(db, caller, id, &parse(query)?).await?)
        }
        _ => Err(crate::error::AppError::NotFound(format!("no statistic {path}"))),
    }
}

/// Registers the statistics endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(sales_summary)
        .service(sales_timeseries)
        .service(sales_breakdown)
        .service(sales_product_affinity)
        .service(sales_forecast)
        .service(service_summary)
        .service(service_timeseries)
        .service(service_breakdown)
        .service(customers_overview)
        .service(satisfaction)
        .service(leads_conversion)
        .service(sales_pipeline)
        .service(sales_funnel)
        .service(marketing_campaigns)
        .service(service_sla)
        .service(marketing_channels)
        .service(customers_distribution)
        .service(customers_retention)
        .service(customers_cohorts)
        .service(customers_rfm)
        .service(customers_churn_risk)
        .service(customers_interactions)
        .service(data_quality)
        .service(customers_clv)
        .service(employees_performance)
        .service(employee_scorecard)
        .service(teams_performance)
        .service(stats_dashboard)
        .service(periodic_report)
        .service(list_alerts)
        .service(stats_metrics);
}
