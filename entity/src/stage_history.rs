use sea_orm::entity::prelude::*;

/// One stage an opportunity entered: when, by whom, from which stage.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunity_stage_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub opportunity_id: Uuid,
    pub from_stage: Option<String>,
    pub stage: String,
    pub changed_at: DateTimeUtc,
    pub changed_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
