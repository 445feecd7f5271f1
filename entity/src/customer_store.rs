use sea_orm::entity::prelude::*;

use crate::enums::RelationshipStatus;

/// A customer's relationship with one store, with its dedicated customer manager.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "customer_store")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub customer_id: i32,
    pub store_id: i32,
    pub status: RelationshipStatus,
    pub manager_id: Option<i32>,
    pub first_contact_on: Date,
    pub source_channel: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
