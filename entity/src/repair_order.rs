use sea_orm::entity::prelude::*;

use crate::enums::RepairKind;

/// An after-sales repair order (maintenance, repair, warranty, accident, inspection).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "repair_order")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub store_id: i32,
    pub vehicle_id: i32,
    pub customer_id: i32,
    pub advisor_id: Option<i32>,
    pub kind: RepairKind,
    pub mileage: Option<i32>,
    pub opened_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    /// Amount in fen.
    pub amount_cents: i64,
    /// The source record that brought this fact (none for facts entered in the hub).
    pub source_record_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
