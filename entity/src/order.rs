use sea_orm::entity::prelude::*;

/// Totals are integer cents, computed from the items.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Uuid,
    pub owner_id: Option<Uuid>,
    pub channel: Option<String>,
    pub region: Option<String>,
    pub status: String,
    pub ordered_at: DateTimeUtc,
    pub total_amount: i64,
    pub total_cost: i64,
    pub external_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
