//! Care tasks: generated from events on real working days, worked through worklists,
//! completed once. `run_jobs` is what `customer-hub jobs run` and the scheduler inside
//! `serve` call: it generates the tasks due (idempotent: one task per event and stage,
//! by a unique key, so two hub instances running it at once create each task once),
//! expires stale ones, cancels renewal reminders of renewed policies, and escalates
//! overdue complaints.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use entity::enums::{ComplaintStatus, Department, RepairKind, Role, StoreKind, TaskKind, TaskOutcome, TaskStatus};
use entity::{
    care_task, complaint, complaint_event, customer, customer_store, delivery, insurance_policy, repair_order, staff,
    store, vehicle, vehicle_ownership,
};
use futures_util::TryStreamExt;
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, StreamTrait,
};

use super::access::{Action, Resource};
use super::audit::{self, Entry, RequestMeta};
use super::calendar::Calendar;
use super::scope::Reach;
use super::time::{day_start, local_day};
use super::{Scope, limits};
use crate::error::{AppError, AppResult};

/// The rules of care work (flags `HUB_CARE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CareSettings {
    /// First maintenance: months after delivery, or kilometres, whichever comes first.
    pub first_maintenance_months: u32,
    pub first_maintenance_km: i32,
    /// Regular maintenance after the last one, likewise.
    pub maintenance_months: u32,
    pub maintenance_km: i32,
    /// Days ahead a maintenance or inspection reminder is made.
    pub remind_days_ahead: i64,
    /// Events whose task was due longer ago than this make none (the first run does not
    /// bury a store in years of backlog); open tasks overdue this long expire.
    pub stale_days: i64,
}

impl Default for CareSettings {
    fn default() -> Self {
        CareSettings {
            first_maintenance_months: 6,
            first_maintenance_km: 5_000,
            maintenance_months: 6,
            maintenance_km: 10_000,
            remind_days_ahead: 30,
            stale_days: 14,
        }
    }
}

/// Days before a policy ends when a renewal reminder is made.
pub const RENEWAL_STAGES: [i64; 3] = [90, 60, 30];

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct JobReport {
    /// Tasks made, by kind (tasks that existed already are not counted).
    pub created: Vec<(TaskKind, u64)>,
    pub expired: u64,
    pub cancelled: u64,
    pub escalated: u64,
    /// Customers given and losing the referral VIP tag.
    pub vip_given: u64,
    pub vip_taken: u64,
}

/// The people of one store a task goes to, by what the task is about.
#[derive(Debug, Default, Clone)]
struct StorePeople {
    sales: Option<i32>,
    service: Option<i32>,
    insurance: Option<i32>,
    relations: Option<i32>,
    manager: Option<i32>,
}

struct People {
    stores: HashMap<i32, StorePeople>,
    own: HashSet<i32>,
    group_crm: Option<i32>,
}

async fn people<C: ConnectionTrait>(conn: &C) -> AppResult<People> {
    let own: HashSet<i32> = store::Entity::find()
        .filter(store::Column::Kind.eq(StoreKind::Own))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let mut stores: HashMap<i32, StorePeople> = HashMap::new();
    let mut group_crm = None;
    for s in
        staff::Entity::find().filter(staff::Column::Active.eq(true)).order_by_asc(staff::Column::Id).all(conn).await?
    {
        let Some(store) = s.store_id else {
            if s.role == Role::GroupCrm {
                group_crm = group_crm.or(Some(s.id));
            }
            continue;
        };
        let p = stores.entry(store).or_default();
        let slot = match (s.role, s.department) {
            (Role::SalesConsultant, _) => &mut p.sales,
            (Role::ServiceAdvisor, _) => &mut p.service,
            (Role::InsuranceSpecialist, _) => &mut p.insurance,
            (Role::StoreManager, Department::Crm) => &mut p.relations,
            (Role::StoreManager, _) => &mut p.manager,
            _ => continue,
        };
        *slot = slot.or(Some(s.id));
    }
    Ok(People { stores, own, group_crm })
}

impl People {
    fn of(&self, store: i32) -> StorePeople {
        self.stores.get(&store).cloned().unwrap_or_default()
    }
}

struct NewTask {
    kind: TaskKind,
    store: i32,
    customer: i32,
    vehicle: Option<i32>,
    assignee: Option<i32>,
    department: Department,
    start: DateTime<Utc>,
    due: DateTime<Utc>,
    source: (&'static str, i32),
    key: String,
}

fn end_of(day: NaiveDate) -> DateTime<Utc> {
    day_start(day) + Duration::minutes(super::calendar::CLOSES)
}

/// The tasks the events call for now (before de-duplication by key).
async fn due_tasks<C: ConnectionTrait + StreamTrait>(
    conn: &C,
    cal: &Calendar,
    who: &People,
    settings: &CareSettings,
    now: DateTime<Utc>,
) -> AppResult<Vec<NewTask>> {
    let today = local_day(now);
    let since = today - Duration::days(settings.stale_days + 10);
    let fresh = |due: DateTime<Utc>| due >= now - Duration::days(settings.stale_days);
    let horizon = today + Duration::days(settings.remind_days_ahead);
    let mut out = Vec::new();
    // Each kind of event in a block of its own: its rows are dropped before the next
    // kind is read, so the jobs over a whole group hold one kind's rows at a time.

    {
        // Deliveries: the consultant's call within one working day; the store's
        // customer-relations call on the 3rd to 5th working day.
        let deliveries = delivery::Entity::find().filter(delivery::Column::DeliveredOn.gte(since)).all(conn).await?;
        for d in &deliveries {
            if !who.own.contains(&d.store_id) {
                continue;
            }
            let p = who.of(d.store_id);
            let due = end_of(cal.add_working_days(d.delivered_on, 1));
            if fresh(due) {
                out.push(NewTask {
                    kind: TaskKind::DeliveryCall,
                    store: d.store_id,
                    customer: d.customer_id,
                    vehicle: Some(d.vehicle_id),
                    assignee: d.consultant_id.or(p.sales),
                    department: Department::Sales,
                    start: day_start(d.delivered_on),
                    due,
                    source: ("delivery", d.id),
                    key: format!("delivery-call:{}", d.id),
                });
            }
            let due = end_of(cal.add_working_days(d.delivered_on, 5));
            if fresh(due) {
                out.push(NewTask {
                    kind: TaskKind::DeliveryRelationsCall,
                    store: d.store_id,
                    customer: d.customer_id,
                    vehicle: Some(d.vehicle_id),
                    assignee: p.relations.or(p.manager),
                    department: Department::Crm,
                    start: day_start(cal.add_working_days(d.delivered_on, 3)),
                    due,
                    source: ("delivery", d.id),
                    key: format!("delivery-relations:{}", d.id),
                });
            }
        }
    }
    {
        // Closed repair orders: the customer-relations call three working days after.
        let closed =
            repair_order::Entity::find().filter(repair_order::Column::ClosedAt.gte(day_start(since))).all(conn).await?;
        for r in &closed {
            let (Some(at), true) = (r.closed_at, who.own.contains(&r.store_id)) else { continue };
            let p = who.of(r.store_id);
            let day = cal.add_working_days(local_day(at), 3);
            let due = end_of(day);
            if fresh(due) {
                out.push(NewTask {
                    kind: TaskKind::ServiceRelationsCall,
                    store: r.store_id,
                    customer: r.customer_id,
                    vehicle: Some(r.vehicle_id),
                    assignee: p.relations.or(p.manager),
                    department: Department::Crm,
                    start: day_start(day),
                    due,
                    source: ("repair_order", r.id),
                    key: format!("service-relations:{}", r.id),
                });
            }
        }
    }
    {
        // Insurance renewals: 90, 60 and 30 days before the end, until renewed.
        let ending = insurance_policy::Entity::find()
            .filter(insurance_policy::Column::EndsOn.gte(today))
            .filter(insurance_policy::Column::EndsOn.lte(today + Duration::days(RENEWAL_STAGES[0])))
            .all(conn)
            .await?;
        let renewed = renewed_policies(conn, &ending).await?;
        for policy in ending.iter().filter(|p| !renewed.contains(&p.id) && who.own.contains(&p.store_id)) {
            let Some(stage) =
                RENEWAL_STAGES.iter().copied().filter(|s| today >= policy.ends_on - Duration::days(*s)).min()
            else {
                continue;
            };
            let from = policy.ends_on - Duration::days(stage);
            let p = who.of(policy.store_id);
            out.push(NewTask {
                kind: TaskKind::InsuranceRenewal,
                store: policy.store_id,
                customer: policy.customer_id,
                vehicle: Some(policy.vehicle_id),
                assignee: p.insurance.or(p.manager),
                department: Department::Insurance,
                start: day_start(from),
                due: end_of(cal.add_working_days(from, 5).min(policy.ends_on)),
                source: ("insurance_policy", policy.id),
                key: format!("renewal:{}:{stage}", policy.id),
            });
        }
    }
    {
        // Birthdays in the coming week: the customer's manager at each store where the
        // customer is a base customer (or the store's customer relations).
        let people = customer::Entity::find()
            .filter(customer::Column::Birthday.is_not_null())
            .filter(customer::Column::MergedInto.is_null())
            .filter(month_day_in(conn, "birthday", today, 7))
            .all(conn)
            .await?;
        let mut upcoming: HashMap<i32, NaiveDate> = HashMap::new();
        for c in &people {
            let Some(born) = c.birthday else { continue };
            for offset in 0..=7 {
                let day = today + Duration::days(offset);
                if born.month() == day.month() && born.day() == day.day() {
                    upcoming.insert(c.id, day);
                }
            }
        }
        if !upcoming.is_empty() {
            let customers: Vec<i32> = upcoming.keys().copied().collect();
            let relations = crate::db::find_in_slices(conn, &customers, |ids| {
                customer_store::Entity::find()
                    .filter(customer_store::Column::CustomerId.is_in(ids))
                    .filter(customer_store::Column::Status.eq(entity::enums::RelationshipStatus::Base))
            })
            .await?;
            for rel in relations.iter().filter(|r| who.own.contains(&r.store_id)) {
                let Some(day) = upcoming.get(&rel.customer_id).copied() else { continue };
                let p = who.of(rel.store_id);
                out.push(NewTask {
                    kind: TaskKind::Birthday,
                    store: rel.store_id,
                    customer: rel.customer_id,
                    vehicle: None,
                    assignee: rel.manager_id.or(p.relations),
                    department: Department::Crm,
                    start: day_start(day - Duration::days(7)),
                    due: end_of(day),
                    source: ("customer", rel.customer_id),
                    key: format!("birthday:{}:{}:{}", rel.customer_id, rel.store_id, day.year()),
                });
            }
        }
    }
    {
        // First maintenance: months or kilometres after delivery, whichever first, unless
        // the service history shows it done; kilometres from the odometer readings.
        let window_start = today - Months::new(settings.first_maintenance_months) - Duration::days(settings.stale_days);
        let recent: Vec<delivery::Model> =
            delivery::Entity::find().filter(delivery::Column::DeliveredOn.gte(window_start)).all(conn).await?;
        let delivered = Query::select()
            .column(delivery::Column::VehicleId)
            .from(delivery::Entity)
            .and_where(delivery::Column::DeliveredOn.gte(window_start))
            .to_owned();
        let readings = repair_order::Entity::find()
            .filter(repair_order::Column::VehicleId.in_subquery(delivered))
            .order_by_asc(repair_order::Column::OpenedAt)
            .order_by_asc(repair_order::Column::Id)
            .all(conn)
            .await?;
        let mut by_vehicle: HashMap<i32, Vec<&repair_order::Model>> = HashMap::new();
        for r in &readings {
            by_vehicle.entry(r.vehicle_id).or_default().push(r);
        }
        for d in recent.iter().filter(|d| who.own.contains(&d.store_id)) {
            let history = by_vehicle.get(&d.vehicle_id).map(Vec::as_slice).unwrap_or(&[]);
            let done = history.iter().any(|r| {
                matches!(r.kind, RepairKind::FirstMaintenance | RepairKind::Maintenance)
                    && local_day(r.opened_at) >= d.delivered_on
            });
            if done {
                continue;
            }
            let by_time = d.delivered_on + Months::new(settings.first_maintenance_months);
            let by_km = predict_day(d.delivered_on, 0, history, settings.first_maintenance_km);
            let due_day = by_km.map_or(by_time, |k| k.min(by_time));
            if due_day > horizon || end_of(due_day) < now - Duration::days(settings.stale_days) {
                continue;
            }
            let p = who.of(d.store_id);
            out.push(NewTask {
                kind: TaskKind::FirstMaintenance,
                store: d.store_id,
                customer: d.customer_id,
                vehicle: Some(d.vehicle_id),
                assignee: p.service.or(p.manager),
                department: Department::Service,
                start: day_start(due_day - Duration::days(settings.remind_days_ahead)),
                due: end_of(cal.add_working_days(due_day, 0)),
                source: ("delivery", d.id),
                key: format!("first-maintenance:{}", d.vehicle_id),
            });
        }
    }
    {
        // Regular maintenance: months or kilometres after the last maintenance, whichever
        // first (kilometres from the readings since), unless a later visit shows it done.
        let last_window = today - Months::new(settings.maintenance_months) - Duration::days(settings.stale_days);
        // The visits since the window's start of every vehicle maintained in it, in one
        // statement: the last maintenance, and the odometer readings after it.
        let in_window = repair_order::Column::OpenedAt.gte(day_start(last_window));
        let maintained_cars = Query::select()
            .column(repair_order::Column::VehicleId)
            .from(repair_order::Entity)
            .and_where(repair_order::Column::Kind.is_in([RepairKind::FirstMaintenance, RepairKind::Maintenance]))
            .and_where(in_window.clone())
            .to_owned();
        let visits = repair_order::Entity::find()
            .filter(in_window)
            .filter(repair_order::Column::VehicleId.in_subquery(maintained_cars))
            .order_by_asc(repair_order::Column::VehicleId)
            .order_by_asc(repair_order::Column::OpenedAt)
            .order_by_asc(repair_order::Column::Id)
            .stream(conn)
            .await?;
        let mut visits = std::pin::pin!(visits);
        // The task one vehicle's visits (in order) call for, if any.
        let due_after = |visits: &[repair_order::Model]| -> Option<NewTask> {
            let maintenance =
                |r: &repair_order::Model| matches!(r.kind, RepairKind::FirstMaintenance | RepairKind::Maintenance);
            let at = visits.iter().rposition(maintenance)?;
            let last = visits.get(at)?;
            if !who.own.contains(&last.store_id) {
                return None;
            }
            let last_day = local_day(last.opened_at);
            let later: Vec<&repair_order::Model> =
                visits.iter().skip(at + 1).filter(|r| r.opened_at > last.opened_at).collect();
            let by_time = last_day + Months::new(settings.maintenance_months);
            let by_km = last.mileage.and_then(|km| predict_day(last_day, km, &later, settings.maintenance_km));
            let due_day = by_km.map_or(by_time, |k| k.min(by_time));
            if due_day > horizon || end_of(due_day) < now - Duration::days(settings.stale_days) {
                return None;
            }
            let p = who.of(last.store_id);
            Some(NewTask {
                kind: TaskKind::Maintenance,
                store: last.store_id,
                customer: last.customer_id,
                vehicle: Some(last.vehicle_id),
                assignee: p.service.or(p.manager),
                department: Department::Service,
                start: day_start(due_day - Duration::days(settings.remind_days_ahead)),
                due: end_of(cal.add_working_days(due_day, 0)),
                source: ("repair_order", last.id),
                key: format!("maintenance:{}:{}", last.vehicle_id, last.id),
            })
        };
        // Streamed vehicle by vehicle: one vehicle's visits in memory at a time instead of
        // the window's visits of the whole group (72,000 rows at 200,000 customers, most of
        // the jobs' peak memory when read whole).
        let mut car: Vec<repair_order::Model> = Vec::new();
        loop {
            let next = visits.try_next().await?;
            let done = car.first().is_some_and(|first| next.as_ref().is_none_or(|r| r.vehicle_id != first.vehicle_id));
            if done {
                out.extend(due_after(&car));
                car.clear();
            }
            match next {
                Some(visit) => car.push(visit),
                None => break,
            }
        }
    }
    {
        // Annual inspection by the vehicle's age (private cars: at 6 years, then every 2
        // years to 10, then yearly): a reminder in the 30 days before the anniversary.
        let cars = vehicle::Entity::find()
            .filter(vehicle::Column::PurchaseDate.is_not_null())
            .filter(vehicle::Column::SellingStoreId.is_not_null())
            .filter(month_day_in(conn, "purchase_date", today, settings.remind_days_ahead))
            .all(conn)
            .await?;
        let mut due_cars: Vec<(vehicle::Model, NaiveDate)> = Vec::new();
        for car in cars {
            let Some(bought) = car.purchase_date else { continue };
            for ahead in 0..=settings.remind_days_ahead {
                let day = today + Duration::days(ahead);
                if day.month() == bought.month() && day.day() == bought.day() {
                    let age = day.year() - bought.year();
                    if age == 6 || age == 8 || age == 10 || age > 10 {
                        due_cars.push((car.clone(), day));
                    }
                }
            }
        }
        if !due_cars.is_empty() {
            let cars: Vec<i32> = due_cars.iter().map(|(c, _)| c.id).collect();
            let holders: HashMap<i32, i32> = crate::db::find_in_slices(conn, &cars, |ids| {
                vehicle_ownership::Entity::find()
                    .filter(vehicle_ownership::Column::VehicleId.is_in(ids))
                    .filter(vehicle_ownership::Column::ToDate.is_null())
                    .filter(vehicle_ownership::Column::Role.eq(entity::enums::OwnershipRole::Owner))
            })
            .await?
            .into_iter()
            .map(|o| (o.vehicle_id, o.customer_id))
            .collect();
            for (car, day) in due_cars {
                let (Some(store), Some(owner)) = (car.selling_store_id, holders.get(&car.id)) else { continue };
                if !who.own.contains(&store) {
                    continue;
                }
                let p = who.of(store);
                out.push(NewTask {
                    kind: TaskKind::AnnualInspection,
                    store,
                    customer: *owner,
                    vehicle: Some(car.id),
                    assignee: p.service.or(p.manager),
                    department: Department::Service,
                    start: day_start(day - Duration::days(settings.remind_days_ahead)),
                    due: end_of(day),
                    source: ("vehicle", car.id),
                    key: format!("inspection:{}:{}", car.id, day.year()),
                });
            }
        }
    }
    Ok(out)
}

/// A condition: the month and day of the date column `column` fall in the `days` days
/// from `today` (anniversaries and birthdays, found by the database, not by reading
/// every row).
fn month_day_in<C: ConnectionTrait>(conn: &C, column: &str, today: NaiveDate, days: i64) -> Condition {
    let days: Vec<String> = (0..=days).map(|d| (today + Duration::days(d)).format("%m-%d").to_string()).collect();
    let expr = match conn.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => format!("to_char({column}, 'MM-DD')"),
        _ => format!("strftime('%m-%d', {column})"),
    };
    let list = days.iter().map(|d| format!("'{d}'")).collect::<Vec<_>>().join(", ");
    Condition::all().add(Expr::cust(format!("{expr} IN ({list})")))
}

/// The day a vehicle reaches `from_km + km`, from its odometer readings since `from`
/// (none: too few readings to tell).
fn predict_day(from: NaiveDate, from_km: i32, history: &[&repair_order::Model], km: i32) -> Option<NaiveDate> {
    let last = history.iter().rev().find(|r| r.mileage.is_some() && local_day(r.opened_at) > from)?;
    let (driven, days) = (last.mileage? - from_km, (local_day(last.opened_at) - from).num_days());
    if driven <= 0 || days <= 0 {
        return None;
    }
    let per_day = f64::from(driven) / days as f64;
    let needed = (f64::from(km) / per_day).ceil();
    if !needed.is_finite() || needed > 3_650.0 {
        return None;
    }
    Some(from + Duration::days(needed as i64))
}

/// Of `policies`, those renewed at a group store: a policy names it as `renewal_of`, or
/// a policy of the same vehicle starts from 31 days before its end on.
async fn renewed_policies<C: ConnectionTrait>(
    conn: &C,
    policies: &[insurance_policy::Model],
) -> AppResult<HashSet<i32>> {
    if policies.is_empty() {
        return Ok(HashSet::new());
    }
    // The other policies of these vehicles, or naming these as renewed, in slices of
    // policies (two values each in the statement); only what the test below needs, and
    // indexed, so that a whole group's tens of thousands of ending policies are checked
    // in linear time (a scan of all others per policy took seconds at 200,000 customers).
    let mut renewals_of: HashSet<i32> = HashSet::new();
    let mut starts_by_vehicle: HashMap<i32, Vec<(i32, NaiveDate)>> = HashMap::new();
    for slice in policies.chunks(crate::db::IN_LIST / 2) {
        let vehicles: Vec<i32> = slice.iter().map(|p| p.vehicle_id).collect();
        let ids: Vec<i32> = slice.iter().map(|p| p.id).collect();
        let others: Vec<(i32, i32, Option<i32>, NaiveDate)> = insurance_policy::Entity::find()
            .select_only()
            .columns([
                insurance_policy::Column::Id,
                insurance_policy::Column::VehicleId,
                insurance_policy::Column::RenewalOf,
                insurance_policy::Column::StartsOn,
            ])
            .filter(
                Condition::any()
                    .add(insurance_policy::Column::VehicleId.is_in(vehicles))
                    .add(insurance_policy::Column::RenewalOf.is_in(ids)),
            )
            .into_tuple()
            .all(conn)
            .await?;
        for (id, vehicle, renewal_of, starts_on) in others {
            if let Some(of) = renewal_of.filter(|of| *of != id) {
                renewals_of.insert(of);
            }
            starts_by_vehicle.entry(vehicle).or_default().push((id, starts_on));
        }
    }
    Ok(policies
        .iter()
        .filter(|p| {
            renewals_of.contains(&p.id)
                || starts_by_vehicle.get(&p.vehicle_id).is_some_and(|starts| {
                    starts.iter().any(|(id, starts_on)| *id != p.id && *starts_on >= p.ends_on - Duration::days(31))
                })
        })
        .map(|p| p.id)
        .collect())
}

/// Generates the tasks due, expires stale ones, cancels reminders made moot, escalates
/// overdue complaints. Safe to run twice, and on two instances at once.
pub async fn run_jobs(db: &DatabaseConnection, settings: &CareSettings, now: DateTime<Utc>) -> AppResult<JobReport> {
    let cal = Calendar::load(db).await?;
    let who = people(db).await?;
    let tasks = due_tasks(db, &cal, &who, settings, now).await?;
    let mut report = JobReport::default();
    let txn = crate::db::begin_write(db).await?;
    let mut made: HashMap<TaskKind, u64> = HashMap::new();
    for chunk in tasks.chunks(300) {
        let keys: Vec<String> = chunk.iter().map(|t| t.key.clone()).collect();
        let existing: HashSet<String> = care_task::Entity::find()
            .filter(care_task::Column::DedupeKey.is_in(keys))
            .select_only()
            .column(care_task::Column::DedupeKey)
            .into_tuple::<String>()
            .all(&txn)
            .await?
            .into_iter()
            .collect();
        let rows: Vec<care_task::ActiveModel> = chunk
            .iter()
            .filter(|t| !existing.contains(&t.key))
            .map(|t| care_task::ActiveModel {
                kind: Set(t.kind),
                store_id: Set(t.store),
                customer_id: Set(t.customer),
                vehicle_id: Set(t.vehicle),
                assignee_id: Set(t.assignee),
                department: Set(t.department),
                start_at: Set(t.start),
                due_at: Set(t.due),
                status: Set(TaskStatus::Open),
                outcome: Set(None),
                note: Set(None),
                done_by: Set(None),
                done_at: Set(None),
                source_kind: Set(t.source.0.to_owned()),
                source_id: Set(t.source.1),
                dedupe_key: Set(t.key.clone()),
                created_at: Set(now),
                ..Default::default()
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        care_task::Entity::insert_many(rows)
            .on_conflict(OnConflict::column(care_task::Column::DedupeKey).do_nothing().to_owned())
            .exec_without_returning(&txn)
            .await?;
        // What this run made (another run's rows carry its own time).
        let inserted = care_task::Entity::find()
            .filter(care_task::Column::CreatedAt.eq(now))
            .filter(care_task::Column::DedupeKey.is_in(chunk.iter().map(|t| t.key.clone())))
            .all(&txn)
            .await?;
        for t in inserted {
            *made.entry(t.kind).or_default() += 1;
        }
    }
    // Renewal reminders of policies renewed meanwhile are moot.
    let open_renewals = care_task::Entity::find()
        .filter(care_task::Column::Kind.eq(TaskKind::InsuranceRenewal))
        .filter(care_task::Column::Status.eq(TaskStatus::Open))
        .all(&txn)
        .await?;
    if !open_renewals.is_empty() {
        let sources: Vec<i32> = open_renewals.iter().map(|t| t.source_id).collect();
        let policies = crate::db::find_in_slices(&txn, &sources, |ids| {
            insurance_policy::Entity::find().filter(insurance_policy::Column::Id.is_in(ids))
        })
        .await?;
        let renewed = renewed_policies(&txn, &policies).await?;
        let renewed: Vec<i32> = renewed.into_iter().collect();
        for slice in renewed.chunks(crate::db::IN_LIST) {
            let done = care_task::Entity::update_many()
                .col_expr(care_task::Column::Status, Expr::value(TaskStatus::Cancelled.as_str()))
                .col_expr(care_task::Column::Outcome, Expr::value(TaskOutcome::Renewed.as_str()))
                .col_expr(care_task::Column::DoneAt, Expr::value(now))
                .filter(care_task::Column::Kind.eq(TaskKind::InsuranceRenewal))
                .filter(care_task::Column::Status.eq(TaskStatus::Open))
                .filter(care_task::Column::SourceId.is_in(slice.iter().copied()))
                .exec(&txn)
                .await?;
            report.cancelled += done.rows_affected;
        }
    }
    let expired = care_task::Entity::update_many()
        .col_expr(care_task::Column::Status, Expr::value(TaskStatus::Expired.as_str()))
        .filter(care_task::Column::Status.eq(TaskStatus::Open))
        .filter(care_task::Column::DueAt.lt(now - Duration::days(settings.stale_days)))
        .exec(&txn)
        .await?;
    report.expired = expired.rows_affected;
    report.escalated = escalate(&txn, &who, now).await?;
    (report.vip_given, report.vip_taken) = super::surveys::refresh_vips(&txn, now).await?;
    txn.commit().await?;
    let mut created: Vec<(TaskKind, u64)> = made.into_iter().filter(|(_, n)| *n > 0).collect();
    created.sort_by_key(|(k, _)| k.as_str());
    report.created = created;
    Ok(report)
}

/// Complaints past a deadline go to the group's customer relations by themselves:
/// marked escalated (once — a conditional update), an event, and a task for the group CRM.
async fn escalate(txn: &sea_orm::DatabaseTransaction, who: &People, now: DateTime<Utc>) -> AppResult<u64> {
    let overdue = complaint::Entity::find()
        .filter(complaint::Column::EscalatedAt.is_null())
        .filter(complaint::Column::Status.is_in([
            ComplaintStatus::New,
            ComplaintStatus::Acknowledged,
            ComplaintStatus::Reopened,
        ]))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(complaint::Column::AcknowledgedAt.is_null())
                        .add(complaint::Column::AcknowledgeDueAt.lt(now)),
                )
                .add(complaint::Column::ResolveDueAt.lt(now)),
        )
        .all(txn)
        .await?;
    let mut escalated = 0;
    for c in overdue {
        let done = complaint::Entity::update_many()
            .col_expr(complaint::Column::EscalatedAt, Expr::value(now))
            .col_expr(
                complaint::Column::Version,
                sea_orm::sea_query::ExprTrait::add(Expr::col(complaint::Column::Version), 1),
            )
            .filter(complaint::Column::Id.eq(c.id))
            .filter(complaint::Column::EscalatedAt.is_null())
            .exec(txn)
            .await?;
        if done.rows_affected != 1 {
            continue;
        }
        escalated += 1;
        let late = if c.acknowledged_at.is_none() && c.acknowledge_due_at < now { "acknowledge" } else { "resolve" };
        complaint_event::Entity::insert(complaint_event::ActiveModel {
            complaint_id: Set(c.id),
            kind: Set("ESCALATED".into()),
            status_from: Set(Some(c.status)),
            status_to: Set(Some(c.status)),
            note: Set(Some(format!("not {late}d by the deadline: escalated to the group's customer relations"))),
            staff_id: Set(None),
            at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(txn)
        .await?;
        care_task::Entity::insert(care_task::ActiveModel {
            kind: Set(TaskKind::ComplaintEscalation),
            store_id: Set(c.store_id),
            customer_id: Set(c.customer_id),
            vehicle_id: Set(None),
            assignee_id: Set(who.group_crm),
            department: Set(Department::Crm),
            start_at: Set(now),
            due_at: Set(now + Duration::days(1)),
            status: Set(TaskStatus::Open),
            outcome: Set(None),
            note: Set(None),
            done_by: Set(None),
            done_at: Set(None),
            source_kind: Set("complaint".into()),
            source_id: Set(c.id),
            dedupe_key: Set(format!("escalation:{}", c.id)),
            created_at: Set(now),
            ..Default::default()
        })
        .on_conflict(OnConflict::column(care_task::Column::DedupeKey).do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    }
    Ok(escalated)
}

/// A task the caller may read, or NOT_FOUND.
async fn readable<C: ConnectionTrait>(conn: &C, scope: &Scope, id: i32) -> AppResult<care_task::Model> {
    scope.require(Resource::Task, Action::Read)?;
    care_task::Entity::find_by_id(id)
        .filter(task_condition(scope, Action::Read))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("task"))
}

/// The tasks the caller may `action`: their own, their store's (managers), the group's.
pub fn task_condition(scope: &Scope, action: Action) -> Condition {
    scope.store_record_condition(
        Resource::Task,
        action,
        care_task::Column::StoreId,
        care_task::Column::CustomerId,
        Some(care_task::Column::AssigneeId),
    )
}

/// Completes an open task with its outcome: the assignee, or a manager of its store.
/// Of two completions at once, one wins; the other gets TASK_CLOSED.
pub async fn complete(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
    outcome: TaskOutcome,
    note: Option<String>,
) -> AppResult<care_task::Model> {
    limits::check_opt("note", note.as_deref(), limits::NOTE)?;
    let txn = crate::db::begin_write(db).await?;
    let task = readable(&txn, scope, id).await?;
    let allowed =
        care_task::Entity::find_by_id(id).filter(task_condition(scope, Action::Update)).count(&txn).await? == 1;
    if !allowed {
        return Err(AppError::refused("NOT_YOUR_TASK", "the task is someone else's"));
    }
    let now = Utc::now();
    let done = care_task::Entity::update_many()
        .col_expr(care_task::Column::Status, Expr::value(TaskStatus::Done.as_str()))
        .col_expr(care_task::Column::Outcome, Expr::value(outcome.as_str()))
        .col_expr(care_task::Column::Note, Expr::value(note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty())))
        .col_expr(care_task::Column::DoneBy, Expr::value(scope.actor.staff_id))
        .col_expr(care_task::Column::DoneAt, Expr::value(now))
        .filter(care_task::Column::Id.eq(id))
        .filter(care_task::Column::Status.eq(TaskStatus::Open))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::refused("TASK_CLOSED", format!("the task is {}", task.status.as_str())));
    }
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("COMPLETE_TASK", "care_task", [id as i64]).purpose(outcome.as_str()),
    )
    .await?;
    let fresh = care_task::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("task"))?;
    txn.commit().await?;
    Ok(fresh)
}

/// A manager (or group CRM) gives a task to someone of its store.
pub async fn assign(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
    staff_id: i32,
) -> AppResult<care_task::Model> {
    if matches!(scope.reach(Resource::Task, Action::Update), Reach::Own { .. }) {
        return Err(AppError::Forbidden("a manager assigns tasks".into()));
    }
    let txn = crate::db::begin_write(db).await?;
    let task = readable(&txn, scope, id).await?;
    if task.status != TaskStatus::Open {
        return Err(AppError::refused("TASK_CLOSED", format!("the task is {}", task.status.as_str())));
    }
    let person = staff::Entity::find_by_id(staff_id)
        .filter(staff::Column::Active.eq(true))
        .one(&txn)
        .await?
        .filter(|s| {
            s.store_id == Some(task.store_id) || (task.kind == TaskKind::ComplaintEscalation && s.store_id.is_none())
        })
        .ok_or_else(|| AppError::bad_input("staffId", "an active member of the task's store"))?;
    care_task::Entity::update_many()
        .col_expr(care_task::Column::AssigneeId, Expr::value(person.id))
        .filter(care_task::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("ASSIGN_TASK", "care_task", [id as i64, person.id as i64]),
    )
    .await?;
    let fresh = care_task::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("task"))?;
    txn.commit().await?;
    Ok(fresh)
}

/// Which tasks of a worklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskBucket {
    /// Open, due before today.
    Overdue,
    /// Open, due today.
    DueToday,
    /// Open, due after today.
    Upcoming,
    /// Done, cancelled or expired, newest first.
    Closed,
}

/// Up to `limit` tasks of a bucket and how many there are: the caller's own for staff,
/// the store's for managers (optionally one person's), any store's for group roles.
pub async fn worklist(
    db: &DatabaseConnection,
    scope: &Scope,
    store: Option<i32>,
    assignee: Option<i32>,
    kind: Option<TaskKind>,
    bucket: TaskBucket,
    limit: u64,
) -> AppResult<(u64, Vec<care_task::Model>)> {
    scope.require(Resource::Task, Action::Read)?;
    let now = Utc::now();
    let today = local_day(now);
    let (start, tomorrow) = (day_start(today), day_start(today.succ_opt().unwrap_or(today)));
    let mut select = care_task::Entity::find().filter(task_condition(scope, Action::Read));
    if let Some(store) = store {
        select = select.filter(care_task::Column::StoreId.eq(store));
    }
    if let Some(person) = assignee {
        select = select.filter(care_task::Column::AssigneeId.eq(person));
    }
    if let Some(kind) = kind {
        select = select.filter(care_task::Column::Kind.eq(kind));
    }
    let open = care_task::Column::Status.eq(TaskStatus::Open);
    select = match bucket {
        TaskBucket::Overdue => select.filter(open).filter(care_task::Column::DueAt.lt(start)),
        TaskBucket::DueToday => select
            .filter(open)
            .filter(care_task::Column::DueAt.gte(start))
            .filter(care_task::Column::DueAt.lt(tomorrow)),
        TaskBucket::Upcoming => select.filter(open).filter(care_task::Column::DueAt.gte(tomorrow)),
        TaskBucket::Closed => select.filter(care_task::Column::Status.ne(TaskStatus::Open)),
    };
    let total = select.clone().count(db).await?;
    let select = if bucket == TaskBucket::Closed {
        select.order_by_desc(care_task::Column::DoneAt).order_by_desc(care_task::Column::Id)
    } else {
        select.order_by_asc(care_task::Column::DueAt).order_by_asc(care_task::Column::Id)
    };
    Ok((total, select.limit(limit).all(db).await?))
}

/// The repair order a maintenance or inspection reminder led to: of the vehicle's
/// `orders`, the first opened within 30 days from when the reminder was made.
pub fn visit_after(task: &care_task::Model, orders: &[repair_order::Model]) -> Option<repair_order::Model> {
    // From when the reminder existed: a visit before it was made was not its doing.
    let from = std::cmp::max(task.start_at, task.created_at);
    orders
        .iter()
        .filter(|r| r.opened_at >= from && r.opened_at <= from + Duration::days(30))
        .min_by_key(|r| r.opened_at)
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ro(days_after: i64, km: i32, from: NaiveDate) -> repair_order::Model {
        repair_order::Model {
            id: 1,
            store_id: 1,
            vehicle_id: 1,
            customer_id: 1,
            advisor_id: None,
            kind: RepairKind::Repair,
            mileage: Some(km),
            opened_at: day_start(from + Duration::days(days_after)) + Duration::hours(3),
            closed_at: None,
            amount_cents: 0,
            source_record_id: None,
        }
    }

    #[test]
    fn kilometres_are_predicted_from_the_odometer() {
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        // 2,000 km in 40 days: 5,000 km after 100 days.
        let r = ro(40, 2_000, from);
        assert_eq!(predict_day(from, 0, &[&r], 5_000), Some(from + Duration::days(100)));
        // No reading, or nothing driven: no prediction (time decides).
        assert_eq!(predict_day(from, 0, &[], 5_000), None);
        let still = ro(40, 0, from);
        assert_eq!(predict_day(from, 0, &[&still], 5_000), None);
    }
}
