//! One chronological feed of every touch point of a customer across departments and
//! stores, merged from the records the caller may read.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entity::enums::{Department, SurveyKind, TaskStatus};
use entity::{care_task, complaint, delivery, insurance_policy, lead, parts_order, repair_order, survey};
use serde::{Deserialize, Serialize};

use super::owned::OwnedKind;

/// One touch point; exactly one record is set.
#[derive(Debug, Clone)]
pub enum Record {
    Lead(lead::Model),
    Delivery(delivery::Model),
    RepairOrder(repair_order::Model),
    InsurancePolicy(insurance_policy::Model),
    PartsOrder(parts_order::Model),
    /// Care work done (a call made, a reminder answered).
    CareTask(care_task::Model),
    Complaint(complaint::Model),
    Survey(survey::Model),
}

#[derive(Debug, Clone)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub store_id: i32,
    pub department: Department,
    pub record: Record,
}

/// A position in the feed (newest first): time, kind and id of the last entry seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventKey {
    pub at: DateTime<Utc>,
    pub kind: u8,
    pub id: i32,
}

fn day(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

impl Event {
    pub fn key(&self) -> EventKey {
        let (kind, id) = match &self.record {
            Record::Lead(r) => (0, r.id),
            Record::Delivery(r) => (1, r.id),
            Record::RepairOrder(r) => (2, r.id),
            Record::InsurancePolicy(r) => (3, r.id),
            Record::PartsOrder(r) => (4, r.id),
            Record::CareTask(r) => (5, r.id),
            Record::Complaint(r) => (6, r.id),
            Record::Survey(r) => (7, r.id),
        };
        EventKey { at: self.at, kind, id }
    }
}

/// The touch points of one kind of record; the department is the registry's.
fn touch_points<M>(
    rows: Vec<M>,
    kind: OwnedKind,
    at: impl Fn(&M) -> DateTime<Utc>,
    store: impl Fn(&M) -> i32,
    record: impl Fn(M) -> Record,
) -> impl Iterator<Item = Event> {
    let department = kind.info().department.unwrap_or(Department::Management);
    rows.into_iter().map(move |r| Event { at: at(&r), store_id: store(&r), department, record: record(r) })
}

/// A customer's records the caller may read, by kind.
#[derive(Default)]
pub struct Touches {
    pub leads: Vec<lead::Model>,
    pub deliveries: Vec<delivery::Model>,
    pub repairs: Vec<repair_order::Model>,
    pub policies: Vec<insurance_policy::Model>,
    pub parts: Vec<parts_order::Model>,
    pub tasks: Vec<care_task::Model>,
    pub complaints: Vec<complaint::Model>,
    pub surveys: Vec<survey::Model>,
}

/// Merges the records into one feed, newest first (care tasks once done).
pub fn merge(t: Touches) -> Vec<Event> {
    let mut events = Vec::with_capacity(
        t.leads.len() + t.deliveries.len() + t.repairs.len() + t.policies.len() + t.parts.len() + t.complaints.len(),
    );
    events.extend(touch_points(t.leads, OwnedKind::Lead, |r| r.created_at, |r| r.store_id, Record::Lead));
    events.extend(touch_points(
        t.deliveries,
        OwnedKind::Delivery,
        |r| day(r.delivered_on),
        |r| r.store_id,
        Record::Delivery,
    ));
    events.extend(touch_points(
        t.repairs,
        OwnedKind::RepairOrder,
        |r| r.opened_at,
        |r| r.store_id,
        Record::RepairOrder,
    ));
    events.extend(touch_points(
        t.policies,
        OwnedKind::InsurancePolicy,
        |r| day(r.starts_on),
        |r| r.store_id,
        Record::InsurancePolicy,
    ));
    events.extend(touch_points(
        t.parts,
        OwnedKind::PartsOrder,
        |r| day(r.ordered_on),
        |r| r.store_id,
        Record::PartsOrder,
    ));
    events.extend(t.tasks.into_iter().filter(|r| r.status == TaskStatus::Done).filter_map(|r| {
        Some(Event { at: r.done_at?, store_id: r.store_id, department: r.department, record: Record::CareTask(r) })
    }));
    events.extend(t.complaints.into_iter().map(|r| Event {
        at: r.filed_at,
        store_id: r.store_id,
        department: r.department,
        record: Record::Complaint(r),
    }));
    events.extend(t.surveys.into_iter().map(|r| Event {
        at: r.surveyed_at,
        store_id: r.store_id,
        department: if r.kind == SurveyKind::Ssi { Department::Sales } else { Department::Service },
        record: Record::Survey(r),
    }));
    events.sort_by_key(|e| std::cmp::Reverse(e.key()));
    events
}

/// The page of `events` (newest first) after `after`, and whether more follow.
pub fn page(events: Vec<Event>, after: Option<EventKey>, limit: usize) -> (Vec<Event>, bool) {
    let mut rest: Vec<Event> = events.into_iter().filter(|e| after.is_none_or(|a| e.key() < a)).collect();
    let more = rest.len() > limit;
    rest.truncate(limit);
    (rest, more)
}
