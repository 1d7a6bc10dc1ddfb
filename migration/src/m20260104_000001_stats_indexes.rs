//! Indexes the statistics need beyond those of the record tables: employee
//! performance counts every assignee's tasks due in a window, which the
//! `(assignee_id, due_at)` index serves only by walking it whole.

use sea_orm_migration::prelude::*;

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(manager, "tasks", &["due_at"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_tasks_due_at").table(Alias::new("tasks")).to_owned()).await
    }
}
