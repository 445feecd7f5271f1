use sea_orm::entity::prelude::*;

/// A car, identified by its VIN.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "vehicle")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub vin: String,
    /// Plate as displayed, e.g. 浙A·12345.
    pub plate: Option<String>,
    /// Plate upper-cased without spaces or middle dot, e.g. 浙A12345.
    pub plate_normalized: Option<String>,
    pub brand: String,
    pub model: String,
    pub model_year: Option<i32>,
    pub colour: Option<String>,
    pub purchase_date: Option<Date>,
    pub selling_store_id: Option<i32>,
    pub last_mileage: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
