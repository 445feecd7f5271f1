//! The duplicate queue: pairs of customers that may be one person, queued by identity
//! resolution, listed most likely first, and decided by a person (merge or different
//! people). A merge undone puts the pairs it decided back in the queue.

use chrono::Utc;
use entity::duplicate_candidate;
use entity::enums::{CandidateStatus, SourceSystem};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde_json::json;

use super::Scope;
use super::access::{Action, Resource};
use super::audit::{self, Entry, RequestMeta};
use super::identity::ordered;
use super::merge::merge_in;
use crate::error::{AppError, AppResult};

/// Queues a pair of customers that may be one person (once; a pair already queued or
/// decided stays as it is).
pub async fn queue_candidate<C: ConnectionTrait>(
    conn: &C,
    a: i32,
    b: i32,
    score: i32,
    reasons: &[String],
) -> AppResult<()> {
    queue_candidates(conn, &[(a, b, score, reasons.to_vec())]).await
}

/// Queues pairs (a, b, score, reasons), each pair once (the first kept), many per
/// statement; a customer paired with itself is skipped.
pub async fn queue_candidates<C: ConnectionTrait>(conn: &C, pairs: &[(i32, i32, i32, Vec<String>)]) -> AppResult<()> {
    let mut unique: std::collections::BTreeMap<(i32, i32), (i32, &[String])> = std::collections::BTreeMap::new();
    for (a, b, score, reasons) in pairs.iter().filter(|(a, b, ..)| a != b) {
        unique.entry(ordered(*a, *b)).or_insert((*score, reasons));
    }
    let now = Utc::now();
    let rows: Vec<duplicate_candidate::ActiveModel> = unique
        .into_iter()
        .map(|((a, b), (score, reasons))| duplicate_candidate::ActiveModel {
            customer_a: Set(a),
            customer_b: Set(b),
            score: Set(score),
            reasons: Set(json!(reasons)),
            status: Set(CandidateStatus::Open),
            created_at: Set(now),
            ..Default::default()
        })
        .collect();
    for part in rows.chunks(500) {
        duplicate_candidate::Entity::insert_many(part.to_vec())
            .on_conflict(
                OnConflict::columns([duplicate_candidate::Column::CustomerA, duplicate_candidate::Column::CustomerB])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Decides a queued pair: merge it (into `survivor`) or mark the two as different
/// people. Either way the pair leaves the queue for good.
pub async fn resolve_candidate(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    candidate_id: i32,
    same_person: bool,
    survivor: Option<i32>,
    priority: &[SourceSystem],
) -> AppResult<duplicate_candidate::Model> {
    scope.require(Resource::Identity, Action::Update)?;
    let txn = crate::db::begin_write(db).await?;
    let candidate = duplicate_candidate::Entity::find_by_id(candidate_id)
        .filter(duplicate_candidate::Column::Status.eq(CandidateStatus::Open))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("open duplicate candidate"))?;
    let now = Utc::now();
    let status = if same_person {
        let survivor = survivor.unwrap_or(candidate.customer_a);
        let other = if survivor == candidate.customer_a {
            candidate.customer_b
        } else if survivor == candidate.customer_b {
            candidate.customer_a
        } else {
            return Err(AppError::bad_input("survivorId", "the survivor must be one of the pair"));
        };
        // Either side may have been merged elsewhere since: merge the live ones.
        let survivor = super::ingest::live_customer(&txn, survivor).await?;
        let other = super::ingest::live_customer(&txn, other).await?;
        if survivor != other {
            merge_in(&txn, scope, meta, survivor, &[other], priority, Some(candidate_id)).await?;
        }
        CandidateStatus::Merged
    } else {
        CandidateStatus::Distinct
    };
    let mut row = candidate.into_active_model();
    row.status = Set(status);
    row.resolved_at = Set(Some(now));
    row.resolved_by = Set(Some(scope.actor.staff_id));
    let decided = row.update(&txn).await?;
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("RESOLVE_DUPLICATE", "duplicate_candidate", [i64::from(candidate_id)]).purpose(status.as_str()),
    )
    .await?;
    txn.commit().await?;
    Ok(decided)
}

/// Narrows the duplicate queue to the pairs of one status.
#[derive(Debug)]
pub struct CandidateFilter {
    pub status: CandidateStatus,
}

impl super::listing::ListFilter<duplicate_candidate::Entity> for CandidateFilter {
    fn condition(&self, _scope: &Scope) -> sea_orm::Condition {
        sea_orm::Condition::all().add(duplicate_candidate::Column::Status.eq(self.status))
    }
}

/// The queue's one order: most likely first (by score, then id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CandidateSort {
    #[default]
    Score,
}

crate::sort_key!(CandidateSort, duplicate_candidate::Entity,
    Score => "score", Score, |r| super::keyset::SortValue::Int(r.score.into());
);
