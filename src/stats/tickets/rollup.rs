//! The service figures from the daily service rollup
//! (`migration::ticket_rollup`): the whole local days of each window from
//! its rows, the parts of a day left at either end from the tickets, and
//! the medians and percentiles from every exact value of the rows' blocks
//! — the same figures as the tickets give, for any window, as of its end.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use migration::ticket_rollup::{Grain, NO_ASSIGNEE, TABLE};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{CREATED_IN_B, Csat, GroupKey, ServiceDimension, ServiceFigures, ServiceFilters, push_tickets};
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::error::AppResult;
use crate::rollup::tickets::{decode, micros};
use crate::sql::{Sql, group_key};
use crate::stats::figures::{Distribution, ratio};
use crate::stats::window::{Window, push_indexed_windows_join};

/// The figures per (window, group) and the agents' names.
pub(super) type Grouped = (HashMap<GroupKey, ServiceFigures>, HashMap<String, String>);

/// The grain of the rollup that answers these filters, scope and
/// dimension: the desk's when they name no key, the key's when they name
/// one; `None` (the tickets answer) when they name two, or filter by the
/// customers' segment (which the rollup does not keep), or by a value the
/// rollup's sentinels would confuse with none.
pub(super) fn grain(caller: &AuthUser, dimension: Option<ServiceDimension>, filters: &ServiceFilters) -> Option<Grain> {
    let blank = |value: &Option<String>| value.as_deref().is_some_and(|v| v.trim().is_empty());
    if !crate::rollup::enabled()
        || filters.customer_segment.is_some()
        || blank(&filters.channel)
        || blank(&filters.category)
        || filters.assignee_id == Some(NO_ASSIGNEE)
    {
        return None;
    }
    let mut named = BTreeSet::new();
    if filters.category.is_some() || dimension == Some(ServiceDimension::Category) {
        named.insert(Grain::Category);
    }
    if filters.priority.is_some() || dimension == Some(ServiceDimension::Priority) {
        named.insert(Grain::Priority);
    }
    if filters.channel.is_some() || dimension == Some(ServiceDimension::Channel) {
        named.insert(Grain::Channel);
    }
    if filters.assignee_id.is_some()
        || filters.team_id.is_some()
        || !Scope::tickets(caller).is_everything()
        || dimension == Some(ServiceDimension::Agent)
    {
        named.insert(Grain::Agent);
    }
    match named.len() {
        0 => Some(Grain::Desk),
        1 => named.into_iter().next(),
        _ => None,
    }
}

/// A dimension's key over the rollup.
fn rollup_key(dimension: ServiceDimension) -> &'static str {
    match dimension {
        ServiceDimension::Category => "NULLIF(r.category, '')",
        ServiceDimension::Priority => "r.priority",
        ServiceDimension::Channel => "NULLIF(r.channel, '')",
        ServiceDimension::Agent => "r.assignee_id",
    }
}

/// `FROM ticket_rollup r … WHERE` the grain, filters and scope hold, with
/// the agents as `u` when `users` is set (no day condition).
fn push_rollup(sql: &mut Sql, caller: &AuthUser, grain: Grain, filters: &ServiceFilters, users: bool) {
    sql.push(&format!(" FROM {TABLE} r"));
    if users || filters.team_id.is_some() {
        sql.push(" LEFT JOIN users u ON u.id = r.assignee_id");
    }
    sql.push(" WHERE r.grain = ").bind(grain.name());
    sql.and_id("r.assignee_id", filters.assignee_id);
    sql.and_id("u.team_id", filters.team_id);
    if let Some(priority) = filters.priority {
        sql.push(" AND r.priority = ").bind(priority.as_str());
    }
    sql.and_eq("r.channel", filters.channel.as_ref());
    sql.and_eq("r.category", filters.category.as_ref());
    Scope::tickets(caller).push_and_keyed(sql, "r.assignee_id", NO_ASSIGNEE);
}

/// What one group of one window gathers.
#[derive(Default)]
struct Gathered {
    created: i64,
    /// Of those, resolved before the window's end.
    resolved: i64,
    /// Tickets of the group resolved in the window, whenever created.
    resolved_in_window: i64,
    csat_responses: i64,
    csat_sum: i64,
    csat_satisfied: i64,
    /// Microseconds to the first response (resolution) of the window's
    /// tickets answered (resolved) before its end.
    responses: Vec<i64>,
    resolutions: Vec<i64>,
}

impl Gathered {
    /// A ticket created at `created` (µs) answered (resolved) `after` µs
    /// later counts if that was before `end`.
    fn event(&mut self, created: i64, after: i64, end: i64, resolution: bool) {
        if created + after >= end {
            return;
        }
        if resolution {
            self.resolved += 1;
            self.resolutions.push(after);
        } else {
            self.responses.push(after);
        }
    }

    fn rating(&mut self, score: i64) {
        self.csat_responses += 1;
        self.csat_sum += score;
        self.csat_satisfied += i64::from(score >= 4);
    }
}

/// The mean, median and 90th percentile in minutes of microsecond values,
/// interpolated as PostgreSQL's `percentile_cont`.
fn minutes(values: &mut [i64]) -> Distribution {
    if values.is_empty() {
        return Distribution::default();
    }
    values.sort_unstable();
    let unit = 60_000_000.0;
    let n = values.len();
    let at = |p: f64| {
        let position = p * (n - 1) as f64;
        let low = position.floor();
        let (a, b) = (values[low as usize] as f64 / unit, values[position.ceil() as usize] as f64 / unit);
        a + (b - a) * (position - low)
    };
    let sum: i128 = values.iter().map(|v| i128::from(*v)).sum();
    Distribution { avg: Some(sum as f64 / n as f64 / unit), p50: Some(at(0.5)), p90: Some(at(0.9)) }
}

/// The service figures of each window (each as of its own end) and, with
/// a dimension, of each of its values, from the rollup of `grain` (see
/// [`grain`]); keyed and labelled as the tickets' own query keys them.
pub(super) async fn figures(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    windows: &[Window],
    dimension: Option<ServiceDimension>,
    filters: &ServiceFilters,
    grain: Grain,
) -> AppResult<Grouped> {
    let Some(first) = windows.first() else { return Ok(Default::default()) };
    let backend = db.get_database_backend();
    let calendar = first.calendar;
    let agents = dimension == Some(ServiceDimension::Agent);
    let mut labels: HashMap<String, String> = HashMap::new();
    let mut label = |key: &Option<String>, row: &sea_orm::QueryResult| -> AppResult<()> {
        if let (Some(key), true) = (key, agents)
            && let Some(name) = row.try_get::<Option<String>>("", "group_label")?
        {
            labels.insert(key.clone(), name);
        }
        Ok(())
    };
    let rolled_key = |row: &sea_orm::QueryResult| -> AppResult<Option<String>> {
        Ok(match dimension {
            None => None,
            Some(ServiceDimension::Agent) => {
                Some(row.try_get::<Uuid>("", "group_key")?).filter(|id| *id != NO_ASSIGNEE).map(|id| id.to_string())
            }
            Some(_) => row.try_get::<Option<String>>("", "group_key")?,
        })
    };
    let select_key = |sql: &mut Sql, key: Option<&str>| {
        match (dimension, key) {
            (Some(_), Some(key)) => sql.push(&format!("{key} AS group_key, ")),
            _ => sql.push("NULL AS group_key, "),
        };
    };
    let label_column = if agents { "u.name" } else { "NULL" };

    // Each window's whole days come from the rollup, the rest of it (and
    // of the first window's first day, before it starts: the backlog)
    // from the tickets. `before` is the index of that part.
    let before = windows.len();
    let mut days: Vec<(usize, NaiveDate, NaiveDate)> = vec![];
    let mut parts: Vec<(usize, Window)> = vec![];
    for (index, window) in windows.iter().enumerate() {
        match window.split_days() {
            Some(((start, end), edges)) => {
                days.push((index, start, end));
                parts.extend(edges.into_iter().map(|edge| (index, edge)));
            }
            None => parts.push((index, *window)),
        }
    }
    let first_day = calendar.date_of(first.from);
    if calendar.midnight(first_day) < first.from {
        parts.push((before, first.with(calendar.midnight(first_day), first.from)));
    }
    days.sort_by_key(|(_, start, _)| *start);
    let ends: Vec<i64> = windows.iter().map(|w| micros(w.to)).collect();
    let mut gathered: HashMap<GroupKey, Gathered> = HashMap::new();

    // The whole days.
    if let (Some(low), Some(high)) = (days.iter().map(|d| d.1).min(), days.iter().map(|d| d.2).max()) {
        let mut sql = Sql::new(backend);
        sql.push("SELECT r.day AS day, ");
        select_key(&mut sql, dimension.map(rollup_key));
        sql.push(&format!(
            "{label_column} AS group_label, r.created, r.resolved, r.csat_responses, r.csat_sum, r.csat_satisfied, \
             r.responses, r.resolutions"
        ));
        push_rollup(&mut sql, caller, grain, filters, agents);
        sql.push(" AND r.day >= ").bind(low).push(" AND r.day < ").bind(high);
        for row in db.query_all_raw(sql.statement()).await? {
            let day: NaiveDate = row.try_get("", "day")?;
            let at = days.partition_point(|(_, start, _)| *start <= day);
            let Some((index, _, end)) = at.checked_sub(1).map(|at| days[at]) else { continue };
            if day >= end {
                continue;
            }
            let key = rolled_key(&row)?;
            label(&key, &row)?;
            let group = gathered.entry((index, key)).or_default();
            let get = |name: &str| row.try_get::<i64>("", name);
            group.created += get("created")?;
            group.resolved_in_window += get("resolved")?;
            group.csat_responses += get("csat_responses")?;
            group.csat_sum += get("csat_sum")?;
            group.csat_satisfied += get("csat_satisfied")?;
            for (column, resolution) in [("responses", false), ("resolutions", true)] {
                for (created, after) in decode(&row.try_get::<Vec<u8>>("", column)?)? {
                    group.event(created, after, ends[index], resolution);
                }
            }
        }
    }

    // The parts of days: the tickets created there, and those resolved there.
    if !parts.is_empty() {
        let key = dimension.map(|d| d.column().0);
        let mut sql = Sql::new(backend);
        sql.push("SELECT b.i AS bucket, ");
        select_key(&mut sql, key);
        sql.push(&format!(
            "{label_column} AS group_label, t.created_at, t.first_response_at, t.resolved_at, t.satisfaction_score"
        ));
        push_tickets(&mut sql, caller, filters, agents, |sql| {
            push_indexed_windows_join(sql, "b", parts.iter().copied(), CREATED_IN_B)
        });
        for row in db.query_all_raw(sql.statement()).await? {
            let index = row.try_get::<i64>("", "bucket")? as usize;
            let key = if dimension.is_some() { group_key(&row, "group_key", agents)? } else { None };
            label(&key, &row)?;
            let group = gathered.entry((index, key)).or_default();
            group.created += 1;
            if index == before {
                continue;
            }
            if let Some(score) = row.try_get::<Option<i32>>("", "satisfaction_score")? {
                group.rating(i64::from(score));
            }
            let created = micros(row.try_get("", "created_at")?);
            for (column, resolution) in [("first_response_at", false), ("resolved_at", true)] {
                if let Some(at) = row.try_get::<Option<chrono::DateTime<chrono::Utc>>>("", column)? {
                    group.event(created, micros(at) - created, ends[index], resolution);
                }
            }
        }
        let mut sql = Sql::new(backend);
        sql.push("SELECT b.i AS bucket, ");
        select_key(&mut sql, key);
        sql.push(&format!(
            "{} AS group_label, CAST(COUNT(*) AS BIGINT) AS n",
            if agents { "MAX(u.name)" } else { "NULL" }
        ));
        push_tickets(&mut sql, caller, filters, agents, |sql| {
            push_indexed_windows_join(sql, "b", parts.iter().copied(), "t.resolved_at >= b.s AND t.resolved_at < b.e")
        });
        sql.push(" GROUP BY b.i");
        if let Some(key) = key {
            sql.push(&format!(", {key}"));
        }
        for row in db.query_all_raw(sql.statement()).await? {
            let index = row.try_get::<i64>("", "bucket")? as usize;
            let key = if dimension.is_some() { group_key(&row, "group_key", agents)? } else { None };
            label(&key, &row)?;
            gathered.entry((index, key)).or_default().resolved_in_window += row.try_get::<i64>("", "n")?;
        }
    }

    // The backlog when the first window starts: created before it, less
    // resolved before it (a ticket is never resolved before it is created).
    let mut backlog: HashMap<Option<String>, i64> = HashMap::new();
    {
        let mut sql = Sql::new(backend);
        sql.push("SELECT ");
        let key = dimension.map(rollup_key);
        select_key(&mut sql, key);
        sql.push(&format!(
            "{} AS group_label, CAST(SUM(r.created) AS BIGINT) AS created, CAST(SUM(r.resolved) AS BIGINT) AS resolved",
            if agents { "MAX(u.name)" } else { "NULL" }
        ));
        push_rollup(&mut sql, caller, grain, filters, agents);
        sql.push(" AND r.day < ").bind(first_day);
        if let Some(key) = key {
            sql.push(&format!(" GROUP BY {key}"));
        }
        for row in db.query_all_raw(sql.statement()).await? {
            let key = rolled_key(&row)?;
            label(&key, &row)?;
            let open = row.try_get::<Option<i64>>("", "created")?.unwrap_or(0)
                - row.try_get::<Option<i64>>("", "resolved")?.unwrap_or(0);
            *backlog.entry(key).or_default() += open;
        }
    }
    for (key, part) in gathered.iter().filter(|((index, _), _)| *index == before) {
        *backlog.entry(key.1.clone()).or_default() += part.created - part.resolved_in_window;
    }
    backlog.retain(|_, open| *open != 0);
    gathered.retain(|(index, _), _| *index != before);

    let keys: BTreeSet<Option<String>> =
        gathered.keys().map(|(_, key)| key.clone()).chain(backlog.keys().cloned()).collect();
    let mut out = HashMap::new();
    for key in keys {
        let mut open = backlog.get(&key).copied().unwrap_or(0);
        for index in 0..windows.len() {
            let mut group = gathered.remove(&(index, key.clone())).unwrap_or_default();
            open += group.created - group.resolved_in_window;
            out.insert(
                (index, key.clone()),
                ServiceFigures {
                    created: group.created,
                    resolved: group.resolved,
                    resolution_rate: ratio(group.resolved, group.created),
                    backlog: open,
                    first_response_minutes: minutes(&mut group.responses),
                    resolution_hours: minutes(&mut group.resolutions).scaled(1.0 / 60.0),
                    csat: Csat {
                        avg: ratio(group.csat_sum, group.csat_responses),
                        responses: group.csat_responses,
                        satisfied_rate: ratio(group.csat_satisfied, group.csat_responses),
                    },
                },
            );
        }
    }
    Ok((out, labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_neighbours() {
        let mut values: Vec<i64> = [4, 1, 3, 2].iter().map(|m| m * 60_000_000).collect();
        let d = minutes(&mut values);
        assert_eq!((d.avg, d.p50), (Some(2.5), Some(2.5)));
        assert!((d.p90.unwrap() - 3.7).abs() < 1e-12);
        assert_eq!(minutes(&mut []), Distribution::default());
        let d = minutes(&mut [90_000_000]);
        assert_eq!((d.avg, d.p50, d.p90), (Some(1.5), Some(1.5), Some(1.5)));
    }
}
