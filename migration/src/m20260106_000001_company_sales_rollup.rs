//! The company-wide grain of the daily sales rollup (no owner): what the
//! unscoped statistics read, a few hundred rows a day whatever the size of
//! the sales force (the per-owner grain grows with it).

use sea_orm_migration::prelude::*;

use crate::sales_rollup::{COMPANY, create};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create(manager, COMPANY, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new(COMPANY.table)).to_owned()).await
    }
}
