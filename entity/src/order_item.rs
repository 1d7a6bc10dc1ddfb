use sea_orm::entity::prelude::*;

/// One line of an order; money in integer cents.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub position: i32,
    pub product_id: Uuid,
    pub quantity: i64,
    pub unit_price: i64,
    pub unit_cost: i64,
    pub discount: i64,
    /// `quantity * unit_price - discount`.
    pub line_amount: i64,
    /// `quantity * unit_cost`.
    pub line_cost: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
