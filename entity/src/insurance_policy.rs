use sea_orm::entity::prelude::*;

/// A car insurance policy sold by a store; `renewal_of` links a renewal to its predecessor.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "insurance_policy")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub store_id: i32,
    pub vehicle_id: i32,
    pub customer_id: i32,
    pub insurer: String,
    pub coverage: String,
    /// Premium in fen.
    pub premium_cents: i64,
    pub starts_on: Date,
    pub ends_on: Date,
    pub renewal_of: Option<i32>,
    /// The source record that brought this fact (none for facts entered in the hub).
    pub source_record_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
