use sea_orm::entity::prelude::*;

/// A pair of customers that may be one person, for a person to decide.
/// `customer_a` < `customer_b`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "duplicate_candidate")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub customer_a: i32,
    pub customer_b: i32,
    /// 0–100: how likely the two are one person.
    pub score: i32,
    /// JSON array of reasons.
    pub reasons: Json,
    pub status: crate::enums::CandidateStatus,
    pub created_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    pub resolved_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
