//! Example responses of the statistics, recorded from the hand-made
//! fixture by `tests/api/stats_examples.rs` (which fails when they no
//! longer match what the API answers) and shown in the OpenAPI document.
//! Each statistic's example is named in its registry row; the report's is
//! the one addition.

/// The recorded example of the monthly report.
pub const REPORT: (&str, &str, &str) =
    ("/api/v1/reports/{kind}", "report_monthly", include_str!("../../openapi/examples/stats/report_monthly.json"));

/// (path from the host, example name, example response as JSON text), for
/// every statistic and the report.
pub fn examples() -> impl Iterator<Item = (String, &'static str, &'static str)> {
    super::registry::STATISTICS
        .iter()
        .map(|s| (format!("/api/v1{}", s.path), s.example_name, s.example))
        .chain(std::iter::once((REPORT.0.to_string(), REPORT.1, REPORT.2)))
}
