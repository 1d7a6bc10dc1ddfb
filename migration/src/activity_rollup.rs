//! The daily activity rollup: per local day, owner and activity type, the
//! live activities that occurred then — what the per-person statistics
//! count instead of the activities of a window. The nil UUID stands for
//! an activity without owner. The server keeps it exact in every activity
//! write's transaction (`crm::rollup::activities`) and builds it when
//! activities exist but the table is empty (after this migration, a bulk
//! load, a change of time zone).

use sea_orm_migration::prelude::*;

/// The table.
pub const TABLE: &str = "activity_rollup";

#[derive(DeriveIden)]
enum ActivityRollup {
    Day,
    OwnerId,
    Type,
    Activities,
}

/// Creates the table (empty: the server fills it).
pub async fn create(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Alias::new(TABLE))
                .col(ColumnDef::new(ActivityRollup::Day).date().not_null())
                .col(ColumnDef::new(ActivityRollup::OwnerId).uuid().not_null())
                .col(ColumnDef::new(ActivityRollup::Type).string_len(20).not_null())
                .col(ColumnDef::new(ActivityRollup::Activities).big_integer().not_null())
                .primary_key(
                    Index::create().col(ActivityRollup::Day).col(ActivityRollup::OwnerId).col(ActivityRollup::Type),
                )
                .to_owned(),
        )
        .await?;
    crate::common::index(manager, TABLE, &["owner_id", "day"], false).await
}

pub async fn drop(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager.drop_table(Table::drop().table(Alias::new(TABLE)).to_owned()).await
}
