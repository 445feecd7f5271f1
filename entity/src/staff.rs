use sea_orm::entity::prelude::*;

use crate::enums::{Department, Role};

/// A staff account. Group-wide roles have no store.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "staff")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub store_id: Option<i32>,
    pub department: Department,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTimeUtc,
    /// Access tokens issued before this moment are refused (set when an account is
    /// enabled again).
    pub tokens_not_before: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
