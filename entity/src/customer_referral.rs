use sea_orm::entity::prelude::*;

/// A customer brought to the group by another: `customer_id` is the referred one (one
/// referrer each). The referral converts when the referred customer takes delivery of a
/// car within 12 months.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "customer_referral")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub referrer_id: i32,
    pub customer_id: i32,
    pub store_id: i32,
    pub recorded_by: Option<i32>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
