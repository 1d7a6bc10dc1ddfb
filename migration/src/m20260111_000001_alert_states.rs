//! The alerts last seen by the evaluator, so that an alert appearing (or
//! clearing) is announced once to webhook subscribers.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum AlertStates {
    Table,
    Rule,
    RecordId,
    Severity,
    RaisedAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AlertStates::Table)
                    .col(ColumnDef::new(AlertStates::Rule).string_len(50).not_null())
                    .col(ColumnDef::new(AlertStates::RecordId).uuid().not_null())
                    .col(ColumnDef::new(AlertStates::Severity).string_len(20).not_null())
                    .col(ColumnDef::new(AlertStates::RaisedAt).timestamp_with_time_zone().not_null())
                    .primary_key(Index::create().col(AlertStates::Rule).col(AlertStates::RecordId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AlertStates::Table).to_owned()).await
    }
}
