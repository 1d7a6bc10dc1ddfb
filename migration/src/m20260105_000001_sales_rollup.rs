//! The daily sales rollup the sales statistics read for whole days (see
//! `sales_rollup`), filled from the orders already there.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::sales_rollup::create(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_orders_sales").table(Alias::new("orders")).to_owned()).await?;
        manager.drop_table(Table::drop().table(Alias::new(crate::sales_rollup::TABLE)).to_owned()).await
    }
}
