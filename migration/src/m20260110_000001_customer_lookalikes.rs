//! An index for finding a customer by name and city whatever their case,
//! as the CSV import's duplicate check does (email and phone digits are
//! stored normalized and indexed already).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // An expression index: both databases have them; sea-query does not write them.
        manager
            .get_connection()
            .execute_unprepared("CREATE INDEX ix_customers_lower_name_city ON customers (LOWER(name), LOWER(city))")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP INDEX ix_customers_lower_name_city").await?;
        Ok(())
    }
}
