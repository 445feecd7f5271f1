use sea_orm::entity::prelude::*;

use crate::enums::StoreKind;

/// A 4S store of the group, or a partner store.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "store")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    /// JSON array of brand names sold or serviced here.
    pub brands: Json,
    pub city: String,
    pub kind: StoreKind,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
