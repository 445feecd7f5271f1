use sea_orm::entity::prelude::*;

use crate::enums::{FollowUpChannel, FollowUpOutcome, LeadGrade};

/// One follow-up on a lead: appended, never edited; the grade before and after keep
/// the lead's grade history.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "lead_follow_up")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub lead_id: i32,
    pub store_id: i32,
    pub staff_id: i32,
    pub channel: FollowUpChannel,
    pub outcome: FollowUpOutcome,
    pub note: Option<String>,
    pub grade_before: LeadGrade,
    pub grade_after: LeadGrade,
    /// The follow-up that was due when this one was recorded (none: nothing was due).
    pub due_at: Option<DateTimeUtc>,
    pub next_follow_up_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
