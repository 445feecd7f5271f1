use sea_orm::entity::prelude::*;

/// A previous payload of a source record, kept when a changed record replaced it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "source_record_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub source_record_id: i32,
    pub payload: Json,
    pub payload_hash: Option<String>,
    pub replaced_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
