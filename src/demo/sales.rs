//! Sales: leads (open, defeated or won), open leads shared with the partner store, and
//! the sale of a car (the won lead, the vehicle registered to the customer, the delivery).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::enums::{
    ConsentPurpose, FollowUpChannel, FollowUpOutcome, LeadGrade, LeadStatus, LifecycleStage, OfferStatus,
    PaymentMethod, StoreKind,
};
use entity::{customer_consent, delivery, lead, lead_conflict, lead_follow_up, lead_offer};
use rand::Rng;
use sea_orm::IntoActiveModel;

use super::customers::Profile;
use super::generator::{Generator, at};
use super::organisation::STORES;
use super::vehicles::{self, ModelSpec};

pub(super) const CHANNELS: &[&str] =
    &["展厅到店", "汽车之家", "懂车帝", "老客户转介绍", "车展", "电话邀约", "抖音直播"];
/// Codes of `DefeatReason` (what `defeatLead` records).
const DEFEAT_REASONS: &[&str] = &["PRICE", "OTHER_BRAND", "FINANCING_REFUSED", "POSTPONED", "SAME_BRAND_OTHER_DEALER"];

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
    conflict(g, p, created, closed);
    // Most customers consented to their lead going to the group's other stores.
    if g.shape.gen_bool(0.85) {
        consent(g, id, None, first_contact, "PAPER");
    }
    if let Some(partner) = shared_with {
        offer(g, p, partner as i32 + 1, created);
    }
}

/// Now and then reception tried to open a second lead for a customer the consultant
/// already had (撞单), while the lead was open: refused and recorded.
fn conflict(g: &mut Generator, p: &Profile, created: DateTime<Utc>, closed: Option<DateTime<Utc>>) {
    if !g.shape.gen_bool(0.12) {
        return;
    }
    let at = created + Duration::hours(g.shape.gen_range(2..400));
    if at >= closed.unwrap_or(g.now).min(g.now) {
        return;
    }
    let lead_id = g.last_id("leads");
    let row_id = g.next_id("conflicts");
    g.rows.conflicts.push(
        lead_conflict::Model { id: row_id, store_id: p.store_id, lead_id, attempted_by: p.relations(), created_at: at }
            .into_active_model(),
    );
}

/// A consent of the customer to sharing their lead with `recipient` (none: the group).
fn consent(g: &mut Generator, customer_id: i32, recipient: Option<i32>, given_on: NaiveDate, channel: &str) {
    let row_id = g.next_id("consents");
    let evidence = format!("{channel}-{}-{customer_id:06}", given_on.format("%Y%m%d"));
    g.rows.consents.push(
        customer_consent::Model {
            id: row_id,
            customer_id,
            purpose: ConsentPurpose::LeadSharing,
            recipient_store_id: recipient,
            given_on,
            channel: channel.into(),
            evidence,
            recorded_by: None,
            recorded_at: at(given_on, 12),
            withdrawn_at: None,
            withdrawn_by: None,
        }
        .into_active_model(),
    );
}

/// The customer's open lead (the last one made) offered to the partner store, with the
/// customer's consent naming it, in any state (the `shape` stream decides): still
/// waiting, expired, declined, revoked, or accepted — then the partner works its own
/// copy (some of those won or defeated since).
fn offer(g: &mut Generator, p: &Profile, partner: i32, created: DateTime<Utc>) {
    let lead_id = g.last_id("leads");
    consent(g, p.id, Some(partner), created.date_naive(), "APP");
    let roll: f64 = g.shape.r#gen();
    let recent = (g.now - created).num_days() < 7;
    let offered_at = if recent { created } else { created + Duration::hours(g.shape.gen_range(1..48)) };
    let status = match roll {
        _ if recent => OfferStatus::Offered,
        r if r < 0.15 => OfferStatus::Offered,
        r if r < 0.30 => OfferStatus::Offered, // left unanswered past its week: expired
        r if r < 0.45 => OfferStatus::Declined,
        r if r < 0.55 => OfferStatus::Revoked,
        _ => OfferStatus::Accepted,
    };
    let waiting = status == OfferStatus::Offered && roll < 0.15;
    let (offered_at, expires_at) = if waiting || recent {
        let at = g.now - Duration::hours(g.shape.gen_range(2..72));
        (at, at + Duration::days(7))
    } else {
        (offered_at, offered_at + Duration::days(7))
    };
    let answered = (status != OfferStatus::Offered).then(|| offered_at + Duration::hours(g.shape.gen_range(1..60)));
    let offer_id = g.next_id("offers");
    let partner_staff = g.partner_staff;
    let mut accepted_lead = None;
    if status == OfferStatus::Accepted {
        let answered_at = answered.unwrap_or(offered_at);
        // The origin's lead is handed over; the partner's own lead takes over.
        if let Some(origin) = g.rows.leads.last_mut() {
            origin.status = sea_orm::Set(LeadStatus::Referred);
            origin.closed_at = sea_orm::Set(Some(answered_at));
            origin.next_follow_up_at = sea_orm::Set(None);
        }
        let (outcome, closed) = match g.shape.gen_range(0..10) {
            0..=1 => (LeadStatus::Won, Some(answered_at + Duration::days(g.shape.gen_range(5..40)))),
            2..=3 => (LeadStatus::Defeated, Some(answered_at + Duration::days(g.shape.gen_range(5..40)))),
            _ => (LeadStatus::Open, None),
        };
        let closed = closed.filter(|c| *c < g.now);
        let outcome = if closed.is_none() { LeadStatus::Open } else { outcome };
        let row_id = g.next_id("leads");
        let template = g.rows.leads.last().cloned();
        if let Some(template) = template {
            let mut copy = template;
            copy.id = sea_orm::Set(row_id);
            copy.store_id = sea_orm::Set(partner);
            copy.status = sea_orm::Set(outcome);
            copy.owner_id = sea_orm::Set(partner_staff);
            copy.created_at = sea_orm::Set(answered_at);
            copy.closed_at = sea_orm::Set(closed);
            copy.defeat_reason = sea_orm::Set((outcome == LeadStatus::Defeated).then(|| "OTHER_BRAND".to_owned()));
            copy.next_follow_up_at = sea_orm::Set(
                (outcome == LeadStatus::Open).then(|| g.now + Duration::hours(g.shape.gen_range(-48..120))),
            );
            copy.first_response_due_at = sea_orm::Set(Some(answered_at + Duration::hours(1)));
            copy.first_contacted_at = sea_orm::Set(Some(answered_at + Duration::minutes(g.shape.gen_range(5..180))));
            copy.protected_until = sea_orm::Set(Some(g.now + Duration::days(g.shape.gen_range(1..30))));
            copy.referred_by_store_id = sea_orm::Set(Some(p.store_id));
            copy.offer_id = sea_orm::Set(Some(offer_id));
            g.rows.leads.push(copy);
            accepted_lead = Some(row_id);
        }
    }
    let reasons = ["客户所在城市我店无法覆盖", "该车型本月无现车", "客户已在我店有接待"];
    g.rows.offers.push(
        lead_offer::Model {
            id: offer_id,
            lead_id,
            from_store_id: p.store_id,
            to_store_id: partner,
            offered_by: p.sales(),
            message: Some("客户想就近提车，请贵店跟进".into()),
            status: if status == OfferStatus::Offered { OfferStatus::Offered } else { status },
            expires_at,
            created_at: offered_at,
            answered_by: answered
                .and(partner_staff)
                .filter(|_| status != OfferStatus::Revoked)
                .or(answered.map(|_| p.sales())),
            answered_at: answered,
            decline_reason: (status == OfferStatus::Declined)
                .then(|| reasons[g.shape.gen_range(0..reasons.len())].to_owned()),
            consent_id: Some(g.last_id("consents")),
            accepted_lead_id: accepted_lead,
        }
        .into_active_model(),
    );
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
    conflict(g, p, at(first_contact, 11), Some(at(delivered, 15)));
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

/// The follow-up log of a lead from its first contact until it closed (or now): one
/// every few days, most on the day they were due, some late.
fn follow_ups(
    g: &mut Generator,
    lead_id: i32,
    store_id: i32,
    staff_id: i32,
    grade: LeadGrade,
    first: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
) {
    let until = closed_at.unwrap_or(g.now).min(g.now);
    let (mut due, mut at) = (None, first);
    let outcomes = [
        FollowUpOutcome::Talked,
        FollowUpOutcome::NoAnswer,
        FollowUpOutcome::AppointmentMade,
        FollowUpOutcome::Visited,
    ];
    for _ in 0..4 {
        if at >= until {
            break;
        }
        let next = at + Duration::days(g.shape.gen_range(2..8));
        let row_id = g.next_id("follow_ups");
        g.rows.follow_ups.push(
            lead_follow_up::Model {
                id: row_id,
                lead_id,
                store_id,
                staff_id,
                channel: if g.shape.gen_bool(0.7) { FollowUpChannel::Call } else { FollowUpChannel::Wechat },
                outcome: outcomes[g.shape.gen_range(0..outcomes.len())],
                note: None,
                grade_before: grade,
                grade_after: grade,
                due_at: due,
                next_follow_up_at: Some(next),
                created_at: at,
            }
            .into_active_model(),
        );
        due = Some(next);
        at = next + Duration::hours(if g.shape.gen_bool(0.75) { 0 } else { g.shape.gen_range(24..96) });
    }
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
    // Leads from outside (all but walk-ins) had a first-response deadline an hour
    // after they came in; most were answered in time (the `shape` stream decides).
    let from_outside = channel != CHANNELS[0];
    let first_response_due_at = from_outside.then(|| created_at + Duration::hours(1));
    let first_contacted_at = if from_outside {
        let limit = if g.shape.gen_bool(0.8) { 60 } else { 600 };
        created_at + Duration::minutes(g.shape.gen_range(3..limit))
    } else {
        created_at
    };
    follow_ups(g, row_id, store_id, owner, grade, first_contacted_at, closed_at);
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
            first_response_due_at,
            first_contacted_at: Some(first_contacted_at),
            // Open leads: protected for their owner a while yet, some lapsed into the
            // pool (the `shape` stream decides).
            protected_until: (status == LeadStatus::Open).then(|| g.now + Duration::days(g.shape.gen_range(-10..30))),
            delivery_id: None,
            defeat_note: None,
            referred_by_store_id: None,
            offer_id: None,
        }
        .into_active_model(),
    );
}
