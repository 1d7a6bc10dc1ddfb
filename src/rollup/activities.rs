//! Keeping the daily activity rollup exact (see
//! `migration::activity_rollup`): an activity counts once on the row of
//! its local day, owner and type while it is live, so a write takes the
//! old activity's count away and adds the new one's, in its own
//! transaction, rows in key order; a rebuild counts every activity.

use chrono::NaiveDate;
use entity::activity;
use migration::activity_rollup::TABLE;
use migration::sales_rollup::NO_OWNER;
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::calendar::{Calendar, Span};
use crate::sql::Sql;

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
    for ((day, owner, kind), delta) in changes {
        let mut sql = Sql::new(db.get_database_backend());
        sql.push(&format!("INSERT INTO {TABLE} (day, owner_id, type, activities) VALUES ("))
            .bind(day)
            .push(", ")
            .bind(owner)
            .push(", ")
            .bind(kind.clone())
            .push(", ")
            .bind(delta)
            .push(&format!(
                ") ON CONFLICT (day, owner_id, type) DO UPDATE SET activities = {TABLE}.activities + excluded.activities"
            ));
        db.execute_raw(sql.statement()).await?;
        if delta < 0 {
            let mut sql = Sql::new(db.get_database_backend());
            sql.push(&format!("DELETE FROM {TABLE} WHERE day = "))
                .bind(day)
                .push(" AND owner_id = ")
                .bind(owner)
                .push(" AND type = ")
                .bind(kind)
                .push(" AND activities <= 0");
            db.execute_raw(sql.statement()).await?;
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
    let mut sql = Sql::new(backend);
    sql.push(&format!("INSERT INTO {TABLE} (day, owner_id, type, activities) SELECT {day}, COALESCE(a.owner_id, "))
        .bind(NO_OWNER)
        .push("), a.type, COUNT(*) FROM activities a WHERE a.deleted_at IS NULL GROUP BY 1, 2, 3");
    db.execute_raw(sql.statement()).await?;
    Ok(())
}
