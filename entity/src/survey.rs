use sea_orm::entity::prelude::*;

use crate::enums::SurveyKind;

/// A satisfaction survey by customer relations: SSI after a delivery, CSI after a repair
/// order. One per delivery or repair order.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "survey")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kind: SurveyKind,
    pub store_id: i32,
    pub customer_id: i32,
    pub delivery_id: Option<i32>,
    pub repair_order_id: Option<i32>,
    /// `SSI:delivery:ID` or `CSI:repair_order:ID`: what makes it one per subject.
    pub subject_key: String,
    /// Dimension → score 1–10.
    pub scores: Json,
    /// The weighted index on the 1,000-point scale.
    pub index_points: i32,
    /// How likely the customer would recommend the store, 0–10 (NPS).
    pub recommend: i32,
    pub comment: Option<String>,
    /// The complaint a low score opened.
    pub complaint_id: Option<i32>,
    pub surveyed_by: i32,
    pub surveyed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
