//! Applying validated records: idempotency by (system, store, external id), whose
//! record it is (resolution, attaching to an existing or a new customer, households and
//! duplicate candidates), what it adds to the person, the customer's relation to the
//! store, and the vehicle and its ownership. The fact itself is written by `facts`.
//!
//! Records are applied a chunk at a time on the chunk's working set (`work`): read in a
//! few statements, applied in memory row after row — each row sees what the rows before
//! it did, exactly as if they were stored one by one — and written with multi-row
//! statements. One record alone is a chunk of one.

use std::collections::{BTreeSet, HashMap, HashSet};

use entity::enums::{ContactKind, CustomerKind, LifecycleStage, OwnershipRole, RelationshipStatus, SourceSystem};
use entity::{contact_point, customer, customer_store, source_record, vehicle, vehicle_ownership};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use serde_json::{Value, json};

use super::kinds::{Fact, Incoming, Raw, RecordKind, VehicleFacts};
use super::parse::parse;
use super::work::{Row, Work};
use crate::domain::identity::{self, Likeness, Resolution};
use crate::domain::linkage::{self, Known};
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
    let mut done = ingest_chunk(conn, &[(store_id, record, raw)], None).await?;
    done.pop().ok_or_else(|| crate::error::AppError::internal(std::io::Error::other("a chunk of one gave no result")))
}

/// Ingests validated records (with their stores) as one chunk: read in a few
/// statements, applied in memory in order, written with multi-row statements. All or
/// nothing: on an error nothing of the chunk should be kept (the caller rolls back its
/// savepoint and may store the rows one by one to find the one at fault).
///
/// `known`: the chunk's source records, when the caller has read them already with
/// [`known_sources`] (they are then not read again).
pub async fn ingest_chunk<C: ConnectionTrait>(
    conn: &C,
    rows: &[(i32, &Incoming, &Raw)],
    known: Option<&KnownSources>,
) -> AppResult<Vec<Ingested>> {
    let keys: Vec<(i32, &Incoming)> = rows.iter().map(|(store, record, _)| (*store, *record)).collect();
    let mut work = Work::load(conn, &keys, known).await?;
    let mut done = Vec::with_capacity(rows.len());
    for (store_id, record, raw) in rows {
        done.push(work.apply(*store_id, record, raw));
    }
    let real = work.flush(conn).await?;
    let id = |id: i32| if id < 0 { real.get(&id).copied().unwrap_or(id) } else { id };
    for ingested in &mut done {
        ingested.customer_id = id(ingested.customer_id);
        ingested.source_record_id = id(ingested.source_record_id);
    }
    Ok(done)
}

/// Source records by (store, external id, system).
pub type KnownSources = HashMap<(i32, String, SourceSystem), source_record::Model>;

/// The source records a chunk of records already has, keyed by (store, external id,
/// system), read in one statement: a chunk of a re-run export finds its unchanged rows
/// without a statement per row.
pub async fn known_sources<C: ConnectionTrait>(conn: &C, keys: &[(i32, &Incoming)]) -> AppResult<KnownSources> {
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

/// The same keys as [`known_sources`] (store, external id, system), for the chunk's
/// own bookkeeping.
pub fn key_of(store_id: i32, record: &Incoming) -> (i32, String, SourceSystem) {
    (store_id, record.external_id.clone(), record.kind.system())
}

/// Whether a resent record names its person differently from the payload it replaces:
/// another phone, ID number or name (an unreadable old payload counts as different).
fn identity_changed(record: &Incoming, previous: &Value) -> bool {
    let Ok(previous) = serde_json::from_value::<Raw>(previous.clone()) else { return true };
    let Ok(previous) = parse(record.kind, &previous) else { return true };
    let (old, new) = (&previous.person, &record.person);
    old.phones != new.phones || old.id_number != new.id_number || !identity::compatible(&old.name, &new.name)
}

/// The live customer a possibly merged id stands for.
pub(crate) async fn live_customer<C: ConnectionTrait>(conn: &C, id: i32) -> AppResult<i32> {
    Ok(identity::live(conn, [id]).await?.into_keys().next().unwrap_or(id))
}

impl Work {
    /// Applies one record to the working set.
    fn apply(&mut self, store_id: i32, record: &Incoming, raw: &Raw) -> Ingested {
        let key = key_of(store_id, record);
        if let Some(done) = unchanged(self.sources.get(&key).map(|r| &r.model), record) {
            return done;
        }
        let now = self.now;
        let hash = record.hash();
        let payload = json!(raw);
        // A customer created by this record has nothing yet: the look-ups for what it
        // already has are skipped.
        let mut fresh = false;
        let existing = self.sources.get(&key).map(|r| r.model.clone());
        let (source_id, customer_id, outcome, reason) = match existing {
            Some(source) => {
                // A changed record: keep the previous payload, then update the facts.
                self.history.push((source.id, source.payload.clone(), source.payload_hash.clone()));
                let current = self.live(source.customer_id);
                // Another phone, ID number or name says whose record it is anew: resolve it again.
                let (customer_id, reason) = if identity_changed(record, &source.payload) {
                    let (customer_id, reason, created) = self.attach(record, Some(current));
                    fresh = created;
                    (customer_id, reason.or(source.match_reason.clone()).unwrap_or_default())
                } else {
                    (current, source.match_reason.clone().unwrap_or_default())
                };
                if let Some(row) = self.sources.get_mut(&key) {
                    let row = row.edit();
                    row.payload = payload;
                    row.payload_hash = Some(hash);
                    row.last_seen_at = now;
                    row.customer_id = customer_id;
                    row.match_reason = Some(reason.clone());
                }
                (source.id, customer_id, Outcome::Updated, reason)
            }
            None => {
                let (customer_id, reason, created) = self.attach(record, None);
                fresh = created;
                let reason = reason.unwrap_or_default();
                let id = self.temp_id();
                let (_, external_id, system) = key.clone();
                self.sources.insert(
                    key,
                    Row::new(source_record::Model {
                        id,
                        system,
                        store_id,
                        external_id,
                        customer_id,
                        payload,
                        first_seen_at: now,
                        last_seen_at: now,
                        kind: Some(record.kind.name().into()),
                        payload_hash: Some(hash),
                        match_reason: Some(reason.clone()),
                    }),
                );
                (id, customer_id, Outcome::Created, reason)
            }
        };
        self.apply_person(customer_id, record, raw, fresh);
        self.relate(customer_id, store_id, record, fresh);
        let vehicle_id = record.vehicle.as_ref().map(|v| self.upsert_vehicle(customer_id, store_id, v, record));
        self.write_fact(store_id, customer_id, vehicle_id, source_id, record, outcome == Outcome::Created);
        Ingested { outcome, customer_id, source_record_id: source_id, match_reason: reason }
    }

    /// Decides which customer `person` (and the vehicle `vin`) belongs to, from what the
    /// working set holds. Blocking: the customers of the same ID number, the holders of
    /// the phones and the current holders of the VIN (drivers aside) are compared with
    /// the record, field by field (see `identity::decide`).
    fn resolve(&self, person: &identity::Person, vin: Option<&str>) -> Resolution {
        let mut found: BTreeSet<i32> = BTreeSet::new();
        if let Some(hash) = person.id_number.as_deref().map(normalize::id_hash) {
            found.extend(
                self.customers
                    .values()
                    .filter(|c| c.model.id_number_hash.as_deref() == Some(hash.as_str()))
                    .map(|c| c.model.id),
            );
        }
        for c in &self.contacts {
            if c.model.kind == ContactKind::Phone && person.phones.contains(&c.model.normalized) {
                found.insert(c.model.customer_id);
            }
        }
        let vehicle = vin.and_then(|vin| self.vehicles.get(vin)).map(|v| v.model.id);
        // Drivers of a company's car are found by their own phones; another driver of
        // the same car is no candidate for being them.
        let holding = |o: &&Row<vehicle_ownership::Model>| {
            Some(o.model.vehicle_id) == vehicle && o.model.to_date.is_none() && o.model.role != OwnershipRole::Driver
        };
        let holders: BTreeSet<i32> = self
            .live_all(self.ownerships.iter().filter(holding).map(|o| o.model.customer_id).collect::<Vec<_>>())
            .into_iter()
            .map(|c| c.id)
            .collect();
        found.extend(holders.iter().copied());
        let live = self.live_all(found);
        let known: Vec<(i32, Known<'_>)> = live
            .into_iter()
            .map(|c| {
                let phones = self
                    .contacts
                    .iter()
                    .filter(|p| p.model.kind == ContactKind::Phone && self.live(p.model.customer_id) == c.id)
                    .map(|p| p.model.normalized.as_str())
                    .collect();
                let known = Known {
                    name: &c.name,
                    corporate: c.kind == CustomerKind::Corporate,
                    id_number: c.id_number.as_deref(),
                    phones,
                    holds_vin: holders.contains(&c.id),
                    address: c.address.as_deref(),
                };
                (c.id, known)
            })
            .collect();
        identity::decide(person, vin, &known, linkage::thresholds())
    }

    /// Resolves whose record this is and attaches it: an existing customer, the
    /// record's `previous` customer when nobody else fits and that customer is not
    /// clearly another person, or a new customer. Households and duplicate candidates
    /// are recorded. Returns the customer, the match reason (`None`: it stays with
    /// `previous` for its old reason) and whether the customer was created now.
    fn attach(&mut self, record: &Incoming, previous: Option<i32>) -> (i32, Option<String>, bool) {
        let resolution = self.resolve(&record.person, record.vehicle.as_ref().map(|v| v.vin.as_str()));
        let kept = match (resolution.customer, previous) {
            (None, Some(previous)) => self
                .customers
                .get(&previous)
                .map(|c| &c.model)
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
            (None, None) => (self.create_customer(record), Some(resolution.reason.clone()), true),
        };
        for (other, why) in resolution.households.iter().filter(|(other, _)| *other != customer_id) {
            self.links.push((customer_id, *other, why.clone()));
        }
        for (other, score, reasons) in resolution.candidates.iter().filter(|(other, ..)| *other != customer_id) {
            self.candidates.push((customer_id, *other, *score, reasons.clone()));
        }
        (customer_id, reason, created)
    }

    fn create_customer(&mut self, record: &Incoming) -> i32 {
        let p = &record.person;
        let stage = if record.kind == RecordKind::Lead { LifecycleStage::Prospect } else { LifecycleStage::Base };
        let id = self.temp_id();
        let now = self.now;
        self.customers.insert(
            id,
            Row::new(customer::Model {
                id,
                kind: if p.corporate { CustomerKind::Corporate } else { CustomerKind::Individual },
                name: p.name.clone(),
                gender: p.gender,
                birthday: p.birthday,
                id_number_hash: p.id_number.as_deref().map(normalize::id_hash),
                id_number: p.id_number.clone(),
                address: p.address.clone(),
                city: None,
                notes: None,
                lifecycle_stage: stage,
                created_at: now,
                updated_at: now,
                version: 1,
                merged_into: None,
            }),
        );
        id
    }

    /// Adds what the record knows about the person: phones, and fields still empty; a
    /// newer address replaces an older one.
    fn apply_person(&mut self, customer_id: i32, record: &Incoming, raw: &Raw, fresh: bool) {
        let p = &record.person;
        let known: Vec<(ContactKind, String, bool)> = if fresh {
            Vec::new()
        } else {
            self.contacts
                .iter()
                .filter(|c| c.model.customer_id == customer_id)
                .map(|c| (c.model.kind, c.model.normalized.clone(), c.model.is_primary))
                .collect()
        };
        let has_primary = known.iter().any(|(kind, _, primary)| *kind == ContactKind::Phone && *primary);
        for (i, phone) in p.phones.iter().enumerate() {
            if !known.iter().any(|(kind, normalized, _)| *kind == ContactKind::Phone && normalized == phone) {
                self.contacts.push(Row::new(contact_point::Model {
                    id: 0,
                    customer_id,
                    kind: ContactKind::Phone,
                    value: raw
                        .get("phone")
                        .map(|r| r.trim().to_owned())
                        .filter(|_| i == 0)
                        .unwrap_or_else(|| phone.clone()),
                    normalized: phone.clone(),
                    is_primary: !has_primary && i == 0,
                }));
            }
        }
        if fresh {
            return;
        }
        let now = self.now;
        let Some(row) = self.customers.get_mut(&customer_id) else { return };
        let current = row.model.clone();
        let mut next = current.clone();
        if current.id_number.is_none()
            && let Some(id) = &p.id_number
        {
            next.id_number = Some(id.clone());
            next.id_number_hash = Some(normalize::id_hash(id));
        }
        // A customer first known as 王 (from 王先生) takes the full name when a record
        // brings it; a surname never replaces a full name.
        if !p.corporate && identity::bare_surname(&current.name) && identity::surname_of(&current.name, &p.name) {
            next.name = p.name.clone();
        }
        if current.gender.is_none() && p.gender.is_some() {
            next.gender = p.gender;
        }
        if current.birthday.is_none() && p.birthday.is_some() {
            next.birthday = p.birthday;
        }
        if p.address.is_some() && current.address != p.address {
            next.address = p.address.clone();
        }
        if record.kind != RecordKind::Lead && current.lifecycle_stage == LifecycleStage::Prospect {
            next.lifecycle_stage = LifecycleStage::Base;
        }
        if next != current {
            next.version = current.version + 1;
            next.updated_at = now;
            *row.edit() = next;
        }
    }

    fn relate(&mut self, customer_id: i32, store_id: i32, record: &Incoming, fresh: bool) {
        let status =
            if record.kind == RecordKind::Lead { RelationshipStatus::Prospect } else { RelationshipStatus::Base };
        let existing = if fresh { None } else { self.relations.get_mut(&(customer_id, store_id)) };
        match existing {
            None => {
                self.relations.insert(
                    (customer_id, store_id),
                    Row::new(customer_store::Model {
                        id: 0,
                        customer_id,
                        store_id,
                        status,
                        manager_id: None,
                        first_contact_on: record.day(),
                        source_channel: Some(record.kind.system().as_str().to_owned()),
                    }),
                );
            }
            Some(rel) if rel.model.status == RelationshipStatus::Prospect && status == RelationshipStatus::Base => {
                rel.edit().status = RelationshipStatus::Base;
            }
            Some(_) => {}
        }
    }

    fn upsert_vehicle(&mut self, customer_id: i32, store_id: i32, v: &VehicleFacts, record: &Incoming) -> i32 {
        let delivered = matches!(record.fact, Fact::Delivery { .. });
        let is_new = !self.vehicles.contains_key(&v.vin);
        let vehicle_id = match self.vehicles.get_mut(&v.vin) {
            None => {
                let id = self.temp_id();
                self.vehicles.insert(
                    v.vin.clone(),
                    Row::new(vehicle::Model {
                        id,
                        vin: v.vin.clone(),
                        plate: v.plate.clone(),
                        plate_normalized: v.plate.clone(),
                        brand: v.brand.clone().unwrap_or_default(),
                        model: v.model.clone().unwrap_or_default(),
                        model_year: v.model_year,
                        colour: None,
                        purchase_date: delivered.then(|| record.day()),
                        selling_store_id: delivered.then_some(store_id),
                        last_mileage: match record.fact {
                            Fact::RepairOrder { mileage, .. } => mileage,
                            _ => None,
                        },
                    }),
                );
                id
            }
            Some(row) => {
                let current = row.model.clone();
                let mut next = current.clone();
                if v.plate.is_some() && current.plate_normalized != v.plate {
                    next.plate = v.plate.clone();
                    next.plate_normalized = v.plate.clone();
                }
                if let Some(brand) = &v.brand {
                    next.brand = brand.clone();
                }
                if let Some(model) = &v.model {
                    next.model = model.clone();
                }
                if let Fact::RepairOrder { mileage: Some(m), .. } = record.fact
                    && current.last_mileage.is_none_or(|old| m > old)
                {
                    next.last_mileage = Some(m);
                }
                if delivered && current.purchase_date.is_none() {
                    next.purchase_date = Some(record.day());
                    next.selling_store_id = Some(store_id);
                }
                if next != current {
                    *row.edit() = next;
                }
                current.id
            }
        };
        let day = record.day();
        let holders: Vec<usize> = if is_new {
            Vec::new()
        } else {
            (0..self.ownerships.len())
                .filter(|i| {
                    let o = &self.ownerships[*i].model;
                    o.vehicle_id == vehicle_id && o.to_date.is_none()
                })
                .collect()
        };
        let holds = holders.iter().any(|i| self.ownerships[*i].model.customer_id == customer_id);
        if !holds && (delivered || holders.is_empty()) {
            // A delivery hands the car over; otherwise the first customer seen with it holds it.
            for i in holders {
                if let Some(row) = self.ownerships.get_mut(i) {
                    row.edit().to_date = Some(day);
                }
            }
            self.ownerships.push(Row::new(vehicle_ownership::Model {
                id: 0,
                vehicle_id,
                customer_id,
                role: OwnershipRole::Owner,
                from_date: day,
                to_date: None,
            }));
        } else if !holds
            && matches!(record.fact, Fact::RepairOrder { .. })
            && self.kind_of(customer_id) == Some(CustomerKind::Individual)
            && holders.iter().any(|i| {
                self.ownerships.get(*i).and_then(|o| self.kind_of(o.model.customer_id)) == Some(CustomerKind::Corporate)
            })
        {
            // A company car brought to the workshop by its driver: the driver is linked to
            // it as DRIVER (never merged into the company), and the company keeps it.
            self.ownerships.push(Row::new(vehicle_ownership::Model {
                id: 0,
                vehicle_id,
                customer_id,
                role: OwnershipRole::Driver,
                from_date: day,
                to_date: None,
            }));
        }
        vehicle_id
    }

    /// Whether a customer of the working set is a person or a company.
    fn kind_of(&self, customer_id: i32) -> Option<CustomerKind> {
        self.customers.get(&customer_id).map(|c| c.model.kind)
    }
}
