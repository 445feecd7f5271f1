//! Sales: leads and their follow-up, deliveries of new cars.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{delivery, lead};
use rust_decimal::Decimal;

use super::customers::Customer;
use super::enums::{LeadGrade, LeadStatus, PaymentMethod};
use super::ids::{self, Kind};
use super::links::{customer_of, staff_of, store_of, vehicle_of};
use super::org::{Staff, Store};
use super::pagination::{KeyCursor, Window, list};
use super::vehicles::Vehicle;
use super::{db, meta, scope, yuan};
use crate::domain;
use crate::error::AppError;

#[derive(Clone)]
pub struct Lead(pub lead::Model);

#[Object]
impl Lead {
    pub(crate) async fn id(&self) -> ID {
        ids::global(Kind::Lead, self.0.id)
    }
    /// Whom the record is about: the customer, whom to call.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        customer_of(ctx, self.0.customer_id).await
    }
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        store_of(ctx, self.0.store_id).await
    }
    async fn grade(&self) -> LeadGrade {
        self.0.grade.into()
    }
    async fn intended_model(&self) -> Option<&str> {
        self.0.intended_model.as_deref()
    }
    /// Budget in yuan.
    async fn budget(&self) -> Option<Decimal> {
        self.0.budget_cents.map(yuan)
    }
    async fn channel(&self) -> Option<&str> {
        self.0.channel.as_deref()
    }
    async fn status(&self) -> LeadStatus {
        self.0.status.into()
    }
    /// Why the prospect bought elsewhere or dropped out.
    async fn defeat_reason(&self) -> Option<&str> {
        self.0.defeat_reason.as_deref()
    }
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        staff_of(ctx, self.0.owner_id).await
    }
    async fn next_follow_up_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_follow_up_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the lead was won, defeated or handed to another store.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    /// What the consultant noted when the lead was defeated.
    async fn defeat_note(&self) -> Option<&str> {
        self.0.defeat_note.as_deref()
    }
    /// By when a lead from outside (the OEM, the website, reception, another store)
    /// must have had its first personal answer; null for leads a consultant opened
    /// while talking to the prospect.
    async fn first_response_due_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_response_due_at
    }
    /// The first follow-up.
    async fn first_response_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_contacted_at
    }
    /// Whether the first answer came in time; null while the deadline has not passed
    /// unanswered, or when there was none.
    async fn first_response_met(&self) -> Option<bool> {
        let due = self.0.first_response_due_at?;
        match self.0.first_contacted_at {
            Some(at) => Some(at <= due),
            None if due < Utc::now() => Some(false),
            None => None,
        }
    }
    /// The owner's protection against 撞单 ends then (extended by each effective follow-up).
    async fn protected_until(&self) -> Option<DateTime<Utc>> {
        self.0.protected_until
    }
    /// Open and nobody's: any consultant of the store may claim it.
    async fn in_pool(&self) -> bool {
        domain::leads::in_pool(&self.0, Utc::now())
    }
    /// The store that referred the lead here through an accepted offer.
    async fn referred_by(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        match self.0.referred_by_store_id {
            Some(id) => store_of(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The delivery that won the lead.
    async fn delivery(&self, ctx: &Context<'_>) -> Result<Option<Delivery>> {
        let Some(id) = self.0.delivery_id else { return Ok(None) };
        let rows =
            super::loaders::children::<crate::domain::records::Customer, delivery::Entity>(ctx, self.0.customer_id)
                .await?;
        Ok(rows.into_iter().find(|d| d.id == id).map(Delivery))
    }
    /// The follow-up log, oldest first: appended, never edited.
    #[graphql(complexity = "super::customers::LIST_COST * child_complexity")]
    async fn follow_ups(&self, ctx: &Context<'_>) -> Result<Vec<super::leads::FollowUp>> {
        let rows =
            super::loaders::children::<crate::domain::records::Lead, entity::lead_follow_up::Entity>(ctx, self.0.id)
                .await?;
        Ok(rows.into_iter().map(super::leads::FollowUp).collect())
    }
}

#[derive(Clone)]
pub struct Delivery(pub delivery::Model);

#[Object]
impl Delivery {
    pub(crate) async fn id(&self) -> ID {
        ids::global(Kind::Delivery, self.0.id)
    }
    /// Whom the record is about: the customer, whom to call.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        customer_of(ctx, self.0.customer_id).await
    }
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        store_of(ctx, self.0.store_id).await
    }
    async fn vehicle(&self, ctx: &Context<'_>) -> Result<Option<Vehicle>> {
        vehicle_of(ctx, Some(self.0.vehicle_id)).await
    }
    async fn consultant(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        staff_of(ctx, self.0.consultant_id).await
    }
    async fn delivered_on(&self) -> NaiveDate {
        self.0.delivered_on
    }
    /// Price in yuan.
    async fn price(&self) -> Decimal {
        yuan(self.0.price_cents)
    }
    async fn payment(&self) -> PaymentMethod {
        self.0.payment.into()
    }
}

#[derive(InputObject)]
pub struct NewLeadInput {
    customer_id: ID,
    grade: LeadGrade,
    intended_model: Option<String>,
    /// Budget in yuan.
    budget: Option<Decimal>,
    channel: Option<String>,
    /// Unless given: the cadence's next follow-up, or for a lead a manager takes in
    /// (reception) the first-response deadline.
    next_follow_up_at: Option<DateTime<Utc>>,
    /// A manager may give the lead to a consultant of the store; none: the pool.
    owner_id: Option<ID>,
}

/// Corrects what the prospect wants; the grade changes with a follow-up
/// (`recordFollowUp`), the outcome with `winLead` / `defeatLead`.
#[derive(InputObject)]
pub struct LeadUpdateInput {
    intended_model: Option<String>,
    /// Budget in yuan.
    budget: Option<Decimal>,
    channel: Option<String>,
}

/// Yuan with at most two decimals to fen.
pub(crate) fn cents(field: &str, amount: Decimal) -> Result<i64, AppError> {
    let fen = amount * Decimal::ONE_HUNDRED;
    if fen.fract() != Decimal::ZERO {
        return Err(AppError::bad_input(field, "amounts have at most two decimals"));
    }
    i64::try_from(fen).map_err(|_| AppError::bad_input(field, "amount out of range"))
}

#[derive(Default)]
pub struct SalesMutation;

#[Object]
impl SalesMutation {
    /// A new lead of the caller's store, owned by the caller.
    async fn create_lead(&self, ctx: &Context<'_>, input: NewLeadInput) -> Result<Lead> {
        let scope = scope(ctx)?;
        let customer_id = ids::required(Kind::Customer, &input.customer_id, "customer")?;
        let new = domain::sales::NewLead {
            customer_id,
            grade: input.grade.into(),
            intended_model: input.intended_model,
            budget_cents: input.budget.map(|b| cents("budget", b)).transpose()?,
            channel: input.channel,
            next_follow_up_at: input.next_follow_up_at,
            owner_id: ids::filter_arg("ownerId", Kind::Staff, input.owner_id)?,
        };
        Ok(Lead(domain::sales::create(db(ctx), scope, meta(ctx), new).await?))
    }

    /// Corrects an open lead's intended model, budget or channel.
    async fn update_lead(&self, ctx: &Context<'_>, id: ID, input: LeadUpdateInput) -> Result<Lead> {
        let scope = scope(ctx)?;
        let id = ids::required(Kind::Lead, &id, "lead")?;
        let change = domain::sales::LeadChange {
            intended_model: input.intended_model,
            budget_cents: input.budget.map(|b| cents("budget", b)).transpose()?,
            channel: input.channel,
        };
        Ok(Lead(domain::sales::update(db(ctx), scope, meta(ctx), id, change).await?))
    }
}

/// How lead lists are sorted (then by id).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "domain::sales::LeadSort")]
pub enum LeadSort {
    #[default]
    CreatedAt,
    Id,
}

#[derive(InputObject, Default)]
pub struct LeadFilter {
    store_id: Option<ID>,
    status: Option<LeadStatus>,
    grade: Option<LeadGrade>,
    owner_id: Option<ID>,
}

impl LeadFilter {
    fn into_domain(self) -> Result<domain::sales::LeadFilter, AppError> {
        Ok(domain::sales::LeadFilter {
            store_id: ids::filter_arg("storeId", Kind::Store, self.store_id)?,
            status: self.status.map(Into::into),
            grade: self.grade.map(Into::into),
            owner_id: ids::filter_arg("ownerId", Kind::Staff, self.owner_id)?,
        })
    }
}

#[derive(Default)]
pub struct SalesQuery;

#[Object]
impl SalesQuery {
    /// Leads the caller may read, Relay style; newest first unless `descending: false`.
    #[graphql(complexity = "first.or(last).unwrap_or(20).max(0) as usize * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeadFilter>,
        sort: Option<LeadSort>,
        descending: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<KeyCursor, Lead, EmptyFields, EmptyFields>> {
        let filter = filter.map(LeadFilter::into_domain).transpose()?.unwrap_or_default();
        let window = Window { descending, first, after, last, before };
        let sort: domain::sales::LeadSort = sort.unwrap_or_default().into();
        list::<lead::Entity, _, _, _>(ctx, &filter, sort, true, window, Lead).await
    }
}
