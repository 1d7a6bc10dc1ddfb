//! Example responses of the statistics, recorded from the hand-made
//! fixture by `tests/api/stats_examples.rs` (which fails when they no
//! longer match what the API answers) and shown in the OpenAPI document.

/// (path, example response as JSON text).
pub const EXAMPLES: &[(&str, &str)] = &[
    ("/api/v1/reports/{kind}", include_str!("../../openapi/examples/stats/report_monthly.json")),
    ("/api/v1/stats/sales/summary", include_str!("../../openapi/examples/stats/sales_summary.json")),
    ("/api/v1/stats/sales/timeseries", include_str!("../../openapi/examples/stats/sales_timeseries.json")),
    ("/api/v1/stats/sales/breakdown", include_str!("../../openapi/examples/stats/sales_breakdown.json")),
    ("/api/v1/stats/sales/product-affinity", include_str!("../../openapi/examples/stats/sales_product_affinity.json")),
    ("/api/v1/stats/sales/forecast", include_str!("../../openapi/examples/stats/sales_forecast.json")),
    ("/api/v1/stats/sales/funnel", include_str!("../../openapi/examples/stats/sales_funnel.json")),
    ("/api/v1/stats/sales/pipeline", include_str!("../../openapi/examples/stats/sales_pipeline.json")),
    ("/api/v1/stats/customers/overview", include_str!("../../openapi/examples/stats/customers_overview.json")),
    ("/api/v1/stats/customers/distribution", include_str!("../../openapi/examples/stats/customers_distribution.json")),
    ("/api/v1/stats/customers/retention", include_str!("../../openapi/examples/stats/customers_retention.json")),
    ("/api/v1/stats/customers/retention/cohorts", include_str!("../../openapi/examples/stats/customers_cohorts.json")),
    ("/api/v1/stats/customers/rfm", include_str!("../../openapi/examples/stats/customers_rfm.json")),
    ("/api/v1/stats/customers/churn-risk", include_str!("../../openapi/examples/stats/customers_churn_risk.json")),
    ("/api/v1/stats/customers/interactions", include_str!("../../openapi/examples/stats/customers_interactions.json")),
    ("/api/v1/stats/customers/clv", include_str!("../../openapi/examples/stats/customers_clv.json")),
    ("/api/v1/stats/leads/conversion", include_str!("../../openapi/examples/stats/leads_conversion.json")),
    ("/api/v1/stats/marketing/campaigns", include_str!("../../openapi/examples/stats/marketing_campaigns.json")),
    ("/api/v1/stats/marketing/channels", include_str!("../../openapi/examples/stats/marketing_channels.json")),
    ("/api/v1/stats/service/summary", include_str!("../../openapi/examples/stats/service_summary.json")),
    ("/api/v1/stats/service/timeseries", include_str!("../../openapi/examples/stats/service_timeseries.json")),
    ("/api/v1/stats/service/breakdown", include_str!("../../openapi/examples/stats/service_breakdown.json")),
    ("/api/v1/stats/service/sla", include_str!("../../openapi/examples/stats/service_sla.json")),
    ("/api/v1/stats/satisfaction", include_str!("../../openapi/examples/stats/satisfaction.json")),
    ("/api/v1/stats/employees/performance", include_str!("../../openapi/examples/stats/employees_performance.json")),
    ("/api/v1/stats/employees/{id}/scorecard", include_str!("../../openapi/examples/stats/employees_scorecard.json")),
    ("/api/v1/stats/teams/performance", include_str!("../../openapi/examples/stats/teams_performance.json")),
    ("/api/v1/stats/data-quality", include_str!("../../openapi/examples/stats/data_quality.json")),
    ("/api/v1/stats/dashboard", include_str!("../../openapi/examples/stats/dashboard.json")),
];
