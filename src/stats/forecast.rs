//! The sales forecast: for each coming period, the weighted pipeline
//! expected to close in it and a statistical forecast from the revenue
//! history, with the statistical method's backtest error.
//!
//! Methods, chosen by the length n of the history (complete periods, from
//! the first with revenue) and the season length m (12 months, 4
//! quarters, 52 weeks; none for years):
//! - n ≥ 2m: additive Holt-Winters (level, trend, seasonal component);
//! - n ≥ 4: Holt's linear trend (level and trend);
//! - n ≥ 1: naive (the last period's revenue).
//!
//! The smoothing parameters are the grid point (0.1, 0.2, …, 0.9 each)
//! with the least squared one-step-ahead error over the history.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::figures::Filters;
use super::pipeline::{PipelineFigures, PipelineQuery};
use super::window::{Granularity, Window};
use crate::auth::AuthUser;
use crate::calendar::Calendar;
use crate::domain::Money;
use crate::domain::time::now;
use crate::error::{AppError, AppResult};

/// Parameters of the forecast (as of now: it has no window).
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// Forecast as of this instant (RFC 3339 or `YYYY-MM-DD`, not in the future; default now): the history ends before its period. The pipeline is always the one open now.
    #[param(schema_with = crate::api::fields::instant_schema)]
    pub as_of: Option<String>,
    /// How many periods to forecast, the current one first (default 6, at most 24).
    #[param(minimum = 1, maximum = 24)]
    #[validate(range(min = 1, max = 24))]
    pub horizon: Option<u32>,
    /// The period: `week`, `month` (default), `quarter` or `year`.
    pub granularity: Option<Granularity>,
    /// Only orders and opportunities owned by this user.
    pub owner_id: Option<Uuid>,
    /// Only orders and opportunities owned by members of this team.
    pub team_id: Option<Uuid>,
    /// Only orders and opportunities of customers of this segment.
    pub customer_segment: Option<String>,
}

/// A statistical forecasting method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ForecastMethod {
    /// Additive Holt-Winters: level, trend and a seasonal component (two seasons of history or more).
    HoltWintersAdditive,
    /// Holt's linear trend: level and trend (four periods of history or more).
    HoltLinear,
    /// The last period's revenue, repeated.
    Naive,
}

/// The smoothing parameters fitted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Smoothing {
    /// Level smoothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// Trend smoothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    /// Seasonal smoothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gamma: Option<f64>,
}

/// One complete period of the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPeriod {
    /// The period's first day.
    pub period: NaiveDate,
    /// Revenue of the counted orders of the period.
    pub revenue: Money,
}

/// One forecast period.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastPeriod {
    /// The period's first day.
    pub period: NaiveDate,
    /// Σ amount × probability of the open opportunities expected to close in the period.
    pub pipeline: Money,
    /// Their number.
    pub pipeline_opportunities: i64,
    /// Their unweighted amount.
    pub pipeline_amount: Money,
    /// The statistical forecast of the period's revenue; `null` without history.
    pub statistical: Option<Money>,
    /// The revenue booked so far (the current period only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_to_date: Option<Money>,
}

/// One period of the backtest.
#[derive(Debug, Serialize, ToSchema)]
pub struct BacktestPoint {
    pub period: NaiveDate,
    /// The period's revenue.
    pub actual: Money,
    /// The method's forecast made before the first backtest period.
    pub forecast: Money,
    /// The naive forecast (the last revenue before the backtest).
    pub naive: Money,
}

/// How far the method is from the truth on the last 6 complete periods.
#[derive(Debug, Serialize, ToSchema)]
pub struct Backtest {
    /// The method, fitted to the history before the 6 periods (it may be simpler than the forecast's).
    pub method: ForecastMethod,
    /// Mean |actual − forecast| / actual over the periods with revenue; `null` if none had revenue.
    pub mape: Option<f64>,
    /// The same for the naive forecast, as a baseline.
    pub naive_mape: Option<f64>,
    /// The periods compared.
    pub points: Vec<BacktestPoint>,
}

/// The sales forecast.
#[derive(Debug, Serialize, ToSchema)]
pub struct Forecast {
    /// When the forecast is made as of (the request's `as_of`, default now).
    pub as_of: DateTime<Utc>,
    pub granularity: Granularity,
    /// The filters applied.
    pub filters: Filters,
    /// The method of the statistical forecast; `null` without history.
    pub method: Option<ForecastMethod>,
    /// The season length in periods, for Holt-Winters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub season_length: Option<usize>,
    /// The fitted smoothing parameters.
    pub smoothing: Smoothing,
    /// The complete periods the method learnt from, oldest first (from the first with revenue, at most 5 years).
    pub history: Vec<HistoryPeriod>,
    /// The current period and the following ones.
    pub periods: Vec<ForecastPeriod>,
    /// Open opportunities whose expected close date has passed (before the current period).
    pub pipeline_overdue: PipelineFigures,
    /// Open opportunities expected to close after the last forecast period.
    pub pipeline_later: PipelineFigures,
    /// Open opportunities without an expected close date.
    pub pipeline_undated: PipelineFigures,
    /// The method's error on the last 6 complete periods; `null` with fewer than 7 periods of history.
    pub backtest: Option<Backtest>,
}

/// Periods the backtest holds out.
pub const BACKTEST_PERIODS: usize = 6;

/// A fitted model, ready to forecast.
#[derive(Clone, Debug)]
struct Model {
    method: ForecastMethod,
    smoothing: Smoothing,
    level: f64,
    trend: f64,
    /// The last m seasonal components, oldest first.
    season: Vec<f64>,
    last: f64,
}

impl Model {
    /// The forecast `h` ≥ 1 periods after the last of the history.
    fn forecast(&self, h: usize) -> f64 {
        match self.method {
            ForecastMethod::Naive => self.last,
            ForecastMethod::HoltLinear => self.level + h as f64 * self.trend,
            ForecastMethod::HoltWintersAdditive => {
                let m = self.season.len();
                self.level + h as f64 * self.trend + self.season[(h - 1) % m]
            }
        }
    }
}

const GRID: [f64; 9] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/// Holt's linear trend with the given smoothing: the sum of squared
/// one-step errors and the final model.
fn holt(y: &[f64], alpha: f64, beta: f64) -> (f64, Model) {
    let (mut level, mut trend) = (y[0], y[1] - y[0]);
    let mut sse = 0.0;
    for &value in &y[1..] {
        let error = value - (level + trend);
        sse += error * error;
        let next = alpha * value + (1.0 - alpha) * (level + trend);
        trend = beta * (next - level) + (1.0 - beta) * trend;
        level = next;
    }
    let smoothing = Smoothing { alpha: Some(alpha), beta: Some(beta), gamma: None };
    let last = y[y.len() - 1];
    (sse, Model { method: ForecastMethod::HoltLinear, smoothing, level, trend, season: vec![], last })
}

/// Additive Holt-Winters with season `m`, initialised from the first two
/// seasons so that a series of exact trend plus season is fitted exactly:
/// trend = mean of (y[m+i] − y[i]) / m, level at m − 1 = mean of the first
/// season + trend × (m − 1) / 2, season i = y[i] − the trend line at i.
fn holt_winters(y: &[f64], m: usize, alpha: f64, beta: f64, gamma: f64) -> (f64, Model) {
    let mf = m as f64;
    let mut trend = (0..m).map(|i| (y[m + i] - y[i]) / mf).sum::<f64>() / mf;
    let mean = y[..m].iter().sum::<f64>() / mf;
    let mut level = mean + trend * (mf - 1.0) / 2.0;
    let mut season: Vec<f64> = (0..m).map(|i| y[i] - (mean + trend * (i as f64 - (mf - 1.0) / 2.0))).collect();
    let mut sse = 0.0;
    for (t, &value) in y.iter().enumerate().skip(m) {
        let seasonal = season[t - m];
        let error = value - (level + trend + seasonal);
        sse += error * error;
        let next = alpha * (value - seasonal) + (1.0 - alpha) * (level + trend);
        trend = beta * (next - level) + (1.0 - beta) * trend;
        level = next;
        season.push(gamma * (value - level) + (1.0 - gamma) * seasonal);
    }
    let season = season[season.len() - m..].to_vec();
    let smoothing = Smoothing { alpha: Some(alpha), beta: Some(beta), gamma: Some(gamma) };
    let last = y[y.len() - 1];
    (sse, Model { method: ForecastMethod::HoltWintersAdditive, smoothing, level, trend, season, last })
}

/// Fits the method the history's length allows (see the module); `None`
/// without history. Ties between grid points go to the first.
fn fit(y: &[f64], season: Option<usize>) -> Option<Model> {
    let last = *y.last()?;
    let best = |candidates: Vec<(f64, Model)>| {
        candidates.into_iter().reduce(|best, next| if next.0 < best.0 { next } else { best }).map(|(_, model)| model)
    };
    match season {
        Some(m) if m >= 2 && y.len() >= 2 * m => {
            let mut candidates = vec![];
            for alpha in GRID {
                for beta in GRID {
                    for gamma in GRID {
                        candidates.push(holt_winters(y, m, alpha, beta, gamma));
                    }
                }
            }
            best(candidates)
        }
        _ if y.len() >= 4 => best(GRID.iter().flat_map(|&a| GRID.iter().map(move |&b| holt(y, a, b))).collect()),
        _ => Some(Model {
            method: ForecastMethod::Naive,
            smoothing: Smoothing::default(),
            level: last,
            trend: 0.0,
            season: vec![],
            last,
        }),
    }
}

/// Cents, rounded half away from zero, never below 0 (revenue is not negative).
fn cents(value: f64) -> Money {
    Money(value.max(0.0).round() as i64)
}

/// Mean absolute percentage error over the points with a positive actual.
fn mape(points: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    let errors: Vec<f64> = points
        .filter(|(actual, _)| *actual > 0.0)
        .map(|(actual, forecast)| (actual - forecast).abs() / actual)
        .collect();
    (!errors.is_empty()).then(|| errors.iter().sum::<f64>() / errors.len() as f64)
}

/// The backtest: the method fitted to all but the last 6 periods,
/// forecasting them, against the naive forecast.
fn backtest(periods: &[NaiveDate], y: &[f64], season: Option<usize>) -> Option<Backtest> {
    if y.len() <= BACKTEST_PERIODS {
        return None;
    }
    let cut = y.len() - BACKTEST_PERIODS;
    let model = fit(&y[..cut], season)?;
    let naive = y[cut - 1];
    let points: Vec<BacktestPoint> = (0..BACKTEST_PERIODS)
        .map(|k| BacktestPoint {
            period: periods[cut + k],
            actual: cents(y[cut + k]),
            forecast: cents(model.forecast(k + 1)),
            naive: cents(naive),
        })
        .collect();
    let rounded = |m: Money| m.cents() as f64;
    Some(Backtest {
        method: model.method,
        mape: mape(points.iter().map(|p| (rounded(p.actual), rounded(p.forecast)))),
        naive_mape: mape(points.iter().map(|p| (rounded(p.actual), rounded(p.naive)))),
        points,
    })
}

/// The season length of a granularity, if it has one.
fn season_length(granularity: Granularity) -> Option<usize> {
    match granularity {
        Granularity::Week => Some(52),
        Granularity::Month => Some(12),
        Granularity::Quarter | Granularity::FiscalQuarter => Some(4),
        Granularity::Day | Granularity::Year | Granularity::FiscalYear => None,
    }
}

/// The most history read: five years of periods.
fn max_history(granularity: Granularity) -> usize {
    match granularity {
        Granularity::Day => 0,
        Granularity::Week => 260,
        Granularity::Month => 60,
        Granularity::Quarter | Granularity::FiscalQuarter => 20,
        Granularity::Year | Granularity::FiscalYear => 5,
    }
}

pub async fn forecast(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &ForecastQuery,
    calendar: Calendar,
) -> AppResult<Forecast> {
    let granularity = query.granularity.unwrap_or(Granularity::Month);
    if granularity == Granularity::Day {
        return Err(AppError::validation(
            "granularity",
            "unsupported",
            "forecasts are by week, month, quarter or year",
        ));
    }
    let horizon = query.horizon.unwrap_or(6) as usize;
    let current_time = now();
    let as_of = match calendar.instant_param("as_of", query.as_of.as_deref())? {
        None => current_time,
        Some(at) if at <= current_time => at,
        Some(_) => return Err(AppError::validation("as_of", "future", "as_of must not be in the future")),
    };
    let filters = Filters {
        owner_id: query.owner_id,
        team_id: query.team_id,
        customer_segment: query.customer_segment.clone(),
        ..Filters::default()
    };

    // The history: complete periods before the current one.
    // The periods are the organization's (local, its weeks, its fiscal year).
    let current = calendar.start_of(granularity, calendar.date_of(as_of));
    let mut first = current;
    for _ in 0..max_history(granularity) {
        first = calendar.previous(granularity, first);
    }
    let history_window = Window::new(calendar, calendar.midnight(first), calendar.midnight(current));
    let revenue = super::sales::revenue_by_bucket(db, caller, &history_window, granularity, &filters).await?;
    let starts: Vec<NaiveDate> =
        history_window.buckets(granularity).into_iter().skip_while(|start| !revenue.contains_key(start)).collect();
    let y: Vec<f64> = starts.iter().map(|start| revenue.get(start).copied().unwrap_or(0) as f64).collect();
    let season = season_length(granularity);
    let model = fit(&y, season);

    // The forecast periods and what is booked in the current one so far.
    let mut periods_start = vec![current];
    while periods_start.len() < horizon {
        let next = calendar.next(granularity, periods_start[periods_start.len() - 1]);
        periods_start.push(next);
    }
    let end = calendar.next(granularity, periods_start[periods_start.len() - 1]);
    let booked = super::sales::revenue_by_bucket(
        db,
        caller,
        &history_window.with(calendar.midnight(current), as_of),
        granularity,
        &filters,
    )
    .await?
    .get(&current)
    .copied()
    .unwrap_or(0);

    // The open pipeline by the period of its expected close date.
    let pipeline_query = PipelineQuery {
        owner_id: query.owner_id,
        team_id: query.team_id,
        customer_segment: query.customer_segment.clone(),
        ..PipelineQuery::default()
    };
    let bucket = history_window.bucket_sql_of_day(granularity, db.get_database_backend(), "op.expected_close_date");
    let mut by_period: HashMap<NaiveDate, PipelineFigures> = HashMap::new();
    let (mut overdue, mut later, mut undated) =
        (PipelineFigures::default(), PipelineFigures::default(), PipelineFigures::default());
    for (key, figures) in super::pipeline::grouped(db, caller, &pipeline_query, Some(&bucket)).await? {
        let day = key.and_then(|key| NaiveDate::parse_from_str(&key, "%Y-%m-%d").ok());
        match day {
            None => undated = figures,
            Some(day) if day < current => overdue.add(&figures),
            Some(day) if day >= end => later.add(&figures),
            Some(day) => by_period.entry(day).or_default().add(&figures),
        }
    }

    let periods = periods_start
        .iter()
        .enumerate()
        .map(|(k, start)| {
            let pipeline = by_period.remove(start).unwrap_or_default();
            ForecastPeriod {
                period: *start,
                pipeline: pipeline.weighted,
                pipeline_opportunities: pipeline.count,
                pipeline_amount: pipeline.amount,
                statistical: model.as_ref().map(|model| cents(model.forecast(k + 1))),
                actual_to_date: (k == 0).then_some(Money(booked)),
            }
        })
        .collect();
    let backtest = backtest(&starts, &y, season);
    let history = starts
        .iter()
        .zip(&y)
        .map(|(period, revenue)| HistoryPeriod { period: *period, revenue: cents(*revenue) })
        .collect();
    Ok(Forecast {
        as_of,
        granularity,
        filters,
        method: model.as_ref().map(|m| m.method),
        season_length: model
            .as_ref()
            .filter(|m| m.method == ForecastMethod::HoltWintersAdditive)
            .map(|m| m.season.len()),
        smoothing: model.as_ref().map(|m| m.smoothing).unwrap_or_default(),
        history,
        periods,
        pipeline_overdue: overdue,
        pipeline_later: later,
        pipeline_undated: undated,
        backtest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holt_continues_a_line_exactly() {
        let y: Vec<f64> = (0..8).map(|k| 100.0 + 10.0 * k as f64).collect();
        let model = fit(&y, Some(12)).unwrap();
        assert_eq!(model.method, ForecastMethod::HoltLinear);
        assert!((model.forecast(1) - 180.0).abs() < 1e-9);
        assert!((model.forecast(3) - 200.0).abs() < 1e-9);
    }

    #[test]
    fn holt_winters_fits_trend_plus_season_exactly() {
        let season = [5.0, -3.0, 1.0, -3.0];
        let y: Vec<f64> = (0..12).map(|k| 50.0 + 2.0 * k as f64 + season[k % 4]).collect();
        let model = fit(&y, Some(4)).unwrap();
        assert_eq!(model.method, ForecastMethod::HoltWintersAdditive);
        for h in 1..=8 {
            let k = 11 + h;
            assert!((model.forecast(h) - (50.0 + 2.0 * k as f64 + season[k % 4])).abs() < 1e-9, "h = {h}");
        }
    }

    #[test]
    fn short_histories_fall_back_to_naive() {
        assert!(fit(&[], Some(12)).is_none());
        let model = fit(&[3.0, 5.0, 4.0], Some(12)).unwrap();
        assert_eq!((model.method, model.forecast(1), model.forecast(5)), (ForecastMethod::Naive, 4.0, 4.0));
    }

    #[test]
    fn mape_skips_periods_without_revenue() {
        assert_eq!(mape([(100.0, 90.0), (0.0, 5.0), (50.0, 75.0)].into_iter()), Some((0.1 + 0.5) / 2.0));
        assert_eq!(mape([(0.0, 5.0)].into_iter()), None);
    }
}
