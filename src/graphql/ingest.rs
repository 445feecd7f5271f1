//! Ingestion of source records by INTEGRATION accounts: one mutation per kind and a
//! batch of up to 1,000. Fields are text as the source system exports them; the hub
//! validates and normalizes them (dates like 2024/3/5, amounts like 12,800.00).

use async_graphql::{Context, Enum, ID, InputObject, Object, OneofObject, Result, SimpleObject};
use serde::Serialize;

use super::ids::{self, Kind};
use super::{db, meta, scope};
use crate::domain::ingest::{self, Outcome, Raw, RecordKind, RecordResult};

#[derive(InputObject, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct DeliveryRecord {
    external_id: String,
    customer_name: String,
    phone: Option<String>,
    /// National ID, or unified social credit code for companies.
    national_id: Option<String>,
    gender: Option<String>,
    birthday: Option<String>,
    address: Option<String>,
    vin: String,
    plate: Option<String>,
    brand: Option<String>,
    model: Option<String>,
    model_year: Option<String>,
    delivery_date: String,
    /// Yuan, e.g. 189,900.00.
    price: String,
    consultant: Option<String>,
    /// CASH, LOAN or INSTALLMENT (全款, 贷款, 分期).
    payment_method: Option<String>,
    /// Must be the account's own store when given.
    store_code: Option<String>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct RepairOrderRecord {
    external_id: String,
    customer_name: String,
    phone: Option<String>,
    vin: String,
    plate: Option<String>,
    mileage: Option<String>,
    /// FIRST_MAINTENANCE, MAINTENANCE, REPAIR, WARRANTY, ACCIDENT or INSPECTION (首保, 保养, 维修, 索赔, 事故, 年检).
    service_type: String,
    opened_at: String,
    closed_at: Option<String>,
    amount: String,
    advisor: Option<String>,
    store_code: Option<String>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct InsurancePolicyRecord {
    external_id: String,
    customer_name: String,
    phone: Option<String>,
    national_id: Option<String>,
    vin: String,
    plate: Option<String>,
    insurer: String,
    coverage: Option<String>,
    premium: String,
    start_date: String,
    end_date: String,
    store_code: Option<String>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct PartsOrderRecord {
    external_id: String,
    customer_name: String,
    phone: Option<String>,
    vin: Option<String>,
    /// A JSON array, or `name x qty; name x qty`.
    items: String,
    amount: String,
    ordered_at: String,
    store_code: Option<String>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct LeadRecord {
    external_id: String,
    customer_name: String,
    phone: Option<String>,
    /// O, H, A, B or C.
    grade: String,
    intended_model: Option<String>,
    budget: Option<String>,
    channel: Option<String>,
    next_follow_up_at: Option<String>,
    store_code: Option<String>,
}

/// One record of any kind, for `ingestBatch`.
#[derive(OneofObject)]
pub enum SourceRecordInput {
    Delivery(DeliveryRecord),
    RepairOrder(RepairOrderRecord),
    InsurancePolicy(InsurancePolicyRecord),
    PartsOrder(PartsOrderRecord),
    Lead(LeadRecord),
}

fn raw<T: Serialize>(record: &T) -> Raw {
    let value = serde_json::to_value(record).unwrap_or_default();
    value
        .as_object()
        .map(|fields| fields.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned()))).collect())
        .unwrap_or_default()
}

impl SourceRecordInput {
    fn into_raw(self) -> (RecordKind, Raw) {
        match self {
            Self::Delivery(r) => (RecordKind::Delivery, raw(&r)),
            Self::RepairOrder(r) => (RecordKind::RepairOrder, raw(&r)),
            Self::InsurancePolicy(r) => (RecordKind::InsurancePolicy, raw(&r)),
            Self::PartsOrder(r) => (RecordKind::PartsOrder, raw(&r)),
            Self::Lead(r) => (RecordKind::Lead, raw(&r)),
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    /// A new source record.
    Created,
    /// A known record whose content changed; its facts were updated.
    Updated,
    /// The same record again: nothing changed.
    Unchanged,
    /// Invalid; see `errors`. Nothing of it was written.
    Rejected,
}

#[derive(SimpleObject)]
pub struct FieldProblem {
    field: String,
    reason: String,
}

#[derive(SimpleObject)]
pub struct IngestResult {
    external_id: Option<String>,
    outcome: IngestOutcome,
    customer_id: Option<ID>,
    source_record_id: Option<ID>,
    /// Why the record was attached to its customer ("same national ID and VIN … and
    /// name; score 35.9 ≥ 6.0: …" — the evidence, field by field, with its weights).
    match_reason: Option<String>,
    errors: Vec<FieldProblem>,
}

fn result(external_id: Option<String>, r: RecordResult) -> IngestResult {
    match r {
        RecordResult::Done(done) => IngestResult {
            external_id,
            outcome: match done.outcome {
                Outcome::Created => IngestOutcome::Created,
                Outcome::Updated => IngestOutcome::Updated,
                Outcome::Unchanged => IngestOutcome::Unchanged,
            },
            customer_id: Some(ids::global(Kind::Customer, done.customer_id)),
            source_record_id: Some(ids::global(Kind::SourceRecord, done.source_record_id)),
            match_reason: Some(done.match_reason),
            errors: Vec::new(),
        },
        RecordResult::Rejected(errors) => IngestResult {
            external_id,
            outcome: IngestOutcome::Rejected,
            customer_id: None,
            source_record_id: None,
            match_reason: None,
            errors: errors.into_iter().map(|e| FieldProblem { field: e.field, reason: e.reason }).collect(),
        },
    }
}

async fn run(ctx: &Context<'_>, records: Vec<(RecordKind, Raw)>) -> Result<Vec<IngestResult>> {
    let ids: Vec<Option<String>> = records.iter().map(|(_, raw)| raw.get("external_id").cloned()).collect();
    let results = ingest::ingest_api(db(ctx), scope(ctx)?, meta(ctx), records).await?;
    Ok(ids.into_iter().zip(results).map(|(id, r)| result(id, r)).collect())
}

async fn one(ctx: &Context<'_>, kind: RecordKind, raw: Raw) -> Result<IngestResult> {
    let mut results = run(ctx, vec![(kind, raw)]).await?;
    Ok(results.remove(0))
}

#[derive(Default)]
pub struct IngestMutation;

#[Object]
impl IngestMutation {
    /// A new-car sale with its customer and vehicle (sales system).
    async fn ingest_delivery(&self, ctx: &Context<'_>, record: DeliveryRecord) -> Result<IngestResult> {
        one(ctx, RecordKind::Delivery, raw(&record)).await
    }
    /// A repair order (service system).
    async fn ingest_repair_order(&self, ctx: &Context<'_>, record: RepairOrderRecord) -> Result<IngestResult> {
        one(ctx, RecordKind::RepairOrder, raw(&record)).await
    }
    /// An insurance policy (insurance system).
    async fn ingest_insurance_policy(&self, ctx: &Context<'_>, record: InsurancePolicyRecord) -> Result<IngestResult> {
        one(ctx, RecordKind::InsurancePolicy, raw(&record)).await
    }
    /// A parts or accessories order (parts system).
    async fn ingest_parts_order(&self, ctx: &Context<'_>, record: PartsOrderRecord) -> Result<IngestResult> {
        one(ctx, RecordKind::PartsOrder, raw(&record)).await
    }
    /// A sales lead (sales system).
    async fn ingest_lead(&self, ctx: &Context<'_>, record: LeadRecord) -> Result<IngestResult> {
        one(ctx, RecordKind::Lead, raw(&record)).await
    }
    /// Up to 1,000 records of any kind; each succeeds or is rejected on its own, and the
    /// results come back in the order sent.
    #[graphql(complexity = "records.len() * child_complexity")]
    async fn ingest_batch(&self, ctx: &Context<'_>, records: Vec<SourceRecordInput>) -> Result<Vec<IngestResult>> {
        run(ctx, records.into_iter().map(SourceRecordInput::into_raw).collect()).await
    }
}
