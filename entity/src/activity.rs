use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_name = "type")]
    pub activity_type: String,
    pub direction: Option<String>,
    pub customer_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub opportunity_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub subject: String,
    pub occurred_at: DateTimeUtc,
    pub duration_minutes: Option<i32>,
    pub outcome: Option<String>,
    pub external_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
