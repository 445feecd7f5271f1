use sea_orm::entity::prelude::*;

use crate::enums::{LeadGrade, LeadStatus};

/// A sales lead of one store.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "lead")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub store_id: i32,
    pub customer_id: i32,
    pub grade: LeadGrade,
    pub intended_model: Option<String>,
    /// Budget in fen (1/100 yuan).
    pub budget_cents: Option<i64>,
    pub channel: Option<String>,
    pub status: LeadStatus,
    pub defeat_reason: Option<String>,
    pub owner_id: Option<i32>,
    pub next_follow_up_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// The source record that brought this fact (none for facts entered in the hub).
    pub source_record_id: Option<i32>,
    /// When the lead was won or defeated (none while open).
    pub closed_at: Option<DateTimeUtc>,
    /// The grade the lead had when it was created (none: the grade never changed).
    pub created_grade: Option<LeadGrade>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
