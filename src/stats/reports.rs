//! Periodic reports: the sales, funnel, marketing, service and employee
//! figures of a week, month, quarter or year next to the previous one,
//! with the change, as JSON, CSV or XLSX. Every figure is read from the
//! typed answer of a statistic of the registry for the period, asked as
//! the caller (so the report has exactly the statistics' scoping); a
//! section whose statistics the caller's role may not read is left out and
//! named in `omitted_sections`.

use chrono::{Datelike, Duration, NaiveDate, SecondsFormat, Weekday};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::catalog::Unit;
use super::csat_nps::Satisfaction;
use super::employees::{EmployeePerformance, PerformanceFigures};
use super::figures::change;
use super::funnel::Funnel;
use super::marketing::ChannelStats;
use super::registry::{self, Ask, Statistic, statistic};
use super::sales::SalesSummary;
use super::tickets::ServiceSummary;
use super::window::{Granularity, Window};
use crate::auth::AuthUser;
use crate::calendar::{Calendar, LocalTime};
use crate::config::SlaPolicy;
use crate::domain::Money;
use crate::domain::enums::Stage;
use crate::domain::time::now;
use crate::error::{AppError, AppResult};

/// The report's period length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Weekly,
    Monthly,
    Quarterly,
    Annual,
}

/// The answer's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    Json,
    Csv,
    Xlsx,
}

/// Parameters of a periodic report.
#[derive(Debug, Default, Deserialize, IntoParams, validator::Validate)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The period: `2025-W23` for weekly (the week holding that ISO week's Monday, starting on the organization's `week_start`), `2025-06` monthly, `2025-Q2` or the fiscal `FY2025-Q2` quarterly, `2025` or the fiscal `FY2025` annual (fiscal years as the organization's settings start and name them). Default: the last complete calendar period, in the organization's time zone.
    pub period: Option<String>,
    /// `json`, `csv` (one table, a `section` column) or `xlsx` (one sheet per section). Default: from `Accept`, else JSON.
    pub format: Option<ReportFormat>,
}

pub use crate::tabular::{XLSX, XlsxFile};

/// A report section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SectionName {
    Sales,
    Funnel,
    Marketing,
    Service,
    Employees,
}

/// A figure's value: money as a decimal string, counts as integers,
/// everything else as a number.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ReportValue {
    Money(Money),
    Count(i64),
    Number(f64),
}

// `anyOf`, not the derived `oneOf`: an integer is a number too.
impl utoipa::PartialSchema for ReportValue {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
        let typed =
            |kind, format| ObjectBuilder::new().schema_type(kind).format(Some(SchemaFormat::KnownFormat(format)));
        AnyOfBuilder::new()
            .item(utoipa::openapi::Ref::from_schema_name("Money"))
            .item(typed(Type::Integer, KnownFormat::Int64))
            .item(typed(Type::Number, KnownFormat::Double))
            .description(Some(
                "A figure's value: money as a decimal string, counts as integers, everything else as a number.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for ReportValue {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        schemas.push(("Money".into(), <Money as utoipa::PartialSchema>::schema()));
    }
}

impl ReportValue {
    /// The value as a number (money in currency units).
    pub fn as_f64(&self) -> f64 {
        match self {
            ReportValue::Money(money) => money.cents() as f64 / 100.0,
            ReportValue::Count(count) => *count as f64,
            ReportValue::Number(number) => *number,
        }
    }

    /// The value as a number to compute a change with (money in cents).
    fn exact(&self) -> f64 {
        match self {
            ReportValue::Money(money) => money.cents() as f64,
            other => other.as_f64(),
        }
    }

    /// The text a CSV cell holds.
    fn text(&self) -> String {
        match self {
            ReportValue::Money(money) => money.to_string(),
            ReportValue::Count(count) => count.to_string(),
            ReportValue::Number(number) => number.to_string(),
        }
    }
}

/// One figure of a section.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportRow {
    /// Whom the figure is about (the employee, in the employees section); `null` elsewhere.
    pub subject: Option<String>,
    /// The figure's name in its statistic (`revenue`, `first_response_minutes.p50`).
    pub figure: String,
    /// A readable label.
    pub label: String,
    pub unit: Unit,
    /// The period's value; `null` when undefined (a rate without a base).
    pub current: Option<ReportValue>,
    /// The previous period's value.
    pub previous: Option<ReportValue>,
    /// (current − previous) / previous; `null` when previous is 0 or either is missing.
    pub change: Option<f64>,
}

/// One section of the report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportSection {
    pub section: SectionName,
    /// Its title (the XLSX sheet's name).
    pub title: String,
    /// The statistics it was computed from.
    pub sources: Vec<String>,
    pub rows: Vec<ReportRow>,
}

/// A periodic report.
#[derive(Debug, Serialize, ToSchema)]
pub struct Report {
    pub report: ReportKind,
    /// The period, as the request names it (`2025-06`).
    pub period: String,
    /// The period's window (up to now for the current period).
    pub window: Window,
    /// The previous period.
    pub previous_period: String,
    /// The previous period's window, as long as `window` when the current period is not over.
    pub previous_window: Window,
    /// Whether the period is over.
    pub complete: bool,
    /// When it was made, with the organization's offset.
    pub generated_at: LocalTime,
    /// The sections the caller may read, in order.
    pub sections: Vec<ReportSection>,
    /// The sections left out because the caller's role may not read their statistics.
    pub omitted_sections: Vec<SectionName>,
}

/// A figure a section reads from a statistic's typed answer: its name in
/// the statistic's JSON (`first_response_minutes.p50`), label, unit and
/// how it is read (a renamed field fails to compile).
struct FigureSpec<A> {
    name: &'static str,
    label: &'static str,
    unit: Unit,
    read: fn(&A) -> Option<ReportValue>,
}

/// What a report cell can hold.
trait IntoValue {
    fn into_value(self) -> Option<ReportValue>;
}

impl IntoValue for Money {
    fn into_value(self) -> Option<ReportValue> {
        Some(ReportValue::Money(self))
    }
}

impl IntoValue for i64 {
    fn into_value(self) -> Option<ReportValue> {
        Some(ReportValue::Count(self))
    }
}

impl IntoValue for f64 {
    fn into_value(self) -> Option<ReportValue> {
        Some(ReportValue::Number(self))
    }
}

impl<T: IntoValue> IntoValue for Option<T> {
    fn into_value(self) -> Option<ReportValue> {
        self.and_then(IntoValue::into_value)
    }
}

/// `figure!(name, label, unit, |answer| field)`.
macro_rules! figure {
    ($name:literal, $label:literal, $unit:expr, |$a:ident| $read:expr) => {
        FigureSpec { name: $name, label: $label, unit: $unit, read: |$a| IntoValue::into_value($read) }
    };
}

use Unit::{Count, Days, Hours, Minutes, Ratio, Score};

const SALES: &[FigureSpec<SalesSummary>] = &[
    figure!("revenue", "Revenue", Unit::Money, |s| s.figures.revenue),
    figure!("cost", "Cost", Unit::Money, |s| s.figures.cost),
    figure!("profit", "Profit", Unit::Money, |s| s.figures.profit),
    figure!("margin", "Margin", Ratio, |s| s.figures.margin),
    figure!("orders", "Orders", Count, |s| s.figures.orders),
    figure!("units", "Units", Count, |s| s.figures.units),
    figure!("customers", "Buyers", Count, |s| s.figures.customers),
    figure!("aov", "Average order value", Unit::Money, |s| s.figures.aov),
    figure!("revenue_per_customer", "Revenue per buyer", Unit::Money, |s| s.figures.revenue_per_customer),
];

/// The funnel's count of opportunities that reached `stage`.
fn reached(funnel: &Funnel, stage: Stage) -> Option<i64> {
    funnel.figures.stages.iter().find(|s| s.stage == stage).map(|s| s.reached)
}

const FUNNEL: &[FigureSpec<Funnel>] = &[
    figure!("stages[stage=qualification].reached", "Reached qualification", Count, |f| reached(
        f,
        Stage::Qualification
    )),
    figure!("stages[stage=needs_analysis].reached", "Reached needs analysis", Count, |f| reached(
        f,
        Stage::NeedsAnalysis
    )),
    figure!("stages[stage=proposal].reached", "Reached proposal", Count, |f| reached(f, Stage::Proposal)),
    figure!("stages[stage=negotiation].reached", "Reached negotiation", Count, |f| reached(f, Stage::Negotiation)),
    figure!("stages[stage=won].reached", "Won (reached)", Count, |f| reached(f, Stage::Won)),
    figure!("won", "Won", Count, |f| f.figures.won),
    figure!("lost", "Lost", Count, |f| f.figures.lost),
    figure!("open", "Open", Count, |f| f.figures.open),
    figure!("win_rate", "Win rate", Ratio, |f| f.figures.win_rate),
    figure!("avg_sales_cycle_days", "Average sales cycle", Days, |f| f.figures.avg_sales_cycle_days),
];

const MARKETING: &[FigureSpec<ChannelStats>] = &[
    figure!("total.cost", "Campaign cost", Unit::Money, |m| m.total.cost),
    figure!("total.impressions", "Impressions", Count, |m| m.total.impressions),
    figure!("total.clicks", "Clicks", Count, |m| m.total.clicks),
    figure!("total.ctr", "Click-through rate", Ratio, |m| m.total.ctr),
    figure!("total.cpc", "Cost per click", Unit::Money, |m| m.total.cpc),
    figure!("total.leads", "Leads", Count, |m| m.total.leads),
    figure!("total.converted_leads", "Converted leads", Count, |m| m.total.converted_leads),
    figure!("total.lead_conversion_rate", "Lead conversion rate", Ratio, |m| m.total.lead_conversion_rate),
    figure!("total.cost_per_lead", "Cost per lead", Unit::Money, |m| m.total.cost_per_lead),
    figure!("total.won_opportunities", "Won opportunities", Count, |m| m.total.won_opportunities),
    figure!("total.revenue", "Campaign revenue", Unit::Money, |m| m.total.revenue),
    figure!("total.roi", "ROI", Ratio, |m| m.total.roi),
];

const SERVICE: &[FigureSpec<ServiceSummary>] = &[
    figure!("created", "Tickets created", Count, |s| s.figures.created),
    figure!("resolved", "Tickets resolved", Count, |s| s.figures.resolved),
    figure!("resolution_rate", "Resolution rate", Ratio, |s| s.figures.resolution_rate),
    figure!("backlog", "Backlog at the end", Count, |s| s.figures.backlog),
    figure!("first_response_minutes.avg", "First response, mean", Minutes, |s| s.figures.first_response_minutes.avg),
    figure!("first_response_minutes.p50", "First response, median", Minutes, |s| s.figures.first_response_minutes.p50),
    figure!("resolution_hours.avg", "Resolution, mean", Hours, |s| s.figures.resolution_hours.avg),
    figure!("resolution_hours.p50", "Resolution, median", Hours, |s| s.figures.resolution_hours.p50),
    figure!("csat.avg", "CSAT", Score, |s| s.figures.csat.avg),
    figure!("csat.responses", "CSAT responses", Count, |s| s.figures.csat.responses),
];

const SATISFACTION: &[FigureSpec<Satisfaction>] = &[
    figure!("nps.score", "NPS", Score, |s| s.nps.score),
    figure!("nps.responses", "NPS responses", Count, |s| s.nps.responses),
];

/// Per employee, from the rows of `employees/performance`.
const EMPLOYEES: &[FigureSpec<PerformanceFigures>] = &[
    figure!("revenue", "Revenue", Unit::Money, |e| e.revenue),
    figure!("orders", "Orders", Count, |e| e.orders),
    figure!("deals_won", "Deals won", Count, |e| e.deals_won),
    figure!("deals_lost", "Deals lost", Count, |e| e.deals_lost),
    figure!("new_customers", "New customers", Count, |e| e.new_customers),
    figure!("activities.total", "Activities", Count, |e| e.activities.total),
    figure!("pipeline", "Open pipeline", Unit::Money, |e| e.pipeline),
    figure!("attainment", "Target attainment", Ratio, |e| e.attainment),
];

/// A section: its statistics (the caller must be let ask each).
struct SectionSpec {
    name: SectionName,
    title: &'static str,
    sources: &'static [Statistic],
}

const SECTIONS: &[SectionSpec] = &[
    SectionSpec { name: SectionName::Sales, title: "Sales", sources: &[statistic::sales_summary] },
    SectionSpec { name: SectionName::Funnel, title: "Funnel", sources: &[statistic::sales_funnel] },
    SectionSpec { name: SectionName::Marketing, title: "Marketing", sources: &[statistic::marketing_channels] },
    SectionSpec {
        name: SectionName::Service,
        title: "Service",
        sources: &[statistic::service_summary, statistic::satisfaction],
    },
    SectionSpec { name: SectionName::Employees, title: "Employees", sources: &[statistic::employees_performance] },
];

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Weekly => "weekly",
            ReportKind::Monthly => "monthly",
            ReportKind::Quarterly => "quarterly",
            ReportKind::Annual => "annual",
        }
    }

    /// The kind named in the path.
    pub fn from_path(text: &str) -> Option<Self> {
        [ReportKind::Weekly, ReportKind::Monthly, ReportKind::Quarterly, ReportKind::Annual]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    /// The periods of this kind: calendar ones, or fiscal ones (quarters
    /// and years only).
    fn granularity(self, fiscal: bool) -> Granularity {
        match (self, fiscal) {
            (ReportKind::Weekly, _) => Granularity::Week,
            (ReportKind::Monthly, _) => Granularity::Month,
            (ReportKind::Quarterly, false) => Granularity::Quarter,
            (ReportKind::Quarterly, true) => Granularity::FiscalQuarter,
            (ReportKind::Annual, false) => Granularity::Year,
            (ReportKind::Annual, true) => Granularity::FiscalYear,
        }
    }

    /// The first day of the named period, and whether it is a fiscal one.
    fn parse(self, text: &str, calendar: &Calendar) -> Option<(NaiveDate, bool)> {
        let number = |s: &str| s.parse::<u32>().ok();
        let year = |s: &str| s.parse::<i32>().ok().filter(|y| (2000..=9999).contains(y));
        let fiscal = text.strip_prefix("FY");
        let start = match (self, fiscal) {
            (ReportKind::Weekly, None) => {
                let (y, w) = text.split_once("-W")?;
                let monday = NaiveDate::from_isoywd_opt(year(y)?, number(w)?, Weekday::Mon)?;
                calendar.start_of(Granularity::Week, monday)
            }
            (ReportKind::Monthly, None) => {
                let (y, m) = text.split_once('-')?;
                NaiveDate::from_ymd_opt(year(y)?, number(m).filter(|_| m.len() == 2)?, 1)?
            }
            (ReportKind::Quarterly, None) => {
                let (y, q) = text.split_once("-Q")?;
                let q = number(q).filter(|q| (1..=4).contains(q))?;
                NaiveDate::from_ymd_opt(year(y)?, (q - 1) * 3 + 1, 1)?
            }
            (ReportKind::Quarterly, Some(fiscal)) => {
                let (y, q) = fiscal.split_once("-Q")?;
                let q = number(q).filter(|q| (1..=4).contains(q))?;
                calendar.fiscal_year_start(year(y)?)? + chrono::Months::new((q - 1) * 3)
            }
            (ReportKind::Annual, None) => NaiveDate::from_ymd_opt(year(text)?, 1, 1)?,
            (ReportKind::Annual, Some(fiscal)) => calendar.fiscal_year_start(year(fiscal)?)?,
            (ReportKind::Weekly | ReportKind::Monthly, Some(_)) => return None,
        };
        Some((start, fiscal.is_some()))
    }

    fn example(self) -> &'static str {
        match self {
            ReportKind::Weekly => "2025-W23",
            ReportKind::Monthly => "2025-06",
            ReportKind::Quarterly => "2025-Q2 or FY2025-Q2",
            ReportKind::Annual => "2025 or FY2025",
        }
    }
}

/// A period's name: `2025-W23` (the ISO week of its Monday), `2025-06`,
/// `2025-Q2`, `2025`, `FY2025-Q2`, `FY2025`.
pub fn period_name(granularity: Granularity, calendar: &Calendar, start: NaiveDate) -> String {
    match granularity {
        Granularity::Day => start.format("%Y-%m-%d").to_string(),
        Granularity::Week => {
            let monday = start + Duration::days(i64::from(Weekday::Mon.days_since(start.weekday())));
            let week = monday.iso_week();
            format!("{}-W{:02}", week.year(), week.week())
        }
        Granularity::Month => start.format("%Y-%m").to_string(),
        Granularity::Quarter => format!("{}-Q{}", start.year(), (start.month() - 1) / 3 + 1),
        Granularity::Year => start.year().to_string(),
        Granularity::FiscalQuarter => {
            let (year, quarter) = calendar.fiscal_quarter(start);
            format!("FY{year}-Q{quarter}")
        }
        Granularity::FiscalYear => format!("FY{}", calendar.fiscal_year(start)),
    }
}

fn row<A>(subject: Option<String>, spec: &FigureSpec<A>, current: Option<&A>, previous: Option<&A>) -> ReportRow {
    let current = current.and_then(spec.read);
    let previous = previous.and_then(spec.read);
    let change = match (&current, &previous) {
        (Some(c), Some(p)) => change(c.exact(), p.exact()),
        _ => None,
    };
    ReportRow {
        subject,
        figure: spec.name.to_string(),
        label: spec.label.to_string(),
        unit: spec.unit,
        current,
        previous,
        change,
    }
}

fn rows<A>(figures: &[FigureSpec<A>], current: &A, previous: &A) -> Vec<ReportRow> {
    figures.iter().map(|figure| row(None, figure, Some(current), Some(previous))).collect()
}

fn parse<T: serde::de::DeserializeOwned>(query: &str) -> AppResult<T> {
    serde_urlencoded::from_str(query).map_err(|e| AppError::internal(format!("report query: {e}")))
}

fn window_query(window: &Window) -> String {
    format!(
        "from={}&to={}",
        window.from.to_rfc3339_opts(SecondsFormat::Micros, true),
        window.to.to_rfc3339_opts(SecondsFormat::Micros, true)
    )
}

pub async fn report(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    sla: &SlaPolicy,
    calendar: Calendar,
    kind: ReportKind,
    query: &ReportQuery,
) -> AppResult<Report> {
    let generated_at = now();
    let today = calendar.date_of(generated_at);
    let (start, granularity) = match query.period.as_deref() {
        None => {
            let granularity = kind.granularity(false);
            (calendar.previous(granularity, calendar.start_of(granularity, today)), granularity)
        }
        Some(text) => {
            let (start, fiscal) = kind.parse(text.trim(), &calendar).ok_or_else(|| {
                AppError::validation("period", "invalid", format!("expected a period like {}", kind.example()))
            })?;
            (start, kind.granularity(fiscal))
        }
    };
    if !crate::domain::time::YEARS.contains(&chrono::Datelike::year(&start)) {
        return Err(AppError::validation("period", "range", crate::domain::time::OUT_OF_RANGE));
    }
    if start > calendar.start_of(granularity, today) {
        return Err(AppError::validation("period", "future", "the period has not started"));
    }
    let midnight = |day: NaiveDate| calendar.midnight(day);
    let end = midnight(calendar.next(granularity, start));
    let complete = end <= generated_at;
    let window = Window::new(calendar, midnight(start), if complete { end } else { generated_at });
    let previous_start = calendar.previous(granularity, start);
    let previous_end = midnight(start).min(midnight(previous_start) + (window.to - window.from));
    let previous_window = window.with(midnight(previous_start), previous_end);

    let windows = [window_query(&window), window_query(&previous_window)];
    let mut sections = vec![];
    let mut omitted_sections = vec![];
    for spec in SECTIONS {
        if !spec.sources.iter().all(|source| source.roles.contains(&caller.role)) {
            omitted_sections.push(spec.name);
            continue;
        }
        // Each statistic asked for the period and the previous one.
        macro_rules! both {
            ($compute:path) => {{
                let mut answers = vec![];
                for window in &windows {
                    let query = parse(window)?;
                    answers.push($compute(db, caller, Ask { query: &query, id: None, calendar, sla }).await?);
                }
                let previous = answers.pop().expect("two windows");
                (answers.pop().expect("two windows"), previous)
            }};
        }
        let rows = match spec.name {
            SectionName::Sales => {
                let (current, previous) = both!(registry::sales_summary);
                rows(SALES, &current, &previous)
            }
            SectionName::Funnel => {
                let (current, previous) = both!(registry::sales_funnel);
                rows(FUNNEL, &current, &previous)
            }
            SectionName::Marketing => {
                let (current, previous) = both!(registry::marketing_channels);
                rows(MARKETING, &current, &previous)
            }
            SectionName::Service => {
                let (current, previous) = both!(registry::service_summary);
                let (nps, nps_before) = both!(registry::satisfaction);
                let mut service = rows(SERVICE, &current, &previous);
                service.extend(rows(SATISFACTION, &nps, &nps_before));
                service
            }
            SectionName::Employees => {
                let (current, previous) = both!(registry::employees_performance);
                employee_rows(&current, &previous)
            }
        };
        sections.push(ReportSection {
            section: spec.name,
            title: spec.title.to_string(),
            sources: spec.sources.iter().map(|source| format!("/api/v1{}", source.path)).collect(),
            rows,
        });
    }
    Ok(Report {
        report: kind,
        period: period_name(granularity, &calendar, start),
        window,
        previous_period: period_name(granularity, &calendar, previous_start),
        previous_window,
        complete,
        generated_at: calendar.show(generated_at),
        sections,
        omitted_sections,
    })
}

/// Each employee of the period's ranking, in its order, with the previous
/// period's figures of the same user.
fn employee_rows(current: &EmployeePerformance, previous: &EmployeePerformance) -> Vec<ReportRow> {
    let mut rows = vec![];
    for employee in &current.rows {
        let before = previous.rows.iter().find(|row| row.user_id == employee.user_id).map(|row| &row.figures);
        rows.extend(
            EMPLOYEES.iter().map(|figure| row(Some(employee.name.clone()), figure, Some(&employee.figures), before)),
        );
    }
    rows
}

/// The file name of a report download.
pub fn file_name(report: &Report, extension: &str) -> String {
    format!("report-{}-{}.{extension}", report.report.as_str(), report.period)
}

fn unit_name(unit: Unit) -> String {
    serde_json::to_value(unit).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

fn section_name(section: SectionName) -> String {
    serde_json::to_value(section).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

/// One CSV table of every section's rows: `section, subject, figure,
/// label, unit, current, previous, change` (money as decimals, empty for
/// `null`), CRLF line ends (RFC 4180).
pub fn to_csv(report: &Report) -> String {
    let mut out = String::from("section,subject,figure,label,unit,current,previous,change\r\n");
    for section in &report.sections {
        for row in &section.rows {
            let value = |v: &Option<ReportValue>| v.as_ref().map(ReportValue::text).unwrap_or_default();
            let fields = [
                section_name(section.section),
                row.subject.clone().unwrap_or_default(),
                row.figure.clone(),
                row.label.clone(),
                unit_name(row.unit),
                value(&row.current),
                value(&row.previous),
                row.change.map(|c| c.to_string()).unwrap_or_default(),
            ];
            out.push_str(&crate::tabular::csv_line(fields.into_iter()));
        }
    }
    out
}

/// An XLSX workbook: one sheet per section, a bold frozen header row
/// (`Employee` first in the employees sheet), values as numbers with the
/// unit's number format (money `#,##0.00`, ratios and changes as
/// percentages), empty cells for `null`.
pub fn to_xlsx(report: &Report) -> AppResult<Vec<u8>> {
    use crate::tabular::{xlsx_error as fail, xlsx_header};
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let format_of = |unit: Unit| {
        Format::new().set_num_format(match unit {
            Unit::Money => "#,##0.00",
            Unit::Count => "#,##0",
            Unit::Ratio => "0.00%",
            Unit::Minutes | Unit::Hours | Unit::Days | Unit::Score => "0.00",
        })
    };
    let percent = Format::new().set_num_format("0.0%");
    for section in &report.sections {
        let sheet = workbook.add_worksheet();
        sheet.set_name(&section.title).map_err(fail)?;
        let by_subject = section.section == SectionName::Employees;
        let mut columns = vec![];
        if by_subject {
            columns.push("Employee");
        }
        columns.extend(["Figure", "Unit", "Current", "Previous", "Change"]);
        xlsx_header(sheet, columns.iter().copied())?;
        let first = u16::from(by_subject);
        for (index, row) in section.rows.iter().enumerate() {
            let r = index as u32 + 1;
            if by_subject {
                sheet.write_string(r, 0, row.subject.as_deref().unwrap_or_default()).map_err(fail)?;
            }
            sheet.write_string(r, first, &row.label).map_err(fail)?;
            sheet.write_string(r, first + 1, unit_name(row.unit)).map_err(fail)?;
            let format = format_of(row.unit);
            for (offset, value) in [(2, &row.current), (3, &row.previous)] {
                if let Some(value) = value {
                    sheet.write_number_with_format(r, first + offset, value.as_f64(), &format).map_err(fail)?;
                }
            }
            if let Some(change) = row.change {
                sheet.write_number_with_format(r, first + 4, change, &percent).map_err(fail)?;
            }
        }
        if by_subject {
            sheet.set_column_width(0, 24).map_err(fail)?;
        }
        sheet.set_column_width(first, 28).map_err(fail)?;
        sheet.set_column_width(first + 1, 10).map_err(fail)?;
        for col in first + 2..first + 5 {
            sheet.set_column_width(col, 16).map_err(fail)?;
        }
    }
    workbook.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_name_round_trip() {
        let utc = Calendar::utc();
        let april = Calendar { fiscal_year_start_month: 4, ..utc };
        let sunday = Calendar { week_start: crate::calendar::WeekStart::Sunday, ..utc };
        for (calendar, kind, text, start) in [
            (utc, ReportKind::Weekly, "2025-W23", "2025-06-02"),
            (utc, ReportKind::Weekly, "2026-W01", "2025-12-29"),
            (sunday, ReportKind::Weekly, "2025-W23", "2025-06-01"),
            (utc, ReportKind::Monthly, "2025-06", "2025-06-01"),
            (utc, ReportKind::Quarterly, "2025-Q2", "2025-04-01"),
            (utc, ReportKind::Annual, "2025", "2025-01-01"),
            (april, ReportKind::Quarterly, "FY2026-Q2", "2026-07-01"),
            (april, ReportKind::Quarterly, "FY2025-Q4", "2026-01-01"),
            (april, ReportKind::Annual, "FY2026", "2026-04-01"),
            (utc, ReportKind::Annual, "FY2026", "2026-01-01"),
        ] {
            let (day, fiscal) = kind.parse(text, &calendar).unwrap();
            assert_eq!(day.to_string(), start, "{text}");
            assert_eq!(period_name(kind.granularity(fiscal), &calendar, day), text);
        }
        for (kind, text) in [
            (ReportKind::Monthly, "2025-13"),
            (ReportKind::Monthly, "2025-6"),
            (ReportKind::Quarterly, "2025-Q5"),
            (ReportKind::Quarterly, "FY2025-Q0"),
            (ReportKind::Monthly, "FY2025-06"),
            (ReportKind::Weekly, "2025-W54"),
            (ReportKind::Annual, "25"),
        ] {
            assert_eq!(kind.parse(text, &utc), None, "{text}");
        }
    }
}
