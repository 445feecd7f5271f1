//! Per-request dataloaders. Each carries the caller's scope, so a batch never returns
//! a row the caller could not read directly; none is shared between requests.

use std::collections::{HashMap, VecDeque};
use std::future::{Future, poll_fn};
use std::marker::PhantomData;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::task::{ArcWake, AtomicWaker, waker};

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Request};
use entity::{complaint, customer, lead, repair_order, staff, store, vehicle, vehicle_ownership};
use sea_orm::{DatabaseConnection, Iterable, PrimaryKeyToColumn, PrimaryKeyTrait};

use super::prefetch::Prefetched;
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

/// Household links by customer: (other customer, reason).
pub struct HouseholdLoader {
    db: DatabaseConnection,
    scope: Arc<Scope>,
}

impl Loader<i32> for HouseholdLoader {
    type Value = Vec<(i32, String)>;
    type Error = AppError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        crate::domain::identity::households(&self.db, &self.scope, keys).await
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
has_id!(customer, vehicle, store, staff, lead, complaint);

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

/// Runs the batch loads of one request inside that request's own task, in rounds: a
/// round of loads starts only when the resolvers are idle (every resolver that can run
/// has run and registered its keys) and the previous round is done. So keys are batched
/// by the shape of the query, never by timing: a page costs the same few statements
/// whatever its size. The resolvers themselves are never frozen — one that holds a
/// connection always runs on to release it — and at most `max_loads` statements of a
/// round run at once, so one request holds a bounded share of the pool.
#[derive(Clone)]
pub struct LoadQueue {
    inner: Arc<QueueInner>,
    max_loads: usize,
}

impl Default for LoadQueue {
    fn default() -> Self {
        Self::new(2)
    }
}

#[derive(Default)]
struct QueueInner {
    incoming: Mutex<Vec<BoxFuture<'static, ()>>>,
    waker: AtomicWaker,
}

/// The waker handed to the resolvers: it notes that they asked to run again.
#[derive(Default)]
struct WorkWaker {
    woken: AtomicBool,
    parent: AtomicWaker,
}

impl ArcWake for WorkWaker {
    fn wake_by_ref(this: &Arc<Self>) {
        this.woken.store(true, Ordering::SeqCst);
        this.parent.wake();
    }
}

impl LoadQueue {
    /// A queue running at most `max_loads` (at least one) load statements at once.
    pub fn new(max_loads: usize) -> Self {
        Self { inner: Arc::default(), max_loads: max_loads.max(1) }
    }

    fn spawner(&self) -> impl Fn(BoxFuture<'static, ()>) + Send + Sync + 'static {
        let inner = self.inner.clone();
        move |load| {
            inner.incoming.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(load);
            inner.waker.wake();
        }
    }

    /// Drives `work` together with the loads it queues, until `work` is done.
    pub async fn drive<F: Future>(&self, work: F) -> F::Output {
        let mut work = pin!(work);
        let mut running: FuturesUnordered<BoxFuture<'static, ()>> = FuturesUnordered::new();
        let mut waiting: VecDeque<BoxFuture<'static, ()>> = VecDeque::new();
        let flag = Arc::new(WorkWaker::default());
        let work_waker = waker(flag.clone());
        poll_fn(|cx| {
            loop {
                flag.parent.register(cx.waker());
                self.inner.waker.register(cx.waker());
                // The round in flight goes on, at most `max_loads` statements at once.
                loop {
                    while running.len() < self.max_loads {
                        let Some(load) = waiting.pop_front() else { break };
                        running.push(load);
                    }
                    if !matches!(running.poll_next_unpin(cx), Poll::Ready(Some(()))) {
                        break;
                    }
                }
                // The resolvers always run until they wait on something other than
                // themselves: a resolver in the middle of a statement finishes it.
                loop {
                    flag.woken.store(false, Ordering::SeqCst);
                    if let Poll::Ready(output) = work.as_mut().poll(&mut TaskContext::from_waker(&work_waker)) {
                        return Poll::Ready(output);
                    }
                    if !flag.woken.swap(false, Ordering::SeqCst) {
                        break;
                    }
                }
                // A new round starts only when the last one is done and the resolvers
                // are idle: batches then follow the query's shape, not which load
                // happened to finish first.
                if !running.is_empty() || !waiting.is_empty() {
                    return Poll::Pending;
                }
                let queued = std::mem::take(&mut *self.inner.incoming.lock().unwrap_or_else(|p| p.into_inner()));
                if queued.is_empty() {
                    return Poll::Pending;
                }
                waiting.extend(queued);
            }
        })
        .await
    }
}

/// Puts a fresh set of loaders for this caller into the request; their loads run on
/// `queue`, which the caller drives (see `graphql::execute`).
pub fn install(request: Request, db: &DatabaseConnection, scope: Arc<Scope>, queue: &LoadQueue) -> Request {
    macro_rules! children {
        ($request:expr, $($parent:ty => $entity:ty),+ $(,)?) => {
            $request$(.data(DataLoader::new(
                ChildrenLoader::<$parent, $entity> { db: db.clone(), scope: scope.clone(), _kind: PhantomData },
                queue.spawner(),
            ).delay(Duration::ZERO)))+
        };
    }
    macro_rules! by_id {
        ($request:expr, $($entity:ty),+ $(,)?) => {
            $request$(.data(DataLoader::new(
                ByIdLoader::<$entity> { db: db.clone(), scope: scope.clone(), _kind: PhantomData },
                queue.spawner(),
            ).delay(Duration::ZERO)))+
        };
    }
    // Every customer-owned kind of the registry has its batched, scoped loader.
    macro_rules! customer_children {
        ($request:expr, $($module:ident),+ $(,)?) => {
            children!($request, $(Customer => entity::$module::Entity),+)
        };
    }
    let request = crate::owned_entities!(customer_children!(request,));
    let request = children!(request,
        Vehicle => vehicle_ownership::Entity,
        Vehicle => repair_order::Entity,
        records::Lead => entity::lead_follow_up::Entity,
        records::Complaint => entity::complaint_event::Entity,
    );
    let households = DataLoader::new(HouseholdLoader { db: db.clone(), scope: scope.clone() }, queue.spawner())
        .delay(Duration::ZERO);
    by_id!(request, customer::Entity, vehicle::Entity, store::Entity, staff::Entity, lead::Entity, complaint::Entity)
        .data(households)
        .data(scope)
        .data(super::prefetch::Prefetched::default())
}

/// The rows of `E` under one parent, batched with every other parent in this request.
pub async fn children<P: 'static, E>(ctx: &Context<'_>, parent: i32) -> async_graphql::Result<Vec<E::Model>>
where
    E: ChildOf<P> + Send + Sync + 'static,
    E::Model: Send + Sync + Clone,
{
    if let Some(rows) = ctx.data_opt::<Prefetched>().and_then(|p| p.children::<P, E>(parent)) {
        return Ok(rows);
    }
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
    if let Some(row) = ctx.data_opt::<Prefetched>().and_then(|p| p.row::<E>(id)) {
        return Ok(Some(row));
    }
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
    let mut found: HashMap<i32, E::Model> = match ctx.data_opt::<Prefetched>() {
        Some(prefetched) => ids.iter().filter_map(|id| prefetched.row::<E>(*id).map(|row| (*id, row))).collect(),
        None => HashMap::new(),
    };
    let missing: Vec<i32> = ids.iter().copied().filter(|id| !found.contains_key(id)).collect();
    if !missing.is_empty() {
        let loader = ctx.data::<DataLoader<ByIdLoader<E>>>()?;
        found.extend(loader.load_many(missing).await?);
    }
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}
