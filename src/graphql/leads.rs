//! Lead work: follow-ups, outcomes, the pool and reassignment, worklists, the store's
//! lead rules, consents, and offers of leads to partner and sister stores.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{customer_consent, lead_conflict, lead_follow_up, lead_offer};
use rust_decimal::Decimal;

use super::enums::{DefeatReason, FollowUpChannel, FollowUpOutcome, LeadGrade, LeadStatus, OfferStatus};
use super::ids::{self, Kind};
use super::links::{staff_of, store_of};
use super::org::{Staff, Store};
use super::sales::Lead;
use super::{db, meta, scope, yuan};
use crate::domain;
use crate::domain::leads::{Bucket, Policy};
use crate::domain::limits;

use super::pagination::worklist_size as row_limit;

/// One follow-up of a lead.
#[derive(Clone)]
pub struct FollowUp(pub lead_follow_up::Model);

#[Object]
impl FollowUp {
    async fn id(&self) -> ID {
        ids::global(Kind::FollowUp, self.0.id)
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn by(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        staff_of(ctx, Some(self.0.staff_id)).await
    }
    async fn channel(&self) -> FollowUpChannel {
        self.0.channel.into()
    }
    async fn outcome(&self) -> FollowUpOutcome {
        self.0.outcome.into()
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn grade_before(&self) -> LeadGrade {
        self.0.grade_before.into()
    }
    async fn grade_after(&self) -> LeadGrade {
        self.0.grade_after.into()
    }
    /// The follow-up that was due when this one was recorded.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at
    }
    /// Done by the end of the (Asia/Shanghai) day it was due; null when nothing was due.
    async fn on_time(&self) -> Option<bool> {
        let due = self.0.due_at?;
        let day = domain::time::local_day(due);
        Some(self.0.created_at < domain::time::day_start(day.succ_opt().unwrap_or(day)))
    }
    async fn next_follow_up_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_follow_up_at
    }
}

/// One bucket of a worklist: how many leads, and the first of them.
#[derive(SimpleObject)]
pub struct LeadBucket {
    total: i64,
    leads: Vec<Lead>,
}

/// An attempt to open a second lead for a customer with an open lead at the store.
pub struct LeadConflict(lead_conflict::Model);

#[Object]
impl LeadConflict {
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn attempted_by(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        staff_of(ctx, Some(self.0.attempted_by)).await
    }
    /// The open lead that was in the way.
    async fn lead(&self, ctx: &Context<'_>) -> Result<Option<Lead>> {
        Ok(super::loaders::many::<entity::lead::Entity>(ctx, [self.0.lead_id]).await?.into_iter().next().map(Lead))
    }
}

/// The lead work of a consultant, or of a store (optionally one owner's).
pub struct LeadWork {
    work: domain::leads::WorkOf,
    limit: u64,
}

impl LeadWork {
    async fn bucket(&self, ctx: &Context<'_>, bucket: Bucket) -> Result<LeadBucket> {
        let (total, rows) = domain::leads::worklist(db(ctx), scope(ctx)?, self.work, bucket, self.limit).await?;
        Ok(LeadBucket { total: total as i64, leads: rows.into_iter().map(Lead).collect() })
    }
}

#[Object]
impl LeadWork {
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        store_of(ctx, self.work.store).await
    }
    /// Follow-ups due before today (Asia/Shanghai), oldest first.
    async fn overdue(&self, ctx: &Context<'_>) -> Result<LeadBucket> {
        self.bucket(ctx, Bucket::Overdue).await
    }
    /// Follow-ups due today.
    async fn due_today(&self, ctx: &Context<'_>) -> Result<LeadBucket> {
        self.bucket(ctx, Bucket::DueToday).await
    }
    /// Follow-ups due after today until Sunday.
    async fn this_week(&self, ctx: &Context<'_>) -> Result<LeadBucket> {
        self.bucket(ctx, Bucket::ThisWeek).await
    }
    /// Open leads nobody has answered yet, the nearest first-response deadline first.
    async fn not_contacted(&self, ctx: &Context<'_>) -> Result<LeadBucket> {
        self.bucket(ctx, Bucket::NotContacted).await
    }
    /// The store's pool (公海): open leads nobody owns or whose protection lapsed.
    async fn pool(&self, ctx: &Context<'_>) -> Result<LeadBucket> {
        self.bucket(ctx, Bucket::Pool).await
    }
    /// Recent 撞单 attempts at the store, newest first (managers and group roles).
    async fn conflicts(&self, ctx: &Context<'_>) -> Result<Vec<LeadConflict>> {
        let rows = domain::leads::conflicts(db(ctx), scope(ctx)?, self.work.store, self.limit).await?;
        Ok(rows.into_iter().map(LeadConflict).collect())
    }
}

/// A store's lead rules.
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "LeadPolicyInput")]
pub struct LeadPolicy {
    /// Minutes of opening hours to a lead's first personal answer (default 60).
    first_response_minutes: i32,
    /// Days a consultant's lead is protected after its last effective follow-up (30).
    protection_days: i32,
    /// Days between follow-ups by grade: H (and O) 1, A 3, B 7, C 14.
    cadence_h_days: i32,
    cadence_a_days: i32,
    cadence_b_days: i32,
    cadence_c_days: i32,
    /// Opening hours, "HH:MM" Asia/Shanghai (09:00–18:00).
    opens_at: String,
    closes_at: String,
}

fn minute_text(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn parse_minute(field: &str, text: &str) -> Result<i32, crate::error::AppError> {
    let bad = || crate::error::AppError::bad_input(field, "a time of day as HH:MM");
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..=24).contains(&h) || !(0..60).contains(&m) || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

impl From<Policy> for LeadPolicy {
    fn from(p: Policy) -> Self {
        LeadPolicy {
            first_response_minutes: p.first_response_minutes,
            protection_days: p.protection_days,
            cadence_h_days: p.cadence_days[0],
            cadence_a_days: p.cadence_days[1],
            cadence_b_days: p.cadence_days[2],
            cadence_c_days: p.cadence_days[3],
            opens_at: minute_text(p.opens_at_minute),
            closes_at: minute_text(p.closes_at_minute),
        }
    }
}

impl LeadPolicy {
    fn into_domain(self) -> Result<Policy, crate::error::AppError> {
        limits::check("opensAt", &self.opens_at, 8)?;
        limits::check("closesAt", &self.closes_at, 8)?;
        Ok(Policy {
            first_response_minutes: self.first_response_minutes,
            protection_days: self.protection_days,
            cadence_days: [self.cadence_h_days, self.cadence_a_days, self.cadence_b_days, self.cadence_c_days],
            opens_at_minute: parse_minute("opensAt", &self.opens_at)?,
            closes_at_minute: parse_minute("closesAt", &self.closes_at)?,
        })
    }
}

/// A customer's consent to sharing their lead with another store (PIPL art. 23).
pub struct Consent(pub customer_consent::Model);

#[Object]
impl Consent {
    async fn id(&self) -> ID {
        ids::global(Kind::Consent, self.0.id)
    }
    /// LEAD_SHARING.
    async fn purpose(&self) -> &'static str {
        self.0.purpose.as_str()
    }
    /// The store it allows; null: every store of the group's own.
    async fn recipient(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        match self.0.recipient_store_id {
            Some(id) => store_of(ctx, id).await,
            None => Ok(None),
        }
    }
    async fn given_on(&self) -> NaiveDate {
        self.0.given_on
    }
    /// How it was given: PAPER, APP, WECHAT, PHONE_RECORDING, …
    async fn channel(&self) -> &str {
        &self.0.channel
    }
    /// Where the evidence is kept (form number, recording id).
    async fn evidence(&self) -> &str {
        &self.0.evidence
    }
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
    async fn withdrawn_at(&self) -> Option<DateTime<Utc>> {
        self.0.withdrawn_at
    }
    async fn valid(&self) -> bool {
        self.0.withdrawn_at.is_none()
    }
}

/// What the receiving store sees of an offered lead: the customer masked.
#[derive(SimpleObject)]
pub struct OfferPreview {
    grade: Option<LeadGrade>,
    intended_model: Option<String>,
    /// Budget in yuan.
    budget: Option<Decimal>,
    city: Option<String>,
    /// The family name only, e.g. 王**.
    customer_name: String,
    /// e.g. 138****5678.
    customer_phone: Option<String>,
}

/// What became of an accepted offer at the receiving store (origin and group roles).
#[derive(SimpleObject)]
pub struct OfferProgress {
    status: LeadStatus,
    grade: LeadGrade,
    follow_ups: i64,
    last_follow_up_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    defeat_reason: Option<String>,
}

/// A lead offered by its store to a partner or sister store.
pub struct LeadOffer {
    offer: lead_offer::Model,
    preview: Option<domain::offers::Preview>,
    progress: Option<domain::offers::Progress>,
}

impl LeadOffer {
    async fn page(ctx: &Context<'_>, rows: Vec<lead_offer::Model>) -> Result<Vec<LeadOffer>> {
        let (mut previews, mut progress) = domain::offers::details(db(ctx), scope(ctx)?, &rows).await?;
        Ok(rows
            .into_iter()
            .map(|offer| LeadOffer { preview: previews.remove(&offer.id), progress: progress.remove(&offer.id), offer })
            .collect())
    }
}

#[Object]
impl LeadOffer {
    async fn id(&self) -> ID {
        ids::global(Kind::LeadOffer, self.offer.id)
    }
    /// OFFERED past its expiry reads EXPIRED.
    async fn status(&self) -> OfferStatus {
        domain::offers::effective_status(&self.offer, Utc::now()).into()
    }
    #[allow(clippy::wrong_self_convention)]
    async fn from_store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        store_of(ctx, self.offer.from_store_id).await
    }
    async fn to_store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        store_of(ctx, self.offer.to_store_id).await
    }
    async fn offered_by(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        staff_of(ctx, Some(self.offer.offered_by)).await
    }
    async fn message(&self) -> Option<&str> {
        self.offer.message.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.offer.created_at
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        self.offer.expires_at
    }
    async fn answered_at(&self) -> Option<DateTime<Utc>> {
        self.offer.answered_at
    }
    async fn decline_reason(&self) -> Option<&str> {
        self.offer.decline_reason.as_deref()
    }
    /// The offered lead with the customer masked.
    async fn preview(&self) -> Option<OfferPreview> {
        self.preview.as_ref().map(|p| OfferPreview {
            grade: p.grade.map(Into::into),
            intended_model: p.intended_model.clone(),
            budget: p.budget_cents.map(yuan),
            city: p.city.clone(),
            customer_name: p.masked_name.clone(),
            customer_phone: p.masked_phone.clone(),
        })
    }
    /// The origin store's lead (null for the receiving store).
    async fn lead(&self, ctx: &Context<'_>) -> Result<Option<Lead>> {
        Ok(super::loaders::many::<entity::lead::Entity>(ctx, [self.offer.lead_id]).await?.into_iter().next().map(Lead))
    }
    /// The receiving store's lead once accepted (null for the origin store: it follows
    /// `progress`).
    async fn accepted_lead(&self, ctx: &Context<'_>) -> Result<Option<Lead>> {
        let Some(id) = self.offer.accepted_lead_id else { return Ok(None) };
        Ok(super::loaders::many::<entity::lead::Entity>(ctx, [id]).await?.into_iter().next().map(Lead))
    }
    /// How the receiving store works the lead (origin store and group roles).
    async fn progress(&self) -> Option<OfferProgress> {
        self.progress.as_ref().map(|p| OfferProgress {
            status: p.status.into(),
            grade: p.grade.into(),
            follow_ups: p.follow_ups,
            last_follow_up_at: p.last_follow_up_at,
            closed_at: p.closed_at,
            defeat_reason: p.defeat_reason.clone(),
        })
    }
}

/// Which offers.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferDirection {
    /// Offered to the caller's store.
    Inbox,
    /// Offered by the caller's store.
    Outbox,
    /// Every offer the caller may see.
    All,
}

#[derive(Default)]
pub struct LeadWorkQuery;

#[Object]
impl LeadWorkQuery {
    /// A consultant's lead work (their own, and the store's pool); a manager's store
    /// (optionally one owner's); group roles name the store.
    async fn lead_work(
        &self,
        ctx: &Context<'_>,
        store_id: Option<ID>,
        owner_id: Option<ID>,
        #[graphql(default = 50)] first: i32,
    ) -> Result<LeadWork> {
        let scope = scope(ctx)?;
        let store = ids::filter_arg("storeId", Kind::Store, store_id)?;
        let owner = ids::filter_arg("ownerId", Kind::Staff, owner_id)?;
        let work = domain::leads::work_of(scope, store, owner)?;
        Ok(LeadWork { work, limit: row_limit(first)? })
    }

    /// Offers of leads between stores, newest first.
    async fn lead_offers(
        &self,
        ctx: &Context<'_>,
        direction: OfferDirection,
        status: Option<OfferStatus>,
        #[graphql(default = 50)] first: i32,
    ) -> Result<Vec<LeadOffer>> {
        let direction = match direction {
            OfferDirection::Inbox => domain::offers::Direction::Inbox,
            OfferDirection::Outbox => domain::offers::Direction::Outbox,
            OfferDirection::All => domain::offers::Direction::All,
        };
        let rows =
            domain::offers::list(db(ctx), scope(ctx)?, direction, status.map(Into::into), row_limit(first)?).await?;
        LeadOffer::page(ctx, rows).await
    }

    /// A store's lead rules (the caller's store unless a group role names one).
    async fn lead_policy(&self, ctx: &Context<'_>, store_id: Option<ID>) -> Result<LeadPolicy> {
        let scope = scope(ctx)?;
        let store = ids::filter_arg("storeId", Kind::Store, store_id)?;
        let work = domain::leads::work_of(scope, store, None)?;
        Ok(domain::leads::policy(db(ctx), work.store).await?.into())
    }
}

#[derive(InputObject)]
pub struct FollowUpInput {
    lead_id: ID,
    channel: FollowUpChannel,
    outcome: FollowUpOutcome,
    note: Option<String>,
    /// The grade after this follow-up (kept as history); unchanged unless given.
    grade: Option<LeadGrade>,
    /// Unless given: the store's cadence for the grade.
    next_follow_up_at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct ConsentInput {
    customer_id: ID,
    /// The store it allows; none: every store of the group's own (a partner store
    /// always needs a consent naming it).
    recipient_store_code: Option<String>,
    given_on: NaiveDate,
    channel: String,
    evidence: String,
}

/// An accepted offer and the receiving store's new lead.
#[derive(SimpleObject)]
pub struct AcceptedOffer {
    offer: LeadOffer,
    lead: Lead,
}

#[derive(Default)]
pub struct LeadWorkMutation;

fn lead_id(id: &ID) -> Result<i32, crate::error::AppError> {
    ids::required(Kind::Lead, id, "lead")
}

fn offer_id(id: &ID) -> Result<i32, crate::error::AppError> {
    ids::required(Kind::LeadOffer, id, "offer")
}

#[Object]
impl LeadWorkMutation {
    /// Appends a follow-up to an open lead; the next follow-up follows the cadence
    /// unless given, an effective one extends the owner's protection.
    async fn record_follow_up(&self, ctx: &Context<'_>, input: FollowUpInput) -> Result<Lead> {
        let id = lead_id(&input.lead_id)?;
        let follow_up = domain::leads::FollowUp {
            channel: input.channel.into(),
            outcome: input.outcome.into(),
            note: input.note,
            grade: input.grade.map(Into::into),
            next_follow_up_at: input.next_follow_up_at,
        };
        let (lead, _) = domain::leads::record_follow_up(db(ctx), scope(ctx)?, meta(ctx), id, follow_up).await?;
        Ok(Lead(lead))
    }

    /// Won with the delivery of the lead's customer at its store (a partner store,
    /// which delivers outside the group, gives none).
    async fn win_lead(&self, ctx: &Context<'_>, lead_id: ID, delivery_id: Option<ID>) -> Result<Lead> {
        let id = self::lead_id(&lead_id)?;
        let lead = match delivery_id {
            Some(delivery) => {
                let delivery = ids::required(Kind::Delivery, &delivery, "delivery")?;
                domain::leads::win(db(ctx), scope(ctx)?, meta(ctx), id, delivery).await?
            }
            None => domain::leads::win_at_partner(db(ctx), scope(ctx)?, meta(ctx), id).await?,
        };
        Ok(Lead(lead))
    }

    /// Defeated, with a reason from the fixed list.
    async fn defeat_lead(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        reason: DefeatReason,
        note: Option<String>,
    ) -> Result<Lead> {
        let id = self::lead_id(&lead_id)?;
        Ok(Lead(domain::leads::defeat(db(ctx), scope(ctx)?, meta(ctx), id, reason.into(), note).await?))
    }

    /// A store manager reopens a defeated lead, with a reason.
    async fn reactivate_lead(&self, ctx: &Context<'_>, lead_id: ID, reason: String) -> Result<Lead> {
        let id = self::lead_id(&lead_id)?;
        Ok(Lead(domain::leads::reactivate(db(ctx), scope(ctx)?, meta(ctx), id, &reason).await?))
    }

    /// A sales consultant takes a lead from the store's pool.
    async fn claim_lead(&self, ctx: &Context<'_>, lead_id: ID) -> Result<Lead> {
        let id = self::lead_id(&lead_id)?;
        Ok(Lead(domain::leads::claim(db(ctx), scope(ctx)?, meta(ctx), id).await?))
    }

    /// A store manager gives a lead to another consultant of the store, with a reason.
    async fn reassign_lead(&self, ctx: &Context<'_>, lead_id: ID, owner_id: ID, reason: String) -> Result<Lead> {
        let id = self::lead_id(&lead_id)?;
        let owner = ids::required(Kind::Staff, &owner_id, "owner")?;
        Ok(Lead(domain::leads::reassign(db(ctx), scope(ctx)?, meta(ctx), id, owner, &reason).await?))
    }

    /// Sets a store's lead rules (its manager, or the group administrator).
    async fn set_lead_policy(&self, ctx: &Context<'_>, store_id: ID, policy: LeadPolicy) -> Result<LeadPolicy> {
        let store = ids::required(Kind::Store, &store_id, "store")?;
        let policy = policy.into_domain()?;
        Ok(domain::leads::set_policy(db(ctx), scope(ctx)?, meta(ctx), store, policy).await?.into())
    }

    /// Records a customer's consent to sharing their lead with another store.
    async fn record_consent(&self, ctx: &Context<'_>, input: ConsentInput) -> Result<Consent> {
        let customer_id = ids::required(Kind::Customer, &input.customer_id, "customer")?;
        let new = domain::offers::NewConsent {
            customer_id,
            recipient_store_code: input.recipient_store_code,
            given_on: input.given_on,
            channel: input.channel,
            evidence: input.evidence,
        };
        Ok(Consent(domain::offers::record_consent(db(ctx), scope(ctx)?, meta(ctx), new).await?))
    }

    /// Withdraws a consent: offers not yet accepted can no longer be.
    async fn withdraw_consent(&self, ctx: &Context<'_>, id: ID) -> Result<Consent> {
        let id = ids::required(Kind::Consent, &id, "consent")?;
        Ok(Consent(domain::offers::withdraw_consent(db(ctx), scope(ctx)?, meta(ctx), id).await?))
    }

    /// Offers an open lead to another store (needs the customer's consent to it);
    /// it waits `expiresInDays` (default 7) for an answer.
    async fn offer_lead(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        store_code: String,
        message: Option<String>,
        expires_in_days: Option<i32>,
    ) -> Result<LeadOffer> {
        let id = self::lead_id(&lead_id)?;
        let offer =
            domain::offers::offer(db(ctx), scope(ctx)?, meta(ctx), id, &store_code, message, expires_in_days).await?;
        Ok(LeadOffer::page(ctx, vec![offer])
            .await?
            .into_iter()
            .next()
            .ok_or(crate::error::AppError::NotFound("offer"))?)
    }

    /// The receiving store accepts: it gets its own lead for the customer.
    async fn accept_offer(&self, ctx: &Context<'_>, id: ID) -> Result<AcceptedOffer> {
        let id = offer_id(&id)?;
        let (offer, lead) = domain::offers::accept(db(ctx), scope(ctx)?, meta(ctx), id).await?;
        Ok(AcceptedOffer {
            offer: LeadOffer::page(ctx, vec![offer])
                .await?
                .into_iter()
                .next()
                .ok_or(crate::error::AppError::NotFound("offer"))?,
            lead: Lead(lead),
        })
    }

    /// The receiving store declines, with a reason.
    async fn decline_offer(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<LeadOffer> {
        let id = offer_id(&id)?;
        let offer = domain::offers::decline(db(ctx), scope(ctx)?, meta(ctx), id, &reason).await?;
        Ok(LeadOffer::page(ctx, vec![offer])
            .await?
            .into_iter()
            .next()
            .ok_or(crate::error::AppError::NotFound("offer"))?)
    }

    /// The origin store takes back an offer not yet answered.
    async fn revoke_offer(&self, ctx: &Context<'_>, id: ID) -> Result<LeadOffer> {
        let id = offer_id(&id)?;
        let offer = domain::offers::revoke(db(ctx), scope(ctx)?, meta(ctx), id).await?;
        Ok(LeadOffer::page(ctx, vec![offer])
            .await?
            .into_iter()
            .next()
            .ok_or(crate::error::AppError::NotFound("offer"))?)
    }
}
