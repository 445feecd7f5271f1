//! Look-ahead prefetch. A root field that answers with customers (`customer`,
//! `customerByPhone`, `customers`) looks at what its selection will show — vehicles,
//! leads, repair orders, the stores and staff they name — and reads the customers and all
//! of it in one statement (`domain::bundle`). The rows land in the request's
//! [`Prefetched`] store, where the loaders look before they batch a statement of their
//! own; what was not read ahead (a field this planner does not know, a merged customer
//! found through its survivor) is loaded as before. Every branch is the loader's own
//! scoped select, so the answer is the same, in fewer round trips.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Mutex;

use async_graphql::Lookahead;
use entity::{
    care_task, complaint, contact_point, customer, customer_store, customer_tag, delivery, insurance_policy, lead,
    parts_order, repair_order, source_record, staff, store, survey, vehicle, vehicle_ownership,
};
use sea_orm::sea_query::{Condition, ExprTrait, SelectStatement};
use sea_orm::{ColumnTrait, EntityTrait, Iterable, Order, PrimaryKeyToColumn, QueryFilter, Select};
use serde::de::DeserializeOwned;

use super::loaders::HasId;
use crate::domain::Scope;
use crate::domain::bundle::{self, Branch, Bundle, Fetched};
use crate::domain::records::{ChildOf, Customer as ByCustomer, Scoped, Vehicle as ByVehicle};
use crate::error::AppResult;

/// Rows read ahead for this request, by kind; the loaders look here first.
#[derive(Default)]
pub struct Prefetched {
    map: Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
}

struct ChildrenOf<P, E>(PhantomData<fn() -> (P, E)>);
struct RowsOf<E>(PhantomData<fn() -> E>);

impl Prefetched {
    fn with<T: Default + Send + Sync + 'static, R>(&self, key: TypeId, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let mut map = self.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let slot = map.entry(key).or_insert_with(|| Box::new(T::default()));
        slot.downcast_mut::<T>().map(f)
    }

    fn put_children<P: 'static, E>(&self, parents: &[i32], rows: Vec<E::Model>)
    where
        E: ChildOf<P> + 'static,
        E::Model: Send + Sync,
    {
        let mut grouped: HashMap<i32, Vec<E::Model>> = parents.iter().map(|p| (*p, Vec::new())).collect();
        for row in rows {
            grouped.entry(E::parent_of(&row)).or_default().push(row);
        }
        self.with(TypeId::of::<ChildrenOf<P, E>>(), |known: &mut HashMap<i32, Vec<E::Model>>| known.extend(grouped));
    }

    fn put_rows<E: HasId + 'static>(&self, rows: Vec<E::Model>)
    where
        E::Model: Send + Sync,
    {
        self.with(TypeId::of::<RowsOf<E>>(), |known: &mut HashMap<i32, E::Model>| {
            known.extend(rows.into_iter().map(|row| (E::id_of(&row), row)))
        });
    }

    /// The rows of `E` under `parent`, if they were read ahead.
    pub fn children<P: 'static, E>(&self, parent: i32) -> Option<Vec<E::Model>>
    where
        E: ChildOf<P> + 'static,
        E::Model: Clone + Send + Sync,
    {
        self.with(TypeId::of::<ChildrenOf<P, E>>(), |known: &mut HashMap<i32, Vec<E::Model>>| {
            known.get(&parent).cloned()
        })
        .flatten()
    }

    /// The row of `E` with this id, if it was read ahead.
    pub fn row<E: HasId + 'static>(&self, id: i32) -> Option<E::Model>
    where
        E::Model: Clone + Send + Sync,
    {
        self.with(TypeId::of::<RowsOf<E>>(), |known: &mut HashMap<i32, E::Model>| known.get(&id).cloned()).flatten()
    }
}

/// The parents found once the statement ran: children are filed under each of them
/// (also those without any, so their empty lists need no statement either).
struct Parents {
    customers: Vec<i32>,
    vehicles: Vec<i32>,
}

/// Notes the parents a branch of rows found (vehicles, for their histories).
type Found<E> = fn(&mut Parents, &[<E as EntityTrait>::Model]);

type Feed<'a> = Box<dyn FnOnce(&mut Fetched, &Prefetched, &mut Parents) -> AppResult<()> + Send + 'a>;

/// One statement's worth of reads under construction.
pub struct Plan<'a> {
    scope: &'a Scope,
    pub bundle: Bundle,
    feeds: Vec<Feed<'a>>,
}

/// How a list of `E` under one parent is ordered: the kind's order, then the key.
fn child_order<E: Scoped>() -> Vec<(E::Column, Order)> {
    let mut order = vec![(E::order_column(), Order::Asc)];
    order.extend(E::PrimaryKey::iter().map(|key| (key.into_column(), Order::Asc)));
    order
}

impl<'a> Plan<'a> {
    pub fn new(scope: &'a Scope, backend: sea_orm::DatabaseBackend) -> Self {
        Self { scope, bundle: Bundle::new(backend), feeds: Vec::new() }
    }

    /// The rows of `E` whose parent is one of `parents` (a subquery of ids), as the
    /// loader of `E` by `P` would read them; returns the select for further subqueries.
    fn children<P: 'static, E>(&mut self, parents: SelectStatement, of: fn(&Parents) -> &[i32]) -> Select<E>
    where
        E: ChildOf<P> + 'static,
        E::Model: DeserializeOwned + Clone + Send + Sync,
    {
        let select = E::restrict(E::find(), self.scope).filter(E::parent_column().in_subquery(parents));
        let branch = self.bundle.add(select.clone(), &child_order::<E>());
        self.feeds.push(Box::new(move |fetched, prefetched, parents| {
            let rows = fetched.take(branch)?;
            prefetched.put_children::<P, E>(of(parents), rows);
            Ok(())
        }));
        select
    }

    /// The rows of `E` that `select` reads, by id (a scoped select of the kind).
    fn rows<E>(&mut self, select: Select<E>, found: Option<Found<E>>)
    where
        E: HasId + 'static,
        E::Model: DeserializeOwned + Clone + Send + Sync,
    {
        let branch = self.bundle.add(select, &child_order::<E>());
        self.feeds.push(Box::new(move |fetched, prefetched, parents| {
            let rows = fetched.take(branch)?;
            if let Some(found) = found {
                found(parents, &rows);
            }
            prefetched.put_rows::<E>(rows);
            Ok(())
        }));
    }

    /// Adds a branch whose rows the caller takes itself after [`Plan::run`].
    pub fn add<E: EntityTrait>(&mut self, select: Select<E>, order: &[(E::Column, Order)]) -> Branch<E> {
        self.bundle.add(select, order)
    }

    /// Everything a customer selection `look` will show, for the customers whose ids
    /// `customers` (a subquery) gives.
    pub fn customer_fields(&mut self, look: &Lookahead<'_>, customers: SelectStatement) {
        let of_customers: fn(&Parents) -> &[i32] = |p| &p.customers;
        let of_vehicles: fn(&Parents) -> &[i32] = |p| &p.vehicles;
        let mut stores: Vec<SelectStatement> = Vec::new();
        let mut staff_ids: Vec<SelectStatement> = Vec::new();
        if look.field("tags").exists() {
            self.children::<ByCustomer, customer_tag::Entity>(customers.clone(), of_customers);
        }
        if (look.field("contactPoints").exists() || look.field("phones").exists())
            && crate::domain::views::sees_personal(self.scope)
        {
            self.children::<ByCustomer, contact_point::Entity>(customers.clone(), of_customers);
        }
        let relations = look.field("stores");
        if relations.exists() {
            let select = self.children::<ByCustomer, customer_store::Entity>(customers.clone(), of_customers);
            if relations.field("store").exists() {
                stores.push(bundle::ids_of(select.clone(), customer_store::Column::StoreId));
            }
            if relations.field("manager").exists() {
                staff_ids.push(bundle::ids_of(select, customer_store::Column::ManagerId));
            }
        }
        let vehicles = look.field("vehicles");
        if vehicles.exists() {
            let held = self.children::<ByCustomer, vehicle_ownership::Entity>(customers.clone(), of_customers);
            let current = bundle::ids_where(
                held,
                vehicle_ownership::Column::VehicleId,
                bundle::sub_column(vehicle_ownership::Column::ToDate).is_null(),
            );
            let select = vehicle::Entity::restrict(vehicle::Entity::find(), self.scope)
                .filter(vehicle::Column::Id.in_subquery(current));
            let ids = bundle::ids_of(select.clone(), vehicle::Column::Id);
            self.rows::<vehicle::Entity>(
                select,
                Some(|parents, rows| parents.vehicles = rows.iter().map(|v| v.id).collect()),
            );
            if vehicles.field("ownershipHistory").exists() {
                self.children::<ByVehicle, vehicle_ownership::Entity>(ids.clone(), of_vehicles);
            }
            if vehicles.field("repairOrders").exists() {
                let select = self.children::<ByVehicle, repair_order::Entity>(ids, of_vehicles);
                if vehicles.field("repairOrders").field("store").exists() {
                    stores.push(bundle::ids_of(select, repair_order::Column::StoreId));
                }
            }
        }
        let timeline = look.field("timeline").exists();
        macro_rules! department {
            ($module:ident, [$($staff:literal => $column:ident)?], $($field:literal),+) => {
                let fields = [$(look.field($field)),+];
                if timeline || fields.iter().any(|f| f.exists()) {
                    let select = self.children::<ByCustomer, $module::Entity>(customers.clone(), of_customers);
                    if fields.iter().any(|f| f.field("store").exists()) {
                        stores.push(bundle::ids_of(select.clone(), $module::Column::StoreId));
                    }
                    $(if fields.iter().any(|f| f.field($staff).exists()) {
                        staff_ids.push(bundle::ids_of(select.clone(), $module::Column::$column));
                    })?
                    let _ = select;
                }
            };
        }
        department!(lead, ["owner" => OwnerId], "leads");
        department!(delivery, ["consultant" => ConsultantId], "deliveries");
        department!(repair_order, ["advisor" => AdvisorId], "repairOrders", "latestRepairOrder");
        department!(insurance_policy, [], "insurancePolicies");
        department!(parts_order, [], "partsOrders");
        department!(care_task, ["assignee" => AssigneeId], "careTasks");
        department!(complaint, [], "complaints");
        department!(survey, [], "surveys");
        if look.field("sourceRecords").exists() {
            self.children::<ByCustomer, source_record::Entity>(customers, of_customers);
        }
        if !stores.is_empty() {
            let any = stores.into_iter().fold(Condition::any(), |any, ids| any.add(store::Column::Id.in_subquery(ids)));
            self.rows::<store::Entity>(store::Entity::restrict(store::Entity::find(), self.scope).filter(any), None);
        }
        if !staff_ids.is_empty() {
            let any =
                staff_ids.into_iter().fold(Condition::any(), |any, ids| any.add(staff::Column::Id.in_subquery(ids)));
            self.rows::<staff::Entity>(staff::Entity::restrict(staff::Entity::find(), self.scope).filter(any), None);
        }
    }

    /// Runs the one statement; the caller takes its own branches from the result, then
    /// [`Plan::file`]s the rest for the loaders.
    pub async fn run<C: sea_orm::ConnectionTrait>(self, db: &C) -> AppResult<Ready<'a>> {
        let fetched = self.bundle.run(db).await?;
        Ok(Ready { fetched, feeds: self.feeds })
    }
}

/// A plan that ran.
pub struct Ready<'a> {
    pub fetched: Fetched,
    feeds: Vec<Feed<'a>>,
}

impl Ready<'_> {
    /// Files the read-ahead rows for the loaders of this request, under the `customers`
    /// the statement found.
    pub fn file(mut self, prefetched: &Prefetched, customers: &[customer::Model]) -> AppResult<()> {
        let mut parents = Parents { customers: customers.iter().map(|c| c.id).collect(), vehicles: Vec::new() };
        prefetched.put_rows::<customer::Entity>(customers.to_vec());
        for feed in self.feeds {
            feed(&mut self.fetched, prefetched, &mut parents)?;
        }
        Ok(())
    }
}

/// The customer ids of `select`, as a subquery for the plan's children.
pub fn customer_ids(select: Select<customer::Entity>) -> SelectStatement {
    bundle::ids_of(select, customer::Column::Id)
}
