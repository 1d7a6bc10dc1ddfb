//! Users, teams and refresh tokens: what authentication and authorization
//! need before any CRM record exists.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::common::{Common, id_pk, record_columns, record_indexes};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Teams {
    Table,
    Name,
    ManagerId,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Name,
    Email,
    PasswordHash,
    Role,
    TeamId,
    Active,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    ReplacedBy,
}

fn manager_fk() -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name("fk_teams_manager_id")
        .from(Teams::Table, Teams::ManagerId)
        .to(Users::Table, Common::Id)
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sqlite = manager.get_database_backend() == DbBackend::Sqlite;

        // Teams and users reference each other (a team's manager, a user's
        // team). SQLite cannot add a constraint later but accepts a
        // reference to a table created afterwards; PostgreSQL needs the
        // constraint added once both tables exist.
        let mut teams = Table::create();
        teams
            .table(Teams::Table)
            .if_not_exists()
            .col(id_pk())
            .col(ColumnDef::new(Teams::Name).string_len(200).not_null())
            .col(ColumnDef::new(Teams::ManagerId).uuid().null());
        record_columns(&mut teams);
        if sqlite {
            teams.foreign_key(&mut manager_fk());
        }
        manager.create_table(teams.to_owned()).await?;

        let mut users = Table::create();
        users
            .table(Users::Table)
            .if_not_exists()
            .col(id_pk())
            .col(ColumnDef::new(Users::Name).string_len(200).not_null())
            .col(ColumnDef::new(Users::Email).string_len(254).not_null())
            .col(ColumnDef::new(Users::PasswordHash).string_len(200).not_null())
            .col(ColumnDef::new(Users::Role).string_len(20).not_null())
            .col(ColumnDef::new(Users::TeamId).uuid().null())
            .col(ColumnDef::new(Users::Active).boolean().not_null().default(true))
            .col(ColumnDef::new(Users::LastLoginAt).timestamp_with_time_zone().null())
            .foreign_key(
                ForeignKey::create()
                    .name("fk_users_team_id")
                    .from(Users::Table, Users::TeamId)
                    .to(Teams::Table, Common::Id)
                    .on_delete(ForeignKeyAction::SetNull),
            );
        record_columns(&mut users);
        manager.create_table(users.to_owned()).await?;
        if !sqlite {
            manager.create_foreign_key(manager_fk()).await?;
        }

        for (name, table, col, unique) in [
            ("ux_users_email", "users", "email", true),
            ("ix_users_role", "users", "role", false),
            ("ix_users_team_id", "users", "team_id", false),
            ("ux_teams_name", "teams", "name", true),
            ("ix_teams_manager_id", "teams", "manager_id", false),
        ] {
            let mut index = Index::create();
            index.name(name).table(Alias::new(table)).col(Alias::new(col));
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        record_indexes(manager, "users").await?;
        record_indexes(manager, "teams").await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(RefreshTokens::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(RefreshTokens::UserId).uuid().not_null())
                    .col(ColumnDef::new(RefreshTokens::TokenHash).string_len(64).not_null())
                    .col(ColumnDef::new(RefreshTokens::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(RefreshTokens::ExpiresAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(RefreshTokens::RevokedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(RefreshTokens::ReplacedBy).uuid().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_tokens_user_id")
                            .from(RefreshTokens::Table, RefreshTokens::UserId)
                            .to(Users::Table, Common::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_refresh_tokens_token_hash")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_refresh_tokens_user_id")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RefreshTokens::Table).to_owned()).await?;
        if manager.get_database_backend() != DbBackend::Sqlite {
            manager
                .drop_foreign_key(ForeignKey::drop().name("fk_teams_manager_id").table(Teams::Table).to_owned())
                .await?;
        }
        manager.drop_table(Table::drop().table(Users::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Teams::Table).to_owned()).await
    }
}
