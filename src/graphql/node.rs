//! Relay's object identification: the `Node` interface and `node`/`nodes`, resolving
//! any object by its global id (see [`super::ids`]) within the caller's scope. Out of
//! scope, missing, of an unknown kind or not an id at all: null, all alike.

use std::collections::HashMap;

use async_graphql::{Context, ID, Interface, Object, Result};
use entity::{
    customer, delivery, duplicate_candidate, insurance_policy, lead, parts_order, repair_order, source_record, staff,
    store, vehicle,
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
use crate::domain::audit;
use crate::domain::records::{self, Scoped};
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
    let keyed = |id: i32, node: Node| (i64::from(id), node);
    Ok(match kind {
        Kind::Customer => {
            let scope = super::scope(ctx)?;
            loaders::many::<customer::Entity>(ctx, narrow)
                .await?
                .into_iter()
                .map(|row| keyed(row.id, Node::Customer(Customer::new(scope, row))))
                .collect()
        }
        Kind::Vehicle => loaders::many::<vehicle::Entity>(ctx, narrow)
            .await?
            .into_iter()
            .map(|row| keyed(row.id, Node::Vehicle(Vehicle(row))))
            .collect(),
        Kind::Store => loaders::many::<store::Entity>(ctx, narrow)
            .await?
            .into_iter()
            .map(|row| keyed(row.id, Node::Store(Store(row))))
            .collect(),
        Kind::Staff => loaders::many::<staff::Entity>(ctx, narrow)
            .await?
            .into_iter()
            .map(|row| keyed(row.id, Node::Staff(Staff(row))))
            .collect(),
        Kind::Lead => {
            scoped::<lead::Entity>(ctx, &narrow).await?.into_iter().map(|r| keyed(r.id, Node::Lead(Lead(r)))).collect()
        }
        Kind::Delivery => scoped::<delivery::Entity>(ctx, &narrow)
            .await?
            .into_iter()
            .map(|r| keyed(r.id, Node::Delivery(Delivery(r))))
            .collect(),
        Kind::RepairOrder => scoped::<repair_order::Entity>(ctx, &narrow)
            .await?
            .into_iter()
            .map(|r| keyed(r.id, Node::RepairOrder(RepairOrder(r))))
            .collect(),
        Kind::InsurancePolicy => scoped::<insurance_policy::Entity>(ctx, &narrow)
            .await?
            .into_iter()
            .map(|r| keyed(r.id, Node::InsurancePolicy(InsurancePolicy(r))))
            .collect(),
        Kind::PartsOrder => scoped::<parts_order::Entity>(ctx, &narrow)
            .await?
            .into_iter()
            .map(|r| keyed(r.id, Node::PartsOrder(PartsOrder(r))))
            .collect(),
        Kind::SourceRecord => scoped::<source_record::Entity>(ctx, &narrow)
            .await?
            .into_iter()
            .map(|r| keyed(r.id, Node::SourceRecord(SourceRecord(r))))
            .collect(),
        // The queue is read whole or not at all (the permission matrix's Identity row).
        Kind::DuplicateCandidate if scope(ctx)?.require(Resource::Identity, Action::Read).is_ok() => {
            scoped::<duplicate_candidate::Entity>(ctx, &narrow)
                .await?
                .into_iter()
                .map(|r| keyed(r.id, Node::DuplicateCandidate(DuplicateCandidate(r))))
                .collect()
        }
        Kind::AuditEntry => audit_entries(ctx, keys).await?,
        // API keys have no read in the domain yet; merge events are not objects.
        Kind::DuplicateCandidate | Kind::ApiKey | Kind::MergeEvent => Vec::new(),
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

/// Audit entries by id, for the roles that read the audit log.
async fn audit_entries(ctx: &Context<'_>, keys: &[i64]) -> Result<Vec<(i64, Node)>> {
    let scope = scope(ctx)?;
    if scope.require(Resource::AuditLog, Action::Read).is_err() {
        return Ok(Vec::new());
    }
    let mut entries = Vec::new();
    for &key in keys {
        let Some(before) = key.checked_add(1) else { continue };
        let (rows, _) = audit::page(db(ctx), scope, &audit::Filter::default(), Some(before), 1).await?;
        entries
            .extend(rows.into_iter().filter(|row| row.id == key).map(|row| (key, Node::AuditEntry(AuditEntry(row)))));
    }
    Ok(entries)
}
