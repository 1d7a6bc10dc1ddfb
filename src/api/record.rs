//! What every CRM record table shares — `id`, `created_at`, `updated_at`,
//! `version`, `deleted_at` — and the writes built on them: version-guarded
//! updates (optimistic concurrency) and soft deletes.

use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, QueryFilter, Value};
use uuid::Uuid;

use crate::domain::time::now;
use crate::error::{AppError, AppResult};

/// A table with the bookkeeping columns of a CRM record.
pub trait RecordEntity: EntityTrait {
    const ID: Self::Column;
    const CREATED_AT: Self::Column;
    const UPDATED_AT: Self::Column;
    const VERSION: Self::Column;
    const DELETED_AT: Self::Column;
}

macro_rules! record_entity {
    ($($module:ident),*) => {$(
        impl RecordEntity for entity::$module::Entity {
            const ID: Self::Column = entity::$module::Column::Id;
            const CREATED_AT: Self::Column = entity::$module::Column::CreatedAt;
            const UPDATED_AT: Self::Column = entity::$module::Column::UpdatedAt;
            const VERSION: Self::Column = entity::$module::Column::Version;
            const DELETED_AT: Self::Column = entity::$module::Column::DeletedAt;
        }
    )*};
}

/// The id of a record's row.
pub fn id_of<E: RecordEntity>(row: &E::Model) -> Uuid {
    match row.get(E::ID) {
        Value::Uuid(Some(id)) => id,
        _ => Uuid::nil(),
    }
}

/// The version (the `ETag`) of a record's row.
pub fn version_of<E: RecordEntity>(row: &E::Model) -> i64 {
    match row.get(E::VERSION) {
        Value::BigInt(Some(version)) => version,
        _ => 0,
    }
}

record_entity!(
    user,
    team,
    customer,
    contact,
    product,
    order,
    campaign,
    campaign_member,
    lead,
    opportunity,
    activity,
    ticket,
    feedback,
    target,
    task
);

pub fn changed_meanwhile() -> AppError {
    AppError::PreconditionFailed("The record was changed by another request; fetch it again and retry.".into())
}

/// Holds row `id` until the write's transaction ends (PostgreSQL `FOR NO
/// KEY UPDATE`; SQLite's write transaction already holds the database), so
/// that concurrent changes of one record take turns instead of the later
/// failing its version guard (see `resource::get_for_update`).
pub async fn lock_row<E: RecordEntity>(db: &impl ConnectionTrait, id: Uuid) -> AppResult<()> {
    use sea_orm::QuerySelect;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        E::find()
            .select_only()
            .column(E::ID)
            .filter(E::ID.eq(id))
            .lock(sea_orm::sea_query::LockType::NoKeyUpdate)
            .into_tuple::<Uuid>()
            .one(db)
            .await?;
    }
    Ok(())
}

/// The live (not deleted) record `id`, or 404 naming `what`.
pub async fn find_live<E: RecordEntity>(db: &impl ConnectionTrait, id: Uuid, what: &str) -> AppResult<E::Model> {
    E::find()
        .filter(E::ID.eq(id))
        .filter(E::DELETED_AT.is_null())
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(what))
}

/// Writes the changed fields of `changes` to record `id`, bumping
/// `version` and `updated_at`, only if the record is still at
/// `current_version`: of two concurrent writers on one version, the second
/// gets 412 instead of silently overwriting the first.
pub async fn update_guarded<E, A>(
    db: &impl ConnectionTrait,
    mut changes: A,
    id: Uuid,
    current_version: i64,
) -> AppResult<E::Model>
where
    E: RecordEntity,
    A: ActiveModelTrait<Entity = E> + Send,
{
    changes.set(E::UPDATED_AT, now().into());
    changes.set(E::VERSION, (current_version + 1).into());
    let result =
        E::update_many().set(changes).filter(E::ID.eq(id)).filter(E::VERSION.eq(current_version)).exec(db).await?;
    if result.rows_affected == 0 {
        return Err(changed_meanwhile());
    }
    E::find().filter(E::ID.eq(id)).one(db).await?.ok_or_else(changed_meanwhile)
}

/// Marks record `id` deleted (a tombstone sync clients see), with the same
/// version guard as `update_guarded`, setting `extra` columns as well.
pub async fn soft_delete_guarded<E: RecordEntity>(
    db: &impl ConnectionTrait,
    id: Uuid,
    current_version: i64,
    extra: Vec<(E::Column, SimpleExpr)>,
) -> AppResult<()> {
    let at = now();
    let mut update = E::update_many()
        .col_expr(E::DELETED_AT, Expr::value(at))
        .col_expr(E::UPDATED_AT, Expr::value(at))
        .col_expr(E::VERSION, Expr::col(E::VERSION).add(1));
    for (column, value) in extra {
        update = update.col_expr(column, value);
    }
    let result = update.filter(E::ID.eq(id)).filter(E::VERSION.eq(current_version)).exec(db).await?;
    if result.rows_affected == 0 {
        return Err(changed_meanwhile());
    }
    Ok(())
}
