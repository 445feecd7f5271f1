//! The registry of customer-owned records: every kind of record that hangs off a
//! customer, once, with its table, its row of the permission matrix, its store, owner
//! and source columns, and what a merge does with it. Merge, un-merge, the nested lists
//! of the 360 and the timeline iterate [`OwnedKind::ALL`]; adding a kind of record is
//! one entry here plus its own code, and a test fails when a table with a
//! `customer_id` column is missing from it.

use std::marker::PhantomData;

use entity::enums::Department;
use entity::{
    care_task, complaint, contact_point, customer_consent, customer_referral, customer_store, customer_tag, delivery,
    insurance_policy, lead, parts_order, repair_order, source_record, survey, vehicle_ownership,
};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use super::access::Resource;
use crate::error::AppResult;

/// Every kind of record that belongs to a customer. Serialised as its table name (merge
/// snapshots keep it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnedKind {
    ContactPoint,
    CustomerTag,
    CustomerStore,
    VehicleOwnership,
    SourceRecord,
    Lead,
    Delivery,
    RepairOrder,
    InsurancePolicy,
    PartsOrder,
    CustomerConsent,
    CareTask,
    Complaint,
    Survey,
    CustomerReferral,
}

/// What a merge does with the rows of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnMerge {
    /// Every row moves to the survivor (and back on un-merge).
    Move,
    /// Combined field by field by the merge (the survivor may hold the same contact,
    /// tag or store relationship already); kept whole in the merge's snapshot.
    Combine,
}

/// What the registry knows of one kind.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub kind: OwnedKind,
    pub table: &'static str,
    /// Its row of the permission matrix.
    pub resource: Resource,
    /// The department whose work it is, for department records (and the timeline).
    pub department: Option<Department>,
    /// Whether rows belong to a store (`store_id`), have an owner (`owner_id`), and came
    /// from a source record (`source_record_id`).
    pub has_store: bool,
    pub has_owner: bool,
    pub from_source: bool,
    pub on_merge: OnMerge,
}

impl OwnedKind {
    pub const ALL: [OwnedKind; 15] = [
        Self::ContactPoint,
        Self::CustomerTag,
        Self::CustomerStore,
        Self::VehicleOwnership,
        Self::SourceRecord,
        Self::Lead,
        Self::Delivery,
        Self::RepairOrder,
        Self::InsurancePolicy,
        Self::PartsOrder,
        Self::CustomerConsent,
        Self::CareTask,
        Self::Complaint,
        Self::Survey,
        Self::CustomerReferral,
    ];

    pub fn info(self) -> Kind {
        use OnMerge::{Combine, Move};
        let (table, resource, department, has_store, has_owner, from_source, on_merge) = match self {
            Self::ContactPoint => ("contact_point", Resource::PersonalData, None, false, false, false, Combine),
            Self::CustomerTag => ("customer_tag", Resource::Customer, None, false, false, false, Combine),
            Self::CustomerStore => ("customer_store", Resource::Customer, None, true, true, false, Combine),
            Self::VehicleOwnership => ("vehicle_ownership", Resource::Vehicle, None, false, false, false, Move),
            Self::SourceRecord => ("source_record", Resource::Identity, None, true, false, false, Move),
            Self::Lead => ("lead", Resource::Lead, Some(Department::Sales), true, true, true, Move),
            Self::Delivery => ("delivery", Resource::Delivery, Some(Department::Sales), true, false, true, Move),
            Self::RepairOrder => {
                ("repair_order", Resource::RepairOrder, Some(Department::Service), true, false, true, Move)
            }
            Self::InsurancePolicy => {
                ("insurance_policy", Resource::InsurancePolicy, Some(Department::Insurance), true, false, true, Move)
            }
            Self::PartsOrder => ("parts_order", Resource::PartsOrder, Some(Department::Parts), true, false, true, Move),
            Self::CustomerConsent => ("customer_consent", Resource::Customer, None, false, false, false, Move),
            Self::CareTask => ("care_task", Resource::Task, None, true, false, false, Move),
            Self::Complaint => ("complaint", Resource::Complaint, None, true, false, false, Move),
            Self::Survey => ("survey", Resource::Complaint, None, true, false, false, Move),
            // The referred customer's row (the referrer stays as recorded).
            Self::CustomerReferral => ("customer_referral", Resource::Customer, None, true, false, false, Move),
        };
        Kind { kind: self, table, resource, department, has_store, has_owner, from_source, on_merge }
    }

    /// The table's name.
    pub fn table(self) -> &'static str {
        self.info().table
    }

    /// The kinds whose rows move with a merge.
    pub fn moved() -> impl Iterator<Item = OwnedKind> {
        Self::ALL.into_iter().filter(|k| k.info().on_merge == OnMerge::Move)
    }

    /// Reading and re-owning the rows of this kind.
    pub fn rows(self) -> &'static dyn Rows {
        match self {
            Self::ContactPoint => &Table::<contact_point::Entity>(PhantomData),
            Self::CustomerTag => &Table::<customer_tag::Entity>(PhantomData),
            Self::CustomerStore => &Table::<customer_store::Entity>(PhantomData),
            Self::VehicleOwnership => &Table::<vehicle_ownership::Entity>(PhantomData),
            Self::SourceRecord => &Table::<source_record::Entity>(PhantomData),
            Self::Lead => &Table::<lead::Entity>(PhantomData),
            Self::Delivery => &Table::<delivery::Entity>(PhantomData),
            Self::RepairOrder => &Table::<repair_order::Entity>(PhantomData),
            Self::InsurancePolicy => &Table::<insurance_policy::Entity>(PhantomData),
            Self::PartsOrder => &Table::<parts_order::Entity>(PhantomData),
            Self::CustomerConsent => &Table::<customer_consent::Entity>(PhantomData),
            Self::CareTask => &Table::<care_task::Entity>(PhantomData),
            Self::Complaint => &Table::<complaint::Entity>(PhantomData),
            Self::Survey => &Table::<survey::Entity>(PhantomData),
            Self::CustomerReferral => &Table::<customer_referral::Entity>(PhantomData),
        }
    }
}

/// The registry's entity modules, for code that needs their types (the per-request
/// loaders of the 360): `owned_entities!(callback!(args,))` expands to
/// `callback!(args, contact_point, …, parts_order)`. A test checks it names exactly the
/// tables of [`OwnedKind::ALL`].
#[macro_export]
macro_rules! owned_entities {
    ($callback:ident!($($args:tt)*)) => {
        $callback!(
            $($args)* contact_point, customer_tag, customer_store, vehicle_ownership, source_record, lead, delivery,
            repair_order, insurance_policy, parts_order, customer_consent, care_task, complaint, survey,
            customer_referral
        )
    };
}

/// The columns every customer-owned table has.
pub trait CustomerRow: EntityTrait {
    fn id_column() -> Self::Column;
    fn customer_column() -> Self::Column;
    /// `source_record_id`, for the kinds that come from a source record.
    fn source_column() -> Option<Self::Column>;
    fn id_and_customer(row: &Self::Model) -> (i32, i32);
}

macro_rules! customer_row {
    (@impl $module:ident, $source:expr) => {
        impl CustomerRow for $module::Entity {
            fn id_column() -> Self::Column {
                $module::Column::Id
            }
            fn customer_column() -> Self::Column {
                $module::Column::CustomerId
            }
            fn source_column() -> Option<Self::Column> {
                $source
            }
            fn id_and_customer(row: &Self::Model) -> (i32, i32) {
                (row.id, row.customer_id)
            }
        }
    };
    ($module:ident) => {
        customer_row!(@impl $module, None);
    };
    ($module:ident, $source:ident) => {
        customer_row!(@impl $module, Some($module::Column::$source));
    };
}

customer_row!(contact_point);
customer_row!(customer_tag);
customer_row!(customer_store);
customer_row!(vehicle_ownership);
customer_row!(source_record);
customer_row!(lead, SourceRecordId);
customer_row!(delivery, SourceRecordId);
customer_row!(repair_order, SourceRecordId);
customer_row!(insurance_policy, SourceRecordId);
customer_row!(parts_order, SourceRecordId);
customer_row!(customer_consent);
customer_row!(care_task);
customer_row!(complaint);
customer_row!(survey);
customer_row!(customer_referral);

/// The operations a merge needs on any kind's rows, inside its transaction.
pub trait Rows: Sync {
    /// (row id, customer id) of every row of these customers.
    fn ids_of<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        customers: &'a [i32],
    ) -> BoxFuture<'a, AppResult<Vec<(i32, i32)>>>;
    /// Gives the rows `ids` to `customer`.
    fn set_customer<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        ids: &'a [i32],
        customer: i32,
    ) -> BoxFuture<'a, AppResult<()>>;
    /// Gives the rows that came from source record `source` to `customer` (nothing for
    /// kinds that do not come from source records).
    fn follow_source<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        source: i32,
        customer: i32,
    ) -> BoxFuture<'a, AppResult<()>>;
}

struct Table<E>(PhantomData<fn() -> E>);

impl<E: CustomerRow> Rows for Table<E>
where
    E::Model: Send + Sync,
{
    fn ids_of<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        customers: &'a [i32],
    ) -> BoxFuture<'a, AppResult<Vec<(i32, i32)>>> {
        Box::pin(async move {
            let rows = E::find().filter(E::customer_column().is_in(customers.iter().copied())).all(txn).await?;
            Ok(rows.iter().map(E::id_and_customer).collect())
        })
    }

    fn set_customer<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        ids: &'a [i32],
        customer: i32,
    ) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(async move {
            if !ids.is_empty() {
                E::update_many()
                    .col_expr(E::customer_column(), Expr::value(customer))
                    .filter(E::id_column().is_in(ids.iter().copied()))
                    .exec(txn)
                    .await?;
            }
            Ok(())
        })
    }

    fn follow_source<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        source: i32,
        customer: i32,
    ) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(async move {
            if let Some(column) = E::source_column() {
                E::update_many()
                    .col_expr(E::customer_column(), Expr::value(customer))
                    .filter(column.eq(source))
                    .exec(txn)
                    .await?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed_once_and_named_as_its_table() {
        let mut tables: Vec<&str> = OwnedKind::ALL.iter().map(|k| k.table()).collect();
        tables.sort_unstable();
        tables.dedup();
        assert_eq!(tables.len(), OwnedKind::ALL.len());
        for kind in OwnedKind::ALL {
            let json = serde_json::to_string(&kind).expect("json");
            assert_eq!(json, format!("\"{}\"", kind.table()), "snapshots keep the table name");
            assert_eq!(kind.info().from_source, kind.info().department.is_some());
        }
        macro_rules! names {
            ($($module:ident),+) => { vec![$(stringify!($module)),+] };
        }
        let mut modules: Vec<&str> = crate::owned_entities!(names!());
        modules.sort_unstable();
        assert_eq!(modules, tables, "owned_entities! lists the registry's tables");
    }
}
