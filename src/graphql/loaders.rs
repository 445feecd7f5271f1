//! Per-request dataloaders. Each carries the caller's scope, so a batch never returns
//! a row the caller could not read directly; none is shared between requests.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Request};
use entity::{
    contact_point, customer, customer_store, customer_tag, delivery, insurance_policy, lead, parts_order, repair_order,
    staff, store, vehicle, vehicle_ownership,
};
use sea_orm::{DatabaseConnection, Iterable, PrimaryKeyToColumn, PrimaryKeyTrait};

use crate::domain::Scope;
use crate::domain::records::{self, ChildOf, Customer, Scoped, Vehicle};
use crate::error::AppError;

/// Lists of `E` rows by parent key of kind `P`.
pub struct ChildrenLoader<P, E> {
    db: DatabaseConnection,
    scope: Arc<Scope>,
    _kind: PhantomData<fn() -> (P, E)>,
}

impl<P: 'static, E> Loader<i32> for ChildrenLoader<P, E>
where
    E: ChildOf<P> + Send + Sync + 'static,
    E::Model: Send + Sync + Clone,
{
    type Value = Vec<E::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        records::children_of::<P, E>(&self.db, &self.scope, keys).await
    }
}

/// Single rows of `E` by primary key.
pub struct ByIdLoader<E> {
    db: DatabaseConnection,
    scope: Arc<Scope>,
    _kind: PhantomData<fn() -> E>,
}

/// Entities with an `i32` primary key `id`.
pub trait HasId: Scoped {
    fn id_of(model: &Self::Model) -> i32;
}

macro_rules! has_id {
    ($($module:ident),+) => {$(
        impl HasId for $module::Entity {
            fn id_of(model: &Self::Model) -> i32 { model.id }
        }
    )+};
}
has_id!(customer, vehicle, store, staff);

impl<E> Loader<i32> for ByIdLoader<E>
where
    E: HasId + Send + Sync + 'static,
    E::Model: Send + Sync + Clone,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    type Value = E::Model;
    type Error = AppError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let id_col = E::PrimaryKey::iter().next().expect("every entity has a primary key").into_column();
        let rows = records::by_ids::<E>(&self.db, &self.scope, keys, id_col).await?;
        Ok(rows.into_iter().map(|row| (E::id_of(&row), row)).collect())
    }
}

/// Puts a fresh set of loaders for this caller into the request.
pub fn install(request: Request, db: &DatabaseConnection, scope: Arc<Scope>) -> Request {
    macro_rules! children {
        ($request:expr, $($parent:ty => $entity:ty),+ $(,)?) => {
            $request$(.data(DataLoader::new(
                ChildrenLoader::<$parent, $entity> { db: db.clone(), scope: scope.clone(), _kind: PhantomData },
                tokio::spawn,
            )))+
        };
    }
    macro_rules! by_id {
        ($request:expr, $($entity:ty),+ $(,)?) => {
            $request$(.data(DataLoader::new(
                ByIdLoader::<$entity> { db: db.clone(), scope: scope.clone(), _kind: PhantomData },
                tokio::spawn,
            )))+
        };
    }
    let request = children!(request,
        Customer => contact_point::Entity,
        Customer => customer_tag::Entity,
        Customer => customer_store::Entity,
        Customer => vehicle_ownership::Entity,
        Customer => lead::Entity,
        Customer => delivery::Entity,
        Customer => repair_order::Entity,
        Customer => insurance_policy::Entity,
        Customer => parts_order::Entity,
        Vehicle => vehicle_ownership::Entity,
        Vehicle => repair_order::Entity,
    );
    by_id!(request, customer::Entity, vehicle::Entity, store::Entity, staff::Entity).data(scope)
}

/// The rows of `E` under one parent, batched with every other parent in this request.
pub async fn children<P: 'static, E>(ctx: &Context<'_>, parent: i32) -> async_graphql::Result<Vec<E::Model>>
where
    E: ChildOf<P> + Send + Sync + 'static,
    E::Model: Send + Sync + Clone,
{
    let loader = ctx.data::<DataLoader<ChildrenLoader<P, E>>>()?;
    Ok(loader.load_one(parent).await?.unwrap_or_default())
}

/// One row of `E` by id, batched; `None` when missing or out of scope.
pub async fn one<E>(ctx: &Context<'_>, id: i32) -> async_graphql::Result<Option<E::Model>>
where
    E: HasId + Send + Sync + 'static,
    E::Model: Send + Sync + Clone,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    let loader = ctx.data::<DataLoader<ByIdLoader<E>>>()?;
    Ok(loader.load_one(id).await?)
}

/// Several rows of `E` by id, in the order asked, skipping missing and out-of-scope ones.
pub async fn many<E>(ctx: &Context<'_>, ids: impl IntoIterator<Item = i32>) -> async_graphql::Result<Vec<E::Model>>
where
    E: HasId + Send + Sync + 'static,
    E::Model: Send + Sync + Clone,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    let ids: Vec<i32> = ids.into_iter().collect();
    let loader = ctx.data::<DataLoader<ByIdLoader<E>>>()?;
    let mut found = loader.load_many(ids.iter().copied()).await?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}
