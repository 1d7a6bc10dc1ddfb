use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Uuid,
    pub name: String,
    pub amount: i64,
    pub stage: String,
    /// Basis points: 2500 = 25%.
    pub probability_bp: i32,
    pub expected_close_date: Option<Date>,
    pub owner_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub closed_at: Option<DateTimeUtc>,
    pub lost_reason: Option<String>,
    pub external_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
