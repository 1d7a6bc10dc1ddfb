//! The per-owner grain of the daily sales rollup (no category, channel or
//! region): what the per-person statistics read. Created empty; the
//! server builds it on the organization's days (`crm::rollup`). And the
//! opportunities by owner and close time, which the same statistics read
//! for a few people (the dashboard's top five) over long windows.

use sea_orm_migration::prelude::*;

use crate::sales_rollup::{OWNERS, create};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create(manager, OWNERS, false).await?;
        crate::common::index(manager, "opportunities", &["owner_id", "closed_at"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop().name("ix_opportunities_owner_id_closed_at").table(Alias::new("opportunities")).to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(Alias::new(OWNERS.table)).to_owned()).await
    }
}
