//! The working set of one chunk of records. Everything the chunk's rows can read is read
//! first, in a few statements: their source records, the customers their ID numbers,
//! phones and VINs name (and the survivors of merged ones) with those customers'
//! contacts and store relations, the vehicles and their current holders, the facts of
//! known records, the staff of their stores. The rows are then applied in memory one
//! after another (`apply`), each seeing what the rows before it did — exactly as if they
//! were stored one by one — and what they wrote is flushed with multi-row statements.
//!
//! Rows created in memory carry temporary (negative) ids until the flush allocates real
//! ones, in creation order and above every existing id, so orders by id stay as they
//! would have been.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entity::enums::{ContactKind, SourceSystem};
use entity::{
    contact_point, customer, customer_store, delivery, insurance_policy, lead, parts_order, repair_order,
    source_record, source_record_history, staff, store_lead_policy, vehicle, vehicle_ownership,
};
use sea_orm::sea_query::{Alias, Expr, OnConflict, Query, UnionType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, IdenStatic, IntoActiveModel,
    Iterable, ModelTrait, Order, PrimaryKeyToColumn, QueryFilter, Set, Statement,
};

use super::kinds::Incoming;
use crate::domain::bundle::{Bundle, ids_of};
use crate::domain::normalize;
use crate::error::AppResult;

/// Whether a row was read, made in memory, or read and changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Known,
    New,
    Changed,
}

#[derive(Debug, Clone)]
pub(super) struct Row<M> {
    pub model: M,
    pub state: State,
}

impl<M> Row<M> {
    fn known(model: M) -> Self {
        Self { model, state: State::Known }
    }
    pub fn new(model: M) -> Self {
        Self { model, state: State::New }
    }
    /// The row, marked as changed (a new row stays new).
    pub fn edit(&mut self) -> &mut M {
        if self.state == State::Known {
            self.state = State::Changed;
        }
        &mut self.model
    }
}

/// A source record's key: store, external id, system.
pub(super) type SourceKey = (i32, String, SourceSystem);

/// The facts each kind of record writes, by source record id.
#[derive(Default)]
pub(super) struct Facts {
    pub deliveries: HashMap<i32, Row<delivery::Model>>,
    pub repair_orders: HashMap<i32, Row<repair_order::Model>>,
    pub policies: HashMap<i32, Row<insurance_policy::Model>>,
    pub parts_orders: HashMap<i32, Row<parts_order::Model>>,
    pub leads: HashMap<i32, Row<lead::Model>>,
    /// Policies of the chunk's vehicles that no source record of the chunk owns (for
    /// renewals).
    pub other_policies: Vec<insurance_policy::Model>,
}

/// The working set of one chunk.
pub(super) struct Work {
    pub now: DateTime<Utc>,
    next_temp: i32,
    pub customers: BTreeMap<i32, Row<customer::Model>>,
    pub contacts: Vec<Row<contact_point::Model>>,
    pub relations: HashMap<(i32, i32), Row<customer_store::Model>>,
    pub vehicles: HashMap<String, Row<vehicle::Model>>,
    pub ownerships: Vec<Row<vehicle_ownership::Model>>,
    pub sources: HashMap<SourceKey, Row<source_record::Model>>,
    pub history: Vec<(i32, serde_json::Value, Option<String>)>,
    pub facts: Facts,
    pub staff: Vec<staff::Model>,
    /// The lead rules of the chunk's stores (first-response deadlines of new leads).
    pub lead_policies: HashMap<i32, crate::domain::leads::Policy>,
    pub links: Vec<(i32, i32, String)>,
    pub candidates: Vec<(i32, i32, i32, Vec<String>)>,
}

/// The key that orders customer ids as the database would have numbered them: existing
/// ids first, then the new ones in the order they were made.
pub(super) fn rank(id: i32) -> (bool, i64) {
    if id < 0 { (true, -i64::from(id)) } else { (false, i64::from(id)) }
}

fn id_order<E: EntityTrait>() -> Vec<(E::Column, Order)> {
    E::PrimaryKey::iter().map(|k| (k.into_column(), Order::Asc)).collect()
}

impl Work {
    /// A temporary id for a row made in memory.
    pub fn temp_id(&mut self) -> i32 {
        self.next_temp -= 1;
        self.next_temp
    }

    /// Reads what the records `rows` (with their stores) can touch.
    /// `known`: the chunk's source records when the caller has already read them (to tell
    /// unchanged rows apart), so they are not read twice.
    pub async fn load<C: ConnectionTrait>(
        conn: &C,
        rows: &[(i32, &Incoming)],
        known: Option<&super::apply::KnownSources>,
    ) -> AppResult<Self> {
        let backend = conn.get_database_backend();
        let stores: BTreeSet<i32> = rows.iter().map(|(s, _)| *s).collect();
        let systems: BTreeSet<&str> = rows.iter().map(|(_, r)| r.kind.system().as_str()).collect();
        let external: BTreeSet<&str> = rows.iter().map(|(_, r)| r.external_id.as_str()).collect();
        let hashes: BTreeSet<String> =
            rows.iter().filter_map(|(_, r)| r.person.id_number.as_deref().map(normalize::id_hash)).collect();
        let phones: BTreeSet<&str> =
            rows.iter().flat_map(|(_, r)| r.person.phones.iter().map(String::as_str)).collect();
        let vins: BTreeSet<&str> =
            rows.iter().filter_map(|(_, r)| r.vehicle.as_ref().map(|v| v.vin.as_str())).collect();

        // 1. The source records, vehicles, current holders, staff, and every customer the
        //    records name.
        let mut first = Bundle::new(backend);
        let sources = source_record::Entity::find()
            .filter(source_record::Column::System.is_in(systems.iter().copied()))
            .filter(source_record::Column::StoreId.is_in(stores.iter().copied()))
            .filter(source_record::Column::ExternalId.is_in(external.iter().copied()));
        let vehicles = vehicle::Entity::find().filter(vehicle::Column::Vin.is_in(vins.iter().copied()));
        let holders = vehicle_ownership::Entity::find()
            .filter(vehicle_ownership::Column::ToDate.is_null())
            .filter(vehicle_ownership::Column::VehicleId.in_subquery(ids_of(vehicles.clone(), vehicle::Column::Id)));
        let phone_holders = contact_point::Entity::find()
            .filter(contact_point::Column::Kind.eq(ContactKind::Phone))
            .filter(contact_point::Column::Normalized.is_in(phones.iter().copied()));
        // One `IN` over a union of the id sets (not an `OR` of subqueries, which
        // PostgreSQL can only answer by scanning every customer).
        let mut named_ids = Query::select()
            .column(customer::Column::Id)
            .from(customer::Entity)
            .and_where(customer::Column::IdNumberHash.is_in(hashes.iter().cloned()))
            .to_owned();
        named_ids
            .union(UnionType::All, ids_of(phone_holders, contact_point::Column::CustomerId))
            .union(UnionType::All, ids_of(holders.clone(), vehicle_ownership::Column::CustomerId));
        // The records' own customers: from the source records already read, else read here.
        let given: Option<Vec<source_record::Model>> = known.map(|known| {
            let mut given: Vec<source_record::Model> = rows
                .iter()
                .filter_map(|(store, record)| known.get(&super::apply::key_of(*store, record)).cloned())
                .collect();
            given.sort_by_key(|s| s.id);
            given.dedup_by_key(|s| s.id);
            given
        });
        match &given {
            Some(given) => named_ids.union(
                UnionType::All,
                ids_of(
                    customer::Entity::find().filter(customer::Column::Id.is_in(given.iter().map(|s| s.customer_id))),
                    customer::Column::Id,
                ),
            ),
            None => named_ids.union(UnionType::All, ids_of(sources.clone(), source_record::Column::CustomerId)),
        };
        let named = customer::Entity::find().filter(customer::Column::Id.in_subquery(named_ids));
        let b_sources = given.is_none().then(|| first.add(sources, &id_order::<source_record::Entity>()));
        let b_vehicles = first.add(vehicles, &id_order::<vehicle::Entity>());
        let b_holders = first.add(holders, &id_order::<vehicle_ownership::Entity>());
        let b_named = first.add(named, &id_order::<customer::Entity>());
        let b_staff = first.add(
            staff::Entity::find().filter(staff::Column::StoreId.is_in(stores.iter().copied())),
            &id_order::<staff::Entity>(),
        );
        let mut fetched = first.run(conn).await?;
        let sources = match (given, b_sources) {
            (Some(given), _) => given,
            (None, Some(branch)) => fetched.take(branch)?,
            (None, None) => Vec::new(),
        };
        let vehicles = fetched.take(b_vehicles)?;
        let holders = fetched.take(b_holders)?;
        let mut customers: BTreeMap<i32, customer::Model> =
            fetched.take(b_named)?.into_iter().map(|c| (c.id, c)).collect();
        let staff = fetched.take(b_staff)?;

        // Merged customers stand for their survivors: read those too (rarely needed).
        for _ in 0..8 {
            let missing: BTreeSet<i32> =
                customers.values().filter_map(|c| c.merged_into).filter(|s| !customers.contains_key(s)).collect();
            if missing.is_empty() {
                break;
            }
            let found = customer::Entity::find().filter(customer::Column::Id.is_in(missing)).all(conn).await?;
            customers.extend(found.into_iter().map(|c| (c.id, c)));
        }

        // 2. What those customers already have, and the facts of the known records.
        let ids: Vec<i32> = customers.keys().copied().collect();
        let source_ids: Vec<i32> = sources.iter().map(|s| s.id).collect();
        let vehicle_ids: Vec<i32> = vehicles.iter().map(|v| v.id).collect();
        let mut second = Bundle::new(backend);
        let b_contacts = second.add(
            contact_point::Entity::find().filter(contact_point::Column::CustomerId.is_in(ids.iter().copied())),
            &id_order::<contact_point::Entity>(),
        );
        let b_relations = second.add(
            customer_store::Entity::find().filter(customer_store::Column::CustomerId.is_in(ids.iter().copied())),
            &id_order::<customer_store::Entity>(),
        );
        macro_rules! facts_of {
            ($module:ident) => {
                second.add(
                    $module::Entity::find().filter($module::Column::SourceRecordId.is_in(source_ids.iter().copied())),
                    &id_order::<$module::Entity>(),
                )
            };
        }
        let b_deliveries = facts_of!(delivery);
        let b_repairs = facts_of!(repair_order);
        let b_parts = facts_of!(parts_order);
        let b_leads = facts_of!(lead);
        let b_lead_policies = second.add(
            store_lead_policy::Entity::find().filter(store_lead_policy::Column::StoreId.is_in(stores.iter().copied())),
            &id_order::<store_lead_policy::Entity>(),
        );
        let b_policies = second.add(
            insurance_policy::Entity::find().filter(
                sea_orm::Condition::any()
                    .add(insurance_policy::Column::SourceRecordId.is_in(source_ids.iter().copied()))
                    .add(insurance_policy::Column::VehicleId.is_in(vehicle_ids.iter().copied())),
            ),
            &id_order::<insurance_policy::Entity>(),
        );
        let mut fetched = second.run(conn).await?;

        let mut facts = Facts {
            deliveries: by_source(fetched.take(b_deliveries)?, |r: &delivery::Model| r.source_record_id),
            repair_orders: by_source(fetched.take(b_repairs)?, |r: &repair_order::Model| r.source_record_id),
            parts_orders: by_source(fetched.take(b_parts)?, |r: &parts_order::Model| r.source_record_id),
            leads: by_source(fetched.take(b_leads)?, |r: &lead::Model| r.source_record_id),
            ..Default::default()
        };
        let known_sources: BTreeSet<i32> = source_ids.iter().copied().collect();
        for policy in fetched.take(b_policies)? {
            match policy.source_record_id.filter(|s| known_sources.contains(s)) {
                Some(source) => {
                    facts.policies.insert(source, Row::known(policy));
                }
                None => facts.other_policies.push(policy),
            }
        }
        let mut lead_policies: HashMap<i32, crate::domain::leads::Policy> =
            stores.iter().map(|s| (*s, crate::domain::leads::DEFAULT_POLICY)).collect();
        lead_policies.extend(fetched.take(b_lead_policies)?.into_iter().map(|p| (p.store_id, p.into())));
        Ok(Self {
            lead_policies,
            now: Utc::now(),
            next_temp: 0,
            customers: customers.into_iter().map(|(id, c)| (id, Row::known(c))).collect(),
            contacts: fetched.take(b_contacts)?.into_iter().map(Row::known).collect(),
            relations: fetched
                .take(b_relations)?
                .into_iter()
                .map(|r| ((r.customer_id, r.store_id), Row::known(r)))
                .collect(),
            vehicles: vehicles.into_iter().map(|v| (v.vin.clone(), Row::known(v))).collect(),
            ownerships: holders.into_iter().map(Row::known).collect(),
            sources: sources
                .into_iter()
                .map(|s| ((s.store_id, s.external_id.clone(), s.system), Row::known(s)))
                .collect(),
            history: Vec::new(),
            facts,
            staff,
            links: Vec::new(),
            candidates: Vec::new(),
        })
    }

    /// The live customer `id` stands for (itself unless merged away).
    pub fn live(&self, id: i32) -> i32 {
        let mut current = id;
        for _ in 0..8 {
            match self.customers.get(&current).and_then(|c| c.model.merged_into) {
                Some(next) => current = next,
                None => break,
            }
        }
        current
    }

    /// The live customers `ids` stand for, in the order the database would number them.
    pub fn live_all(&self, ids: impl IntoIterator<Item = i32>) -> Vec<&customer::Model> {
        let live: BTreeMap<(bool, i64), i32> = ids
            .into_iter()
            .map(|id| self.live(id))
            .filter(|id| self.customers.get(id).is_some_and(|c| c.model.merged_into.is_none()))
            .map(|id| (rank(id), id))
            .collect();
        live.values().filter_map(|id| self.customers.get(id)).map(|c| &c.model).collect()
    }

    /// Writes everything the chunk's rows did; returns the real id of each temporary one.
    pub async fn flush<C: ConnectionTrait>(self, conn: &C) -> AppResult<HashMap<i32, i32>> {
        let mut real: HashMap<i32, i32> = HashMap::new();
        let new_customers: Vec<i32> = self.customers.iter().filter(|(id, _)| **id < 0).map(|(id, _)| *id).collect();
        let mut new_customers = new_customers;
        new_customers.sort_by_key(|id| rank(*id));
        let new_vehicles: Vec<i32> =
            self.vehicles.values().filter(|v| v.state == State::New).map(|v| v.model.id).collect();
        let new_sources: Vec<i32> =
            self.sources.values().filter(|s| s.state == State::New).map(|s| s.model.id).collect();
        let new_policies: Vec<i32> =
            self.facts.policies.values().filter(|p| p.state == State::New).map(|p| p.model.id).collect();
        for (table, mut temps) in [
            ("customer", new_customers),
            ("vehicle", new_vehicles),
            ("source_record", new_sources),
            ("insurance_policy", new_policies),
        ] {
            temps.sort_by_key(|id| rank(*id));
            let ids = allocate(conn, table, temps.len()).await?;
            real.extend(temps.into_iter().zip(ids));
        }
        let id = |id: i32| if id < 0 { real.get(&id).copied().unwrap_or(id) } else { id };

        let (mut new, mut changed) = (Vec::new(), Vec::new());
        let mut customers: Vec<Row<customer::Model>> = self.customers.into_values().collect();
        customers.sort_by_key(|c| rank(c.model.id));
        for mut c in customers {
            c.model.id = id(c.model.id);
            c.model.merged_into = c.model.merged_into.map(id);
            split(c, &mut new, &mut changed);
        }
        write::<customer::Entity, _>(conn, new, changed, true).await?;

        macro_rules! rows {
            ($module:ident, $rows:expr, $keep_ids:expr, |$m:ident| $fix:block) => {{
                let (mut new, mut changed) = (Vec::new(), Vec::new());
                for mut row in $rows {
                    let $m = &mut row.model;
                    $fix
                    split(row, &mut new, &mut changed);
                }
                write::<$module::Entity, _>(conn, new, changed, $keep_ids).await?;
            }};
        }
        rows!(contact_point, self.contacts, false, |m| { m.customer_id = id(m.customer_id) });
        rows!(customer_store, self.relations.into_values(), false, |m| { m.customer_id = id(m.customer_id) });
        let mut vehicles: Vec<_> = self.vehicles.into_values().collect();
        vehicles.sort_by_key(|v| rank(v.model.id));
        rows!(vehicle, vehicles, true, |m| { m.id = id(m.id) });
        rows!(vehicle_ownership, self.ownerships, false, |m| {
            m.customer_id = id(m.customer_id);
            m.vehicle_id = id(m.vehicle_id);
        });
        let mut sources: Vec<_> = self.sources.into_values().collect();
        sources.sort_by_key(|s| rank(s.model.id));
        rows!(source_record, sources, true, |m| {
            m.id = id(m.id);
            m.customer_id = id(m.customer_id);
        });
        let history: Vec<source_record_history::ActiveModel> = self
            .history
            .into_iter()
            .map(|(source, payload, hash)| source_record_history::ActiveModel {
                source_record_id: Set(id(source)),
                payload: Set(payload),
                payload_hash: Set(hash),
                replaced_at: Set(self.now),
                ..Default::default()
            })
            .collect();
        for part in history.chunks(500) {
            source_record_history::Entity::insert_many(part.to_vec()).exec_without_returning(conn).await?;
        }
        macro_rules! facts {
            ($module:ident, $rows:expr) => {
                rows!($module, $rows, false, |m| {
                    m.customer_id = id(m.customer_id);
                    m.source_record_id = m.source_record_id.map(id);
                    m.vehicle_id = id(m.vehicle_id);
                })
            };
        }
        facts!(delivery, sorted(self.facts.deliveries));
        facts!(repair_order, sorted(self.facts.repair_orders));
        let mut policies = sorted(self.facts.policies);
        policies.sort_by_key(|p| (p.state != State::New, rank(p.model.id)));
        rows!(insurance_policy, policies, true, |m| {
            m.id = id(m.id);
            m.renewal_of = m.renewal_of.map(id);
            m.customer_id = id(m.customer_id);
            m.source_record_id = m.source_record_id.map(id);
            m.vehicle_id = id(m.vehicle_id);
        });
        rows!(parts_order, sorted(self.facts.parts_orders), false, |m| {
            m.customer_id = id(m.customer_id);
            m.source_record_id = m.source_record_id.map(id);
            m.vehicle_id = m.vehicle_id.map(id);
        });
        rows!(lead, sorted(self.facts.leads), false, |m| {
            m.customer_id = id(m.customer_id);
            m.source_record_id = m.source_record_id.map(id);
        });

        let links: Vec<(i32, i32, String)> = self.links.into_iter().map(|(a, b, why)| (id(a), id(b), why)).collect();
        crate::domain::identity::link_households(conn, &links).await?;
        let pairs: Vec<(i32, i32, i32, Vec<String>)> =
            self.candidates.into_iter().map(|(a, b, score, why)| (id(a), id(b), score, why)).collect();
        crate::domain::duplicates::queue_candidates(conn, &pairs).await?;
        Ok(real)
    }
}

/// Facts in the order of the source records they came from.
fn sorted<M>(rows: HashMap<i32, Row<M>>) -> Vec<Row<M>> {
    let mut rows: Vec<(i32, Row<M>)> = rows.into_iter().collect();
    rows.sort_by_key(|(source, _)| rank(*source));
    rows.into_iter().map(|(_, row)| row).collect()
}

/// Facts by the source record they came from.
fn by_source<M>(rows: Vec<M>, source: fn(&M) -> Option<i32>) -> HashMap<i32, Row<M>> {
    rows.into_iter().filter_map(|row| source(&row).map(|s| (s, Row::known(row)))).collect()
}

fn split<M>(row: Row<M>, new: &mut Vec<M>, changed: &mut Vec<M>) {
    match row.state {
        State::New => new.push(row.model),
        State::Changed => changed.push(row.model),
        State::Known => {}
    }
}

/// `n` fresh ids of `table`, ascending. On PostgreSQL from the table's sequence; on
/// SQLite above the highest id ever given (the chunk's transaction holds the write lock,
/// so nobody else takes them meanwhile).
async fn allocate<C: ConnectionTrait>(conn: &C, table: &str, n: usize) -> AppResult<Vec<i32>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    match backend {
        DatabaseBackend::Postgres => {
            let sql = format!(
                "SELECT CAST(nextval(pg_get_serial_sequence('{table}', 'id')) AS integer) AS id FROM generate_series(1, {n})"
            );
            let rows = conn.query_all_raw(Statement::from_string(backend, sql)).await?;
            let mut ids = rows.iter().map(|r| r.try_get::<i32>("", "id")).collect::<Result<Vec<_>, _>>()?;
            ids.sort_unstable();
            Ok(ids)
        }
        _ => {
            let top = Query::select()
                .expr_as(
                    Expr::cust(format!(
                        "MAX(COALESCE((SELECT MAX(id) FROM \"{table}\"), 0), COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0))"
                    )),
                    Alias::new("top"),
                )
                .to_owned();
            let row = conn.query_one(&top).await?;
            let top: i64 = row.map(|r| r.try_get::<i64>("", "top")).transpose()?.unwrap_or(0);
            let top = i32::try_from(top).map_err(|_| sea_orm::DbErr::Custom(format!("{table} ids exhausted")))?;
            Ok((1..=n as i32).map(|i| top + i).collect())
        }
    }
}

/// Inserts `new` rows (with their ids when `keep_ids`, else numbered by the database)
/// and writes `changed` rows back, many rows per statement: on PostgreSQL as one JSON
/// parameter per statement ([`write_json`]), on SQLite as multi-row `VALUES` lists.
async fn write<E, C>(conn: &C, new: Vec<E::Model>, changed: Vec<E::Model>, keep_ids: bool) -> AppResult<()>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    C: ConnectionTrait,
{
    let id_column = E::PrimaryKey::iter().map(|k| k.into_column()).next();
    let columns = E::Column::iter().count().max(1);
    // Well under SQLite's 32,766 parameters and PostgreSQL's 65,535.
    let per_statement = (30_000 / columns).clamp(1, 500);
    let active = |model: E::Model, keep: bool| {
        let mut row = model.into_active_model().reset_all();
        if !keep && let Some(id) = id_column {
            row.not_set(id);
        }
        row
    };
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        write_json::<E, C>(conn, &new, keep_ids, false).await?;
        return write_json::<E, C>(conn, &changed, true, true).await;
    }
    let new: Vec<E::ActiveModel> = new.into_iter().map(|m| active(m, keep_ids)).collect();
    for part in new.chunks(per_statement) {
        E::insert_many(part.to_vec()).exec_without_returning(conn).await?;
    }
    let Some(id_column) = id_column else { return Ok(()) };
    let changed: Vec<E::ActiveModel> = changed.into_iter().map(|m| active(m, true)).collect();
    let others: Vec<E::Column> = E::Column::iter().filter(|c| c.as_str() != id_column.as_str()).collect();
    for part in changed.chunks(per_statement) {
        E::insert_many(part.to_vec())
            .on_conflict(OnConflict::column(id_column).update_columns(others.clone()).to_owned())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// PostgreSQL: writes `models` of `E` in one statement whose only parameter is the rows
/// as one JSON array (`json_populate_recordset`), instead of a `VALUES` list with a
/// parameter per field: the statement's text is the same for every chunk (prepared once
/// per connection) and PostgreSQL neither parses nor plans thousands of parameters.
/// `upsert` writes existing rows back (`ON CONFLICT (id) DO UPDATE`); without it the
/// rows are inserted, with their ids when `with_id`.
async fn write_json<E, C>(conn: &C, models: &[E::Model], with_id: bool, upsert: bool) -> AppResult<()>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let id = E::PrimaryKey::iter().map(|k| k.into_column()).next();
    let columns: Vec<E::Column> =
        E::Column::iter().filter(|c| with_id || id.is_none_or(|id| id.as_str() != c.as_str())).collect();
    let names: Vec<String> = columns.iter().map(|c| format!("\"{}\"", c.as_str())).collect();
    let table = E::default().table_name().to_owned();
    let mut sql = format!(
        "INSERT INTO \"{table}\" ({list}) SELECT {list} FROM json_populate_recordset(NULL::\"{table}\", CAST($1 AS json))",
        list = names.join(", ")
    );
    if upsert && let Some(id) = id {
        let sets: Vec<String> = columns
            .iter()
            .filter(|c| c.as_str() != id.as_str())
            .map(|c| format!("\"{0}\" = EXCLUDED.\"{0}\"", c.as_str()))
            .collect();
        sql.push_str(&format!(" ON CONFLICT (\"{}\") DO UPDATE SET {}", id.as_str(), sets.join(", ")));
    }
    for part in models.chunks(2_000) {
        let mut rows = Vec::with_capacity(part.len());
        for model in part {
            let mut row = serde_json::Map::with_capacity(columns.len());
            for column in &columns {
                row.insert(column.as_str().to_owned(), json_field(model.get(*column))?);
            }
            rows.push(serde_json::Value::Object(row));
        }
        let rows = serde_json::Value::Array(rows).to_string();
        conn.execute_raw(Statement::from_sql_and_values(DatabaseBackend::Postgres, &sql, [rows.into()])).await?;
    }
    Ok(())
}

/// A field's value as `json_populate_recordset` reads it into the column's type.
fn json_field(value: sea_orm::Value) -> AppResult<serde_json::Value> {
    use sea_orm::Value as V;
    use serde_json::Value as J;
    Ok(match value {
        V::Bool(b) => b.map_or(J::Null, J::Bool),
        V::TinyInt(i) => i.map_or(J::Null, J::from),
        V::SmallInt(i) => i.map_or(J::Null, J::from),
        V::Int(i) => i.map_or(J::Null, J::from),
        V::BigInt(i) => i.map_or(J::Null, J::from),
        V::String(s) => s.map_or(J::Null, J::String),
        V::Json(j) => j.map_or(J::Null, |j| *j),
        V::ChronoDate(d) => d.map_or(J::Null, |d| J::String(d.format("%Y-%m-%d").to_string())),
        V::ChronoDateTimeUtc(t) => t.map_or(J::Null, |t| J::String(t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())),
        V::ChronoDateTime(t) => t.map_or(J::Null, |t| J::String(t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string())),
        V::Decimal(d) => d.map_or(J::Null, |d| J::String(d.to_string())),
        other => {
            return Err(crate::error::AppError::internal(std::io::Error::other(format!("no JSON form for {other:?}"))));
        }
    })
}
