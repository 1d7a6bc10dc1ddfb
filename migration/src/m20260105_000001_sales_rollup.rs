//! The daily sales rollup the sales statistics read for whole days (see
//! `sales_rollup`), filled from the orders already there.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::sales_rollup::create(manager, crate::sales_rollup::BY_OWNER, true).await?;
        // The distinct buyers of a window are not additive: they are counted
        // from the counted orders, which this index covers (status, time,
        // customer and the tombstone) so that both databases read it alone.
        // It replaces the (status, ordered_at) index it extends.
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ix_orders_status_ordered_at").await?;
        db.execute_unprepared("CREATE INDEX ix_orders_sales ON orders (status, ordered_at, customer_id, deleted_at)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ix_orders_sales").await?;
        db.execute_unprepared("CREATE INDEX ix_orders_status_ordered_at ON orders (status, ordered_at)").await?;
        manager.drop_table(Table::drop().table(Alias::new(crate::sales_rollup::BY_OWNER.table)).to_owned()).await
    }
}
