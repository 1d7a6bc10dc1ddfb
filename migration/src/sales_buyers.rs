//! The distinct buyers of the daily sales rollup: for each grain (one of
//! the rollup's keys: channel, region, product category, owner) and local
//! day, the set of customers with a counted order line of that key that
//! day, as a Roaring bitmap of their dense numbers (`customer_numbers`).
//! Distinct buyers are not additive, but sets are: a statistic ORs the
//! bitmaps of the days and keys it covers and counts the result, exactly.
//!
//! A row keeps the rollup's key columns with the sentinels of the
//! others (`''`, the nil owner), so that the statistics filter and group
//! it with the very SQL they use on the rollup. Each (grain, key, day) is
//! split into [`SHARDS`] rows by customer number (`shard` = number mod
//! 16): the orders of one busy day and channel go to different customers
//! and so to different rows, which concurrent writes lock and rewrite
//! without waiting for each other, and each row stays small. The server
//! keeps the rows exact in every order write's transaction
//! (`crm::rollup`) and builds them when the table is empty (after this
//! migration, a bulk load, a change of time zone).

use sea_orm_migration::prelude::*;

/// The table of bitmaps.
pub const TABLE: &str = "sales_buyers";

/// The table of customer numbers: a dense integer per customer who ever
/// had a counted order, assigned on first need and never changed.
pub const NUMBERS: &str = "customer_numbers";

/// Rows per (grain, key, day).
pub const SHARDS: u32 = 16;

/// One grain: its name (the `grain` column) and the key columns it keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grain {
    Channel,
    Region,
    Category,
    Owner,
}

impl Grain {
    /// Every grain, each maintained alike.
    pub const ALL: [Grain; 4] = [Grain::Channel, Grain::Region, Grain::Category, Grain::Owner];

    pub fn name(self) -> &'static str {
        match self {
            Grain::Channel => "channel",
            Grain::Region => "region",
            Grain::Category => "category",
            Grain::Owner => "owner",
        }
    }
}

#[derive(DeriveIden)]
enum SalesBuyers {
    Grain,
    Category,
    Channel,
    Region,
    OwnerId,
    Day,
    Shard,
    Customers,
}

#[derive(DeriveIden)]
enum CustomerNumbers {
    Number,
    CustomerId,
}

/// The primary key's columns, in their order.
pub const KEY: [&str; 7] = ["grain", "category", "channel", "region", "owner_id", "day", "shard"];

/// Creates both tables (empty: the server fills them).
pub async fn create(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Alias::new(NUMBERS))
                .col(ColumnDef::new(CustomerNumbers::Number).integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(CustomerNumbers::CustomerId).uuid().not_null())
                .to_owned(),
        )
        .await?;
    crate::common::index(manager, NUMBERS, &["customer_id"], true).await?;
    manager
        .create_table(
            Table::create()
                .table(Alias::new(TABLE))
                .col(ColumnDef::new(SalesBuyers::Grain).string_len(16).not_null())
                .col(ColumnDef::new(SalesBuyers::Category).string_len(100).not_null())
                .col(ColumnDef::new(SalesBuyers::Channel).string_len(100).not_null())
                .col(ColumnDef::new(SalesBuyers::Region).string_len(100).not_null())
                .col(ColumnDef::new(SalesBuyers::OwnerId).uuid().not_null())
                .col(ColumnDef::new(SalesBuyers::Day).date().not_null())
                .col(ColumnDef::new(SalesBuyers::Shard).small_integer().not_null())
                .col(ColumnDef::new(SalesBuyers::Customers).binary().not_null())
                .primary_key(
                    Index::create()
                        .col(SalesBuyers::Grain)
                        .col(SalesBuyers::Category)
                        .col(SalesBuyers::Channel)
                        .col(SalesBuyers::Region)
                        .col(SalesBuyers::OwnerId)
                        .col(SalesBuyers::Day)
                        .col(SalesBuyers::Shard),
                )
                .to_owned(),
        )
        .await?;
    crate::common::index(manager, TABLE, &["grain", "day"], false).await
}

pub async fn drop(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager.drop_table(Table::drop().table(Alias::new(TABLE)).to_owned()).await?;
    manager.drop_table(Table::drop().table(Alias::new(NUMBERS)).to_owned()).await
}
