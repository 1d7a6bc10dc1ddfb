//! Keeping the daily service rollup exact (see `migration::ticket_rollup`):
//! what a ticket contributes is computed from the ticket alone — its
//! creation day and rating, its resolution day, the exact microseconds to
//! its first response and resolution — so a write takes the old ticket's
//! contribution away and adds the new one's, row by row in key order, in
//! its own transaction, and a rebuild adds every ticket's.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use entity::ticket;
use migration::ticket_rollup::{Grain, KEY, NO_ASSIGNEE, TABLE};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};
use uuid::Uuid;

use crate::calendar::Calendar;

/// One row of the rollup: its grain and key (sentinels elsewhere) and day.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowKey {
    pub grain: Grain,
    pub category: String,
    pub priority: String,
    pub channel: String,
    pub assignee: Uuid,
    pub day: NaiveDate,
}

/// A value of a block: when the ticket was created (microseconds since
/// the epoch) and how many microseconds later the event came.
pub type Entry = (i64, i64);

/// A change to a row (or, in a rebuild, the whole row).
#[derive(Clone, Debug, Default, PartialEq)]
struct Change {
    created: i64,
    resolved: i64,
    csat_responses: i64,
    csat_sum: i64,
    csat_satisfied: i64,
    /// Entries added to (+) and taken from (−) each block.
    responses: BTreeMap<Entry, i64>,
    resolutions: BTreeMap<Entry, i64>,
}

impl Change {
    fn is_empty(&self) -> bool {
        *self == Change::default()
    }

    fn counts(&self) -> [i64; 5] {
        [self.created, self.resolved, self.csat_responses, self.csat_sum, self.csat_satisfied]
    }
}

/// What of a ticket the rollup keeps.
#[derive(Clone, Debug, PartialEq)]
pub struct Facts {
    pub created_at: DateTime<Utc>,
    pub category: Option<String>,
    pub priority: String,
    pub channel: Option<String>,
    pub assignee: Option<Uuid>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub score: Option<i32>,
}

impl Facts {
    /// A live ticket's facts; `None` for a deleted one (it counts nowhere).
    pub fn of(ticket: &ticket::Model) -> Option<Facts> {
        ticket.deleted_at.is_none().then(|| Facts {
            created_at: ticket.created_at,
            category: ticket.category.clone(),
            priority: ticket.priority.clone(),
            channel: ticket.channel.clone(),
            assignee: ticket.assignee_id,
            first_response_at: ticket.first_response_at,
            resolved_at: ticket.resolved_at,
            score: ticket.satisfaction_score,
        })
    }

    fn key(&self, grain: Grain, day: NaiveDate) -> RowKey {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let mut key = RowKey {
            grain,
            category: String::new(),
            priority: String::new(),
            channel: String::new(),
            assignee: NO_ASSIGNEE,
            day,
        };
        match grain {
            Grain::Desk => {}
            Grain::Category => key.category = text(&self.category),
            Grain::Priority => key.priority = self.priority.clone(),
            Grain::Channel => key.channel = text(&self.channel),
            Grain::Agent => key.assignee = self.assignee.unwrap_or(NO_ASSIGNEE),
        }
        key
    }
}

/// Microseconds since the epoch.
pub fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// Adds `sign` times the ticket's contribution to `changes`.
fn contribute(facts: &Facts, sign: i64, calendar: &Calendar, changes: &mut HashMap<RowKey, Change>) {
    let created_day = calendar.date_of(facts.created_at);
    let created = micros(facts.created_at);
    let after = |at: Option<DateTime<Utc>>| at.map(|at| (created, micros(at) - created));
    let (response, resolution) = (after(facts.first_response_at), after(facts.resolved_at));
    for grain in Grain::ALL {
        let row = changes.entry(facts.key(grain, created_day)).or_default();
        row.created += sign;
        if let Some(score) = facts.score {
            row.csat_responses += sign;
            row.csat_sum += sign * i64::from(score);
            row.csat_satisfied += sign * i64::from(score >= 4);
        }
        if let Some(entry) = response {
            *row.responses.entry(entry).or_default() += sign;
        }
        if let Some(entry) = resolution {
            *row.resolutions.entry(entry).or_default() += sign;
        }
        if let Some(resolved_at) = facts.resolved_at {
            changes.entry(facts.key(grain, calendar.date_of(resolved_at))).or_default().resolved += sign;
        }
    }
}

/// Keeps the rollup exact across a ticket write: `before` is the ticket as
/// it was (`None` for a new one), `after` as it is now (`None` once
/// deleted). Rows are written in key order, so concurrent ticket writes
/// never wait on each other in a cycle.
pub async fn changed(
    db: &impl ConnectionTrait,
    before: Option<&ticket::Model>,
    after: Option<&ticket::Model>,
) -> Result<(), DbErr> {
    let (before, after) = (before.and_then(Facts::of), after.and_then(Facts::of));
    if before == after {
        return Ok(());
    }
    let calendar = crate::calendar::load_for_write(db).await?.calendar;
    let mut changes = HashMap::new();
    if let Some(facts) = &before {
        contribute(facts, -1, &calendar, &mut changes);
    }
    if let Some(facts) = &after {
        contribute(facts, 1, &calendar, &mut changes);
    }
    let mut rows: Vec<(RowKey, Change)> = changes
        .into_iter()
        .map(|(key, mut change)| {
            change.responses.retain(|_, n| *n != 0);
            change.resolutions.retain(|_, n| *n != 0);
            (key, change)
        })
        .filter(|(_, change)| !change.is_empty())
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, change) in rows {
        apply(db, &key, &change).await?;
    }
    Ok(())
}

fn key_values(key: &RowKey) -> Vec<Value> {
    vec![
        key.grain.name().into(),
        key.category.clone().into(),
        key.priority.clone().into(),
        key.channel.clone().into(),
        key.assignee.into(),
        key.day.into(),
    ]
}

/// `$1`, `$2`, … on PostgreSQL, `?` on SQLite, from `first` on.
fn marks(backend: DbBackend, first: usize, count: usize) -> Vec<String> {
    (first..first + count).map(|n| if backend == DbBackend::Postgres { format!("${n}") } else { "?".into() }).collect()
}

fn key_condition(backend: DbBackend, first: usize) -> String {
    KEY.iter()
        .zip(marks(backend, first, KEY.len()))
        .map(|(c, m)| format!("{c} = {m}"))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Applies one row's change: adds the counts (creating the row if it is
/// missing, which locks it), then rewrites the blocks it changes, or
/// deletes the row once it holds nothing.
async fn apply(db: &impl ConnectionTrait, key: &RowKey, change: &Change) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let counts = ["created", "resolved", "csat_responses", "csat_sum", "csat_satisfied"];
    let mut values = key_values(key);
    values.extend(change.counts().map(Value::from));
    let all = marks(backend, 1, values.len());
    let sets: Vec<String> = counts.iter().map(|c| format!("{c} = {TABLE}.{c} + excluded.{c}")).collect();
    let empty = if backend == DbBackend::Postgres { "''::bytea" } else { "X''" };
    let sql = format!(
        "INSERT INTO {TABLE} ({keys}, {counts}, responses, resolutions) VALUES ({all}, {empty}, {empty}) \
         ON CONFLICT ({keys}) DO UPDATE SET {sets} RETURNING {counts}, responses, resolutions",
        keys = KEY.join(", "),
        counts = counts.join(", "),
        all = all.join(", "),
        sets = sets.join(", "),
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("{TABLE} row after upsert")))?;
    let total: Vec<i64> = counts.iter().map(|c| row.try_get::<i64>("", c)).collect::<Result<_, _>>()?;
    let mut blocks = Vec::new();
    for (column, delta) in [("responses", &change.responses), ("resolutions", &change.resolutions)] {
        let stored = row.try_get::<Vec<u8>>("", column)?;
        if delta.is_empty() {
            blocks.push((column, stored, false));
            continue;
        }
        let mut entries: BTreeMap<Entry, i64> = BTreeMap::new();
        for entry in decode(&stored)? {
            *entries.entry(entry).or_default() += 1;
        }
        for (entry, n) in delta {
            let count = entries.entry(*entry).or_default();
            *count += n;
            if *count < 0 {
                // Never expected: the rollup keeps every value it is asked
                // to take away. Left at none rather than failing the write;
                // the next rebuild (a bulk load, a change of time zone) sets it right.
                tracing::warn!(table = TABLE, column, "a value taken away that was never added");
                *count = 0;
            }
        }
        blocks.push((column, encode(entries.into_iter().flat_map(|(e, n)| std::iter::repeat_n(e, n as usize))), true));
    }
    let emptied = total.iter().all(|n| *n == 0) && blocks.iter().all(|(_, bytes, _)| bytes.is_empty());
    if emptied {
        let sql = format!("DELETE FROM {TABLE} WHERE {}", key_condition(backend, 1));
        db.execute_raw(Statement::from_sql_and_values(backend, sql, key_values(key))).await?;
        return Ok(());
    }
    let rewritten: Vec<_> = blocks.into_iter().filter(|(_, _, changed)| *changed).collect();
    if rewritten.is_empty() {
        return Ok(());
    }
    let sets: Vec<String> = rewritten
        .iter()
        .zip(marks(backend, 1, rewritten.len()))
        .map(|((column, _, _), mark)| format!("{column} = {mark}"))
        .collect();
    let mut values: Vec<Value> = rewritten.into_iter().map(|(_, bytes, _)| Value::from(bytes)).collect();
    let sql = format!("UPDATE {TABLE} SET {} WHERE {}", sets.join(", "), key_condition(backend, values.len() + 1));
    values.extend(key_values(key));
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(())
}

/// A block: its entries in order, each as the unsigned LEB128 varint of
/// its creation instant's distance from the previous entry's, then the
/// zigzag varint of its microseconds.
pub fn encode(entries: impl IntoIterator<Item = Entry>) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut value: u64) {
        while value >= 0x80 {
            out.push((value as u8) | 0x80);
            value >>= 7;
        }
        out.push(value as u8);
    }
    let mut out = Vec::new();
    let mut previous = i64::MIN;
    for (created, micros) in entries {
        let step = if previous == i64::MIN { created as u64 } else { (created - previous) as u64 };
        previous = created;
        varint(&mut out, step);
        varint(&mut out, ((micros << 1) ^ (micros >> 63)) as u64);
    }
    out
}

/// The entries of a block, in order.
pub fn decode(bytes: &[u8]) -> Result<Vec<Entry>, DbErr> {
    let corrupt = || DbErr::Custom(format!("{TABLE}: a corrupt block"));
    let mut out = Vec::with_capacity(bytes.len() / 8);
    let mut at = 0;
    let varint = |at: &mut usize| -> Result<u64, DbErr> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *bytes.get(*at).ok_or_else(corrupt)?;
            *at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(corrupt())
    };
    let mut created = 0i64;
    while at < bytes.len() {
        let step = varint(&mut at)?;
        created = if out.is_empty() { step as i64 } else { created.wrapping_add(step as i64) };
        let zigzag = varint(&mut at)?;
        out.push((created, ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64)));
    }
    Ok(out)
}

/// Rebuilds the rollup from every live ticket, on the local days of
/// `calendar`: the tickets are read a page at a time (their rollup
/// columns only) and the rows written in multi-row inserts.
pub async fn rebuild(db: &impl ConnectionTrait, calendar: &Calendar) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_unprepared(&format!("DELETE FROM {TABLE}")).await?;
    let mut rows: HashMap<RowKey, Change> = HashMap::new();
    let mut last: Option<Uuid> = None;
    loop {
        let mut sql = String::from(
            "SELECT id, created_at, category, priority, channel, assignee_id, first_response_at, resolved_at, \
             satisfaction_score FROM tickets WHERE deleted_at IS NULL",
        );
        let mut values: Vec<Value> = vec![];
        if let Some(last) = last {
            sql.push_str(if backend == DbBackend::Postgres { " AND id > $1" } else { " AND id > ?" });
            values.push(last.into());
        }
        sql.push_str(" ORDER BY id LIMIT 50000");
        let page = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        let Some(tail) = page.last() else { break };
        last = Some(tail.try_get("", "id")?);
        for row in &page {
            let facts = Facts {
                created_at: row.try_get("", "created_at")?,
                category: row.try_get("", "category")?,
                priority: row.try_get("", "priority")?,
                channel: row.try_get("", "channel")?,
                assignee: row.try_get("", "assignee_id")?,
                first_response_at: row.try_get("", "first_response_at")?,
                resolved_at: row.try_get("", "resolved_at")?,
                score: row.try_get("", "satisfaction_score")?,
            };
            contribute(&facts, 1, calendar, &mut rows);
        }
    }
    let mut rows: Vec<(RowKey, Change)> = rows.into_iter().collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let columns = [
        &KEY[..],
        &["created", "resolved", "csat_responses", "csat_sum", "csat_satisfied", "responses", "resolutions"],
    ]
    .concat();
    for chunk in rows.chunks(1_000) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * columns.len());
        let mut tuples = Vec::with_capacity(chunk.len());
        for (key, change) in chunk {
            tuples.push(format!("({})", marks(backend, values.len() + 1, columns.len()).join(", ")));
            values.extend(key_values(key));
            values.extend(change.counts().map(Value::from));
            for block in [&change.responses, &change.resolutions] {
                let entries = block.iter().flat_map(|(e, n)| std::iter::repeat_n(*e, (*n).max(0) as usize));
                values.push(encode(entries).into());
            }
        }
        let sql = format!("INSERT INTO {TABLE} ({}) VALUES {}", columns.join(", "), tuples.join(", "));
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_trip() {
        let entries = vec![(-5, 0), (0, 7), (0, 7), (1_700_000_000_000_000, -3), (1_800_000_000_000_000, i64::MAX / 4)];
        assert_eq!(decode(&encode(entries.clone())).unwrap(), entries);
        assert!(decode(&encode([])).unwrap().is_empty());
        assert!(decode(&[0x80]).is_err());
    }
}
