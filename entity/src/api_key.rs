use sea_orm::entity::prelude::*;

/// A long-lived key of an INTEGRATION account; acts with that account's store and
/// department. Only its SHA-256 is stored.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "api_key")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub staff_id: i32,
    pub name: String,
    /// The first characters of the key, to tell keys apart in lists.
    pub prefix: String,
    pub key_hash: String,
    pub created_by: i32,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
