use sea_orm::entity::prelude::*;

use crate::enums::SourceSystem;

/// A record as a department's system sent it; every fact can be traced back to one.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "source_record")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub system: SourceSystem,
    pub store_id: i32,
    pub external_id: String,
    pub customer_id: i32,
    pub payload: Json,
    pub first_seen_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
