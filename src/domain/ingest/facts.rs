//! The fact each record carries, written as its own row (delivery, repair order,
//! insurance policy, parts order, lead): inserted for a new source record, updated in
//! place for a known one, with staff named in the record looked up in its store.

use chrono::Utc;
use entity::enums::LeadStatus;
use entity::{delivery, insurance_policy, lead, parts_order, repair_order, staff};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};

use super::kinds::{Fact, Incoming};
use crate::error::AppResult;

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

pub(super) async fn write_fact<C: ConnectionTrait>(
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
