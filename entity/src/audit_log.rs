use sea_orm::entity::prelude::*;

/// One change to one record: who, when, and each changed field's value
/// before and after (`changes`, JSON text).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub resource: String,
    pub record_id: Uuid,
    pub action: String,
    pub actor_id: Option<Uuid>,
    pub at: DateTimeUtc,
    pub changes: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
