use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::dto::{AuditEntry, AuditQuery};
use crate::api::list::{DEFAULT_LIMIT, Page};
use crate::auth::AuthUser;
use crate::domain::time::now;
use crate::error::{AppError, AppResult};
use entity::audit_log::{self, Column};

/// Fields that change on every write and say nothing about it.
const NOISE: &[&str] = &["version", "updated_at"];

/// The fields that differ between two JSON snapshots of a record:
/// `{"field": {"before": .., "after": ..}}`. With no `before` (a creation)
/// only `after` is given, with no `after` (a deletion) only `before`.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Value {
    let empty = Map::new();
    let before_map = before.and_then(Value::as_object).unwrap_or(&empty);
    let after_map = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut changes = Map::new();
    let mut keys: Vec<&String> = before_map.keys().chain(after_map.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        if NOISE.contains(&key.as_str()) {
            continue;
        }
        let (old, new) = (before_map.get(key), after_map.get(key));
        if old == new {
            continue;
        }
        let mut change = Map::new();
        if before.is_some() {
            change.insert("before".into(), old.cloned().unwrap_or(Value::Null));
        }
        if after.is_some() {
            change.insert("after".into(), new.cloned().unwrap_or(Value::Null));
        }
        changes.insert(key.clone(), Value::Object(change));
    }
    Value::Object(changes)
}

/// Appends an entry; call it inside the transaction of the change. A
/// change that changed nothing leaves no entry.
pub async fn record(
    db: &impl ConnectionTrait,
    resource: &str,
    record_id: Uuid,
    action: &str,
    actor_id: Option<Uuid>,
    changes: Value,
) -> AppResult<()> {
    if action != "create" && action != "delete" && changes.as_object().is_some_and(Map::is_empty) {
        return Ok(());
    }
    audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        resource: Set(resource.to_string()),
        record_id: Set(record_id),
        action: Set(action.to_string()),
        actor_id: Set(actor_id),
        at: Set(now()),
        changes: Set(changes.to_string()),
    }
    .insert(db)
    .await?;
    // The webhooks' outbox, in the same transaction as the change.
    crate::webhooks::enqueue(db, resource, record_id, action, actor_id, &changes).await?;
    Ok(())
}

/// A single-field change, for actions that are not plain updates.
pub fn change(field: &str, before: Value, after: Value) -> Value {
    json!({ field: {"before": before, "after": after} })
}

/// Newest first; admins see everything, managers the changes made by the
/// members of their team. Ids are time-ordered (UUID v7), so the id is the
/// cursor.
pub async fn list(db: &impl ConnectionTrait, caller: &AuthUser, query: &AuditQuery) -> AppResult<Page<AuditEntry>> {
    let mut select = audit_log::Entity::find();
    if !caller.is_admin() {
        select = select.filter(
            Condition::any()
                .add(Column::ActorId.eq(caller.id))
                .add(Column::ActorId.in_subquery(crate::auth::scope::team_members(caller.id))),
        );
    }
    if let Some(resource) = &query.resource {
        select = select.filter(Column::Resource.eq(resource.as_str()));
    }
    if let Some(record_id) = query.record_id {
        select = select.filter(Column::RecordId.eq(record_id));
    }
    if let Some(actor_id) = query.actor_id {
        select = select.filter(Column::ActorId.eq(actor_id));
    }
    if let Some(action) = &query.action {
        select = select.filter(Column::Action.eq(action.as_str()));
    }
    if let Some(cursor) = &query.cursor {
        let last: Uuid = cursor
            .parse()
            .map_err(|_| AppError::validation("cursor", "invalid_value", "is not a cursor of this list"))?;
        select = select.filter(Column::Id.lt(last));
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let mut rows = select.order_by_desc(Column::Id).limit(limit + 1).all(db).await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id.to_string())
    } else {
        None
    };
    Ok(Page { data: rows.into_iter().map(AuditEntry::from).collect(), next_cursor, total: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_name_changed_fields_only() {
        let before = json!({"name": "A", "status": "pending", "version": 1, "owner_id": null});
        let after = json!({"name": "A", "status": "paid", "version": 2, "owner_id": "x"});
        assert_eq!(
            diff(Some(&before), Some(&after)),
            json!({"owner_id": {"before": null, "after": "x"}, "status": {"before": "pending", "after": "paid"}})
        );
        assert_eq!(diff(None, Some(&json!({"name": "A"}))), json!({"name": {"after": "A"}}));
        assert_eq!(diff(Some(&json!({"name": "A"})), None), json!({"name": {"before": "A"}}));
    }
}
