//! Ingestion of source records from the departments' systems: validation and
//! normalisation, idempotency by (system, store, external id), identity resolution,
//! and the facts each record carries. Used by the GraphQL ingestion API and by
//! `customer-hub import`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{
    ContactKind, CustomerKind, Gender, LeadGrade, LeadStatus, LifecycleStage, OwnershipRole, PaymentMethod,
    RelationshipStatus, RepairKind, SourceSystem,
};
use entity::{
    contact_point, customer, customer_store, delivery, insurance_policy, lead, parts_order, repair_order,
    source_record, source_record_history, staff, store, vehicle, vehicle_ownership,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use serde_json::{Value, json};

use super::identity::{self, Likeness, Person};
use super::{limits, normalize};
use crate::error::{AppError, AppResult};

/// The kinds of source record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RecordKind {
    Delivery,
    RepairOrder,
    InsurancePolicy,
    PartsOrder,
    Lead,
}

impl RecordKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Delivery => "DELIVERY",
            Self::RepairOrder => "REPAIR_ORDER",
            Self::InsurancePolicy => "INSURANCE_POLICY",
            Self::PartsOrder => "PARTS_ORDER",
            Self::Lead => "LEAD",
        }
    }

    /// The department system that sends this kind.
    pub fn system(self) -> SourceSystem {
        match self {
            Self::Delivery | Self::Lead => SourceSystem::Sales,
            Self::RepairOrder => SourceSystem::Service,
            Self::InsurancePolicy => SourceSystem::Insurance,
            Self::PartsOrder => SourceSystem::Parts,
        }
    }

    /// The columns of this kind, as CSV headers and API fields (snake_case).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Delivery => &[
                "store_code",
                "external_id",
                "customer_name",
                "phone",
                "national_id",
                "gender",
                "birthday",
                "address",
                "vin",
                "plate",
                "brand",
                "model",
                "model_year",
                "delivery_date",
                "price",
                "consultant",
                "payment_method",
            ],
            Self::RepairOrder => &[
                "store_code",
                "external_id",
                "customer_name",
                "phone",
                "vin",
                "plate",
                "mileage",
                "service_type",
                "opened_at",
                "closed_at",
                "amount",
                "advisor",
            ],
            Self::InsurancePolicy => &[
                "store_code",
                "external_id",
                "customer_name",
                "phone",
                "national_id",
                "vin",
                "plate",
                "insurer",
                "coverage",
                "premium",
                "start_date",
                "end_date",
            ],
            Self::PartsOrder => {
                &["store_code", "external_id", "customer_name", "phone", "vin", "items", "amount", "ordered_at"]
            }
            Self::Lead => &[
                "store_code",
                "external_id",
                "customer_name",
                "phone",
                "grade",
                "intended_model",
                "budget",
                "channel",
                "next_follow_up_at",
            ],
        }
    }
}

/// One problem with one field of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

/// A raw record: field name → text, as the source system sent it.
pub type Raw = BTreeMap<String, String>;

#[derive(Debug, Clone, Serialize)]
pub struct VehicleFacts {
    pub vin: String,
    pub plate: Option<String>,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub model_year: Option<i32>,
}

#[derive(Debug, Clone, Serialize)]
pub enum Fact {
    Delivery {
        delivered_on: NaiveDate,
        price_cents: i64,
        consultant: Option<String>,
        payment: PaymentMethod,
    },
    RepairOrder {
        kind: RepairKind,
        mileage: Option<i32>,
        opened_at: DateTime<Utc>,
        closed_at: Option<DateTime<Utc>>,
        amount_cents: i64,
        advisor: Option<String>,
    },
    InsurancePolicy {
        insurer: String,
        coverage: String,
        premium_cents: i64,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    },
    PartsOrder {
        items: Value,
        amount_cents: i64,
        ordered_on: NaiveDate,
    },
    Lead {
        grade: LeadGrade,
        intended_model: Option<String>,
        budget_cents: Option<i64>,
        channel: Option<String>,
        next_follow_up_at: Option<DateTime<Utc>>,
    },
}

/// A validated, normalized record.
#[derive(Debug, Clone, Serialize)]
pub struct Incoming {
    pub kind: RecordKind,
    pub store_code: Option<String>,
    pub external_id: String,
    pub person: Person,
    pub vehicle: Option<VehicleFacts>,
    pub fact: Fact,
}

impl Incoming {
    /// When the fact happened, for first-contact dates and ownership.
    fn day(&self) -> NaiveDate {
        match &self.fact {
            Fact::Delivery { delivered_on, .. } => *delivered_on,
            Fact::RepairOrder { opened_at, .. } => opened_at.date_naive(),
            Fact::InsurancePolicy { starts_on, .. } => *starts_on,
            Fact::PartsOrder { ordered_on, .. } => *ordered_on,
            Fact::Lead { .. } => Utc::now().date_naive(),
        }
    }

    /// SHA-256 of the normalized record: a resend with the same content matches it.
    pub fn hash(&self) -> String {
        normalize::id_hash(&serde_json::to_string(self).unwrap_or_default())
    }
}

struct Fields<'a> {
    raw: &'a Raw,
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    fn get(&self, field: &str) -> Option<&'a str> {
        self.raw.get(field).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn fail(&mut self, field: &str, reason: impl Into<String>) {
        self.errors.push(FieldError { field: field.into(), reason: reason.into() });
    }

    fn required(&mut self, field: &str) -> Option<&'a str> {
        let value = self.get(field);
        if value.is_none() {
            self.fail(field, "is required");
        }
        value
    }

    fn parse<T>(&mut self, field: &str, required: bool, f: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let value = if required { self.required(field)? } else { self.get(field)? };
        match f(value) {
            Ok(v) => Some(v),
            Err(reason) => {
                self.fail(field, reason);
                None
            }
        }
    }
}

fn enum_of<T: Copy>(field: &str, value: &str, options: &[(&[&str], T)]) -> Result<T, String> {
    let v = value.trim().to_uppercase();
    options
        .iter()
        .find(|(names, _)| names.iter().any(|n| n.to_uppercase() == v))
        .map(|(_, t)| *t)
        .ok_or_else(|| format!("unknown {field} `{value}`"))
}

fn gender(value: &str) -> Result<Gender, String> {
    enum_of(
        "gender",
        value,
        &[
            (&["M", "MALE", "男"], Gender::Male),
            (&["F", "FEMALE", "女"], Gender::Female),
            (&["U", "UNKNOWN", "未知"], Gender::Unknown),
        ],
    )
}

fn payment(value: &str) -> Result<PaymentMethod, String> {
    enum_of(
        "payment method",
        value,
        &[
            (&["CASH", "全款", "现金"], PaymentMethod::Cash),
            (&["LOAN", "贷款", "按揭"], PaymentMethod::Loan),
            (&["INSTALLMENT", "分期"], PaymentMethod::Installment),
        ],
    )
}

fn service_type(value: &str) -> Result<RepairKind, String> {
    enum_of(
        "service type",
        value,
        &[
            (&["FIRST_MAINTENANCE", "首保"], RepairKind::FirstMaintenance),
            (&["MAINTENANCE", "保养", "二保", "定期保养"], RepairKind::Maintenance),
            (&["REPAIR", "维修", "一般维修"], RepairKind::Repair),
            (&["WARRANTY", "索赔", "保修"], RepairKind::Warranty),
            (&["ACCIDENT", "事故", "钣喷", "事故车"], RepairKind::Accident),
            (&["INSPECTION", "检测", "年检", "年审"], RepairKind::Inspection),
        ],
    )
}

fn grade(value: &str) -> Result<LeadGrade, String> {
    enum_of(
        "grade",
        value,
        &[
            (&["O"], LeadGrade::O),
            (&["H"], LeadGrade::H),
            (&["A"], LeadGrade::A),
            (&["B"], LeadGrade::B),
            (&["C"], LeadGrade::C),
        ],
    )
}

fn whole(value: &str) -> Result<i32, String> {
    let digits: String = normalize::fold_width(value).chars().filter(|c| *c != ',').collect();
    digits.trim().parse::<i32>().ok().filter(|n| *n >= 0).ok_or_else(|| format!("`{value}` is not a whole number"))
}

/// Parts items: a JSON array, or `name x qty; name x qty` as some systems export.
fn items(value: &str) -> Result<Value, String> {
    if let Ok(parsed @ Value::Array(_)) = serde_json::from_str::<Value>(value) {
        return Ok(parsed);
    }
    let list: Vec<Value> = value
        .split([';', '；', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| match item.rsplit_once(['x', 'X', '*', '×']) {
            Some((name, qty)) if qty.trim().parse::<i32>().is_ok() => {
                json!({"name": name.trim(), "quantity": qty.trim().parse::<i32>().unwrap_or(1)})
            }
            _ => json!({"name": item, "quantity": 1}),
        })
        .collect();
    if list.is_empty() { Err("no items".into()) } else { Ok(Value::Array(list)) }
}

/// Most characters of an external id.
pub const EXTERNAL_ID: usize = 128;

/// The documented maximum length, in characters, of an ingested field (API field or CSV
/// column, snake_case): names of people, companies and staff [`limits::NAME`], the
/// address [`limits::ADDRESS`], parts items and insurance coverage [`limits::NOTE`], the
/// external id [`EXTERNAL_ID`], every other field [`limits::FIELD`].
pub fn max_length(field: &str) -> usize {
    match field {
        "customer_name" | "consultant" | "advisor" | "insurer" => limits::NAME,
        "address" => limits::ADDRESS,
        "items" | "coverage" => limits::NOTE,
        "external_id" => EXTERNAL_ID,
        _ => limits::FIELD,
    }
}

/// A field as the GraphQL input names it: `customer_name` → `customerName`.
pub fn api_name(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The fields of `raw` longer than their maximum, with that maximum. Counting stops at
/// the maximum, so a megabyte cell costs no more than a short one.
fn overlong(raw: &Raw) -> impl Iterator<Item = (&str, &str, usize)> {
    raw.iter()
        .map(|(field, value)| (field.as_str(), value.as_str(), max_length(field)))
        .filter(|(_, value, max)| value.chars().nth(*max).is_some())
}

/// The first field of any record longer than its maximum, as `BAD_USER_INPUT` naming the
/// field as the GraphQL input does; records are numbered from 1 in a batch.
pub fn check_lengths<'a>(records: impl IntoIterator<Item = &'a Raw>) -> AppResult<()> {
    let records: Vec<&Raw> = records.into_iter().collect();
    let batch = records.len() > 1;
    for (i, raw) in records.into_iter().enumerate() {
        if let Some((field, value, max)) = overlong(raw).next() {
            let field: String = api_name(field).chars().take(64).collect();
            return limits::check(&field, value, max).map_err(|e| {
                if batch { AppError::bad_input(field, format!("record {}: {}", i + 1, e.message())) } else { e }
            });
        }
    }
    Ok(())
}

/// Validates and normalizes a raw record; every problem is reported, not just the first.
/// Lengths are checked before anything else reads the text.
pub fn parse(kind: RecordKind, raw: &Raw) -> Result<Incoming, Vec<FieldError>> {
    let too_long: Vec<FieldError> = overlong(raw)
        .map(|(field, _, max)| FieldError {
            field: field.chars().take(64).collect(),
            reason: format!("is longer than {max} characters"),
        })
        .collect();
    if !too_long.is_empty() {
        return Err(too_long);
    }
    let mut f = Fields { raw, errors: Vec::new() };
    let store_code = f.get("store_code").map(str::to_owned);
    let external_id = f.required("external_id").map(str::to_owned);
    let name = f.parse("customer_name", true, normalize::name);
    let phones: Vec<String> = f.parse("phone", false, normalize::phone).into_iter().collect();
    let mut corporate =
        name.as_deref().is_some_and(|n| ["公司", "集团", "有限", "厂", "中心"].iter().any(|s| n.contains(s)));
    let id_number = match f.get("national_id") {
        None => None,
        Some(text) => match normalize::credit_code(text) {
            Ok(code) => {
                corporate = true;
                Some(code)
            }
            Err(_) => f.parse("national_id", false, normalize::national_id),
        },
    };
    let vin_required = matches!(kind, RecordKind::Delivery | RecordKind::RepairOrder | RecordKind::InsurancePolicy);
    let vin = f.parse("vin", vin_required, normalize::vin_strict);
    let vehicle = vin.map(|vin| VehicleFacts {
        vin,
        plate: f.get("plate").map(normalize::plate),
        brand: f.get("brand").map(str::to_owned),
        model: f.get("model").map(str::to_owned),
        model_year: f.parse("model_year", false, whole),
    });
    if phones.is_empty() && id_number.is_none() && vehicle.is_none() {
        f.fail("phone", "a record needs at least a phone, an ID number or a VIN to know whose it is");
    }
    let person = Person {
        // The form of address (先生, 女士, 总) helps matching, not the golden record.
        name: name.as_deref().map(|n| identity::record_name(n, corporate)).unwrap_or_default(),
        corporate,
        phones,
        id_number,
        gender: f.parse("gender", false, gender),
        birthday: f.parse("birthday", false, normalize::date),
        address: f.get("address").map(|a| normalize::fold_width(a).trim().to_owned()),
    };
    let fact = match kind {
        RecordKind::Delivery => {
            let delivered_on = f.parse("delivery_date", true, normalize::date);
            let price = f.parse("price", true, normalize::amount_cents);
            let payment = f.parse("payment_method", false, payment).unwrap_or(PaymentMethod::Cash);
            delivered_on.zip(price).map(|(delivered_on, price_cents)| Fact::Delivery {
                delivered_on,
                price_cents,
                consultant: f.get("consultant").map(str::to_owned),
                payment,
            })
        }
        RecordKind::RepairOrder => {
            let kind = f.parse("service_type", true, service_type);
            let opened = f.parse("opened_at", true, normalize::datetime);
            let closed = f.parse("closed_at", false, normalize::datetime);
            let amount = f.parse("amount", true, normalize::amount_cents);
            let mileage = f.parse("mileage", false, whole);
            if let (Some(o), Some(c)) = (opened, closed)
                && c < o
            {
                f.fail("closed_at", "is before opened_at");
            }
            match (kind, opened, amount) {
                (Some(kind), Some(opened_at), Some(amount_cents)) => Some(Fact::RepairOrder {
                    kind,
                    mileage,
                    opened_at,
                    closed_at: closed,
                    amount_cents,
                    advisor: f.get("advisor").map(str::to_owned),
                }),
                _ => None,
            }
        }
        RecordKind::InsurancePolicy => {
            let insurer = f.required("insurer").map(str::to_owned);
            let premium = f.parse("premium", true, normalize::amount_cents);
            let start = f.parse("start_date", true, normalize::date);
            let end = f.parse("end_date", true, normalize::date);
            if let (Some(s), Some(e)) = (start, end)
                && e <= s
            {
                f.fail("end_date", "is not after start_date");
            }
            match (insurer, premium, start, end) {
                (Some(insurer), Some(premium_cents), Some(starts_on), Some(ends_on)) => Some(Fact::InsurancePolicy {
                    insurer,
                    coverage: f.get("coverage").unwrap_or("").to_owned(),
                    premium_cents,
                    starts_on,
                    ends_on,
                }),
                _ => None,
            }
        }
        RecordKind::PartsOrder => {
            let items = f.parse("items", true, items);
            let amount = f.parse("amount", true, normalize::amount_cents);
            let ordered = f.parse("ordered_at", true, normalize::date);
            match (items, amount, ordered) {
                (Some(items), Some(amount_cents), Some(ordered_on)) => {
                    Some(Fact::PartsOrder { items, amount_cents, ordered_on })
                }
                _ => None,
            }
        }
        RecordKind::Lead => {
            let grade = f.parse("grade", true, grade);
            let budget = f.parse("budget", false, normalize::amount_cents);
            let follow_up = f.parse("next_follow_up_at", false, normalize::datetime);
            grade.map(|grade| Fact::Lead {
                grade,
                intended_model: f.get("intended_model").map(str::to_owned),
                budget_cents: budget,
                channel: f.get("channel").map(str::to_owned),
                next_follow_up_at: follow_up,
            })
        }
    };
    match (f.errors.is_empty(), external_id, fact) {
        (true, Some(external_id), Some(fact)) => Ok(Incoming { kind, store_code, external_id, person, vehicle, fact }),
        _ => Err(f.errors),
    }
}

/// What ingesting one record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

#[derive(Debug, Clone)]
pub struct Ingested {
    pub outcome: Outcome,
    pub customer_id: i32,
    pub source_record_id: i32,
    pub match_reason: String,
}

/// Ingests one validated record for `store_id` through `conn` (a transaction or
/// savepoint of the caller). Idempotent by (system, store, external id).
pub async fn ingest<C: ConnectionTrait>(conn: &C, store_id: i32, record: &Incoming, raw: &Raw) -> AppResult<Ingested> {
    let system = record.kind.system();
    let hash = record.hash();
    let now = Utc::now();
    let existing = source_record::Entity::find()
        .filter(source_record::Column::System.eq(system))
        .filter(source_record::Column::StoreId.eq(store_id))
        .filter(source_record::Column::ExternalId.eq(record.external_id.as_str()))
        .one(conn)
        .await?;
    let payload = json!(raw);
    // A customer created by this record has nothing yet: the look-ups for what it
    // already has are skipped.
    let mut fresh = false;
    let (source, customer_id, outcome, reason) = match existing {
        Some(source) if source.payload_hash.as_deref() == Some(hash.as_str()) => {
            let reason = source.match_reason.clone().unwrap_or_default();
            return Ok(Ingested {
                outcome: Outcome::Unchanged,
                customer_id: source.customer_id,
                source_record_id: source.id,
                match_reason: reason,
            });
        }
        Some(source) => {
            // A changed record: keep the previous payload, then update the facts.
            source_record_history::Entity::insert(source_record_history::ActiveModel {
                source_record_id: Set(source.id),
                payload: Set(source.payload.clone()),
                payload_hash: Set(source.payload_hash.clone()),
                replaced_at: Set(now),
                ..Default::default()
            })
            .exec_without_returning(conn)
            .await?;
            let current = live_customer(conn, source.customer_id).await?;
            // Another phone, ID number or name says whose record it is anew: resolve it again.
            let (customer_id, reason) = if identity_changed(record, &source.payload) {
                let (customer_id, reason, created) = attach(conn, record, now, Some(current)).await?;
                fresh = created;
                (customer_id, reason.or(source.match_reason.clone()).unwrap_or_default())
            } else {
                (current, source.match_reason.clone().unwrap_or_default())
            };
            let mut row = source.into_active_model();
            row.payload = Set(payload);
            row.payload_hash = Set(Some(hash));
            row.last_seen_at = Set(now);
            row.customer_id = Set(customer_id);
            row.match_reason = Set(Some(reason.clone()));
            let source = row.update(conn).await?;
            (source, customer_id, Outcome::Updated, reason)
        }
        None => {
            let (customer_id, reason, created) = attach(conn, record, now, None).await?;
            fresh = created;
            let reason = reason.unwrap_or_default();
            let source = source_record::ActiveModel {
                system: Set(system),
                store_id: Set(store_id),
                external_id: Set(record.external_id.clone()),
                customer_id: Set(customer_id),
                payload: Set(payload),
                first_seen_at: Set(now),
                last_seen_at: Set(now),
                kind: Set(Some(record.kind.name().into())),
                payload_hash: Set(Some(hash)),
                match_reason: Set(Some(reason.clone())),
                ..Default::default()
            }
            .insert(conn)
            .await?;
            (source, customer_id, Outcome::Created, reason)
        }
    };
    apply_person(conn, customer_id, record, raw, now, fresh).await?;
    relate(conn, customer_id, store_id, record, fresh).await?;
    let vehicle_id = match &record.vehicle {
        Some(v) => Some(upsert_vehicle(conn, customer_id, store_id, v, record).await?),
        None => None,
    };
    write_fact(conn, store_id, customer_id, vehicle_id, source.id, record, outcome == Outcome::Created).await?;
    Ok(Ingested { outcome, customer_id, source_record_id: source.id, match_reason: reason })
}

/// Whether a resent record names its person differently from the payload it replaces:
/// another phone, ID number or name (an unreadable old payload counts as different).
fn identity_changed(record: &Incoming, previous: &Value) -> bool {
    let Ok(previous) = serde_json::from_value::<Raw>(previous.clone()) else { return true };
    let Ok(previous) = parse(record.kind, &previous) else { return true };
    let (old, new) = (&previous.person, &record.person);
    old.phones != new.phones || old.id_number != new.id_number || !identity::compatible(&old.name, &new.name)
}

/// Resolves whose record this is and attaches it: an existing customer, the record's
/// `previous` customer when nobody else fits and that customer is not clearly another
/// person, or a new customer. Households and duplicate candidates are recorded. Returns
/// the customer, the match reason (`None`: it stays with `previous` for its old reason)
/// and whether the customer was created now.
async fn attach<C: ConnectionTrait>(
    conn: &C,
    record: &Incoming,
    now: DateTime<Utc>,
    previous: Option<i32>,
) -> AppResult<(i32, Option<String>, bool)> {
    let resolution = identity::resolve(conn, &record.person, record.vehicle.as_ref().map(|v| v.vin.as_str())).await?;
    let kept = match (resolution.customer, previous) {
        (None, Some(previous)) => customer::Entity::find_by_id(previous)
            .one(conn)
            .await?
            .filter(|c| {
                matches!(
                    identity::likeness(&c.name, c.id_number.as_deref(), &record.person),
                    Likeness::SameName | Likeness::SimilarName
                )
            })
            .map(|c| c.id),
        _ => None,
    };
    let (customer_id, reason, created) = match (resolution.customer, kept) {
        (Some(id), _) => (id, Some(resolution.reason.clone()), false),
        (None, Some(id)) => (id, None, false),
        (None, None) => (create_customer(conn, record, now).await?, Some(resolution.reason.clone()), true),
    };
    for (other, why) in resolution.households.iter().filter(|(other, _)| *other != customer_id) {
        identity::link_household(conn, customer_id, *other, why).await?;
    }
    for (other, score, reasons) in resolution.candidates.iter().filter(|(other, ..)| *other != customer_id) {
        identity::queue_candidate(conn, customer_id, *other, *score, reasons).await?;
    }
    Ok((customer_id, reason, created))
}

/// The live customer a possibly merged id stands for.
pub(crate) async fn live_customer<C: ConnectionTrait>(conn: &C, id: i32) -> AppResult<i32> {
    Ok(identity::live(conn, [id]).await?.into_keys().next().unwrap_or(id))
}

async fn create_customer<C: ConnectionTrait>(conn: &C, record: &Incoming, now: DateTime<Utc>) -> AppResult<i32> {
    let p = &record.person;
    let stage = if record.kind == RecordKind::Lead { LifecycleStage::Prospect } else { LifecycleStage::Base };
    let created = customer::ActiveModel {
        kind: Set(if p.corporate { CustomerKind::Corporate } else { CustomerKind::Individual }),
        name: Set(p.name.clone()),
        gender: Set(p.gender),
        birthday: Set(p.birthday),
        id_number_hash: Set(p.id_number.as_deref().map(normalize::id_hash)),
        id_number: Set(p.id_number.clone()),
        address: Set(p.address.clone()),
        city: Set(None),
        notes: Set(None),
        lifecycle_stage: Set(stage),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        merged_into: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(created.id)
}

/// Adds what the record knows about the person: phones, and fields still empty; a
/// newer address replaces an older one.
async fn apply_person<C: ConnectionTrait>(
    conn: &C,
    customer_id: i32,
    record: &Incoming,
    raw: &Raw,
    now: DateTime<Utc>,
    fresh: bool,
) -> AppResult<()> {
    let p = &record.person;
    let known = if fresh {
        Vec::new()
    } else {
        contact_point::Entity::find().filter(contact_point::Column::CustomerId.eq(customer_id)).all(conn).await?
    };
    let has_primary = known.iter().any(|c| c.kind == ContactKind::Phone && c.is_primary);
    for (i, phone) in p.phones.iter().enumerate() {
        if !known.iter().any(|c| c.kind == ContactKind::Phone && &c.normalized == phone) {
            contact_point::ActiveModel {
                customer_id: Set(customer_id),
                kind: Set(ContactKind::Phone),
                value: Set(raw
                    .get("phone")
                    .map(|r| r.trim().to_owned())
                    .filter(|_| i == 0)
                    .unwrap_or_else(|| phone.clone())),
                normalized: Set(phone.clone()),
                is_primary: Set(!has_primary && i == 0),
                ..Default::default()
            }
            .insert(conn)
            .await?;
        }
    }
    if fresh {
        return Ok(());
    }
    let Some(current) = customer::Entity::find_by_id(customer_id).one(conn).await? else { return Ok(()) };
    let mut row = current.clone().into_active_model();
    let mut changed = false;
    if current.id_number.is_none()
        && let Some(id) = &p.id_number
    {
        row.id_number = Set(Some(id.clone()));
        row.id_number_hash = Set(Some(normalize::id_hash(id)));
        changed = true;
    }
    if current.gender.is_none() && p.gender.is_some() {
        row.gender = Set(p.gender);
        changed = true;
    }
    if current.birthday.is_none() && p.birthday.is_some() {
        row.birthday = Set(p.birthday);
        changed = true;
    }
    if p.address.is_some() && current.address != p.address {
        row.address = Set(p.address.clone());
        changed = true;
    }
    if record.kind != RecordKind::Lead && current.lifecycle_stage == LifecycleStage::Prospect {
        row.lifecycle_stage = Set(LifecycleStage::Base);
        changed = true;
    }
    if changed {
        row.version = Set(current.version + 1);
        row.updated_at = Set(now);
        row.update(conn).await?;
    }
    Ok(())
}

async fn relate<C: ConnectionTrait>(
    conn: &C,
    customer_id: i32,
    store_id: i32,
    record: &Incoming,
    fresh: bool,
) -> AppResult<()> {
    let status = if record.kind == RecordKind::Lead { RelationshipStatus::Prospect } else { RelationshipStatus::Base };
    let existing = if fresh {
        None
    } else {
        customer_store::Entity::find()
            .filter(customer_store::Column::CustomerId.eq(customer_id))
            .filter(customer_store::Column::StoreId.eq(store_id))
            .one(conn)
            .await?
    };
    match existing {
        None => {
            customer_store::ActiveModel {
                customer_id: Set(customer_id),
                store_id: Set(store_id),
                status: Set(status),
                manager_id: Set(None),
                first_contact_on: Set(record.day()),
                source_channel: Set(Some(record.kind.system().as_str().to_owned())),
                ..Default::default()
            }
            .insert(conn)
            .await?;
        }
        Some(rel) if rel.status == RelationshipStatus::Prospect && status == RelationshipStatus::Base => {
            let mut row = rel.into_active_model();
            row.status = Set(RelationshipStatus::Base);
            row.update(conn).await?;
        }
        Some(_) => {}
    }
    Ok(())
}

async fn upsert_vehicle<C: ConnectionTrait>(
    conn: &C,
    customer_id: i32,
    store_id: i32,
    v: &VehicleFacts,
    record: &Incoming,
) -> AppResult<i32> {
    let existing = vehicle::Entity::find().filter(vehicle::Column::Vin.eq(v.vin.as_str())).one(conn).await?;
    let delivered = matches!(record.fact, Fact::Delivery { .. });
    let is_new = existing.is_none();
    let vehicle_id = match existing {
        None => {
            vehicle::ActiveModel {
                vin: Set(v.vin.clone()),
                plate: Set(v.plate.clone()),
                plate_normalized: Set(v.plate.clone()),
                brand: Set(v.brand.clone().unwrap_or_default()),
                model: Set(v.model.clone().unwrap_or_default()),
                model_year: Set(v.model_year),
                colour: Set(None),
                purchase_date: Set(delivered.then(|| record.day())),
                selling_store_id: Set(delivered.then_some(store_id)),
                last_mileage: Set(match record.fact {
                    Fact::RepairOrder { mileage, .. } => mileage,
                    _ => None,
                }),
                ..Default::default()
            }
            .insert(conn)
            .await?
            .id
        }
        Some(current) => {
            let mut row = current.clone().into_active_model();
            let mut changed = false;
            if v.plate.is_some() && current.plate_normalized != v.plate {
                row.plate = Set(v.plate.clone());
                row.plate_normalized = Set(v.plate.clone());
                changed = true;
            }
            for (new, old, set) in [(&v.brand, &current.brand, 0), (&v.model, &current.model, 1)] {
                if let Some(new) = new
                    && new != old
                {
                    if set == 0 {
                        row.brand = Set(new.clone());
                    } else {
                        row.model = Set(new.clone());
                    }
                    changed = true;
                }
            }
            if let Fact::RepairOrder { mileage: Some(m), .. } = record.fact
                && current.last_mileage.is_none_or(|old| m > old)
            {
                row.last_mileage = Set(Some(m));
                changed = true;
            }
            if delivered && current.purchase_date.is_none() {
                row.purchase_date = Set(Some(record.day()));
                row.selling_store_id = Set(Some(store_id));
                changed = true;
            }
            if changed {
                row.update(conn).await?;
            }
            current.id
        }
    };
    let holders = if is_new {
        Vec::new()
    } else {
        vehicle_ownership::Entity::find()
            .filter(vehicle_ownership::Column::VehicleId.eq(vehicle_id))
            .filter(vehicle_ownership::Column::ToDate.is_null())
            .all(conn)
            .await?
    };
    let holds = holders.iter().any(|h| h.customer_id == customer_id);
    if !holds && (delivered || holders.is_empty()) {
        // A delivery hands the car over; otherwise the first customer seen with it holds it.
        for h in holders {
            let mut row = h.into_active_model();
            row.to_date = Set(Some(record.day()));
            row.update(conn).await?;
        }
        vehicle_ownership::ActiveModel {
            vehicle_id: Set(vehicle_id),
            customer_id: Set(customer_id),
            role: Set(OwnershipRole::Owner),
            from_date: Set(record.day()),
            to_date: Set(None),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(vehicle_id)
}

async fn staff_named<C: ConnectionTrait>(conn: &C, store_id: i32, name: Option<&str>) -> AppResult<Option<i32>> {
    let Some(name) = name else { return Ok(None) };
    Ok(staff::Entity::find()
        .filter(staff::Column::StoreId.eq(store_id))
        .filter(
            sea_orm::Condition::any().add(staff::Column::DisplayName.eq(name)).add(staff::Column::Username.eq(name)),
        )
        .order_by_asc(staff::Column::Id)
        .one(conn)
        .await?
        .map(|s| s.id))
}

async fn write_fact<C: ConnectionTrait>(
    conn: &C,
    store_id: i32,
    customer_id: i32,
    vehicle_id: Option<i32>,
    source_id: i32,
    record: &Incoming,
    new_source: bool,
) -> AppResult<()> {
    macro_rules! upsert {
        ($module:ident, $fill:expr) => {{
            // A new source record has no fact yet; a known one updates its own.
            let existing = if new_source {
                None
            } else {
                $module::Entity::find().filter($module::Column::SourceRecordId.eq(source_id)).one(conn).await?
            };
            let mut row = match existing {
                Some(found) => found.into_active_model(),
                None => $module::ActiveModel { source_record_id: Set(Some(source_id)), ..Default::default() },
            };
            row.store_id = Set(store_id);
            row.customer_id = Set(customer_id);
            #[allow(clippy::redundant_closure_call)]
            ($fill)(&mut row);
            if row.id.is_set() || row.id.is_unchanged() {
                row.update(conn).await?;
            } else {
                row.insert(conn).await?;
            }
        }};
    }
    let vehicle = vehicle_id.unwrap_or_default();
    match &record.fact {
        Fact::Delivery { delivered_on, price_cents, consultant, payment } => {
            let consultant = staff_named(conn, store_id, consultant.as_deref()).await?;
            upsert!(delivery, |row: &mut delivery::ActiveModel| {
                row.vehicle_id = Set(vehicle);
                row.consultant_id = Set(consultant);
                row.delivered_on = Set(*delivered_on);
                row.price_cents = Set(*price_cents);
                row.payment = Set(*payment);
            });
        }
        Fact::RepairOrder { kind, mileage, opened_at, closed_at, amount_cents, advisor } => {
            let advisor = staff_named(conn, store_id, advisor.as_deref()).await?;
            upsert!(repair_order, |row: &mut repair_order::ActiveModel| {
                row.vehicle_id = Set(vehicle);
                row.advisor_id = Set(advisor);
                row.kind = Set(*kind);
                row.mileage = Set(*mileage);
                row.opened_at = Set(*opened_at);
                row.closed_at = Set(*closed_at);
                row.amount_cents = Set(*amount_cents);
            });
        }
        Fact::InsurancePolicy { insurer, coverage, premium_cents, starts_on, ends_on } => {
            // A policy starting when another of the same vehicle ends renews it.
            let previous = insurance_policy::Entity::find()
                .filter(insurance_policy::Column::VehicleId.eq(vehicle))
                .filter(insurance_policy::Column::EndsOn.lt(*starts_on))
                .filter(insurance_policy::Column::SourceRecordId.ne(source_id))
                .order_by_desc(insurance_policy::Column::EndsOn)
                .one(conn)
                .await?
                .filter(|p| (*starts_on - p.ends_on).num_days() <= 31)
                .map(|p| p.id);
            upsert!(insurance_policy, |row: &mut insurance_policy::ActiveModel| {
                row.vehicle_id = Set(vehicle);
                row.insurer = Set(insurer.clone());
                row.coverage = Set(coverage.clone());
                row.premium_cents = Set(*premium_cents);
                row.starts_on = Set(*starts_on);
                row.ends_on = Set(*ends_on);
                row.renewal_of = Set(previous);
            });
        }
        Fact::PartsOrder { items, amount_cents, ordered_on } => {
            upsert!(parts_order, |row: &mut parts_order::ActiveModel| {
                row.vehicle_id = Set(vehicle_id);
                row.items = Set(items.clone());
                row.amount_cents = Set(*amount_cents);
                row.ordered_on = Set(*ordered_on);
            });
        }
        Fact::Lead { grade, intended_model, budget_cents, channel, next_follow_up_at } => {
            let now = Utc::now();
            upsert!(lead, |row: &mut lead::ActiveModel| {
                row.grade = Set(*grade);
                row.intended_model = Set(intended_model.clone());
                row.budget_cents = Set(*budget_cents);
                row.channel = Set(channel.clone());
                row.next_follow_up_at = Set(*next_follow_up_at);
                if !row.status.is_set() && !row.status.is_unchanged() {
                    row.status = Set(LeadStatus::Open);
                    row.created_at = Set(now);
                }
            });
        }
    }
    Ok(())
}

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

fn resource_of(kind: RecordKind) -> super::access::Resource {
    use super::access::Resource;
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
    scope: &super::Scope,
    meta: &super::audit::RequestMeta,
    records: Vec<(RecordKind, Raw)>,
) -> AppResult<Vec<RecordResult>> {
    use super::access::Action;
    use super::scope::Reach;

    if records.len() > MAX_BATCH {
        return Err(AppError::bad_input("records", format!("at most {MAX_BATCH} records per batch")));
    }
    let kinds: std::collections::BTreeSet<&str> = records.iter().map(|(k, _)| k.name()).collect();
    if scope.role() != entity::enums::Role::Integration {
        return Err(AppError::Forbidden("ingestion is for the integration accounts of source systems".into()));
    }
    if records.iter().all(|(kind, _)| scope.reach(resource_of(*kind), Action::Create) == Reach::Nothing) {
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
    let txn = crate::db::begin_write(db).await?;
    let mut results = Vec::with_capacity(records.len());
    let mut touched = Vec::new();
    for (kind, raw) in records {
        let store = match (scope.reach(resource_of(kind), Action::Create), &own_store) {
            (Reach::Store(_), Some(store)) => store,
            _ => {
                results.push(RecordResult::Rejected(vec![FieldError {
                    field: "kind".into(),
                    reason: format!("your account may not send {} records", kind.name()),
                }]));
                continue;
            }
        };
        let incoming = match parse(kind, &raw) {
            Ok(incoming) => incoming,
            Err(errors) => {
                results.push(RecordResult::Rejected(errors));
                continue;
            }
        };
        if incoming.store_code.as_deref().is_some_and(|code| code != store.code) {
            results.push(RecordResult::Rejected(vec![FieldError {
                field: "store_code".into(),
                reason: format!("records of this account belong to store {}", store.code),
            }]));
            continue;
        }
        let result = ingest_savepoint(&txn, store.id, &incoming, &raw, &meta.request_id).await?;
        if let RecordResult::Done(done) = &result
            && done.outcome != Outcome::Unchanged
        {
            touched.push(i64::from(done.source_record_id));
        }
        results.push(result);
    }
    super::audit::record(&txn, Some(&scope.actor), meta, super::audit::Entry::new("INGEST", "source_record", touched))
        .await?;
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

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::normalize::arbitrary::text;

    const KINDS: [RecordKind; 5] = [
        RecordKind::Delivery,
        RecordKind::RepairOrder,
        RecordKind::InsurancePolicy,
        RecordKind::PartsOrder,
        RecordKind::Lead,
    ];

    /// A record of `kind` whose every column holds arbitrary text (or is missing).
    fn record() -> impl Strategy<Value = (RecordKind, Raw)> {
        prop::sample::select(KINDS.to_vec()).prop_flat_map(|kind| {
            let columns = kind.columns();
            prop::collection::vec(prop::option::of(text()), columns.len()).prop_map(move |values| {
                let raw: Raw = columns
                    .iter()
                    .zip(values)
                    .filter_map(|(column, value)| value.map(|v| ((*column).to_owned(), v)))
                    .collect();
                (kind, raw)
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn any_record_is_parsed_or_rejected_by_field((kind, raw) in record()) {
            match parse(kind, &raw) {
                Ok(incoming) => {
                    prop_assert!(!incoming.external_id.is_empty());
                    prop_assert!(incoming.person.phones.iter().all(|p| normalize::phone(p).as_ref() == Ok(p)));
                    prop_assert_eq!(incoming.hash(), incoming.hash());
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    for e in &errors {
                        prop_assert!(e.field == "phone" || raw.contains_key(&e.field) || kind.columns().contains(&e.field.as_str()), "{:?}", e);
                    }
                }
            }
            let lengths = check_lengths([&raw]);
            prop_assert_eq!(lengths.is_ok(), raw.iter().all(|(f, v)| v.chars().count() <= max_length(f)));
        }

        #[test]
        fn field_parsers_are_total(s in text()) {
            let _ = (gender(&s), payment(&s), service_type(&s), grade(&s));
            if let Ok(n) = whole(&s) {
                prop_assert!(n >= 0);
            }
            if let Ok(list) = items(&s) {
                prop_assert!(list.is_array());
            }
            let name = api_name(&s);
            prop_assert!(!name.contains('_'));
        }
    }

    #[test]
    fn the_examples_of_the_issue_are_rejected_by_field() {
        let mut raw: Raw = [
            ("external_id", "S-1"),
            ("customer_name", "王伟"),
            ("national_id", "杭州新客科技"),
            ("vin", "LSVCA4C37RN123456"),
            ("delivery_date", "2024-03-05"),
            ("price", "99999999999999999999"),
            ("model_year", "99999999999999999999"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let errors = parse(RecordKind::Delivery, &raw).expect_err("rejected");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["national_id", "model_year", "price"]);
        raw.insert("customer_name".into(), "王".repeat(1_000_000));
        let errors = parse(RecordKind::Delivery, &raw).expect_err("rejected");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "customer_name");
        assert!(errors[0].reason.len() < 100, "the cell is not echoed");
        let err = check_lengths([&raw]).expect_err("too long");
        assert_eq!(err.code(), "BAD_USER_INPUT");
        assert!(matches!(&err, AppError::BadInput { field: Some(f), .. } if f == "customerName"));
    }

    #[test]
    fn honorifics_stay_out_of_the_record_name() {
        let raw: Raw =
            [("external_id", "L-1"), ("customer_name", "陈玉兰 女士"), ("phone", "13800138000"), ("grade", "H")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        assert_eq!(parse(RecordKind::Lead, &raw).expect("valid").person.name, "陈玉兰");
    }
}
