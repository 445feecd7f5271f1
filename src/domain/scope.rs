//! What one caller may do, turned into row filters that every query path applies.
//! The rules come from the permission matrix in `access.rs`.

use entity::enums::Role;
use entity::{customer_store, lead};
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, QueryFilter, Select};

use super::access::{Action, Level, Resource, permission};
use crate::auth::Actor;
use crate::error::AppError;

/// How far a caller reaches for one kind of record and action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every store of the group.
    Group,
    /// Only the given store.
    Store(i32),
    /// Only the caller's own records (as owner) in the given store.
    Own { store: i32, staff: i32 },
    /// Only what was shared with the given (partner) store.
    Shared(i32),
    /// Nothing at all.
    Nothing,
}

/// The caller's scope. Built once per request from the `Actor`.
#[derive(Debug, Clone)]
pub struct Scope {
    pub actor: Actor,
}

fn customers_of_store(store: i32) -> SelectStatement {
    Query::select()
        .column(customer_store::Column::CustomerId)
        .from(customer_store::Entity)
        .and_where(customer_store::Column::StoreId.eq(store))
        .to_owned()
}

/// The customers of a partner store: those of the leads it accepted from the group.
fn customers_shared_with(store: i32) -> SelectStatement {
    Query::select()
        .column(lead::Column::CustomerId)
        .from(lead::Entity)
        .and_where(lead::Column::StoreId.eq(store))
        .to_owned()
}

fn nothing() -> Condition {
    Condition::all().add(Expr::value(false))
}

impl Scope {
    pub fn new(actor: Actor) -> Self {
        Self { actor }
    }

    pub fn role(&self) -> Role {
        self.actor.role
    }

    /// How far the caller reaches for `action` on `resource`.
    pub fn reach(&self, resource: Resource, action: Action) -> Reach {
        let store = self.actor.store_id;
        match (permission(self.actor.role, resource, action), store) {
            (Some(Level::Group), _) => Reach::Group,
            (Some(Level::Store), Some(store)) => Reach::Store(store),
            (Some(Level::Own), Some(store)) => Reach::Own { store, staff: self.actor.staff_id },
            (Some(Level::Shared), Some(store)) => Reach::Shared(store),
            (Some(Level::Department), Some(store)) if resource.department() == Some(self.actor.department) => {
                Reach::Store(store)
            }
            _ => Reach::Nothing,
        }
    }

    /// Fails with FORBIDDEN when the caller may not `action` any `resource` at all.
    /// Records merely out of scope are not forbidden: they look missing.
    pub fn require(&self, resource: Resource, action: Action) -> Result<Reach, AppError> {
        match self.reach(resource, action) {
            Reach::Nothing => {
                Err(AppError::Forbidden(format!("your role may not {} {}", action.name(), resource.name())))
            }
            reach => Ok(reach),
        }
    }

    /// A condition keeping only rows whose `customer_col` is a customer the caller may read.
    pub fn customer_condition<C: ColumnTrait>(&self, customer_col: C) -> Condition {
        self.customer_condition_for(self.reach(Resource::Customer, Action::Read), customer_col)
    }

    /// A condition keeping only rows whose `customer_col` is a customer within `reach`.
    pub fn customer_condition_for<C: ColumnTrait>(&self, reach: Reach, customer_col: C) -> Condition {
        match reach {
            Reach::Group => Condition::all(),
            Reach::Store(store) | Reach::Own { store, .. } => {
                Condition::all().add(customer_col.in_subquery(customers_of_store(store)))
            }
            Reach::Shared(store) => Condition::all().add(customer_col.in_subquery(customers_shared_with(store))),
            Reach::Nothing => nothing(),
        }
    }

    /// Restricts a customer query to the customers the caller may read.
    pub fn customers(&self, select: Select<entity::customer::Entity>) -> Select<entity::customer::Entity> {
        select.filter(self.customer_condition(entity::customer::Column::Id))
    }

    /// A condition keeping only the store-owned records of `resource` the caller may
    /// perform `action` on: their store must be in reach and their customer visible.
    pub fn store_record_condition<C: ColumnTrait>(
        &self,
        resource: Resource,
        action: Action,
        store_col: C,
        customer_col: C,
        owner_col: Option<C>,
    ) -> Condition {
        let records = match self.reach(resource, action) {
            Reach::Group => Condition::all(),
            Reach::Store(store) => Condition::all().add(store_col.eq(store)),
            Reach::Own { store, staff } => match owner_col {
                Some(owner) => Condition::all().add(store_col.eq(store)).add(owner.eq(staff)),
                None => nothing(),
            },
            // A partner's leads are the ones it accepted: they belong to its store.
            Reach::Shared(store) if resource == Resource::Lead => Condition::all().add(store_col.eq(store)),
            Reach::Shared(_) | Reach::Nothing => return nothing(),
        };
        records.add(self.customer_condition(customer_col))
    }
}
