use sea_orm::entity::prelude::*;

use crate::enums::ConsentPurpose;

/// A customer's consent (PIPL art. 23) to a purpose, for one recipient store or, when
/// none, for every store of the group's own.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "customer_consent")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub customer_id: i32,
    pub purpose: ConsentPurpose,
    pub recipient_store_id: Option<i32>,
    pub given_on: Date,
    /// How it was given: PAPER, APP, WECHAT, PHONE_RECORDING, …
    pub channel: String,
    /// Where the evidence is: a form number, a recording id.
    pub evidence: String,
    pub recorded_by: Option<i32>,
    pub recorded_at: DateTimeUtc,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub withdrawn_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
