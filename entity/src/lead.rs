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
    /// By when a lead from outside must have had its first personal answer.
    pub first_response_due_at: Option<DateTimeUtc>,
    /// The first effective follow-up (none: nobody has reached the prospect yet).
    pub first_contacted_at: Option<DateTimeUtc>,
    /// The owner's protection against 撞单 ends then; after it the lead is in the pool.
    pub protected_until: Option<DateTimeUtc>,
    /// The delivery that won the lead.
    pub delivery_id: Option<i32>,
    pub defeat_note: Option<String>,
    /// The store that referred the lead here through an accepted offer.
    pub referred_by_store_id: Option<i32>,
    /// The accepted offer this lead came from.
    pub offer_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
