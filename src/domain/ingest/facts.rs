//! The fact each record carries, written as its own row (delivery, repair order,
//! insurance policy, parts order, lead): made for a new source record, updated in place
//! for a known one, with staff named in the record looked up in its store.

use entity::enums::LeadStatus;
use entity::{delivery, insurance_policy, lead, parts_order, repair_order};

use super::kinds::{Fact, Incoming};
use super::work::{Row, Work};

impl Work {
    /// The first staff member of `store_id` whose display name or username is `name`.
    fn staff_named(&self, store_id: i32, name: Option<&str>) -> Option<i32> {
        let name = name?;
        self.staff
            .iter()
            .filter(|s| s.store_id == Some(store_id) && (s.display_name == name || s.username == name))
            .map(|s| s.id)
            .min()
    }

    pub(super) fn write_fact(
        &mut self,
        store_id: i32,
        customer_id: i32,
        vehicle_id: Option<i32>,
        source_id: i32,
        record: &Incoming,
        new_source: bool,
    ) {
        // A new source record has no fact yet; a known one updates its own.
        macro_rules! upsert {
            ($map:ident, $module:ident, $fresh:expr, |$row:ident| $fill:block) => {{
                let existing = if new_source { None } else { self.facts.$map.get_mut(&source_id) };
                let $row: &mut $module::Model = match existing {
                    Some(found) => found.edit(),
                    None => {
                        self.facts.$map.insert(source_id, Row::new($fresh));
                        match self.facts.$map.get_mut(&source_id) {
                            Some(row) => &mut row.model,
                            None => return,
                        }
                    }
                };
                $row.store_id = store_id;
                $row.customer_id = customer_id;
                $fill
            }};
        }
        let vehicle = vehicle_id.unwrap_or_default();
        let now = self.now;
        match &record.fact {
            Fact::Delivery { delivered_on, price_cents, consultant, payment } => {
                let consultant = self.staff_named(store_id, consultant.as_deref());
                let fresh = delivery::Model {
                    id: 0,
                    vehicle_id: vehicle,
                    customer_id,
                    store_id,
                    consultant_id: consultant,
                    delivered_on: *delivered_on,
                    price_cents: *price_cents,
                    payment: *payment,
                    source_record_id: Some(source_id),
                };
                upsert!(deliveries, delivery, fresh, |row| {
                    row.vehicle_id = vehicle;
                    row.consultant_id = consultant;
                    row.delivered_on = *delivered_on;
                    row.price_cents = *price_cents;
                    row.payment = *payment;
                });
            }
            Fact::RepairOrder { kind, mileage, opened_at, closed_at, amount_cents, advisor } => {
                let advisor = self.staff_named(store_id, advisor.as_deref());
                let fresh = repair_order::Model {
                    id: 0,
                    store_id,
                    vehicle_id: vehicle,
                    customer_id,
                    advisor_id: advisor,
                    kind: *kind,
                    mileage: *mileage,
                    opened_at: *opened_at,
                    closed_at: *closed_at,
                    amount_cents: *amount_cents,
                    source_record_id: Some(source_id),
                };
                upsert!(repair_orders, repair_order, fresh, |row| {
                    row.vehicle_id = vehicle;
                    row.advisor_id = advisor;
                    row.kind = *kind;
                    row.mileage = *mileage;
                    row.opened_at = *opened_at;
                    row.closed_at = *closed_at;
                    row.amount_cents = *amount_cents;
                });
            }
            Fact::InsurancePolicy { insurer, coverage, premium_cents, starts_on, ends_on } => {
                // A policy starting when another of the same vehicle ends renews it (the
                // latest such policy of another source record, within a month).
                let previous = self
                    .facts
                    .policies
                    .values()
                    .map(|row| &row.model)
                    .chain(self.facts.other_policies.iter())
                    .filter(|p| {
                        p.vehicle_id == vehicle
                            && p.ends_on < *starts_on
                            && p.source_record_id.is_some_and(|s| s != source_id)
                    })
                    .max_by_key(|p| (p.ends_on, std::cmp::Reverse(super::work::rank(p.id))))
                    .filter(|p| (*starts_on - p.ends_on).num_days() <= 31)
                    .map(|p| p.id);
                let id = if new_source || !self.facts.policies.contains_key(&source_id) { self.temp_id() } else { 0 };
                let fresh = insurance_policy::Model {
                    id,
                    store_id,
                    vehicle_id: vehicle,
                    customer_id,
                    insurer: insurer.clone(),
                    coverage: coverage.clone(),
                    premium_cents: *premium_cents,
                    starts_on: *starts_on,
                    ends_on: *ends_on,
                    renewal_of: previous,
                    source_record_id: Some(source_id),
                };
                upsert!(policies, insurance_policy, fresh, |row| {
                    row.vehicle_id = vehicle;
                    row.insurer = insurer.clone();
                    row.coverage = coverage.clone();
                    row.premium_cents = *premium_cents;
                    row.starts_on = *starts_on;
                    row.ends_on = *ends_on;
                    row.renewal_of = previous;
                });
            }
            Fact::PartsOrder { items, amount_cents, ordered_on } => {
                let fresh = parts_order::Model {
                    id: 0,
                    store_id,
                    customer_id,
                    vehicle_id,
                    items: items.clone(),
                    amount_cents: *amount_cents,
                    ordered_on: *ordered_on,
                    source_record_id: Some(source_id),
                };
                upsert!(parts_orders, parts_order, fresh, |row| {
                    row.vehicle_id = vehicle_id;
                    row.items = items.clone();
                    row.amount_cents = *amount_cents;
                    row.ordered_on = *ordered_on;
                });
            }
            Fact::Lead { grade, intended_model, budget_cents, channel, next_follow_up_at } => {
                let fresh = lead::Model {
                    id: 0,
                    store_id,
                    customer_id,
                    grade: *grade,
                    intended_model: intended_model.clone(),
                    budget_cents: *budget_cents,
                    channel: channel.clone(),
                    status: LeadStatus::Open,
                    defeat_reason: None,
                    owner_id: None,
                    next_follow_up_at: *next_follow_up_at,
                    created_at: now,
                    source_record_id: Some(source_id),
                    closed_at: None,
                    created_grade: Some(*grade),
                    // A lead from outside: answered within the store's first-response time.
                    first_response_due_at: Some(
                        self.lead_policies
                            .get(&store_id)
                            .copied()
                            .unwrap_or(crate::domain::leads::DEFAULT_POLICY)
                            .first_response_due(now),
                    ),
                    first_contacted_at: None,
                    protected_until: None,
                    delivery_id: None,
                    defeat_note: None,
                    referred_by_store_id: None,
                    offer_id: None,
                };
                upsert!(leads, lead, fresh, |row| {
                    row.grade = *grade;
                    row.intended_model = intended_model.clone();
                    row.budget_cents = *budget_cents;
                    row.channel = channel.clone();
                    row.next_follow_up_at = *next_follow_up_at;
                });
            }
        }
    }
}
