use sea_orm::entity::prelude::*;

/// Two customers known to belong together without being one person (a household
/// sharing a phone). `customer_a` < `customer_b`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "customer_link")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub customer_a: i32,
    pub customer_b: i32,
    /// HOUSEHOLD.
    pub kind: String,
    pub reason: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
