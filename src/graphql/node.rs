//! Relay's object identification: the `Node` interface and `node`/`nodes`, resolving
//! any object by its global id (see [`super::ids`]) within the caller's scope. Out of
//! scope, missing, of an unknown kind or not an id at all: null, all alike.

use std::collections::HashMap;

use async_graphql::{Context, ID, Interface, Object, Result};
use entity::{
    api_key, audit_log, customer, delivery, duplicate_candidate, insurance_policy, lead, parts_order, repair_order,
    source_record, staff, store, vehicle,
};
use sea_orm::{Iterable, PrimaryKeyToColumn, PrimaryKeyTrait};

use super::audit::AuditEntry;
use super::auth::ApiKey;
use super::customers::Customer;
use super::identity::{DuplicateCandidate, SourceRecord};
use super::ids::{self, Kind};
use super::insurance::InsurancePolicy;
use super::org::{Staff, Store};
use super::parts::PartsOrder;
use super::sales::{Delivery, Lead};
use super::service::RepairOrder;
use super::vehicles::Vehicle;
use super::{db, loaders, scope};
use crate::domain::access::{Action, Resource};
use crate::domain::records::{self, Scoped};
use crate::domain::scope::Reach;
use crate::error::AppError;

/// The most ids one `nodes` call takes.
pub const MAX_NODES: usize = 100;

/// An object with a global id: `node(id:)` finds it again.
#[derive(Interface, Clone)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque and unique across all types; pass it to `node(id:)`."))]
pub enum Node {
    Customer(Customer),
    Vehicle(Vehicle),
    Lead(Lead),
    Delivery(Delivery),
    RepairOrder(RepairOrder),
    InsurancePolicy(InsurancePolicy),
    PartsOrder(PartsOrder),
    Store(Store),
    Staff(Staff),
    DuplicateCandidate(DuplicateCandidate),
    ApiKey(ApiKey),
    SourceRecord(SourceRecord),
    AuditEntry(AuditEntry),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its id, within the caller's scope; null when there is none the
    /// caller may read (an id of no object, out of scope, or not an id at all).
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        Ok(resolve(ctx, std::slice::from_ref(&id)).await?.pop().flatten())
    }

    /// Objects by id (at most 100), in the order asked: null for each id `node` would
    /// answer null for.
    #[graphql(complexity = "ids.len() * child_complexity")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(AppError::bad_input("ids", format!("at most {MAX_NODES} ids at once")).into());
        }
        resolve(ctx, &ids).await
    }
}

/// The objects `ids` name, in order: one statement (or loader batch) per kind asked.
async fn resolve(ctx: &Context<'_>, asked: &[ID]) -> Result<Vec<Option<Node>>> {
    scope(ctx)?;
    let named: Vec<Option<(Kind, i64)>> = asked.iter().map(|id| ids::decode(id)).collect();
    let mut found: HashMap<(Kind, i64), Node> = HashMap::new();
    for kind in Kind::ALL {
        let mut keys: Vec<i64> = named.iter().flatten().filter(|(k, _)| *k == kind).map(|(_, key)| *key).collect();
        keys.sort_unstable();
        keys.dedup();
        if !keys.is_empty() {
            found.extend(load(ctx, kind, &keys).await?.into_iter().map(|(key, node)| ((kind, key), node)));
        }
    }
    Ok(named.into_iter().map(|name| name.and_then(|name| found.get(&name).cloned())).collect())
}

/// The `kind` objects of `keys` the caller may read, with their keys.
async fn load(ctx: &Context<'_>, kind: Kind, keys: &[i64]) -> Result<Vec<(i64, Node)>> {
    let narrow: Vec<i32> = keys.iter().filter_map(|key| i32::try_from(*key).ok()).collect();
    // Through the per-request loaders (batched with the rest of the request) …
    macro_rules! loaded {
        ($entity:ident, $node:expr) => {
            loaders::many::<$entity::Entity>(ctx, narrow)
                .await?
                .into_iter()
                .map(|r| (i64::from(r.id), $node(r)))
                .collect()
        };
    }
    // … or in one statement through the domain's row scoping.
    macro_rules! scoped {
        ($entity:ident, $node:expr) => {
            scoped::<$entity::Entity>(ctx, &narrow).await?.into_iter().map(|r| (i64::from(r.id), $node(r))).collect()
        };
    }
    let scope = scope(ctx)?;
    Ok(match kind {
        Kind::Customer => loaded!(customer, |r| Node::Customer(Customer::new(scope, r))),
        Kind::Vehicle => loaded!(vehicle, |r| Node::Vehicle(Vehicle(r))),
        Kind::Store => loaded!(store, |r| Node::Store(Store(r))),
        // Any staff account by id is account data (the matrix's Accounts row); others
        // meet staff only through the records they may read (a lead's owner, …).
        Kind::Staff if scope.reach(Resource::Accounts, Action::Read) != Reach::Nothing => {
            loaded!(staff, |r| Node::Staff(Staff(r)))
        }
        Kind::Staff => Vec::new(),
        Kind::Lead => scoped!(lead, |r| Node::Lead(Lead(r))),
        Kind::Delivery => scoped!(delivery, |r| Node::Delivery(Delivery(r))),
        Kind::RepairOrder => scoped!(repair_order, |r| Node::RepairOrder(RepairOrder(r))),
        Kind::InsurancePolicy => scoped!(insurance_policy, |r| Node::InsurancePolicy(InsurancePolicy(r))),
        Kind::PartsOrder => scoped!(parts_order, |r| Node::PartsOrder(PartsOrder(r))),
        Kind::SourceRecord => scoped!(source_record, |r| Node::SourceRecord(SourceRecord(r))),
        Kind::DuplicateCandidate => scoped!(duplicate_candidate, |r| Node::DuplicateCandidate(DuplicateCandidate(r))),
        Kind::AuditEntry => scoped!(audit_log, |r| Node::AuditEntry(AuditEntry(r))),
        Kind::ApiKey => scoped!(api_key, |r| Node::ApiKey(ApiKey(r))),
        // Merge events are not objects of the API.
        Kind::MergeEvent
        | Kind::FollowUp
        | Kind::LeadOffer
        | Kind::Consent
        | Kind::CareTask
        | Kind::Complaint
        | Kind::Survey => Vec::new(),
    })
}

/// Rows of `E` by id through the domain's row scoping, in one statement.
async fn scoped<E>(ctx: &Context<'_>, ids: &[i32]) -> Result<Vec<E::Model>>
where
    E: Scoped,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    let Some(key) = E::PrimaryKey::iter().next() else { return Ok(Vec::new()) };
    Ok(records::by_ids::<E>(db(ctx), scope(ctx)?, ids, key.into_column()).await?)
}
