use sea_orm::entity::prelude::*;

/// One merge, with everything needed to undo it exactly.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "merge_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub survivor_id: i32,
    /// JSON array of the merged customer ids.
    pub merged_ids: Json,
    /// The state before the merge: customer rows and every moved or removed row.
    pub snapshot: Json,
    pub merged_at: DateTimeUtc,
    pub merged_by: Option<i32>,
    pub undone_at: Option<DateTimeUtc>,
    pub undone_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
