//! Batched, scoped reads of the records attached to customers and vehicles. The GraphQL
//! loaders are thin wrappers around these, so every nested list obeys the caller's scope.

use std::collections::HashMap;

use entity::{
    care_task, complaint, complaint_event, contact_point, customer_consent, customer_referral, customer_store,
    customer_tag, delivery, insurance_policy, lead, lead_follow_up, parts_order, repair_order, source_record, staff,
    store, survey, vehicle, vehicle_ownership,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Select};

use super::access::{Action, Resource};
use super::scope::{Reach, Scope};
use crate::error::AppResult;

/// A table whose rows the caller's scope restricts.
pub trait Scoped: EntityTrait {
    /// The column that orders rows of one parent (newest last unless said otherwise).
    fn order_column() -> Self::Column;
    fn restrict(select: Select<Self>, scope: &Scope) -> Select<Self>;
}

/// A table whose rows belong to a parent identified by an `i32` key of kind `P`.
pub trait ChildOf<P>: Scoped {
    fn parent_column() -> Self::Column;
    fn parent_of(model: &Self::Model) -> i32;
}

/// Parent kinds.
pub struct Customer;
pub struct Vehicle;
pub struct Lead;
pub struct Complaint;

/// Records that a store owns: each department sees its own store's records unless its
/// reach is group-wide, and only while the customer is visible too.
macro_rules! store_record {
    ($module:ident, $resource:ident, $order:ident, $owner:expr) => {
        impl Scoped for $module::Entity {
            fn order_column() -> Self::Column {
                $module::Column::$order
            }
            fn restrict(select: Select<Self>, scope: &Scope) -> Select<Self> {
                select.filter(scope.store_record_condition(
                    Resource::$resource,
                    Action::Read,
                    $module::Column::StoreId,
                    $module::Column::CustomerId,
                    $owner,
                ))
            }
        }
        impl ChildOf<Customer> for $module::Entity {
            fn parent_column() -> Self::Column {
                $module::Column::CustomerId
            }
            fn parent_of(model: &Self::Model) -> i32 {
                model.customer_id
            }
        }
    };
}

store_record!(lead, Lead, CreatedAt, Some(lead::Column::OwnerId));
store_record!(delivery, Delivery, DeliveredOn, None);
store_record!(repair_order, RepairOrder, OpenedAt, None);
store_record!(insurance_policy, InsurancePolicy, StartsOn, None);
store_record!(parts_order, PartsOrder, OrderedOn, None);
store_record!(care_task, Task, DueAt, Some(care_task::Column::AssigneeId));
store_record!(complaint, Complaint, FiledAt, None);
store_record!(survey, Complaint, SurveyedAt, None);

/// Complaint events are visible with their complaint.
impl Scoped for complaint_event::Entity {
    fn order_column() -> Self::Column {
        complaint_event::Column::At
    }
    fn restrict(select: Select<Self>, scope: &Scope) -> Select<Self> {
        use sea_orm::QuerySelect;
        let visible =
            complaint::Entity::restrict(complaint::Entity::find(), scope).select_only().column(complaint::Column::Id);
        select.filter(complaint_event::Column::ComplaintId.in_subquery(sea_orm::QueryTrait::into_query(visible)))
    }
}

impl ChildOf<Complaint> for complaint_event::Entity {
    fn parent_column() -> Self::Column {
        complaint_event::Column::ComplaintId
    }
    fn parent_of(model: &Self::Model) -> i32 {
        model.complaint_id
    }
}

/// Records that belong to a customer and are visible whenever the customer is.
macro_rules! customer_attached {
    ($module:ident, $order:ident) => {
        impl Scoped for $module::Entity {
            fn order_column() -> Self::Column {
                $module::Column::$order
            }
            fn restrict(select: Select<Self>, scope: &Scope) -> Select<Self> {
                select.filter(scope.customer_condition($module::Column::CustomerId))
            }
        }
        impl ChildOf<Customer> for $module::Entity {
            fn parent_column() -> Self::Column {
                $module::Column::CustomerId
            }
            fn parent_of(model: &Self::Model) -> i32 {
                model.customer_id
            }
        }
    };
}

customer_attached!(contact_point, Id);
customer_attached!(customer_tag, Tag);
customer_attached!(customer_store, Id);
customer_attached!(vehicle_ownership, FromDate);
customer_attached!(customer_consent, Id);
customer_attached!(customer_referral, Id);

/// Follow-ups are visible with their lead.
impl Scoped for lead_follow_up::Entity {
    fn order_column() -> Self::Column {
        lead_follow_up::Column::CreatedAt
    }
    fn restrict(select: Select<Self>, scope: &Scope) -> Select<Self> {
        use sea_orm::QuerySelect;
        let leads = lead::Entity::restrict(lead::Entity::find(), scope).select_only().column(lead::Column::Id);
        select.filter(lead_follow_up::Column::LeadId.in_subquery(sea_orm::QueryTrait::into_query(leads)))
    }
}

impl ChildOf<Lead> for lead_follow_up::Entity {
    fn parent_column() -> Self::Column {
        lead_follow_up::Column::LeadId
    }
    fn parent_of(model: &Self::Model) -> i32 {
        model.lead_id
    }
}

/// Source records are records of a store's system: store roles see their own store's,
/// group roles all, partners none.
impl Scoped for source_record::Entity {
    fn order_column() -> Self::Column {
        source_record::Column::FirstSeenAt
    }
    fn restrict(select: Select<Self>, scope: &Scope) -> Select<Self> {
        let visible = scope.customer_condition(source_record::Column::CustomerId);
        match scope.reach(Resource::Customer, Action::Read) {
            Reach::Group => select.filter(visible),
            Reach::Store(store) | Reach::Own { store, .. } => {
                select.filter(visible).filter(source_record::Column::StoreId.eq(store))
            }
            Reach::Shared(_) | Reach::Nothing => select.filter(sea_orm::sea_query::Expr::value(false)),
        }
    }
}

impl ChildOf<Customer> for source_record::Entity {
    fn parent_column() -> Self::Column {
        source_record::Column::CustomerId
    }
    fn parent_of(model: &Self::Model) -> i32 {
        model.customer_id
    }
}

impl ChildOf<Vehicle> for vehicle_ownership::Entity {
    fn parent_column() -> Self::Column {
        vehicle_ownership::Column::VehicleId
    }
    fn parent_of(model: &Self::Model) -> i32 {
        model.vehicle_id
    }
}

impl ChildOf<Vehicle> for repair_order::Entity {
    fn parent_column() -> Self::Column {
        repair_order::Column::VehicleId
    }
    fn parent_of(model: &Self::Model) -> i32 {
        model.vehicle_id
    }
}

impl Scoped for vehicle::Entity {
    fn order_column() -> Self::Column {
        vehicle::Column::Id
    }
    /// A vehicle is visible to roles that read vehicles when one of its (past or
    /// present) holders is a visible customer.
    fn restrict(select: Select<Self>, scope: &Scope) -> Select<Self> {
        match scope.reach(Resource::Vehicle, Action::Read) {
            Reach::Group => select,
            Reach::Nothing => select.filter(sea_orm::sea_query::Expr::value(false)),
            _ => select.filter(
                vehicle::Column::Id.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(vehicle_ownership::Column::VehicleId)
                        .from(vehicle_ownership::Entity)
                        .cond_where(scope.customer_condition(vehicle_ownership::Column::CustomerId))
                        .to_owned(),
                ),
            ),
        }
    }
}

/// Stores and staff names are organisation data, readable by roles that may read it.
macro_rules! organisation {
    ($module:ident) => {
        impl Scoped for $module::Entity {
            fn order_column() -> Self::Column {
                $module::Column::Id
            }
            fn restrict(select: Select<Self>, scope: &Scope) -> Select<Self> {
                match scope.reach(Resource::Organisation, Action::Read) {
                    Reach::Nothing => select.filter(sea_orm::sea_query::Expr::value(false)),
                    _ => select,
                }
            }
        }
    };
}

organisation!(store);
organisation!(staff);

/// Children of many parents in one statement, grouped by parent and ordered.
pub async fn children_of<P, E>(
    db: &DatabaseConnection,
    scope: &Scope,
    parents: &[i32],
) -> AppResult<HashMap<i32, Vec<E::Model>>>
where
    E: ChildOf<P>,
{
    let mut select = E::restrict(E::find(), scope)
        .filter(E::parent_column().is_in(parents.iter().copied()))
        .order_by_asc(E::order_column());
    // Ties broken by the primary key: every list has one total order, the same on both
    // databases.
    for key in <E::PrimaryKey as sea_orm::Iterable>::iter() {
        select = select.order_by_asc(sea_orm::PrimaryKeyToColumn::into_column(key));
    }
    let rows = select.all(db).await?;
    let mut grouped: HashMap<i32, Vec<E::Model>> = HashMap::new();
    for row in rows {
        grouped.entry(E::parent_of(&row)).or_default().push(row);
    }
    Ok(grouped)
}

/// Rows by primary key in one statement; rows outside the scope are simply absent.
pub async fn by_ids<E>(
    db: &DatabaseConnection,
    scope: &Scope,
    ids: &[i32],
    id_col: E::Column,
) -> AppResult<Vec<E::Model>>
where
    E: Scoped,
{
    Ok(E::restrict(E::find(), scope).filter(id_col.is_in(ids.iter().copied())).all(db).await?)
}

impl Scoped for entity::customer::Entity {
    fn order_column() -> Self::Column {
        entity::customer::Column::Id
    }
    fn restrict(select: Select<Self>, scope: &Scope) -> Select<Self> {
        scope.customers(select)
    }
}

/// Kinds of record listed by id with their row of the permission matrix.
macro_rules! listed {
    ($($module:ident => $resource:ident),+ $(,)?) => {$(
        impl super::listing::Listed for $module::Entity {
            const RESOURCE: Resource = Resource::$resource;
            fn id_column() -> Self::Column {
                $module::Column::Id
            }
            fn id_of(row: &Self::Model) -> i32 {
                row.id
            }
        }
    )+};
}

listed!(
    lead => Lead,
    delivery => Delivery,
    repair_order => RepairOrder,
    insurance_policy => InsurancePolicy,
    parts_order => PartsOrder,
    vehicle => Vehicle,
);

impl super::listing::Listed for entity::customer::Entity {
    const RESOURCE: Resource = Resource::Customer;
    fn id_column() -> Self::Column {
        entity::customer::Column::Id
    }
    fn id_of(row: &Self::Model) -> i32 {
        row.id
    }
    /// Live customers: a merged-away record resolves to its survivor, never lists.
    fn visible(scope: &Scope) -> Select<Self> {
        scope.customers(entity::customer::Entity::find()).filter(entity::customer::Column::MergedInto.is_null())
    }
}

/// Tables read whole or not at all, by one row of the permission matrix: the duplicate
/// queue (`Identity`), the audit log (`AuditLog`), API keys (`Accounts`).
macro_rules! all_or_nothing {
    ($($module:ident => $resource:ident),+ $(,)?) => {$(
        impl Scoped for entity::$module::Entity {
            fn order_column() -> Self::Column {
                entity::$module::Column::Id
            }
            fn restrict(select: Select<Self>, scope: &Scope) -> Select<Self> {
                match scope.reach(Resource::$resource, Action::Read) {
                    Reach::Nothing => select.filter(sea_orm::sea_query::Expr::value(false)),
                    _ => select,
                }
            }
        }
    )+};
}

all_or_nothing!(duplicate_candidate => Identity, audit_log => AuditLog, api_key => Accounts);

impl super::listing::Listed for entity::duplicate_candidate::Entity {
    const RESOURCE: Resource = Resource::Identity;
    fn id_column() -> Self::Column {
        entity::duplicate_candidate::Column::Id
    }
    fn id_of(row: &Self::Model) -> i32 {
        row.id
    }
}
