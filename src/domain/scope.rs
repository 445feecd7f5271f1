//! What one caller may read, turned into row filters that every query path applies.

use entity::enums::Role;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Select};

use crate::auth::Actor;

/// How far a caller reaches for one kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every store of the group.
    Group,
    /// Only the given store.
    Store(i32),
    /// Nothing at all.
    Nothing,
}

/// The caller's read scope. Built once per request from the `Actor`.
#[derive(Debug, Clone)]
pub struct Scope {
    pub actor: Actor,
}

impl Scope {
    pub fn new(actor: Actor) -> Self {
        Self { actor }
    }

    /// Reach over customers and everything attached to them.
    pub fn customer_reach(&self) -> Reach {
        match self.actor.role {
            Role::GroupAnalyst | Role::Integration | Role::Partner => Reach::Nothing,
            _ => Reach::Group,
        }
    }

    /// Restricts a customer query to the customers the caller may see.
    pub fn customers(&self, select: Select<entity::customer::Entity>) -> Select<entity::customer::Entity> {
        use entity::{customer, customer_store};
        match self.customer_reach() {
            Reach::Group => select,
            Reach::Store(store) => select.filter(
                customer::Column::Id.in_subquery(
                    Query::select()
                        .column(customer_store::Column::CustomerId)
                        .from(customer_store::Entity)
                        .and_where(customer_store::Column::StoreId.eq(store))
                        .to_owned(),
                ),
            ),
            Reach::Nothing => select.filter(Expr::value(false)),
        }
    }

    /// A condition that keeps only rows whose `customer_col` is a visible customer.
    pub fn customer_condition<C: ColumnTrait>(&self, customer_col: C) -> Condition {
        use entity::customer_store;
        match self.customer_reach() {
            Reach::Group => Condition::all(),
            Reach::Store(store) => Condition::all().add(
                customer_col.in_subquery(
                    Query::select()
                        .column(customer_store::Column::CustomerId)
                        .from(customer_store::Entity)
                        .and_where(customer_store::Column::StoreId.eq(store))
                        .to_owned(),
                ),
            ),
            Reach::Nothing => Condition::all().add(Expr::value(false)),
        }
    }

    /// Restricts a store-owned record query (leads, deliveries, repair orders, policies,
    /// parts orders) to the stores the caller reaches for that kind.
    pub fn store_records<E: EntityTrait>(&self, reach: Reach, select: Select<E>, store_col: E::Column) -> Select<E> {
        match reach {
            Reach::Group => select,
            Reach::Store(store) => select.filter(store_col.eq(store)),
            Reach::Nothing => select.filter(Expr::value(false)),
        }
    }
}
