//! Sales: leads (open, defeated or won), open leads shared with the partner store, and
//! the sale of a car (the won lead, the vehicle registered to the customer, the delivery).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::enums::{LeadGrade, LeadStatus, LifecycleStage, PaymentMethod, StoreKind};
use entity::{delivery, lead, lead_share};
use rand::Rng;
use sea_orm::IntoActiveModel;

use super::customers::Profile;
use super::generator::{Generator, at};
use super::organisation::STORES;
use super::vehicles::{self, ModelSpec};

pub(super) const CHANNELS: &[&str] =
    &["展厅到店", "汽车之家", "懂车帝", "老客户转介绍", "车展", "电话邀约", "抖音直播"];
const DEFEAT_REASONS: &[&str] = &["价格高于竞品店", "购买了竞品品牌", "贷款未获批", "暂缓购车", "提车周期太长"];

/// A car delivered to a customer.
pub(super) struct Car {
    pub(super) vehicle_id: i32,
    pub(super) delivered: NaiveDate,
}

/// The lead of a customer who bought nothing: open (some shared with the partner store)
/// or defeated.
pub(super) fn prospect(g: &mut Generator, p: &Profile, wanted: &ModelSpec) {
    let (id, store_id, stage, first_contact, sales) = (p.id, p.store_id, p.stage, p.first_contact, p.sales());
    let grade = match stage {
        LifecycleStage::Defeated => *g.pick(&[LeadGrade::A, LeadGrade::B, LeadGrade::C]),
        _ => {
            *g.pick(&[LeadGrade::O, LeadGrade::H, LeadGrade::A, LeadGrade::A, LeadGrade::B, LeadGrade::B, LeadGrade::C])
        }
    };
    let defeated = stage == LifecycleStage::Defeated;
    let created = at(first_contact, 11);
    let follow_up = (!defeated).then(|| g.now + Duration::days(g.rng.gen_range(1..20)));
    let reason = defeated.then(|| (*g.pick(DEFEAT_REASONS)).to_owned());
    // Some open leads of a brand the partner store also sells are shared with it.
    let partner = STORES.iter().position(|s| s.kind == StoreKind::Partner);
    let shared_with =
        partner.filter(|partner| !defeated && STORES[*partner].brands.contains(&wanted.brand) && g.chance(0.25));
    // Most leads of prospects who came in more than three months ago have gone cold:
    // defeated, as a consultant closes them (the `shape` stream decides, see seasons.rs).
    let lapsed =
        !defeated && shared_with.is_none() && (g.today - first_contact).num_days() > 90 && g.shape.gen_bool(0.8);
    let (status, reason, follow_up) = if lapsed {
        let reason = DEFEAT_REASONS[g.shape.gen_range(0..DEFEAT_REASONS.len())];
        (LeadStatus::Defeated, Some(reason.to_owned()), None)
    } else if defeated {
        (LeadStatus::Defeated, reason, follow_up)
    } else {
        (LeadStatus::Open, reason, follow_up)
    };
    // A defeated lead is closed a few days to weeks after it came in.
    let closed = (status == LeadStatus::Defeated).then(|| at(super::seasons::defeat_day(g, first_contact), 16));
    add_lead(g, store_id, id, (grade, grade), wanted, status, reason, sales, follow_up, (created, closed), p.channel);
    if let Some(partner) = shared_with {
        let lead_id = g.last_id("leads");
        let row_id = g.next_id("shares");
        g.rows.shares.push(
            lead_share::Model {
                id: row_id,
                lead_id,
                store_id: partner as i32 + 1,
                shared_by: sales,
                shared_at: created,
            }
            .into_active_model(),
        );
    }
}

/// A car sold to the customer: the won lead, the vehicle and its ownership, the delivery.
pub(super) fn sell_car(g: &mut Generator, p: &Profile, model: &ModelSpec) -> Car {
    let (id, store_id, first_contact) = (p.id, p.store_id, p.first_contact);
    let delivered =
        g.date_between(first_contact, (first_contact + Duration::days(60)).min(g.today - Duration::days(5)));
    // Won leads came in at any grade and were O (order placed) when won, at delivery.
    let grades = [LeadGrade::O, LeadGrade::O, LeadGrade::H, LeadGrade::H, LeadGrade::A, LeadGrade::A, LeadGrade::B];
    let created_grade = grades[g.shape.gen_range(0..grades.len())];
    add_lead(
        g,
        store_id,
        id,
        (LeadGrade::O, created_grade),
        model,
        LeadStatus::Won,
        None,
        p.sales(),
        None,
        (at(first_contact, 11), Some(at(delivered, 15))),
        p.channel,
    );
    let vehicle_id = vehicles::register(g, p, model, delivered);
    let payment = *g.pick(&[PaymentMethod::Cash, PaymentMethod::Loan, PaymentMethod::Loan, PaymentMethod::Installment]);
    let price = model.price_yuan * 100 - g.rng.gen_range(0..15) * 100_000;
    let row_id = g.next_id("deliveries");
    g.rows.deliveries.push(
        delivery::Model {
            id: row_id,
            vehicle_id,
            customer_id: id,
            store_id,
            consultant_id: Some(p.sales()),
            delivered_on: delivered,
            price_cents: price,
            payment,
            source_record_id: None,
        }
        .into_active_model(),
    );
    Car { vehicle_id, delivered }
}

#[allow(clippy::too_many_arguments)]
fn add_lead(
    g: &mut Generator,
    store_id: i32,
    customer_id: i32,
    (grade, created_grade): (LeadGrade, LeadGrade),
    model: &ModelSpec,
    status: LeadStatus,
    defeat_reason: Option<String>,
    owner: i32,
    next_follow_up_at: Option<DateTime<Utc>>,
    (created_at, closed_at): (DateTime<Utc>, Option<DateTime<Utc>>),
    channel: &str,
) {
    let row_id = g.next_id("leads");
    g.rows.leads.push(
        lead::Model {
            id: row_id,
            store_id,
            customer_id,
            grade,
            intended_model: Some(model.model.into()),
            budget_cents: Some(model.price_yuan * 100),
            channel: Some(channel.into()),
            status,
            defeat_reason,
            owner_id: Some(owner),
            next_follow_up_at,
            created_at,
            source_record_id: None,
            closed_at,
            created_grade: Some(created_grade),
        }
        .into_active_model(),
    );
}
