use sea_orm::entity::prelude::*;

use crate::enums::{CustomerKind, Gender, LifecycleStage};

/// The golden record of one real person or company.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "customer")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kind: CustomerKind,
    pub name: String,
    pub gender: Option<Gender>,
    pub birthday: Option<Date>,
    /// National ID (individuals) or unified social credit code (companies), normalized.
    pub id_number: Option<String>,
    /// SHA-256 of the normalized `id_number`, for matching without reading it.
    pub id_number_hash: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub notes: Option<String>,
    pub lifecycle_stage: LifecycleStage,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-locking counter, bumped on every change.
    pub version: i32,
    /// Set when this record was merged into another (the survivor).
    pub merged_into: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
