//! Column helpers shared by every table, so that each record carries the
//! same bookkeeping columns with the same types on both databases.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
pub enum Common {
    Id,
    ExternalId,
    CreatedAt,
    UpdatedAt,
    Version,
    DeletedAt,
}

/// A UUID (v7) primary key.
pub fn id_pk() -> ColumnDef {
    ColumnDef::new(Common::Id).uuid().not_null().primary_key().take()
}

/// The bookkeeping columns every CRM record has: `external_id` for ERP
/// sync, creation/update times, the optimistic-concurrency `version` and the
/// soft-delete tombstone.
pub fn record_columns(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(ColumnDef::new(Common::ExternalId).string_len(200).null())
        .col(ColumnDef::new(Common::CreatedAt).timestamp_with_time_zone().not_null())
        .col(ColumnDef::new(Common::UpdatedAt).timestamp_with_time_zone().not_null())
        .col(ColumnDef::new(Common::Version).big_integer().not_null().default(1))
        .col(ColumnDef::new(Common::DeletedAt).timestamp_with_time_zone().null())
}

/// The indexes every record table gets: unique `external_id` and the
/// `(updated_at, id)` order incremental sync reads in.
pub async fn record_indexes(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    manager
        .create_index(
            Index::create()
                .name(format!("ux_{table}_external_id"))
                .table(Alias::new(table))
                .col(Common::ExternalId)
                .unique()
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name(format!("ix_{table}_updated_at_id"))
                .table(Alias::new(table))
                .col(Common::UpdatedAt)
                .col(Common::Id)
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name(format!("ix_{table}_created_at_id"))
                .table(Alias::new(table))
                .col(Common::CreatedAt)
                .col(Common::Id)
                .to_owned(),
        )
        .await
}

/// A plain (or unique) index named after its table and columns:
/// `ix_orders_owner_id_ordered_at`, `ux_products_sku`. The unique names are
/// how a constraint violation is traced back to a field.
pub async fn index(manager: &SchemaManager<'_>, table: &str, columns: &[&str], unique: bool) -> Result<(), DbErr> {
    let prefix = if unique { "ux" } else { "ix" };
    let mut statement = Index::create();
    statement.name(format!("{prefix}_{table}_{}", columns.join("_"))).table(Alias::new(table));
    for column in columns {
        statement.col(Alias::new(*column));
    }
    if unique {
        statement.unique();
    }
    manager.create_index(statement.to_owned()).await
}
