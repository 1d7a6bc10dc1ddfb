//! Idempotency keys: the first response to a `POST` sent with an
//! `Idempotency-Key`, kept for 24 hours so that a retry gets it again
//! instead of creating a second record.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    /// Whose key it is (the caller's user id): keys of different callers never meet.
    Scope,
    IdempotencyKey,
    /// SHA-256 of the method, path, query and body of the first request.
    RequestHash,
    /// `NULL` while the first request is being processed.
    Status,
    /// The response headers kept (JSON object).
    Headers,
    Body,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(ColumnDef::new(IdempotencyKeys::Scope).string_len(64).not_null())
                    .col(ColumnDef::new(IdempotencyKeys::IdempotencyKey).string_len(255).not_null())
                    .col(ColumnDef::new(IdempotencyKeys::RequestHash).string_len(64).not_null())
                    .col(ColumnDef::new(IdempotencyKeys::Status).integer().null())
                    .col(ColumnDef::new(IdempotencyKeys::Headers).text().null())
                    .col(ColumnDef::new(IdempotencyKeys::Body).blob().null())
                    .col(ColumnDef::new(IdempotencyKeys::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(IdempotencyKeys::ExpiresAt).timestamp_with_time_zone().not_null())
                    .primary_key(Index::create().col(IdempotencyKeys::Scope).col(IdempotencyKeys::IdempotencyKey))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_idempotency_keys_expires_at")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned()).await
    }
}
