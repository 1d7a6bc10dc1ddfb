//! Campaigns and their members, leads, opportunities with stage history,
//! activities, tickets, feedback, sales targets and tasks. Money columns
//! are BIGINT cents; probabilities are integer basis points (1/10,000).

use sea_orm_migration::prelude::*;

use crate::common::{Common, id_pk, index, record_columns, record_indexes};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn string(name: &str, len: u32) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).string_len(len).not_null().take()
}
fn string_null(name: &str, len: u32) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).string_len(len).null().take()
}
fn text_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().null().take()
}
fn uuid(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).uuid().not_null().take()
}
fn uuid_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).uuid().null().take()
}
fn time(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).timestamp_with_time_zone().not_null().take()
}
fn time_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).timestamp_with_time_zone().null().take()
}
fn date(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).date().not_null().take()
}
fn date_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).date().null().take()
}
fn bigint(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().take()
}
fn bigint_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().null().take()
}
fn int_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).integer().null().take()
}

/// A foreign key `table.column → target.id`.
fn fk(table: &str, column: &str, target: &str, on_delete: ForeignKeyAction) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(Alias::new(table), Alias::new(column))
        .to(Alias::new(target), Common::Id)
        .on_delete(on_delete)
        .to_owned()
}

/// Creates a CRM record table: id, the given columns and foreign keys,
/// then the bookkeeping columns and their indexes.
async fn record_table(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: Vec<ColumnDef>,
    foreign_keys: Vec<(&str, &str, ForeignKeyAction)>,
) -> Result<(), DbErr> {
    let mut statement = Table::create();
    statement.table(Alias::new(table)).if_not_exists().col(id_pk());
    for mut column in columns {
        statement.col(&mut column);
    }
    for (column, target, on_delete) in foreign_keys {
        statement.foreign_key(&mut fk(table, column, target, on_delete));
    }
    record_columns(&mut statement);
    manager.create_table(statement.to_owned()).await?;
    record_indexes(manager, table).await
}

use ForeignKeyAction::{Cascade, Restrict, SetNull};

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        record_table(
            manager,
            "campaigns",
            vec![
                string("name", 200),
                string_null("channel", 100),
                string("status", 20),
                date("start_date"),
                date_null("end_date"),
                bigint_null("budget"),
                bigint("actual_cost"),
                bigint("impressions"),
                bigint("clicks"),
            ],
            vec![],
        )
        .await?;
        index(manager, "campaigns", &["channel"], false).await?;
        index(manager, "campaigns", &["start_date", "end_date"], false).await?;

        record_table(
            manager,
            "leads",
            vec![
                string("name", 200),
                string_null("company", 200),
                string_null("email", 254),
                string_null("phone", 50),
                string_null("source", 100),
                uuid_null("campaign_id"),
                string("status", 20),
                uuid_null("owner_id"),
                uuid_null("converted_customer_id"),
                time_null("converted_at"),
            ],
            vec![
                ("campaign_id", "campaigns", SetNull),
                ("owner_id", "users", SetNull),
                ("converted_customer_id", "customers", SetNull),
            ],
        )
        .await?;
        for cols in
            [&["owner_id"][..], &["campaign_id"], &["status"], &["source", "created_at"], &["converted_customer_id"]]
        {
            index(manager, "leads", cols, false).await?;
        }

        record_table(
            manager,
            "campaign_members",
            vec![uuid("campaign_id"), uuid_null("customer_id"), uuid_null("lead_id"), string("status", 20)],
            vec![
                ("campaign_id", "campaigns", Cascade),
                ("customer_id", "customers", Cascade),
                ("lead_id", "leads", Cascade),
            ],
        )
        .await?;
        index(manager, "campaign_members", &["campaign_id", "customer_id"], false).await?;
        index(manager, "campaign_members", &["campaign_id", "lead_id"], false).await?;
        index(manager, "campaign_members", &["customer_id"], false).await?;
        index(manager, "campaign_members", &["lead_id"], false).await?;

        record_table(
            manager,
            "opportunities",
            vec![
                uuid("customer_id"),
                string("name", 200),
                bigint("amount"),
                string("stage", 20),
                ColumnDef::new(Alias::new("probability_bp")).integer().not_null().take(),
                date_null("expected_close_date"),
                uuid_null("owner_id"),
                uuid_null("campaign_id"),
                time_null("closed_at"),
                text_null("lost_reason"),
            ],
            vec![
                ("customer_id", "customers", Restrict),
                ("owner_id", "users", SetNull),
                ("campaign_id", "campaigns", SetNull),
            ],
        )
        .await?;
        for cols in [
            &["customer_id"][..],
            &["owner_id", "created_at"],
            &["stage"],
            &["campaign_id"],
            &["closed_at"],
            &["expected_close_date"],
        ] {
            index(manager, "opportunities", cols, false).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("opportunity_stage_history"))
                    .if_not_exists()
                    .col(ColumnDef::new(Common::Id).uuid().not_null().primary_key())
                    .col(uuid("opportunity_id"))
                    .col(string_null("from_stage", 20))
                    .col(string("stage", 20))
                    .col(time("changed_at"))
                    .col(uuid_null("changed_by"))
                    .foreign_key(&mut fk("opportunity_stage_history", "opportunity_id", "opportunities", Cascade))
                    .to_owned(),
            )
            .await?;
        index(manager, "opportunity_stage_history", &["opportunity_id", "changed_at"], false).await?;

        record_table(
            manager,
            "activities",
            vec![
                string("type", 20),
                string_null("direction", 20),
                uuid_null("customer_id"),
                uuid_null("contact_id"),
                uuid_null("opportunity_id"),
                uuid_null("owner_id"),
                string("subject", 300),
                time("occurred_at"),
                int_null("duration_minutes"),
                text_null("outcome"),
            ],
            vec![
                ("customer_id", "customers", SetNull),
                ("contact_id", "contacts", SetNull),
                ("opportunity_id", "opportunities", SetNull),
                ("owner_id", "users", SetNull),
            ],
        )
        .await?;
        for cols in
            [&["customer_id", "occurred_at"][..], &["owner_id", "occurred_at"], &["opportunity_id"], &["occurred_at"]]
        {
            index(manager, "activities", cols, false).await?;
        }

        record_table(
            manager,
            "tickets",
            vec![
                uuid("customer_id"),
                string("subject", 300),
                text_null("description"),
                string_null("category", 100),
                string("priority", 20),
                string_null("channel", 100),
                string("status", 20),
                uuid_null("assignee_id"),
                time_null("first_response_at"),
                time_null("resolved_at"),
                time_null("closed_at"),
                int_null("satisfaction_score"),
                text_null("satisfaction_comment"),
            ],
            vec![("customer_id", "customers", Restrict), ("assignee_id", "users", SetNull)],
        )
        .await?;
        for cols in [
            &["customer_id"][..],
            &["assignee_id", "created_at"],
            &["status"],
            &["priority", "created_at"],
            &["resolved_at"],
        ] {
            index(manager, "tickets", cols, false).await?;
        }

        record_table(
            manager,
            "feedback",
            vec![
                uuid("customer_id"),
                ColumnDef::new(Alias::new("score")).integer().not_null().take(),
                text_null("comment"),
                string_null("channel", 100),
                time("submitted_at"),
            ],
            vec![("customer_id", "customers", Restrict)],
        )
        .await?;
        index(manager, "feedback", &["customer_id"], false).await?;
        index(manager, "feedback", &["submitted_at"], false).await?;

        record_table(
            manager,
            "targets",
            vec![
                uuid_null("owner_id"),
                uuid_null("team_id"),
                string("period", 20),
                date("period_start"),
                string("metric", 30),
                bigint("target_value"),
            ],
            vec![("owner_id", "users", Cascade), ("team_id", "teams", Cascade)],
        )
        .await?;
        index(manager, "targets", &["owner_id", "period_start"], false).await?;
        index(manager, "targets", &["team_id", "period_start"], false).await?;

        record_table(
            manager,
            "tasks",
            vec![
                string("title", 300),
                uuid_null("assignee_id"),
                string_null("related_type", 30),
                uuid_null("related_id"),
                time_null("due_at"),
                time_null("completed_at"),
                string("status", 20),
            ],
            vec![("assignee_id", "users", SetNull)],
        )
        .await?;
        index(manager, "tasks", &["assignee_id", "due_at"], false).await?;
        index(manager, "tasks", &["related_type", "related_id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "tasks",
            "targets",
            "feedback",
            "tickets",
            "activities",
            "opportunity_stage_history",
            "opportunities",
            "campaign_members",
            "leads",
            "campaigns",
        ] {
            manager.drop_table(Table::drop().table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
