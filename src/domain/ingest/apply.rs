//! Applying one validated record: idempotency by (system, store, external id), whose
//! record it is (resolution, attaching to an existing or a new customer, households and
//! duplicate candidates), what it adds to the person, the customer's relation to the
//! store, and the vehicle and its ownership. The fact itself is written by `facts`.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::enums::{ContactKind, CustomerKind, LifecycleStage, OwnershipRole, RelationshipStatus, SourceSystem};
use entity::{
    contact_point, customer, customer_store, source_record, source_record_history, vehicle, vehicle_ownership,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde::Serialize;
use serde_json::{Value, json};

use super::facts::write_fact;
use super::kinds::{Fact, Incoming, Raw, RecordKind, VehicleFacts};
use super::parse::parse;
use crate::domain::identity::{self, Likeness};
use crate::domain::normalize;
use crate::error::AppResult;

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
    let existing = source_record::Entity::find()
        .filter(source_record::Column::System.eq(record.kind.system()))
        .filter(source_record::Column::StoreId.eq(store_id))
        .filter(source_record::Column::ExternalId.eq(record.external_id.as_str()))
        .one(conn)
        .await?;
    ingest_known(conn, store_id, record, raw, existing).await
}

/// The source records a chunk of records already has, keyed by (store, external id,
/// system), read in one statement: a chunk of a re-run export finds its unchanged rows
/// without a statement per row.
pub async fn known_sources<C: ConnectionTrait>(
    conn: &C,
    keys: &[(i32, &Incoming)],
) -> AppResult<HashMap<(i32, String, SourceSystem), source_record::Model>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let stores: BTreeSet<i32> = keys.iter().map(|(store, _)| *store).collect();
    let systems: HashSet<SourceSystem> = keys.iter().map(|(_, r)| r.kind.system()).collect();
    let ids: BTreeSet<&str> = keys.iter().map(|(_, r)| r.external_id.as_str()).collect();
    let rows = source_record::Entity::find()
        .filter(source_record::Column::System.is_in(systems))
        .filter(source_record::Column::StoreId.is_in(stores))
        .filter(source_record::Column::ExternalId.is_in(ids))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| ((r.store_id, r.external_id.clone(), r.system), r)).collect())
}

/// What ingesting `record` does when its source record is `existing` and carries the
/// same payload: nothing (`None` when there is something to do).
pub fn unchanged(existing: Option<&source_record::Model>, record: &Incoming) -> Option<Ingested> {
    let source = existing?;
    (source.payload_hash.as_deref() == Some(record.hash().as_str())).then(|| Ingested {
        outcome: Outcome::Unchanged,
        customer_id: source.customer_id,
        source_record_id: source.id,
        match_reason: source.match_reason.clone().unwrap_or_default(),
    })
}

/// [`ingest`] with the source record already looked up (`existing`).
pub async fn ingest_known<C: ConnectionTrait>(
    conn: &C,
    store_id: i32,
    record: &Incoming,
    raw: &Raw,
    existing: Option<source_record::Model>,
) -> AppResult<Ingested> {
    let system = record.kind.system();
    let hash = record.hash();
    let now = Utc::now();
    if let Some(done) = unchanged(existing.as_ref(), record) {
        return Ok(done);
    }
    let payload = json!(raw);
    // A customer created by this record has nothing yet: the look-ups for what it
    // already has are skipped.
    let mut fresh = false;
    let (source, customer_id, outcome, reason) = match existing {
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
        crate::domain::duplicates::queue_candidate(conn, customer_id, *other, *score, reasons).await?;
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
