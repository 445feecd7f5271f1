//! Merging duplicate customers into one survivor, and undoing a merge exactly.
//!
//! A merge moves every linked record to the survivor, fills each field of the survivor
//! by survivorship (the most recently updated non-empty value; ties go to the better
//! source system), marks the others `merged_into` the survivor (their ids keep
//! resolving), and keeps a snapshot of everything it changed in `merge_event`. Undoing
//! restores that snapshot and also hands back the records that arrived in between
//! through the merged customers' own source identities.

use std::collections::BTreeMap;

use chrono::Utc;
use entity::enums::{CandidateStatus, CustomerKind, LifecycleStage, SourceSystem};
use entity::{
    contact_point, customer, customer_link, customer_store, customer_tag, duplicate_candidate, merge_event,
    source_record,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Scope;
use super::access::{Action, Resource};
use super::audit::{self, Entry, RequestMeta};
use super::identity::record_name;
use super::owned::OwnedKind;
use crate::error::{AppError, AppResult};

/// Source systems in order of trust, for survivorship ties.
pub const DEFAULT_PRIORITY: [SourceSystem; 6] = [
    SourceSystem::Sales,
    SourceSystem::Insurance,
    SourceSystem::Service,
    SourceSystem::Parts,
    SourceSystem::Crm,
    SourceSystem::Import,
];

/// Everything a merge changed, to undo it exactly.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Snapshot {
    pub customers: Vec<customer::Model>,
    /// kind → (row id, customer it belonged to).
    pub moved: BTreeMap<OwnedKind, Vec<(i32, i32)>>,
    pub contacts: Vec<contact_point::Model>,
    pub tags: Vec<customer_tag::Model>,
    pub relationships: Vec<customer_store::Model>,
    /// Queued pairs this merge decided (`MERGED`); undoing it puts them back in the queue.
    #[serde(default)]
    pub candidates: Vec<i32>,
    /// Household links of the merged customers as they were; the survivor takes them over.
    #[serde(default)]
    pub links: Vec<customer_link::Model>,
    /// Links the merge created for the survivor (deleted again on un-merge).
    #[serde(default)]
    pub created_links: Vec<i32>,
}

pub struct MergeResult {
    pub event_id: Option<i32>,
    pub survivor: customer::Model,
    /// How many rows moved, per table.
    pub moved: BTreeMap<String, usize>,
}

fn stage_rank(stage: LifecycleStage) -> u8 {
    match stage {
        LifecycleStage::Vip => 5,
        LifecycleStage::Loyal => 4,
        LifecycleStage::Base => 3,
        LifecycleStage::Lost => 2,
        LifecycleStage::Prospect => 1,
        LifecycleStage::Defeated => 0,
    }
}

/// The best source system each customer has records from (lower is better).
async fn best_source<C: ConnectionTrait>(
    conn: &C,
    ids: &[i32],
    priority: &[SourceSystem],
) -> AppResult<BTreeMap<i32, usize>> {
    let mut best = BTreeMap::new();
    for s in source_record::Entity::find()
        .filter(source_record::Column::CustomerId.is_in(ids.iter().copied()))
        .all(conn)
        .await?
    {
        let rank = priority.iter().position(|p| *p == s.system).unwrap_or(priority.len());
        let entry = best.entry(s.customer_id).or_insert(usize::MAX);
        *entry = (*entry).min(rank);
    }
    Ok(best)
}

/// Merges `merged` into `survivor`; with `dry_run` everything is computed and rolled back.
pub async fn merge(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    survivor_id: i32,
    merged_ids: &[i32],
    dry_run: bool,
    priority: &[SourceSystem],
) -> AppResult<MergeResult> {
    scope.require(Resource::Identity, Action::Update)?;
    let txn = crate::db::begin_write(db).await?;
    let result = merge_in(&txn, scope, meta, survivor_id, merged_ids, priority, None).await?;
    if dry_run {
        txn.rollback().await?;
        Ok(MergeResult { event_id: None, ..result })
    } else {
        txn.commit().await?;
        Ok(result)
    }
}

pub(crate) async fn merge_in(
    txn: &DatabaseTransaction,
    scope: &Scope,
    meta: &RequestMeta,
    survivor_id: i32,
    merged_ids: &[i32],
    priority: &[SourceSystem],
    deciding: Option<i32>,
) -> AppResult<MergeResult> {
    let mut merged_ids: Vec<i32> = merged_ids.to_vec();
    merged_ids.sort_unstable();
    merged_ids.dedup();
    if merged_ids.is_empty() || merged_ids.contains(&survivor_id) {
        return Err(AppError::bad_input("mergedIds", "name one or more customers other than the survivor"));
    }
    if merged_ids.len() > 20 {
        return Err(AppError::bad_input("mergedIds", "at most 20 customers per merge"));
    }
    let mut all = vec![survivor_id];
    all.extend(&merged_ids);
    // Concurrent merges and un-merges of the same customers wait for each other
    // (PostgreSQL row locks, taken in id order; SQLite's IMMEDIATE transaction already
    // serialises writers).
    lock_customers(txn, &all).await?;
    let customers = scope
        .customers(customer::Entity::find())
        .filter(customer::Column::Id.is_in(all.iter().copied()))
        .filter(customer::Column::MergedInto.is_null())
        .all(txn)
        .await?;
    if customers.len() != all.len() {
        return Err(AppError::NotFound("customer"));
    }
    let survivor = customers.iter().find(|c| c.id == survivor_id).cloned().ok_or(AppError::NotFound("customer"))?;
    let mut snapshot = Snapshot { customers: customers.clone(), ..Default::default() };

    // Linked records move to the survivor.
    let mut moved = BTreeMap::new();
    for kind in OwnedKind::moved() {
        let rows = kind.rows().ids_of(txn, &merged_ids).await?;
        let ids: Vec<i32> = rows.iter().map(|(id, _)| *id).collect();
        kind.rows().set_customer(txn, &ids, survivor_id).await?;
        moved.insert(kind.table().to_owned(), rows.len());
        snapshot.moved.insert(kind, rows);
    }
    // Contact points, tags and store relationships move unless the survivor has them.
    let contacts = contact_point::Entity::find()
        .filter(contact_point::Column::CustomerId.is_in(all.iter().copied()))
        .all(txn)
        .await?;
    let has_primary = contacts
        .iter()
        .any(|c| c.customer_id == survivor_id && c.is_primary && c.kind == entity::enums::ContactKind::Phone);
    let mut held: Vec<(entity::enums::ContactKind, String)> =
        contacts.iter().filter(|c| c.customer_id == survivor_id).map(|c| (c.kind, c.normalized.clone())).collect();
    for c in contacts.iter().filter(|c| c.customer_id != survivor_id) {
        snapshot.contacts.push(c.clone());
        let key = (c.kind, c.normalized.clone());
        if held.contains(&key) {
            contact_point::Entity::delete_by_id(c.id).exec(txn).await?;
        } else {
            held.push(key);
            let mut row = c.clone().into_active_model();
            row.customer_id = Set(survivor_id);
            row.is_primary = Set(c.is_primary && !has_primary);
            row.update(txn).await?;
        }
    }
    *moved.entry("contact_point".into()).or_default() += snapshot.contacts.len();
    let tags = customer_tag::Entity::find()
        .filter(customer_tag::Column::CustomerId.is_in(all.iter().copied()))
        .all(txn)
        .await?;
    let mut held_tags: Vec<String> =
        tags.iter().filter(|t| t.customer_id == survivor_id).map(|t| t.tag.clone()).collect();
    for t in tags.iter().filter(|t| t.customer_id != survivor_id) {
        snapshot.tags.push(t.clone());
        if held_tags.contains(&t.tag) {
            customer_tag::Entity::delete_by_id(t.id).exec(txn).await?;
        } else {
            held_tags.push(t.tag.clone());
            let mut row = t.clone().into_active_model();
            row.customer_id = Set(survivor_id);
            row.update(txn).await?;
        }
    }
    let rels = customer_store::Entity::find()
        .filter(customer_store::Column::CustomerId.is_in(all.iter().copied()))
        .all(txn)
        .await?;
    let mut held_stores: Vec<i32> = rels.iter().filter(|r| r.customer_id == survivor_id).map(|r| r.store_id).collect();
    for r in rels.iter().filter(|r| r.customer_id != survivor_id) {
        snapshot.relationships.push(r.clone());
        if held_stores.contains(&r.store_id) {
            customer_store::Entity::delete_by_id(r.id).exec(txn).await?;
        } else {
            held_stores.push(r.store_id);
            let mut row = r.clone().into_active_model();
            row.customer_id = Set(survivor_id);
            row.update(txn).await?;
        }
    }
    *moved.entry("customer_store".into()).or_default() += snapshot.relationships.len();

    // Survivorship: the most recently updated non-empty value, ties to the better source.
    let sources = best_source(txn, &all, priority).await?;
    let mut ranked = customers.clone();
    ranked.sort_by_key(|c| {
        (std::cmp::Reverse(c.updated_at), sources.get(&c.id).copied().unwrap_or(usize::MAX), c.id != survivor_id)
    });
    let pick = |f: &dyn Fn(&customer::Model) -> Option<String>| ranked.iter().find_map(f);
    let now = Utc::now();
    let mut row = survivor.clone().into_active_model();
    // A form of address typed after a name (陈玉兰女士) never becomes the customer's name.
    let name_of = |c: &customer::Model| record_name(&c.name, c.kind == CustomerKind::Corporate);
    // Nor does a surname alone (王, from 王先生) replace a full name.
    let full = |c: &customer::Model| {
        Some(name_of(c))
            .filter(|n| !n.is_empty() && (c.kind == CustomerKind::Corporate || !super::identity::bare_surname(n)))
    };
    row.name = Set(pick(&full)
        .or_else(|| pick(&|c| Some(name_of(c)).filter(|n| !n.is_empty())))
        .unwrap_or_else(|| name_of(&survivor)));
    row.address = Set(pick(&|c| c.address.clone().filter(|a| !a.is_empty())));
    row.city = Set(pick(&|c| c.city.clone().filter(|a| !a.is_empty())));
    row.notes = Set(pick(&|c| c.notes.clone().filter(|a| !a.is_empty())));
    if let Some(id) = ranked.iter().find_map(|c| c.id_number.clone()) {
        row.id_number_hash = Set(Some(super::normalize::id_hash(&id)));
        row.id_number = Set(Some(id));
    }
    row.gender =
        Set(ranked.iter().find_map(|c| c.gender.filter(|g| *g != entity::enums::Gender::Unknown)).or(survivor.gender));
    row.birthday = Set(ranked.iter().find_map(|c| c.birthday));
    row.lifecycle_stage = Set(customers
        .iter()
        .map(|c| c.lifecycle_stage)
        .max_by_key(|s| stage_rank(*s))
        .unwrap_or(survivor.lifecycle_stage));
    row.version = Set(survivor.version + 1);
    row.updated_at = Set(now);
    let survivor = row.update(txn).await?;
    for c in customers.iter().filter(|c| c.id != survivor_id) {
        let mut row = c.clone().into_active_model();
        row.merged_into = Set(Some(survivor_id));
        row.version = Set(c.version + 1);
        row.updated_at = Set(now);
        row.update(txn).await?;
    }
    // Pairs of these customers waiting in the queue are decided by this merge.
    let decided: Vec<i32> = duplicate_candidate::Entity::find()
        .select_only()
        .column(duplicate_candidate::Column::Id)
        .filter(duplicate_candidate::Column::Status.eq(CandidateStatus::Open))
        .filter(duplicate_candidate::Column::CustomerA.is_in(all.iter().copied()))
        .filter(duplicate_candidate::Column::CustomerB.is_in(all.iter().copied()))
        .into_tuple()
        .all(txn)
        .await?;
    if !decided.is_empty() {
        duplicate_candidate::Entity::update_many()
            .col_expr(duplicate_candidate::Column::Status, Expr::value(CandidateStatus::Merged.as_str()))
            .col_expr(duplicate_candidate::Column::ResolvedAt, Expr::value(now))
            .col_expr(duplicate_candidate::Column::ResolvedBy, Expr::value(scope.actor.staff_id))
            .filter(duplicate_candidate::Column::Id.is_in(decided.iter().copied()))
            .exec(txn)
            .await?;
    }
    hand_over_links(txn, survivor_id, &merged_ids, &mut snapshot).await?;
    snapshot.candidates = decided;
    snapshot.candidates.extend(deciding);
    snapshot.candidates.sort_unstable();
    snapshot.candidates.dedup();
    let event = merge_event::ActiveModel {
        survivor_id: Set(survivor_id),
        merged_ids: Set(json!(merged_ids)),
        snapshot: Set(serde_json::to_value(&snapshot).map_err(AppError::internal)?),
        merged_at: Set(now),
        merged_by: Set(Some(scope.actor.staff_id)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let ids = all.iter().map(|i| i64::from(*i));
    audit::record(
        txn,
        Some(&scope.actor),
        meta,
        Entry::new("MERGE_CUSTOMERS", "customer", ids).purpose(&format!("merge event {}", event.id)),
    )
    .await?;
    Ok(MergeResult { event_id: Some(event.id), survivor, moved })
}

/// Undoes the latest merge of `customer_id` (a merged customer) exactly.
pub async fn unmerge(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    customer_id: i32,
) -> AppResult<Vec<customer::Model>> {
    scope.require(Resource::Identity, Action::Update)?;
    let txn = crate::db::begin_write(db).await?;
    let merged = customer::Entity::find_by_id(customer_id).one(&txn).await?.ok_or(AppError::NotFound("customer"))?;
    let Some(survivor_id) = merged.merged_into else {
        return Err(not_merged(&txn, customer_id).await?);
    };
    // Lock both, in id order, then look again: a concurrent merge or un-merge may have
    // changed them while we waited.
    lock_customers(&txn, &[customer_id, survivor_id]).await?;
    let merged = customer::Entity::find_by_id(customer_id).one(&txn).await?.ok_or(AppError::NotFound("customer"))?;
    if merged.merged_into != Some(survivor_id) {
        return Err(AppError::Conflict("the customer changed while the un-merge waited; try again".into()));
    }
    let events = merge_event::Entity::find()
        .filter(merge_event::Column::SurvivorId.eq(survivor_id))
        .filter(merge_event::Column::UndoneAt.is_null())
        .order_by_desc(merge_event::Column::Id)
        .all(&txn)
        .await?;
    let names = |e: &merge_event::Model| serde_json::from_value::<Vec<i32>>(e.merged_ids.clone()).unwrap_or_default();
    let Some(event) = events.iter().find(|e| names(e).contains(&customer_id)).cloned() else {
        return Err(AppError::NotFound("merge"));
    };
    if events.iter().any(|e| e.id > event.id) {
        return Err(AppError::Conflict(
            "the survivor of this merge was merged with others since; undo those merges first".into(),
        ));
    }
    let survivor = customer::Entity::find_by_id(survivor_id).one(&txn).await?.ok_or(AppError::NotFound("customer"))?;
    if survivor.merged_into.is_some() {
        return Err(AppError::Conflict(
            "the survivor of this merge was itself merged since; undo that merge first".into(),
        ));
    }
    let snapshot: Snapshot = serde_json::from_value(event.snapshot.clone()).map_err(AppError::internal)?;
    let now = Utc::now();

    // Customers back as they were (their versions keep counting up).
    let mut restored = Vec::new();
    for before in &snapshot.customers {
        let current = customer::Entity::find_by_id(before.id).one(&txn).await?.ok_or(AppError::NotFound("customer"))?;
        let mut row = before.clone().into_active_model().reset_all();
        row.version = Set(current.version.max(before.version) + 1);
        restored.push(row.update(&txn).await?);
    }
    // Moved rows back to their customers.
    let mut merged_sources = Vec::new();
    for (kind, rows) in &snapshot.moved {
        let mut by_owner: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
        for (id, owner) in rows {
            by_owner.entry(*owner).or_default().push(*id);
            if *kind == OwnedKind::SourceRecord {
                merged_sources.push((*id, *owner));
            }
        }
        for (owner, ids) in by_owner {
            kind.rows().set_customer(&txn, &ids, owner).await?;
        }
    }
    // Records that arrived since through the merged customers' source identities follow them.
    for (source_id, owner) in merged_sources {
        for kind in OwnedKind::ALL.into_iter().filter(|k| k.info().from_source) {
            kind.rows().follow_source(&txn, source_id, owner).await?;
        }
    }
    // Contact points, tags and relationships: moved ones back, removed ones recreated.
    restore::<contact_point::Entity>(&txn, &snapshot.contacts, |c| c.id).await?;
    restore::<customer_tag::Entity>(&txn, &snapshot.tags, |t| t.id).await?;
    restore::<customer_store::Entity>(&txn, &snapshot.relationships, |r| r.id).await?;
    // Household links: the survivor's borrowed ones go, the merged customers' come back.
    if !snapshot.created_links.is_empty() {
        customer_link::Entity::delete_many()
            .filter(customer_link::Column::Id.is_in(snapshot.created_links.iter().copied()))
            .exec(&txn)
            .await?;
    }
    restore::<customer_link::Entity>(&txn, &snapshot.links, |l| l.id).await?;
    // The pairs this merge decided are undecided again: back in the queue.
    let restored_ids: Vec<i32> = snapshot.customers.iter().map(|c| c.id).collect();
    duplicate_candidate::Entity::update_many()
        .col_expr(duplicate_candidate::Column::Status, Expr::value(CandidateStatus::Open.as_str()))
        .col_expr(duplicate_candidate::Column::ResolvedAt, Expr::value(Option::<chrono::DateTime<Utc>>::None))
        .col_expr(duplicate_candidate::Column::ResolvedBy, Expr::value(Option::<i32>::None))
        .filter(duplicate_candidate::Column::Status.eq(CandidateStatus::Merged))
        .filter(
            Condition::any().add(duplicate_candidate::Column::Id.is_in(snapshot.candidates.iter().copied())).add(
                Condition::all()
                    .add(duplicate_candidate::Column::CustomerA.is_in(restored_ids.iter().copied()))
                    .add(duplicate_candidate::Column::CustomerB.is_in(restored_ids.iter().copied())),
            ),
        )
        .exec(&txn)
        .await?;
    let mut row = event.clone().into_active_model();
    row.undone_at = Set(Some(now));
    row.undone_by = Set(Some(scope.actor.staff_id));
    row.update(&txn).await?;
    let ids = snapshot.customers.iter().map(|c| i64::from(c.id));
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("UNMERGE_CUSTOMER", "customer", ids).purpose(&format!("undo merge event {}", event.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(restored)
}

/// The refusal of `unmergeCustomer` for a customer that was not merged away: it takes the
/// id of a merged customer (one of the merge's `mergedIds`), never the survivor's.
/// The merged customers' household links pass to the survivor (`customer_link` holds two
/// customers, so it is not in the registry of `customer_id` tables): each link is kept in
/// the snapshot and removed, and the survivor is linked to the other side unless that is
/// the survivor itself or the link exists already.
async fn hand_over_links(
    txn: &DatabaseTransaction,
    survivor_id: i32,
    merged_ids: &[i32],
    snapshot: &mut Snapshot,
) -> AppResult<()> {
    let links = customer_link::Entity::find()
        .filter(
            Condition::any()
                .add(customer_link::Column::CustomerA.is_in(merged_ids.iter().copied()))
                .add(customer_link::Column::CustomerB.is_in(merged_ids.iter().copied())),
        )
        .order_by_asc(customer_link::Column::Id)
        .all(txn)
        .await?;
    if links.is_empty() {
        return Ok(());
    }
    customer_link::Entity::delete_many()
        .filter(customer_link::Column::Id.is_in(links.iter().map(|l| l.id)))
        .exec(txn)
        .await?;
    for link in &links {
        let other = if merged_ids.contains(&link.customer_a) { link.customer_b } else { link.customer_a };
        if other == survivor_id || merged_ids.contains(&other) {
            continue;
        }
        let (a, b) = if survivor_id < other { (survivor_id, other) } else { (other, survivor_id) };
        let exists = customer_link::Entity::find()
            .filter(customer_link::Column::CustomerA.eq(a))
            .filter(customer_link::Column::CustomerB.eq(b))
            .one(txn)
            .await?
            .is_some();
        if !exists {
            let created = customer_link::ActiveModel {
                customer_a: Set(a),
                customer_b: Set(b),
                kind: Set(link.kind.clone()),
                reason: Set(link.reason.clone()),
                created_at: Set(link.created_at),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            snapshot.created_links.push(created.id);
        }
    }
    snapshot.links = links;
    Ok(())
}

/// Locks the rows of these customers for the rest of the transaction, in id order (no
/// lock on SQLite, whose IMMEDIATE write transactions are serialised already).
async fn lock_customers(txn: &DatabaseTransaction, ids: &[i32]) -> AppResult<()> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .filter(customer::Column::Id.is_in(ids))
        .order_by_asc(customer::Column::Id)
        .lock_exclusive()
        .into_tuple::<i32>()
        .all(txn)
        .await?;
    Ok(())
}

/// Puts `rows` back as the snapshot kept them: updated where they still exist, inserted
/// again where the merge removed them.
async fn restore<E>(txn: &DatabaseTransaction, rows: &[E::Model], id_of: impl Fn(&E::Model) -> i32) -> AppResult<()>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel> + Clone,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<i32>,
{
    for model in rows {
        let row = model.clone().into_active_model().reset_all();
        if E::find_by_id(id_of(model)).one(txn).await?.is_some() {
            row.update(txn).await?;
        } else {
            E::insert(row).exec_without_returning(txn).await?;
        }
    }
    Ok(())
}

async fn not_merged<C: ConnectionTrait>(conn: &C, customer_id: i32) -> AppResult<AppError> {
    let absorbed: Vec<i32> = merge_event::Entity::find()
        .filter(merge_event::Column::SurvivorId.eq(customer_id))
        .filter(merge_event::Column::UndoneAt.is_null())
        .order_by_asc(merge_event::Column::Id)
        .all(conn)
        .await?
        .iter()
        .flat_map(|e| serde_json::from_value::<Vec<i32>>(e.merged_ids.clone()).unwrap_or_default())
        .collect();
    let takes = "unmergeCustomer takes the id of a customer that was merged away (one of the merge's \
                 mergedIds), not the survivor's";
    let message = if absorbed.is_empty() {
        format!("customer {customer_id} is not merged into another; {takes}")
    } else {
        let ids: Vec<String> = absorbed.iter().map(i32::to_string).collect();
        format!("customer {customer_id} is a merge survivor; {takes}: here {}", ids.join(" or "))
    };
    Ok(AppError::bad_input("id", message))
}
