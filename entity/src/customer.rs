use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub name: String,
    pub gender: Option<String>,
    pub birth_date: Option<Date>,
    pub occupation: Option<String>,
    pub industry: Option<String>,
    pub phone: Option<String>,
    /// `phone` reduced to its digits, for duplicate detection.
    pub phone_digits: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub source: Option<String>,
    pub segment: Option<String>,
    pub lifecycle_stage: String,
    pub owner_id: Option<Uuid>,
    /// A JSON array of strings.
    pub tags: String,
    pub external_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
