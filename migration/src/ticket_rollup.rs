//! The daily service rollup: for each grain (the whole desk, or one of a
//! ticket's keys: category, priority, channel, assignee) and local day,
//! the tickets created that day (with their ratings), the tickets
//! resolved that day, and two compact blocks of exact values — for each
//! ticket created that day and answered (resolved), the instant it was
//! created and the microseconds to its first response (resolution).
//! Counts and sums add up across days and keys; the blocks hold every
//! value, so the statistics take exact medians and percentiles from them,
//! and the creation instants let a window count only what happened before
//! its end (`resolved before to`), without the tickets.
//!
//! A row keeps its grain's key column and the sentinels of the others
//! (`''`, the nil assignee), so that the statistics filter and group it
//! with one SQL for every grain. The server keeps the rows exact in every
//! ticket write's transaction (`crm::rollup::tickets`) and builds them
//! when the table is empty but tickets exist (after this migration, a bulk
//! load, a change of time zone).

use sea_orm_migration::prelude::*;

/// The table.
pub const TABLE: &str = "ticket_rollup";

/// The sentinel of a ticket without assignee (and of the other grains).
pub const NO_ASSIGNEE: uuid::Uuid = uuid::Uuid::nil();

/// One grain: its name (the `grain` column) and the key it keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grain {
    /// Every ticket, no key.
    Desk,
    Category,
    Priority,
    Channel,
    /// The assigned agent.
    Agent,
}

impl Grain {
    /// Every grain, each maintained alike.
    pub const ALL: [Grain; 5] = [Grain::Desk, Grain::Category, Grain::Priority, Grain::Channel, Grain::Agent];

    pub fn name(self) -> &'static str {
        match self {
            Grain::Desk => "desk",
            Grain::Category => "category",
            Grain::Priority => "priority",
            Grain::Channel => "channel",
            Grain::Agent => "agent",
        }
    }
}

#[derive(DeriveIden)]
enum TicketRollup {
    Grain,
    Category,
    Priority,
    Channel,
    AssigneeId,
    Day,
    Created,
    Resolved,
    CsatResponses,
    CsatSum,
    CsatSatisfied,
    Responses,
    Resolutions,
}

/// The primary key's columns, in their order.
pub const KEY: [&str; 6] = ["grain", "category", "priority", "channel", "assignee_id", "day"];

/// Creates the table (empty: the server fills it).
pub async fn create(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let count = |column: TicketRollup| ColumnDef::new(column).big_integer().not_null().default(0).to_owned();
    manager
        .create_table(
            Table::create()
                .table(Alias::new(TABLE))
                .col(ColumnDef::new(TicketRollup::Grain).string_len(16).not_null())
                .col(ColumnDef::new(TicketRollup::Category).string_len(100).not_null())
                .col(ColumnDef::new(TicketRollup::Priority).string_len(20).not_null())
                .col(ColumnDef::new(TicketRollup::Channel).string_len(100).not_null())
                .col(ColumnDef::new(TicketRollup::AssigneeId).uuid().not_null())
                .col(ColumnDef::new(TicketRollup::Day).date().not_null())
                .col(count(TicketRollup::Created))
                .col(count(TicketRollup::Resolved))
                .col(count(TicketRollup::CsatResponses))
                .col(count(TicketRollup::CsatSum))
                .col(count(TicketRollup::CsatSatisfied))
                .col(ColumnDef::new(TicketRollup::Responses).binary().not_null())
                .col(ColumnDef::new(TicketRollup::Resolutions).binary().not_null())
                .primary_key(
                    Index::create()
                        .col(TicketRollup::Grain)
                        .col(TicketRollup::Category)
                        .col(TicketRollup::Priority)
                        .col(TicketRollup::Channel)
                        .col(TicketRollup::AssigneeId)
                        .col(TicketRollup::Day),
                )
                .to_owned(),
        )
        .await?;
    crate::common::index(manager, TABLE, &["grain", "day"], false).await
}

pub async fn drop(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager.drop_table(Table::drop().table(Alias::new(TABLE)).to_owned()).await
}
