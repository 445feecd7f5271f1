use sea_orm::entity::prelude::*;

/// A parts or accessories order.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "parts_order")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub store_id: i32,
    pub customer_id: i32,
    pub vehicle_id: Option<i32>,
    /// JSON array of `{ "sku", "name", "quantity", "unitPriceCents" }`.
    pub items: Json,
    /// Amount in fen.
    pub amount_cents: i64,
    pub ordered_on: Date,
    /// The source record that brought this fact (none for facts entered in the hub).
    pub source_record_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
