//! Insurance: policies sold or renewed by a store, as their lists (renewal work) are
//! filtered and sorted.

use chrono::NaiveDate;
use entity::insurance_policy;
use sea_orm::{ColumnTrait, Condition};

use super::Scope;
use super::keyset::SortValue;
use super::listing::ListFilter;

/// Narrows a policy list; all given conditions must hold.
#[derive(Debug, Default)]
pub struct InsurancePolicyFilter {
    pub store_id: Option<i32>,
    /// Policies ending on or after this day (renewal lists) …
    pub ends_from: Option<NaiveDate>,
    /// … and on or before this day.
    pub ends_to: Option<NaiveDate>,
}

impl ListFilter<insurance_policy::Entity> for InsurancePolicyFilter {
    fn condition(&self, _scope: &Scope) -> Condition {
        Condition::all()
            .add_option(self.store_id.map(|id| insurance_policy::Column::StoreId.eq(id)))
            .add_option(self.ends_from.map(|from| insurance_policy::Column::EndsOn.gte(from)))
            .add_option(self.ends_to.map(|to| insurance_policy::Column::EndsOn.lte(to)))
    }
}

/// How policy lists are sorted (then by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InsurancePolicySort {
    #[default]
    EndsOn,
    StartsOn,
    Id,
}

crate::sort_key!(InsurancePolicySort, insurance_policy::Entity,
    EndsOn => "endsOn", EndsOn, |r| SortValue::Date(r.ends_on);
    StartsOn => "startsOn", StartsOn, |r| SortValue::Date(r.starts_on);
    Id => "id", Id, |r| SortValue::Int(r.id.into());
);
