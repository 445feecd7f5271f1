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
use crate::domain::limits;
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
    next_follow_up_at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct LeadUpdateInput {
    grade: Option<LeadGrade>,
    status: Option<LeadStatus>,
    /// Required when the status becomes DEFEATED.
    defeat_reason: Option<String>,
    next_follow_up_at: Option<DateTime<Utc>>,
}

/// Yuan with at most two decimals to fen.
fn cents(field: &str, amount: Decimal) -> Result<i64, AppError> {
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
        };
        Ok(Lead(domain::sales::create(db(ctx), scope, meta(ctx), new).await?))
    }

    /// Records a follow-up on a lead: grade, status, defeat reason, next follow-up.
    async fn update_lead(&self, ctx: &Context<'_>, id: ID, input: LeadUpdateInput) -> Result<Lead> {
        let scope = scope(ctx)?;
        let id = ids::required(Kind::Lead, &id, "lead")?;
        let change = domain::sales::LeadChange {
            grade: input.grade.map(Into::into),
            status: input.status.map(Into::into),
            defeat_reason: input.defeat_reason,
            next_follow_up_at: input.next_follow_up_at,
        };
        Ok(Lead(domain::sales::update(db(ctx), scope, meta(ctx), id, change).await?))
    }

    /// Shares a lead with a partner store, which then sees the lead and its customer.
    async fn share_lead(&self, ctx: &Context<'_>, id: ID, store_code: String) -> Result<Lead> {
        let scope = scope(ctx)?;
        let id = ids::required(Kind::Lead, &id, "lead")?;
        limits::check("storeCode", &store_code, limits::FIELD)?;
        Ok(Lead(domain::sales::share(db(ctx), scope, meta(ctx), id, &store_code).await?))
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
