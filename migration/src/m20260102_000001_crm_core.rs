//! Customers, contacts, products, orders with their items, and the audit
//! log. Money columns are BIGINT cents: exact on both databases (SQLite
//! would store NUMERIC as a binary float).

use sea_orm_migration::prelude::*;

use crate::common::{Common, id_pk, index, record_columns, record_indexes};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Kind,
    Name,
    Gender,
    BirthDate,
    Occupation,
    Industry,
    Phone,
    PhoneDigits,
    Email,
    Address,
    City,
    Region,
    Country,
    Source,
    Segment,
    LifecycleStage,
    OwnerId,
    Tags,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    CustomerId,
    Name,
    Title,
    Phone,
    Email,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Sku,
    Name,
    Category,
    UnitPrice,
    UnitCost,
    Active,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    CustomerId,
    OwnerId,
    Channel,
    Region,
    Status,
    OrderedAt,
    TotalAmount,
    TotalCost,
}

#[derive(DeriveIden)]
enum OrderItems {
    Table,
    Id,
    OrderId,
    Position,
    ProductId,
    Quantity,
    UnitPrice,
    UnitCost,
    Discount,
    LineAmount,
    LineCost,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Resource,
    RecordId,
    Action,
    ActorId,
    At,
    Changes,
}

#[derive(DeriveIden)]
enum Users {
    Table,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to, Common::Id).on_delete(on_delete).to_owned()
}

fn text(column: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(column).string_len(len).null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut customers = Table::create();
        customers
            .table(Customers::Table)
            .if_not_exists()
            .col(id_pk())
            .col(ColumnDef::new(Customers::Kind).string_len(20).not_null())
            .col(ColumnDef::new(Customers::Name).string_len(200).not_null())
            .col(text(Customers::Gender, 20))
            .col(ColumnDef::new(Customers::BirthDate).date().null())
            .col(text(Customers::Occupation, 200))
            .col(text(Customers::Industry, 200))
            .col(text(Customers::Phone, 50))
            .col(text(Customers::PhoneDigits, 50))
            .col(text(Customers::Email, 254))
            .col(text(Customers::Address, 500))
            .col(text(Customers::City, 100))
            .col(text(Customers::Region, 100))
            .col(text(Customers::Country, 100))
            .col(text(Customers::Source, 100))
            .col(text(Customers::Segment, 100))
            .col(ColumnDef::new(Customers::LifecycleStage).string_len(20).not_null())
            .col(ColumnDef::new(Customers::OwnerId).uuid().null())
            .col(ColumnDef::new(Customers::Tags).text().not_null())
            .foreign_key(&mut fk(
                "fk_customers_owner_id",
                (Customers::Table, Customers::OwnerId),
                Users::Table,
                ForeignKeyAction::SetNull,
            ));
        record_columns(&mut customers);
        manager.create_table(customers.to_owned()).await?;
        record_indexes(manager, "customers").await?;
        for col in [
            "owner_id",
            "lifecycle_stage",
            "region",
            "city",
            "segment",
            "source",
            "industry",
            "email",
            "phone_digits",
            "name",
        ] {
            index(manager, "customers", &[col], false).await?;
        }

        let mut contacts = Table::create();
        contacts
            .table(Contacts::Table)
            .if_not_exists()
            .col(id_pk())
            .col(ColumnDef::new(Contacts::CustomerId).uuid().not_null())
            .col(ColumnDef::new(Contacts::Name).string_len(200).not_null())
            .col(text(Contacts::Title, 200))
            .col(text(Contacts::Phone, 50))
            .col(text(Contacts::Email, 254))
            .foreign_key(&mut fk(
                "fk_contacts_customer_id",
                (Contacts::Table, Contacts::CustomerId),
                Customers::Table,
                ForeignKeyAction::Restrict,
            ));
        record_columns(&mut contacts);
        manager.create_table(contacts.to_owned()).await?;
        record_indexes(manager, "contacts").await?;
        index(manager, "contacts", &["customer_id"], false).await?;

        let mut products = Table::create();
        products
            .table(Products::Table)
            .if_not_exists()
            .col(id_pk())
            .col(ColumnDef::new(Products::Sku).string_len(100).not_null())
            .col(ColumnDef::new(Products::Name).string_len(200).not_null())
            .col(text(Products::Category, 100))
            .col(ColumnDef::new(Products::UnitPrice).big_integer().not_null())
            .col(ColumnDef::new(Products::UnitCost).big_integer().not_null())
            .col(ColumnDef::new(Products::Active).boolean().not_null().default(true));
        record_columns(&mut products);
        manager.create_table(products.to_owned()).await?;
        record_indexes(manager, "products").await?;
        index(manager, "products", &["sku"], true).await?;
        index(manager, "products", &["category"], false).await?;

        let mut orders = Table::create();
        orders
            .table(Orders::Table)
            .if_not_exists()
            .col(id_pk())
            .col(ColumnDef::new(Orders::CustomerId).uuid().not_null())
            .col(ColumnDef::new(Orders::OwnerId).uuid().null())
            .col(text(Orders::Channel, 100))
            .col(text(Orders::Region, 100))
            .col(ColumnDef::new(Orders::Status).string_len(20).not_null())
            .col(ColumnDef::new(Orders::OrderedAt).timestamp_with_time_zone().not_null())
            .col(ColumnDef::new(Orders::TotalAmount).big_integer().not_null())
            .col(ColumnDef::new(Orders::TotalCost).big_integer().not_null())
            .foreign_key(&mut fk(
                "fk_orders_customer_id",
                (Orders::Table, Orders::CustomerId),
                Customers::Table,
                ForeignKeyAction::Restrict,
            ))
            .foreign_key(&mut fk(
                "fk_orders_owner_id",
                (Orders::Table, Orders::OwnerId),
                Users::Table,
                ForeignKeyAction::SetNull,
            ));
        record_columns(&mut orders);
        manager.create_table(orders.to_owned()).await?;
        record_indexes(manager, "orders").await?;
        index(manager, "orders", &["customer_id", "ordered_at"], false).await?;
        index(manager, "orders", &["owner_id", "ordered_at"], false).await?;
        index(manager, "orders", &["ordered_at"], false).await?;
        index(manager, "orders", &["status", "ordered_at"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderItems::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(OrderItems::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(OrderItems::OrderId).uuid().not_null())
                    .col(ColumnDef::new(OrderItems::Position).integer().not_null())
                    .col(ColumnDef::new(OrderItems::ProductId).uuid().not_null())
                    .col(ColumnDef::new(OrderItems::Quantity).big_integer().not_null())
                    .col(ColumnDef::new(OrderItems::UnitPrice).big_integer().not_null())
                    .col(ColumnDef::new(OrderItems::UnitCost).big_integer().not_null())
                    .col(ColumnDef::new(OrderItems::Discount).big_integer().not_null())
                    .col(ColumnDef::new(OrderItems::LineAmount).big_integer().not_null())
                    .col(ColumnDef::new(OrderItems::LineCost).big_integer().not_null())
                    .foreign_key(&mut fk(
                        "fk_order_items_order_id",
                        (OrderItems::Table, OrderItems::OrderId),
                        Orders::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_order_items_product_id",
                        (OrderItems::Table, OrderItems::ProductId),
                        Products::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "order_items", &["order_id", "position"], false).await?;
        index(manager, "order_items", &["product_id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(AuditLog::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(AuditLog::Resource).string_len(50).not_null())
                    .col(ColumnDef::new(AuditLog::RecordId).uuid().not_null())
                    .col(ColumnDef::new(AuditLog::Action).string_len(30).not_null())
                    .col(ColumnDef::new(AuditLog::ActorId).uuid().null())
                    .col(ColumnDef::new(AuditLog::At).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(AuditLog::Changes).text().not_null())
                    .to_owned(),
            )
            .await?;
        index(manager, "audit_log", &["resource", "record_id", "at"], false).await?;
        index(manager, "audit_log", &["actor_id", "at"], false).await?;
        index(manager, "audit_log", &["at", "id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["audit_log", "order_items", "orders", "products", "contacts", "customers"] {
            manager.drop_table(Table::drop().table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
