use sea_orm::entity::prelude::*;

use crate::enums::OwnershipRole;

/// Who owned, drove or leased a vehicle, and when. `to_date` is empty while current.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "vehicle_ownership")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub vehicle_id: i32,
    pub customer_id: i32,
    pub role: OwnershipRole,
    pub from_date: Date,
    pub to_date: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
