use sea_orm::entity::prelude::*;

use crate::enums::SourceSystem;

/// A record as a department's system sent it; every fact can be traced back to one.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "source_record")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub system: SourceSystem,
    pub store_id: i32,
    pub external_id: String,
    pub customer_id: i32,
    pub payload: Json,
    pub first_seen_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    /// What kind of record it is: DELIVERY, REPAIR_ORDER, INSURANCE_POLICY, PARTS_ORDER, LEAD or CUSTOMER.
    pub kind: Option<String>,
    /// SHA-256 of the normalized payload; an identical resend changes nothing.
    pub payload_hash: Option<String>,
    /// Why this record was attached to its customer.
    pub match_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
