use sea_orm::entity::prelude::*;

use crate::enums::ComplaintStatus;

/// One change of a complaint, appended: filed, acknowledged, amended, resolved, closed,
/// reopened, escalated. The database refuses to change or delete one.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "complaint_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub complaint_id: i32,
    /// FILED, ACKNOWLEDGED, AMENDED, RESOLVED, CLOSED, REOPENED, ESCALATED.
    pub kind: String,
    pub status_from: Option<ComplaintStatus>,
    pub status_to: Option<ComplaintStatus>,
    pub note: Option<String>,
    /// None: the hub itself (escalation).
    pub staff_id: Option<i32>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
