//! The arithmetic of figures (ratios, money averages, relative changes),
//! the distributions of durations, the filters of the sales-type
//! statistics, and pairing a window's groups with its comparison's.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The common filters of sales-type statistics, as the request gave them.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Filters {
    /// The `owner_id` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
    /// The `team_id` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    /// The `region` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The `channel` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The `product_category` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_category: Option<String>,
    /// The `customer_segment` filter, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_segment: Option<String>,
}

/// A ratio, `null` when the denominator is 0.
pub fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator != 0).then(|| numerator as f64 / denominator as f64)
}

/// A money average in cents, rounded half-up (away from zero) to the cent.
pub fn average_cents(total: i64, count: i64) -> Option<i64> {
    if count == 0 {
        return None;
    }
    let (total, count) = (i128::from(total), i128::from(count));
    let rounded = (2 * total.abs() + count) / (2 * count);
    Some((if total < 0 { -rounded } else { rounded }) as i64)
}

/// The relative change of two optional figures, `null` when either is
/// absent or previous is 0.
pub fn change_opt(current: Option<f64>, previous: Option<f64>) -> Option<f64> {
    current.zip(previous).and_then(|(current, previous)| change(current, previous))
}

/// `(current - previous) / previous`, `null` when previous is 0.
pub fn change(current: f64, previous: f64) -> Option<f64> {
    (previous != 0.0).then(|| (current - previous) / previous)
}

/// Pairs the groups of a window with those of its comparison window: every
/// key of either, in key order, with its current value (default when
/// absent) and, with a comparison, its previous one.
pub fn paired<K: Ord + std::hash::Hash + Clone, V: Default>(
    mut current: std::collections::HashMap<K, V>,
    mut previous: Option<std::collections::HashMap<K, V>>,
) -> Vec<(K, V, Option<V>)> {
    let keys: std::collections::BTreeSet<K> =
        current.keys().chain(previous.iter().flat_map(|p| p.keys())).cloned().collect();
    keys.into_iter()
        .map(|key| {
            let now = current.remove(&key).unwrap_or_default();
            let before = previous.as_mut().map(|p| p.remove(&key).unwrap_or_default());
            (key, now, before)
        })
        .collect()
}

/// The average, median and 90th percentile of a duration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Distribution {
    /// Mean; `null` without values.
    pub avg: Option<f64>,
    /// Median (linear interpolation).
    pub p50: Option<f64>,
    /// 90th percentile (linear interpolation).
    pub p90: Option<f64>,
}

impl Distribution {
    pub fn read(row: &sea_orm::QueryResult) -> AppResult<(Self, i64)> {
        let get = |name: &str| row.try_get::<Option<f64>>("", name).map_err(AppError::from);
        let count: i64 = row.try_get("", "n")?;
        if count == 0 {
            return Ok((Distribution::default(), 0));
        }
        Ok((Distribution { avg: get("avg")?, p50: get("p50")?, p90: get("p90")? }, count))
    }

    /// The same distribution in another unit (minutes → hours: 1/60).
    pub fn scaled(&self, factor: f64) -> Self {
        Distribution {
            avg: self.avg.map(|v| v * factor),
            p50: self.p50.map(|v| v * factor),
            p90: self.p90.map(|v| v * factor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_round_half_up_and_ratios_guard_zero() {
        assert_eq!(average_cents(1000, 3), Some(333));
        assert_eq!(average_cents(5, 2), Some(3));
        assert_eq!(average_cents(-5, 2), Some(-3));
        assert_eq!(average_cents(1, 0), None);
        assert_eq!(ratio(1, 0), None);
        assert_eq!(change(5.0, 0.0), None);
        assert_eq!(change(54.0, 30.0), Some(0.8));
    }
}
