//! Batches of records: the API entry point for integration accounts (the store from the
//! credential, each record accepted or rejected on its own, one audit entry per batch),
//! one record in its own savepoint (retried once after a racing insert), and the store
//! a code names.

use entity::store;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::apply::{Ingested, Outcome, ingest, ingest_chunk, key_of, known_sources, unchanged};
use super::kinds::{FieldError, Incoming, Raw, RecordKind};
use super::parse::{check_lengths, parse};
use crate::domain::{Scope, audit};
use crate::error::{AppError, AppResult};

/// The store a code names.
pub async fn store_by_code<C: ConnectionTrait>(conn: &C, code: &str) -> AppResult<Option<store::Model>> {
    Ok(store::Entity::find().filter(store::Column::Code.eq(code.trim())).one(conn).await?)
}

/// The result of one record of a batch.
#[derive(Debug, Clone)]
pub enum RecordResult {
    Done(Ingested),
    Rejected(Vec<FieldError>),
}

/// Most records in one API batch.
pub const MAX_BATCH: usize = 1_000;

fn resource_of(kind: RecordKind) -> crate::domain::access::Resource {
    use crate::domain::access::Resource;
    match kind {
        RecordKind::Delivery => Resource::Delivery,
        RecordKind::RepairOrder => Resource::RepairOrder,
        RecordKind::InsurancePolicy => Resource::InsurancePolicy,
        RecordKind::PartsOrder => Resource::PartsOrder,
        RecordKind::Lead => Resource::Lead,
    }
}

/// Ingests records sent through the API by an integration account: the store comes
/// from the credential, each record succeeds or is rejected on its own, and the batch
/// leaves one audit entry.
pub async fn ingest_api(
    db: &sea_orm::DatabaseConnection,
    scope: &Scope,
    meta: &audit::RequestMeta,
    records: Vec<(RecordKind, Raw)>,
) -> AppResult<Vec<RecordResult>> {
    use crate::domain::access::Action;
    use crate::domain::scope::Reach;

    if records.len() > MAX_BATCH {
        return Err(AppError::bad_input("records", format!("at most {MAX_BATCH} records per batch")));
    }
    let kinds: std::collections::BTreeSet<&str> = records.iter().map(|(k, _)| k.name()).collect();
    // Who may ingest what is the permission matrix's `ingest` action: integration
    // accounts, for their own store's and department's records.
    if RecordKind::ALL.iter().all(|kind| scope.reach(resource_of(*kind), Action::Ingest) == Reach::Nothing) {
        return Err(AppError::Forbidden("ingestion is for the integration accounts of source systems".into()));
    }
    if records.iter().all(|(kind, _)| scope.reach(resource_of(*kind), Action::Ingest) == Reach::Nothing) {
        return Err(AppError::Forbidden(format!(
            "your account may not send {} records",
            kinds.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    // Before anything is read or stored: a field beyond its documented length fails the request.
    check_lengths(records.iter().map(|(_, raw)| raw))?;
    let own_store = match scope.actor.store_id {
        Some(id) => store::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let txn = crate::db::begin_bulk(db).await?;
    let mut results: Vec<Option<RecordResult>> = Vec::with_capacity(records.len());
    let mut ready: Vec<(usize, i32, Incoming, Raw)> = Vec::new();
    for (kind, raw) in records {
        let store = match (scope.reach(resource_of(kind), Action::Ingest), &own_store) {
            (Reach::Store(_), Some(store)) => store,
            _ => {
                results.push(Some(RecordResult::Rejected(vec![FieldError {
                    field: "kind".into(),
                    reason: format!("your account may not send {} records", kind.name()),
                }])));
                continue;
            }
        };
        let incoming = match parse(kind, &raw) {
            Ok(incoming) => incoming,
            Err(errors) => {
                results.push(Some(RecordResult::Rejected(errors)));
                continue;
            }
        };
        if incoming.store_code.as_deref().is_some_and(|code| code != store.code) {
            results.push(Some(RecordResult::Rejected(vec![FieldError {
                field: "store_code".into(),
                reason: format!("records of this account belong to store {}", store.code),
            }])));
            continue;
        }
        ready.push((results.len(), store.id, incoming, raw));
        results.push(None);
    }
    // The batch's known source records in one statement: unchanged records are done
    // without a statement of their own.
    let keys: Vec<(i32, &Incoming)> = ready.iter().map(|(_, store, incoming, _)| (*store, incoming)).collect();
    let known = known_sources(&txn, &keys).await?;
    let mut pending = Vec::new();
    let mut pending_keys = std::collections::HashSet::new();
    for (slot, store_id, incoming, raw) in &ready {
        let key = key_of(*store_id, incoming);
        match unchanged(known.get(&key), incoming) {
            // Unchanged, unless an earlier record of the batch changes the same record.
            Some(done) if !pending_keys.contains(&key) => {
                if let Some(place) = results.get_mut(*slot) {
                    *place = Some(RecordResult::Done(done));
                }
            }
            _ => {
                pending_keys.insert(key);
                pending.push((*slot, *store_id, incoming, raw));
            }
        }
    }
    // The rest as one set (a few reads, multi-row writes) in a savepoint; should the set
    // fail, record by record, each in its own savepoint, so only a faulty one is rejected.
    let mut done: Vec<(usize, RecordResult)> = Vec::new();
    if !pending.is_empty() {
        use sea_orm::TransactionTrait;
        let rows: Vec<(i32, &Incoming, &Raw)> = pending.iter().map(|(_, store, i, r)| (*store, *i, *r)).collect();
        let savepoint = txn.begin().await?;
        match ingest_chunk(&savepoint, &rows, Some(&known)).await {
            Ok(all) => {
                savepoint.commit().await?;
                done.extend(pending.iter().map(|(slot, ..)| *slot).zip(all.into_iter().map(RecordResult::Done)));
            }
            Err(e) => {
                savepoint.rollback().await?;
                tracing::debug!(error = %e.message(), "a batch as one set failed; storing its records one by one");
                for (slot, store_id, incoming, raw) in &pending {
                    done.push((*slot, ingest_savepoint(&txn, *store_id, incoming, raw, &meta.request_id).await?));
                }
            }
        }
    }
    let mut touched = Vec::new();
    for (slot, result) in done {
        if let RecordResult::Done(done) = &result
            && done.outcome != Outcome::Unchanged
        {
            touched.push(i64::from(done.source_record_id));
        }
        if let Some(place) = results.get_mut(slot) {
            *place = Some(result);
        }
    }
    let results: Vec<RecordResult> = results.into_iter().flatten().collect();
    audit::record(&txn, Some(&scope.actor), meta, audit::Entry::new("INGEST", "source_record", touched)).await?;
    txn.commit().await?;
    Ok(results)
}

/// Ingests one record in a savepoint of `txn`: a record that fails leaves nothing behind
/// and the others go on.
pub async fn ingest_savepoint(
    txn: &sea_orm::DatabaseTransaction,
    store_id: i32,
    incoming: &Incoming,
    raw: &Raw,
    request_id: &str,
) -> AppResult<RecordResult> {
    use sea_orm::TransactionTrait;

    let mut savepoint = txn.begin().await?;
    let mut outcome = ingest(&savepoint, store_id, incoming, raw).await;
    if let Err(AppError::Conflict(_)) = &outcome {
        // Another caller stored the same source key (or vehicle, or contact) between our
        // look-up and our insert: look again, now that its row is committed, and end as
        // UNCHANGED or UPDATED instead of failing.
        savepoint.rollback().await?;
        savepoint = txn.begin().await?;
        outcome = ingest(&savepoint, store_id, incoming, raw).await;
    }
    match outcome {
        Ok(done) => {
            savepoint.commit().await?;
            Ok(RecordResult::Done(done))
        }
        Err(AppError::Internal(e)) => {
            savepoint.rollback().await?;
            tracing::error!(error = %e, external_id = %incoming.external_id, "ingesting a record failed");
            let reason = if request_id.is_empty() {
                "internal error (see the log)".to_owned()
            } else {
                format!("internal error; quote request id {request_id}")
            };
            Ok(RecordResult::Rejected(vec![FieldError { field: "record".into(), reason }]))
        }
        Err(other) => {
            savepoint.rollback().await?;
            Ok(RecordResult::Rejected(vec![FieldError { field: "record".into(), reason: other.message() }]))
        }
    }
}
