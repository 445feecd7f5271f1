//! After-sales service: repair orders (maintenance, repairs, warranty, accidents,
//! inspections) as their lists are filtered and sorted.

use chrono::{DateTime, Utc};
use entity::enums::RepairKind;
use entity::repair_order;
use sea_orm::{ColumnTrait, Condition};

use super::Scope;
use super::keyset::SortValue;
use super::listing::ListFilter;

/// Narrows a repair-order list; all given conditions must hold.
#[derive(Debug, Default)]
pub struct RepairOrderFilter {
    pub store_id: Option<i32>,
    pub kind: Option<RepairKind>,
    /// Opened at or after this instant …
    pub opened_from: Option<DateTime<Utc>>,
    /// … and before this one.
    pub opened_to: Option<DateTime<Utc>>,
}

impl ListFilter<repair_order::Entity> for RepairOrderFilter {
    fn condition(&self, _scope: &Scope) -> Condition {
        Condition::all()
            .add_option(self.store_id.map(|id| repair_order::Column::StoreId.eq(id)))
            .add_option(self.kind.map(|kind| repair_order::Column::Kind.eq(kind)))
            .add_option(self.opened_from.map(|from| repair_order::Column::OpenedAt.gte(from)))
            .add_option(self.opened_to.map(|to| repair_order::Column::OpenedAt.lt(to)))
    }
}

/// How repair-order lists are sorted (then by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RepairOrderSort {
    #[default]
    OpenedAt,
    Id,
}

crate::sort_key!(RepairOrderSort, repair_order::Entity,
    OpenedAt => "openedAt", OpenedAt, |r| SortValue::Time(r.opened_at);
    Id => "id", Id, |r| SortValue::Int(r.id.into());
);
