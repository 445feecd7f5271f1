use sea_orm::entity::prelude::*;

use crate::enums::{Department, TaskKind, TaskOutcome, TaskStatus};

/// A piece of care work generated from an event (a delivery, a closed repair order, a
/// policy about to end, a birthday, an overdue complaint), for one person at one store.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "care_task")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kind: TaskKind,
    pub store_id: i32,
    pub customer_id: i32,
    pub vehicle_id: Option<i32>,
    /// Whose work it is (none: the store's department, until a manager assigns it).
    pub assignee_id: Option<i32>,
    pub department: Department,
    /// Not before then (the 3–5-day call starts on the third working day).
    pub start_at: DateTimeUtc,
    pub due_at: DateTimeUtc,
    pub status: TaskStatus,
    pub outcome: Option<TaskOutcome>,
    pub note: Option<String>,
    pub done_by: Option<i32>,
    pub done_at: Option<DateTimeUtc>,
    /// The record it came from: delivery, repair_order, insurance_policy, customer,
    /// vehicle, complaint.
    pub source_kind: String,
    pub source_id: i32,
    /// What makes generation idempotent: one task per event and stage.
    pub dedupe_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
