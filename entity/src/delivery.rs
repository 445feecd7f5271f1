use sea_orm::entity::prelude::*;

use crate::enums::PaymentMethod;

/// A new-car delivery (the sale).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "delivery")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub vehicle_id: i32,
    pub customer_id: i32,
    pub store_id: i32,
    pub consultant_id: Option<i32>,
    pub delivered_on: Date,
    /// Price in fen.
    pub price_cents: i64,
    pub payment: PaymentMethod,
    /// The source record that brought this fact (none for facts entered in the hub).
    pub source_record_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
