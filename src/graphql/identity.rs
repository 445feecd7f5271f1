//! Unification: where a customer's data came from, the duplicate queue, merges and
//! un-merges (GROUP_ADMIN and GROUP_CRM).

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::enums::SourceSystem as StoredSystem;
use entity::{customer, duplicate_candidate, source_record, store};

use super::customers::Customer;
use super::enums::SourceSystem;
use super::ids::{self, Kind};
use super::org::Store;
use super::pagination::{KeyCursor, Window, list};
use super::{db, loaders, meta, scope};
use crate::domain::{duplicates, merge};
use crate::error::AppError;

/// Source systems in order of trust for survivorship ties; set from HUB_SOURCE_PRIORITY.
#[derive(Debug, Clone)]
pub struct SourcePriority(pub Vec<StoredSystem>);

impl Default for SourcePriority {
    fn default() -> Self {
        Self(merge::DEFAULT_PRIORITY.to_vec())
    }
}

fn priority<'a>(ctx: &Context<'a>) -> &'a [StoredSystem] {
    static DEFAULT: std::sync::LazyLock<SourcePriority> = std::sync::LazyLock::new(SourcePriority::default);
    &ctx.data_opt::<SourcePriority>().unwrap_or(&DEFAULT).0
}

/// A record as a department's system sent it (its payload stays in the hub).
#[derive(Clone)]
pub struct SourceRecord(pub source_record::Model);

#[Object]
impl SourceRecord {
    pub(crate) async fn id(&self) -> ID {
        ids::global(Kind::SourceRecord, self.0.id)
    }
    async fn system(&self) -> SourceSystem {
        self.0.system.into()
    }
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        Ok(loaders::one::<store::Entity>(ctx, self.0.store_id).await?.map(Store))
    }
    /// DELIVERY, REPAIR_ORDER, INSURANCE_POLICY, PARTS_ORDER, LEAD or CUSTOMER.
    async fn kind(&self) -> Option<&str> {
        self.0.kind.as_deref()
    }
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }
    /// Why the record was attached to this customer: what agreed, the match score against
    /// the threshold, and every field compared with its level and weight in bits.
    async fn match_reason(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        // Reasons quote (masked) phones and names: personal data.
        Ok(self.0.match_reason.as_deref().filter(|_| scope(ctx).is_ok_and(crate::domain::views::sees_personal)))
    }
    async fn first_seen_at(&self) -> DateTime<Utc> {
        self.0.first_seen_at
    }
    async fn last_seen_at(&self) -> DateTime<Utc> {
        self.0.last_seen_at
    }
}

/// A pair of customers that may be one person.
#[derive(Clone)]
pub struct DuplicateCandidate(pub duplicate_candidate::Model);

#[Object]
impl DuplicateCandidate {
    pub(crate) async fn id(&self) -> ID {
        ids::global(Kind::DuplicateCandidate, self.0.id)
    }
    /// 0–100: how likely the two are one person (the match score as a probability).
    async fn score(&self) -> i32 {
        self.0.score
    }
    /// The evidence: first what agreed, then every field compared — phone, VIN, national
    /// ID or credit code, name, address — with its level and weight in bits, and the prior.
    async fn reasons(&self) -> Vec<String> {
        serde_json::from_value(self.0.reasons.clone()).unwrap_or_default()
    }
    async fn status(&self) -> CandidateStatus {
        self.0.status.into()
    }
    async fn customer_a(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        loaders::one::<customer::Entity>(ctx, self.0.customer_a)
            .await?
            .map(|c| Customer::of(ctx, c))
            .transpose()
            .map_err(Into::into)
    }
    async fn customer_b(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        loaders::one::<customer::Entity>(ctx, self.0.customer_b)
            .await?
            .map(|c| Customer::of(ctx, c))
            .transpose()
            .map_err(Into::into)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
}

/// Where a pair of the duplicate queue stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "entity::enums::CandidateStatus")]
pub enum CandidateStatus {
    #[default]
    Open,
    Merged,
    Distinct,
}

/// How many rows of one table a merge moves to the survivor.
#[derive(SimpleObject)]
pub struct MovedRows {
    table: String,
    count: i32,
}

#[derive(SimpleObject)]
pub struct MergeOutcome {
    /// The survivor's own fields as they are (for a dry run: would be) after the merge.
    /// Its nested lists show the database as it is, so for a dry run see `moved`.
    survivor: Customer,
    /// Null for a dry run.
    merge_event_id: Option<ID>,
    dry_run: bool,
    moved: Vec<MovedRows>,
}

#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// Pairs that may be one person, most likely first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn duplicate_candidates(
        &self,
        ctx: &Context<'_>,
        status: Option<CandidateStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<KeyCursor, DuplicateCandidate, EmptyFields, EmptyFields>> {
        let filter = duplicates::CandidateFilter { status: status.unwrap_or_default().into() };
        let window = Window { descending: None, first, after, last: None, before: None };
        let sort = duplicates::CandidateSort::Score;
        list::<duplicate_candidate::Entity, _, _, _>(ctx, &filter, sort, true, window, DuplicateCandidate).await
    }
}

#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Merges customers into a survivor: every linked record moves, fields follow
    /// survivorship, merged ids keep resolving to the survivor. `dryRun` shows the
    /// result without writing.
    async fn merge_customers(
        &self,
        ctx: &Context<'_>,
        survivor_id: ID,
        merged_ids: Vec<ID>,
        dry_run: Option<bool>,
    ) -> Result<MergeOutcome> {
        let dry_run = dry_run.unwrap_or(false);
        let survivor = ids::required(Kind::Customer, &survivor_id, "customer")?;
        let merged = ids::list_arg("mergedIds", Kind::Customer, &merged_ids)?;
        let result = merge::merge(db(ctx), scope(ctx)?, meta(ctx), survivor, &merged, dry_run, priority(ctx)).await?;
        Ok(MergeOutcome {
            survivor: Customer::of(ctx, result.survivor)?,
            merge_event_id: result.event_id.map(|id| ids::global(Kind::MergeEvent, id)),
            dry_run,
            moved: result.moved.into_iter().map(|(table, count)| MovedRows { table, count: count as i32 }).collect(),
        })
    }

    /// Undoes the merge that absorbed a customer, exactly. `id` is the id of the customer
    /// that was merged away (one of the merge's `mergedIds`), not the survivor's: the
    /// survivor's id is refused with BAD_USER_INPUT naming the ids it takes. Records that
    /// arrived since through the merged customer's own source identities go back with it,
    /// and the queued pairs the merge decided are open again. Answers the customers as
    /// restored, the survivor among them.
    async fn unmerge_customer(&self, ctx: &Context<'_>, id: ID) -> Result<Vec<Customer>> {
        let id = ids::required(Kind::Customer, &id, "customer")?;
        let restored = merge::unmerge(db(ctx), scope(ctx)?, meta(ctx), id).await.map_err(customer_ids_in_message)?;
        Ok(restored.into_iter().map(|c| Customer::of(ctx, c)).collect::<Result<Vec<_>, _>>()?)
    }

    /// Decides a queued pair: the same person (merged into `survivorId`, by default the
    /// first of the pair) or not. Either way it leaves the queue for good.
    async fn resolve_duplicate(
        &self,
        ctx: &Context<'_>,
        id: ID,
        same_person: bool,
        survivor_id: Option<ID>,
    ) -> Result<DuplicateCandidate> {
        let id = ids::required(Kind::DuplicateCandidate, &id, "open duplicate candidate")?;
        let survivor = ids::filter_arg("survivorId", Kind::Customer, survivor_id)?;
        let decided =
            duplicates::resolve_candidate(db(ctx), scope(ctx)?, meta(ctx), id, same_person, survivor, priority(ctx))
                .await?;
        Ok(DuplicateCandidate(decided))
    }

    /// Decides many queued pairs at once the same way (at most 100): each pair in its own
    /// transaction, so one that cannot be decided (already decided, out of reach) is
    /// reported with its code and the others still go through. Same-person pairs merge
    /// into the first customer of each pair.
    async fn resolve_duplicates(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
        same_person: bool,
    ) -> Result<Vec<DuplicateDecision>> {
        if ids.is_empty() || ids.len() > 100 {
            return Err(AppError::bad_input("ids", "between 1 and 100 pairs at once").into());
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let decided = match ids::required(Kind::DuplicateCandidate, &id, "open duplicate candidate") {
                Ok(key) => {
                    duplicates::resolve_candidate(
                        db(ctx),
                        scope(ctx)?,
                        meta(ctx),
                        key,
                        same_person,
                        None,
                        priority(ctx),
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            out.push(match decided {
                Ok(row) => {
                    DuplicateDecision { id, candidate: Some(DuplicateCandidate(row)), code: None, message: None }
                }
                Err(AppError::Internal(cause)) => return Err(AppError::Internal(cause).into()),
                Err(e) => DuplicateDecision {
                    id,
                    candidate: None,
                    code: Some(e.code().to_owned()),
                    message: Some(e.message()),
                },
            });
        }
        Ok(out)
    }
}

/// What became of one pair of a batch decision.
#[derive(async_graphql::SimpleObject)]
pub struct DuplicateDecision {
    /// The pair's id as given.
    id: ID,
    /// The decided pair; null when it could not be decided.
    candidate: Option<DuplicateCandidate>,
    /// Why not (NOT_FOUND, BAD_USER_INPUT, CONFLICT, …).
    code: Option<String>,
    message: Option<String>,
}

/// The domain's refusal of an un-merge names customers by their keys; the caller knows
/// them by their ids (every number in that message is a customer's key).
fn customer_ids_in_message(error: AppError) -> AppError {
    match error {
        AppError::BadInput { message, field } => {
            let mut out = String::with_capacity(message.len() * 2);
            let mut digits = String::new();
            for c in message.chars().chain(std::iter::once(' ')) {
                if c.is_ascii_digit() {
                    digits.push(c);
                    continue;
                }
                if !digits.is_empty() {
                    match digits.parse::<i32>() {
                        Ok(key) => out.push_str(&ids::text(Kind::Customer, key.into())),
                        Err(_) => out.push_str(&digits),
                    }
                    digits.clear();
                }
                out.push(c);
            }
            out.pop();
            AppError::BadInput { message: out, field }
        }
        other => other,
    }
}
