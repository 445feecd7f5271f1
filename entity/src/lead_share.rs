use sea_orm::entity::prelude::*;

/// A lead shared with a (partner) store, which then sees the lead and its customer.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_share")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub lead_id: i32,
    pub store_id: i32,
    pub shared_by: i32,
    pub shared_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
