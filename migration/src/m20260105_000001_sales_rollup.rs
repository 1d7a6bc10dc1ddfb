//! The daily sales rollup the sales statistics read for whole days (see
//! `sales_rollup`), filled from the orders already there.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::sales_rollup::create(manager, crate::sales_rollup::BY_OWNER).await?;
        // The distinct buyers of a window are not additive: they are counted
        // from the counted orders, which this index holds with their customer.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_orders_sales ON orders (ordered_at, customer_id) \
                 WHERE deleted_at IS NULL AND status IN ('paid', 'completed')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_orders_sales").table(Alias::new("orders")).to_owned()).await?;
        manager.drop_table(Table::drop().table(Alias::new(crate::sales_rollup::BY_OWNER.table)).to_owned()).await
    }
}
