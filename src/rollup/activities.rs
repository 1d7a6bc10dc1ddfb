//! Keeping the daily activity rollup exact (see
//! `migration::activity_rollup`): an activity counts once on the row of
//! its local day, owner and type while it is live, so a write takes the
//! old activity's count away and adds the new one's, in its own
//! transaction, rows in key order; a rebuild counts every activity.

use chrono::NaiveDate;
use entity::activity;
use migration::activity_rollup::TABLE;
use migration::sales_rollup::NO_OWNER;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use uuid::Uuid;

use crate::calendar::{Calendar, Span};

/// The row an activity counts on.
fn row(activity: &activity::Model, calendar: &Calendar) -> Option<(NaiveDate, Uuid, String)> {
    activity.deleted_at.is_none().then(|| {
        (calendar.date_of(activity.occurred_at), activity.owner_id.unwrap_or(NO_OWNER), activity.activity_type.clone())
    })
}

/// Keeps the rollup exact across an activity write: `before` as it was
/// (`None` for a new one), `after` as it is now (`None` once deleted).
pub async fn changed(
    db: &impl ConnectionTrait,
    before: Option<&activity::Model>,
    after: Option<&activity::Model>,
) -> Result<(), DbErr> {
    let calendar = crate::calendar::load_for_write(db).await?.calendar;
    let (old, new) = (before.and_then(|a| row(a, &calendar)), after.and_then(|a| row(a, &calendar)));
    if old == new {
        return Ok(());
    }
    let mut changes: Vec<((NaiveDate, Uuid, String), i64)> = old.map(|key| (key, -1)).into_iter().collect();
    changes.extend(new.map(|key| (key, 1)));
    changes.sort();
    let backend = db.get_database_backend();
    let marks = |first: usize| -> Vec<String> {
        (first..first + 4).map(|n| if backend == DbBackend::Postgres { format!("${n}") } else { "?".into() }).collect()
    };
    for ((day, owner, kind), delta) in changes {
        let m = marks(1);
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO {TABLE} (day, owner_id, type, activities) VALUES ({}, {}, {}, {}) \
                 ON CONFLICT (day, owner_id, type) DO UPDATE SET activities = {TABLE}.activities + excluded.activities",
                m[0], m[1], m[2], m[3]
            ),
            [day.into(), owner.into(), kind.clone().into(), delta.into()],
        ))
        .await?;
        if delta < 0 {
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "DELETE FROM {TABLE} WHERE day = {} AND owner_id = {} AND type = {} AND activities <= 0",
                    m[0], m[1], m[2]
                ),
                [day.into(), owner.into(), kind.into()],
            ))
            .await?;
        }
    }
    Ok(())
}

/// Rebuilds the rollup from every live activity, on the local days of
/// `calendar`.
pub async fn rebuild(db: &impl ConnectionTrait, calendar: &Calendar) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_unprepared(&format!("DELETE FROM {TABLE}")).await?;
    let day = Calendar::date_sql(backend, &calendar.local_sql(backend, "a.occurred_at", Span::All));
    let owner = if backend == DbBackend::Postgres { "$1" } else { "?" };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        format!(
            "INSERT INTO {TABLE} (day, owner_id, type, activities) \
             SELECT {day}, COALESCE(a.owner_id, {owner}), a.type, COUNT(*) FROM activities a \
             WHERE a.deleted_at IS NULL GROUP BY 1, 2, 3"
        ),
        [NO_OWNER.into()],
    ))
    .await?;
    Ok(())
}

/// Whether activities exist but the rollup holds nothing.
pub async fn missing(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    let sql = format!(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM activities WHERE deleted_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM {TABLE}) THEN 1 ELSE 0 END AS missing"
    );
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    Ok(row.map(|row| row.try_get::<i32>("", "missing")).transpose()?.unwrap_or(0) == 1)
}
