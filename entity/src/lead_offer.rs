use sea_orm::entity::prelude::*;

use crate::enums::OfferStatus;

/// A lead offered by its store to a partner or sister store (deal registration).
/// OFFERED past `expires_at` reads as EXPIRED.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "lead_offer")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The origin store's lead.
    pub lead_id: i32,
    pub from_store_id: i32,
    pub to_store_id: i32,
    pub offered_by: i32,
    pub message: Option<String>,
    pub status: OfferStatus,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub answered_by: Option<i32>,
    pub answered_at: Option<DateTimeUtc>,
    pub decline_reason: Option<String>,
    /// The consent the offer relied on (none only for shares from before offers).
    pub consent_id: Option<i32>,
    /// The receiving store's lead, made when the offer was accepted.
    pub accepted_lead_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
