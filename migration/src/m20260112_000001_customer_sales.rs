//! The per-customer sales rollup (see `customer_sales`): counted orders,
//! revenue, first and last order time of each customer.

use sea_orm_migration::prelude::*;

use crate::customer_sales::{TABLE, create};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new(TABLE)).to_owned()).await
    }
}
