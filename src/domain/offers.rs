//! Customer consents and offers of leads to partner and sister stores (deal
//! registration). The origin store offers one of its open leads with a message and an
//! expiry; the receiving store sees the offer in its inbox with the customer masked,
//! accepts (it gets a lead of its own, under its own protection, referred by the
//! origin) or declines; an unanswered offer expires; the origin may revoke it until
//! it is accepted and follows what became of it read-only.
//!
//! Sharing a customer's contact with another store needs the customer's consent to
//! that sharing (PIPL art. 23): one naming the receiving store, or, for the group's own
//! stores, a group-wide one; it must still hold when the offer is accepted.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::enums::{ConsentPurpose, ContactKind, LeadStatus, OfferStatus, Role, StoreKind};
use entity::{contact_point, customer, customer_consent, lead, lead_follow_up, lead_offer, store};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::access::{Action, Resource};
use super::audit::{self, Entry, RequestMeta};
use super::scope::Reach;
use super::{Scope, customers, leads, limits, mask};
use crate::error::{AppError, AppResult};

/// Days an offer waits for an answer unless the origin says otherwise.
pub const DEFAULT_EXPIRY_DAYS: i64 = 7;

/// A consent as entered.
pub struct NewConsent {
    pub customer_id: i32,
    /// None: every store of the group's own.
    pub recipient_store_code: Option<String>,
    pub given_on: NaiveDate,
    pub channel: String,
    pub evidence: String,
}

/// Records a customer's consent to sharing their lead (roles that correct customers).
pub async fn record_consent(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    new: NewConsent,
) -> AppResult<customer_consent::Model> {
    scope.require(Resource::Customer, Action::Update)?;
    limits::check("channel", &new.channel, limits::FIELD)?;
    limits::check("evidence", &new.evidence, limits::PURPOSE)?;
    let (channel, evidence) = (new.channel.trim().to_uppercase(), new.evidence.trim().to_owned());
    if channel.is_empty() || evidence.is_empty() {
        return Err(AppError::bad_input("evidence", "a consent names its channel and where its evidence is"));
    }
    let today = super::time::local_day(Utc::now());
    if new.given_on > today || new.given_on < today - Duration::days(366 * 20) {
        return Err(AppError::bad_input("givenOn", "a consent was given on a past day"));
    }
    let txn = crate::db::begin_write(db).await?;
    let customer = customers::by_id(&txn, scope, new.customer_id).await?.ok_or(AppError::NotFound("customer"))?;
    let recipient = match new.recipient_store_code.as_deref().map(str::trim) {
        Some(code) => {
            limits::check("recipientStoreCode", code, limits::FIELD)?;
            Some(store_by_code(&txn, code, "recipientStoreCode").await?.id)
        }
        None => None,
    };
    let row = customer_consent::ActiveModel {
        customer_id: Set(customer.id),
        purpose: Set(ConsentPurpose::LeadSharing),
        recipient_store_id: Set(recipient),
        given_on: Set(new.given_on),
        channel: Set(channel),
        evidence: Set(evidence),
        recorded_by: Set(Some(scope.actor.staff_id)),
        recorded_at: Set(Utc::now()),
        withdrawn_at: Set(None),
        withdrawn_by: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("RECORD_CONSENT", "customer", [customer.id as i64, row.id as i64]),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Withdraws a consent; offers not yet accepted can no longer be accepted.
pub async fn withdraw_consent(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
) -> AppResult<customer_consent::Model> {
    scope.require(Resource::Customer, Action::Update)?;
    let txn = crate::db::begin_write(db).await?;
    let consent = customer_consent::Entity::find_by_id(id)
        .filter(scope.customer_condition(customer_consent::Column::CustomerId))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("consent"))?;
    if consent.withdrawn_at.is_some() {
        return Err(AppError::refused("CONSENT_WITHDRAWN", "the consent was withdrawn already"));
    }
    let mut row: customer_consent::ActiveModel = consent.into();
    row.withdrawn_at = Set(Some(Utc::now()));
    row.withdrawn_by = Set(Some(scope.actor.staff_id));
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("WITHDRAW_CONSENT", "customer", [updated.customer_id as i64, id as i64]),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

async fn store_by_code<C: ConnectionTrait>(conn: &C, code: &str, field: &str) -> AppResult<store::Model> {
    super::ingest::store_by_code(conn, code)
        .await?
        .ok_or_else(|| AppError::bad_input(field, format!("no store `{}`", code.trim())))
}

/// The consent that lets `customer`'s lead go to `target`, if one holds.
async fn valid_consent<C: ConnectionTrait>(
    conn: &C,
    customer: i32,
    target: &store::Model,
) -> AppResult<Option<customer_consent::Model>> {
    let mut recipient = Condition::any().add(customer_consent::Column::RecipientStoreId.eq(target.id));
    if target.kind == StoreKind::Own {
        recipient = recipient.add(customer_consent::Column::RecipientStoreId.is_null());
    }
    Ok(customer_consent::Entity::find()
        .filter(customer_consent::Column::CustomerId.eq(customer))
        .filter(customer_consent::Column::Purpose.eq(ConsentPurpose::LeadSharing))
        .filter(customer_consent::Column::WithdrawnAt.is_null())
        .filter(recipient)
        .order_by_desc(customer_consent::Column::Id)
        .one(conn)
        .await?)
}

/// An offer's status as it reads now: OFFERED past its expiry is EXPIRED.
pub fn effective_status(offer: &lead_offer::Model, now: DateTime<Utc>) -> OfferStatus {
    if offer.status == OfferStatus::Offered && offer.expires_at <= now { OfferStatus::Expired } else { offer.status }
}

/// Offers one of the caller's open leads to another store.
pub async fn offer(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    lead_id: i32,
    store_code: &str,
    message: Option<String>,
    expires_in_days: Option<i32>,
) -> AppResult<lead_offer::Model> {
    if matches!(scope.reach(Resource::Lead, Action::Update), Reach::Shared(_)) {
        return Err(AppError::Forbidden("partner stores cannot offer leads further".into()));
    }
    limits::check("storeCode", store_code, limits::FIELD)?;
    limits::check_opt("message", message.as_deref(), limits::NOTE)?;
    let days = i64::from(expires_in_days.unwrap_or(DEFAULT_EXPIRY_DAYS as i32));
    if !(1..=30).contains(&days) {
        return Err(AppError::bad_input("expiresInDays", "an offer waits 1 to 30 days"));
    }
    let txn = crate::db::begin_write(db).await?;
    let lead = leads::workable(&txn, scope, lead_id).await?;
    let target = store_by_code(&txn, store_code, "storeCode").await?;
    if target.id == lead.store_id {
        return Err(AppError::bad_input("storeCode", "a lead is offered to another store, not its own"));
    }
    let Some(consent) = valid_consent(&txn, lead.customer_id, &target).await? else {
        return Err(AppError::refused(
            "CONSENT_REQUIRED",
            format!("the customer has not consented to sharing their lead with {}", target.code),
        ));
    };
    let now = Utc::now();
    let pending = lead_offer::Entity::find()
        .filter(lead_offer::Column::LeadId.eq(lead.id))
        .filter(lead_offer::Column::Status.eq(OfferStatus::Offered))
        .filter(lead_offer::Column::ExpiresAt.gt(now))
        .one(&txn)
        .await?;
    if pending.is_some() {
        return Err(AppError::Conflict("the lead is on offer already: revoke that offer first".into()));
    }
    let row = lead_offer::ActiveModel {
        lead_id: Set(lead.id),
        from_store_id: Set(lead.store_id),
        to_store_id: Set(target.id),
        offered_by: Set(scope.actor.staff_id),
        message: Set(super::sales::clean(message)),
        status: Set(OfferStatus::Offered),
        expires_at: Set(now + Duration::days(days)),
        created_at: Set(now),
        consent_id: Set(Some(consent.id)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("OFFER_LEAD", "lead", [lead.id as i64, row.id as i64]).purpose(&target.code),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The offers the caller may see: of its store (sent or received); group roles all.
fn visible(scope: &Scope) -> AppResult<Condition> {
    Ok(match scope.require(Resource::Lead, Action::Read)? {
        Reach::Group => Condition::all(),
        Reach::Store(store) | Reach::Own { store, .. } | Reach::Shared(store) => {
            Condition::any().add(lead_offer::Column::FromStoreId.eq(store)).add(lead_offer::Column::ToStoreId.eq(store))
        }
        Reach::Nothing => Condition::all().add(Expr::value(false)),
    })
}

/// One offer the caller may see, or NOT_FOUND.
pub async fn by_id<C: ConnectionTrait>(conn: &C, scope: &Scope, id: i32) -> AppResult<lead_offer::Model> {
    lead_offer::Entity::find_by_id(id).filter(visible(scope)?).one(conn).await?.ok_or(AppError::NotFound("offer"))
}

/// Which offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Offered to the caller's store.
    Inbox,
    /// Offered by the caller's store.
    Outbox,
    /// Every offer the caller may see (group roles: the group's).
    All,
}

/// Offers, newest first, with the effective status filter applied in the query.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    direction: Direction,
    status: Option<OfferStatus>,
    limit: u64,
) -> AppResult<Vec<lead_offer::Model>> {
    let mut select = lead_offer::Entity::find().filter(visible(scope)?);
    let store = scope.actor.store_id;
    match (direction, store) {
        (Direction::Inbox, Some(store)) => select = select.filter(lead_offer::Column::ToStoreId.eq(store)),
        (Direction::Outbox, Some(store)) => select = select.filter(lead_offer::Column::FromStoreId.eq(store)),
        (Direction::All, _) => {}
        (_, None) => return Err(AppError::bad_input("direction", "your account has no store: ask for ALL")),
    }
    let now = Utc::now();
    if let Some(status) = status {
        select = match status {
            OfferStatus::Offered => select
                .filter(lead_offer::Column::Status.eq(OfferStatus::Offered))
                .filter(lead_offer::Column::ExpiresAt.gt(now)),
            OfferStatus::Expired => select.filter(
                Condition::any().add(lead_offer::Column::Status.eq(OfferStatus::Expired)).add(
                    Condition::all()
                        .add(lead_offer::Column::Status.eq(OfferStatus::Offered))
                        .add(lead_offer::Column::ExpiresAt.lte(now)),
                ),
            ),
            other => select.filter(lead_offer::Column::Status.eq(other)),
        };
    }
    Ok(select
        .order_by_desc(lead_offer::Column::CreatedAt)
        .order_by_desc(lead_offer::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The receiving store's staff who may answer offers: its manager and consultants, or
/// the partner store's account.
fn require_receiver(scope: &Scope, offer: &lead_offer::Model) -> AppResult<()> {
    if scope.actor.store_id != Some(offer.to_store_id) {
        return Err(AppError::refused("NOT_YOUR_OFFER", "only the receiving store answers an offer"));
    }
    match scope.role() {
        Role::StoreManager | Role::SalesConsultant | Role::Partner => Ok(()),
        _ => Err(AppError::Forbidden("offers are answered by sales staff".into())),
    }
}

fn still_open(offer: &lead_offer::Model, now: DateTime<Utc>) -> AppResult<()> {
    match effective_status(offer, now) {
        OfferStatus::Offered => Ok(()),
        status => Err(AppError::refused(
            match status {
                OfferStatus::Expired => "OFFER_EXPIRED",
                OfferStatus::Revoked => "OFFER_REVOKED",
                _ => "OFFER_ANSWERED",
            },
            format!("the offer is {}", status.as_str()),
        )),
    }
}

/// Moves an offer from OFFERED (unexpired) to `status`, once: of two answers at the
/// same moment one wins, the other reads what happened.
async fn answer<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    offer: &lead_offer::Model,
    status: OfferStatus,
    reason: Option<String>,
) -> AppResult<()> {
    let now = Utc::now();
    let done = lead_offer::Entity::update_many()
        .col_expr(lead_offer::Column::Status, Expr::value(status.as_str()))
        .col_expr(lead_offer::Column::AnsweredBy, Expr::value(scope.actor.staff_id))
        .col_expr(lead_offer::Column::AnsweredAt, Expr::value(now))
        .col_expr(lead_offer::Column::DeclineReason, Expr::value(reason))
        .filter(lead_offer::Column::Id.eq(offer.id))
        .filter(lead_offer::Column::Status.eq(OfferStatus::Offered))
        .filter(lead_offer::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?;
    if done.rows_affected != 1 {
        let fresh = lead_offer::Entity::find_by_id(offer.id).one(conn).await?.ok_or(AppError::NotFound("offer"))?;
        still_open(&fresh, now)?;
        return Err(AppError::refused("OFFER_ANSWERED", "the offer was answered meanwhile"));
    }
    Ok(())
}

/// The origin revokes an offer not yet answered.
pub async fn revoke(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
) -> AppResult<lead_offer::Model> {
    let txn = crate::db::begin_write(db).await?;
    let offer = by_id(&txn, scope, id).await?;
    if scope.actor.store_id.is_some() && scope.actor.store_id != Some(offer.from_store_id) {
        return Err(AppError::refused("NOT_YOUR_OFFER", "only the origin store revokes an offer"));
    }
    // Whoever may work the origin lead may revoke its offer.
    leads::workable(&txn, scope, offer.lead_id).await?;
    still_open(&offer, Utc::now())?;
    answer(&txn, scope, &offer, OfferStatus::Revoked, None).await?;
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("REVOKE_OFFER", "lead", [offer.lead_id as i64, id as i64]),
    )
    .await?;
    let fresh = lead_offer::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("offer"))?;
    txn.commit().await?;
    Ok(fresh)
}

/// The receiving store declines, with a reason.
pub async fn decline(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
    reason: &str,
) -> AppResult<lead_offer::Model> {
    limits::required("reason", reason, limits::PURPOSE, "say why the offer is declined")?;
    let txn = crate::db::begin_write(db).await?;
    let offer = by_id(&txn, scope, id).await?;
    require_receiver(scope, &offer)?;
    still_open(&offer, Utc::now())?;
    answer(&txn, scope, &offer, OfferStatus::Declined, Some(reason.trim().to_owned())).await?;
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("DECLINE_OFFER", "lead", [offer.lead_id as i64, id as i64]),
    )
    .await?;
    let fresh = lead_offer::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("offer"))?;
    txn.commit().await?;
    Ok(fresh)
}

/// The receiving store accepts: it gets its own lead for the customer (owned by the
/// consultant or partner who accepted, in the pool when a manager did), referred by
/// the origin store; the origin's lead is REFERRED.
pub async fn accept(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
) -> AppResult<(lead_offer::Model, lead::Model)> {
    let txn = crate::db::begin_write(db).await?;
    let offer = by_id(&txn, scope, id).await?;
    require_receiver(scope, &offer)?;
    let now = Utc::now();
    still_open(&offer, now)?;
    let origin = lead::Entity::find_by_id(offer.lead_id).one(&txn).await?.ok_or(AppError::NotFound("offer"))?;
    if origin.status != LeadStatus::Open {
        return Err(AppError::refused("LEAD_CLOSED", format!("the offered lead is {}", origin.status.as_str())));
    }
    let target = store::Entity::find_by_id(offer.to_store_id).one(&txn).await?.ok_or(AppError::NotFound("offer"))?;
    if valid_consent(&txn, origin.customer_id, &target).await?.is_none() {
        return Err(AppError::refused("CONSENT_REQUIRED", "the customer withdrew their consent to sharing the lead"));
    }
    answer(&txn, scope, &offer, OfferStatus::Accepted, None).await?;
    leads::lock_customer_at_store(&txn, target.id, origin.customer_id).await?;
    if let Some(open) = leads::open_lead_at(&txn, target.id, origin.customer_id).await? {
        return Err(leads::conflict_with(&txn, &open).await?);
    }
    let policy = leads::policy(&txn, target.id).await?;
    let owner = (scope.role() != Role::StoreManager).then_some(scope.actor.staff_id);
    let received = lead::ActiveModel {
        store_id: Set(target.id),
        customer_id: Set(origin.customer_id),
        grade: Set(origin.grade),
        intended_model: Set(origin.intended_model.clone()),
        budget_cents: Set(origin.budget_cents),
        channel: Set(origin.channel.clone()),
        status: Set(LeadStatus::Open),
        owner_id: Set(owner),
        next_follow_up_at: Set(Some(policy.first_response_due(now))),
        created_at: Set(now),
        created_grade: Set(Some(origin.grade)),
        first_response_due_at: Set(Some(policy.first_response_due(now))),
        protected_until: Set(owner.map(|_| now + Duration::days(policy.protection_days.into()))),
        referred_by_store_id: Set(Some(offer.from_store_id)),
        offer_id: Set(Some(offer.id)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    lead_offer::Entity::update_many()
        .col_expr(lead_offer::Column::AcceptedLeadId, Expr::value(received.id))
        .filter(lead_offer::Column::Id.eq(offer.id))
        .exec(&txn)
        .await?;
    lead::Entity::update_many()
        .col_expr(lead::Column::Status, Expr::value(LeadStatus::Referred.as_str()))
        .col_expr(lead::Column::ClosedAt, Expr::value(now))
        .col_expr(lead::Column::NextFollowUpAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(lead::Column::Id.eq(origin.id))
        .exec(&txn)
        .await?;
    if target.kind == StoreKind::Own {
        leads::relate_prospect(&txn, origin.customer_id, target.id).await?;
    }
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("ACCEPT_OFFER", "lead", [origin.id as i64, id as i64, received.id as i64]),
    )
    .await?;
    let fresh = lead_offer::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("offer"))?;
    txn.commit().await?;
    Ok((fresh, received))
}

/// What the receiving store sees of an offered lead before accepting it.
#[derive(Debug, Clone, Default)]
pub struct Preview {
    pub grade: Option<entity::enums::LeadGrade>,
    pub intended_model: Option<String>,
    pub budget_cents: Option<i64>,
    pub city: Option<String>,
    pub masked_name: String,
    pub masked_phone: Option<String>,
}

/// What the origin store sees of an accepted offer: how the receiving store works it.
#[derive(Debug, Clone)]
pub struct Progress {
    pub status: LeadStatus,
    pub grade: entity::enums::LeadGrade,
    pub follow_ups: i64,
    pub last_follow_up_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub defeat_reason: Option<String>,
}

/// Previews and progress for a page of offers, in a few statements (not per offer).
/// Previews only for offers the caller's store sends or receives (or group roles);
/// progress only for the origin store and group roles.
pub async fn details(
    db: &DatabaseConnection,
    scope: &Scope,
    offers: &[lead_offer::Model],
) -> AppResult<(HashMap<i32, Preview>, HashMap<i32, Progress>)> {
    let group = matches!(scope.reach(Resource::Lead, Action::Read), Reach::Group);
    let store = scope.actor.store_id;
    let mine: Vec<&lead_offer::Model> =
        offers.iter().filter(|o| group || store == Some(o.to_store_id) || store == Some(o.from_store_id)).collect();
    let lead_ids: Vec<i32> =
        mine.iter().map(|o| o.lead_id).chain(mine.iter().filter_map(|o| o.accepted_lead_id)).collect();
    let lead_rows: HashMap<i32, lead::Model> = lead::Entity::find()
        .filter(lead::Column::Id.is_in(lead_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let customer_ids: Vec<i32> = lead_rows.values().map(|l| l.customer_id).collect();
    let people: HashMap<i32, customer::Model> = customer::Entity::find()
        .filter(customer::Column::Id.is_in(customer_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut phones: HashMap<i32, String> = HashMap::new();
    for cp in contact_point::Entity::find()
        .filter(contact_point::Column::CustomerId.is_in(customer_ids))
        .filter(contact_point::Column::Kind.eq(ContactKind::Phone))
        .order_by_desc(contact_point::Column::IsPrimary)
        .order_by_asc(contact_point::Column::Id)
        .all(db)
        .await?
    {
        phones.entry(cp.customer_id).or_insert(cp.normalized);
    }
    let accepted: Vec<i32> =
        mine.iter().filter(|o| group || store == Some(o.from_store_id)).filter_map(|o| o.accepted_lead_id).collect();
    let mut counts: HashMap<i32, (i64, Option<DateTime<Utc>>)> = HashMap::new();
    for f in lead_follow_up::Entity::find().filter(lead_follow_up::Column::LeadId.is_in(accepted)).all(db).await? {
        let entry = counts.entry(f.lead_id).or_insert((0, None));
        entry.0 += 1;
        entry.1 = entry.1.max(Some(f.created_at));
    }
    let mut previews = HashMap::new();
    let mut progress = HashMap::new();
    for offer in mine {
        if let Some(lead) = lead_rows.get(&offer.lead_id) {
            let person = people.get(&lead.customer_id);
            previews.insert(
                offer.id,
                Preview {
                    grade: Some(lead.grade),
                    intended_model: lead.intended_model.clone(),
                    budget_cents: lead.budget_cents,
                    city: person.and_then(|p| p.city.clone()),
                    masked_name: person.map(|p| mask::name(&p.name)).unwrap_or_default(),
                    masked_phone: phones.get(&lead.customer_id).map(|p| mask::phone(p)),
                },
            );
        }
        if (group || store == Some(offer.from_store_id))
            && let Some(received) = offer.accepted_lead_id.and_then(|id| lead_rows.get(&id))
        {
            let (follow_ups, last) = counts.get(&received.id).copied().unwrap_or((0, None));
            progress.insert(
                offer.id,
                Progress {
                    status: received.status,
                    grade: received.grade,
                    follow_ups,
                    last_follow_up_at: last,
                    closed_at: received.closed_at,
                    defeat_reason: received.defeat_reason.clone(),
                },
            );
        }
    }
    Ok((previews, progress))
}
