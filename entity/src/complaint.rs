use sea_orm::entity::prelude::*;

use crate::enums::{ComplaintSeverity, ComplaintStatus, Department};

/// A customer's complaint about a store. Never deleted; its description is never edited
/// (only amended through events); every change is a `complaint_event`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "complaint")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub store_id: i32,
    pub customer_id: i32,
    pub department: Department,
    /// SALES_PROCESS, SERVICE_QUALITY, REPAIR_QUALITY, PRICE, WAITING_TIME, STAFF_ATTITUDE, PARTS, INSURANCE_CLAIM, OTHER.
    pub category: String,
    pub severity: ComplaintSeverity,
    /// STORE, CALL_CENTER, OEM_HOTLINE, SURVEY, ONLINE.
    pub channel: String,
    pub description: String,
    pub status: ComplaintStatus,
    pub filed_by: Option<i32>,
    pub filed_at: DateTimeUtc,
    pub acknowledge_due_at: DateTimeUtc,
    pub resolve_due_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    /// When it went to the group's customer-relations team by itself (overdue).
    pub escalated_at: Option<DateTimeUtc>,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
