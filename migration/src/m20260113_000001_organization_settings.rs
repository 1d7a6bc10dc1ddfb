//! The organization's settings: one row (`id` = 1) holding its calendar —
//! time zone, week start, fiscal year start and how fiscal years are
//! named — with a version for `If-Match`. The server writes the row on its
//! first start (from `CRM_TIME_ZONE`); the rollups keep local days of the
//! zone stored here (`sales_rollup`).

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum OrganizationSettings {
    Table,
    Id,
    TimeZone,
    WeekStart,
    FiscalYearStartMonth,
    FiscalYearLabel,
    Version,
    UpdatedAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrganizationSettings::Table)
                    .col(ColumnDef::new(OrganizationSettings::Id).integer().not_null().primary_key())
                    .col(ColumnDef::new(OrganizationSettings::TimeZone).string_len(64).not_null())
                    .col(ColumnDef::new(OrganizationSettings::WeekStart).string_len(10).not_null())
                    .col(ColumnDef::new(OrganizationSettings::FiscalYearStartMonth).integer().not_null())
                    .col(ColumnDef::new(OrganizationSettings::FiscalYearLabel).string_len(10).not_null())
                    .col(ColumnDef::new(OrganizationSettings::Version).big_integer().not_null())
                    .col(ColumnDef::new(OrganizationSettings::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OrganizationSettings::Table).to_owned()).await
    }
}
