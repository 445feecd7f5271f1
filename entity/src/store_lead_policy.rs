use sea_orm::entity::prelude::*;

/// A store's own lead rules; a store without a row follows the hub's defaults.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "store_lead_policy")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub store_id: i32,
    pub first_response_minutes: i32,
    pub protection_days: i32,
    pub cadence_h_days: i32,
    pub cadence_a_days: i32,
    pub cadence_b_days: i32,
    pub cadence_c_days: i32,
    /// Opening hours, minutes after midnight Asia/Shanghai.
    pub opens_at_minute: i32,
    pub closes_at_minute: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
