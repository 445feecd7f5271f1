use sea_orm::entity::prelude::*;

/// An attempt to open a second lead for a customer who has an open lead at the store
/// (撞单), kept for the store manager (the customer is the lead's).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "lead_conflict")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub store_id: i32,
    /// The open lead that was in the way.
    pub lead_id: i32,
    pub attempted_by: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
