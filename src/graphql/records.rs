//! Department records: sales leads and deliveries, repair orders, insurance policies,
//! parts orders.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{customer, delivery, insurance_policy, lead, parts_order, repair_order, staff, store, vehicle};
use rust_decimal::Decimal;

use super::customers::Customer;
use super::enums::{LeadGrade, LeadStatus, PaymentMethod, RepairKind};
use super::ids::{self, Kind};
use super::org::{Staff, Store};
use super::pagination::{KeyCursor, Window, list};
use super::vehicles::Vehicle;
use super::{db, loaders, meta, scope, yuan};
use crate::domain;
use crate::domain::limits;
use crate::error::AppError;

async fn store_of(ctx: &Context<'_>, id: i32) -> Result<Option<Store>> {
    Ok(loaders::one::<store::Entity>(ctx, id).await?.map(Store))
}

async fn staff_of(ctx: &Context<'_>, id: Option<i32>) -> Result<Option<Staff>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loaders::one::<staff::Entity>(ctx, id).await?.map(Staff))
}

/// The customer a record belongs to, batched and scoped (null when out of scope).
async fn customer_of(ctx: &Context<'_>, id: i32) -> Result<Option<Customer>> {
    loaders::one::<customer::Entity>(ctx, id).await?.map(|c| Customer::of(ctx, c)).transpose().map_err(Into::into)
}

async fn vehicle_of(ctx: &Context<'_>, id: Option<i32>) -> Result<Option<Vehicle>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loaders::one::<vehicle::Entity>(ctx, id).await?.map(Vehicle))
}

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

#[derive(Clone)]
pub struct RepairOrder(pub repair_order::Model);

#[Object]
impl RepairOrder {
    pub(crate) async fn id(&self) -> ID {
        ids::global(Kind::RepairOrder, self.0.id)
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
    async fn advisor(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        staff_of(ctx, self.0.advisor_id).await
    }
    async fn kind(&self) -> RepairKind {
        self.0.kind.into()
    }
    async fn mileage(&self) -> Option<i32> {
        self.0.mileage
    }
    async fn opened_at(&self) -> DateTime<Utc> {
        self.0.opened_at
    }
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    /// Amount in yuan.
    async fn amount(&self) -> Decimal {
        yuan(self.0.amount_cents)
    }
}

#[derive(Clone)]
pub struct InsurancePolicy(pub insurance_policy::Model);

#[Object]
impl InsurancePolicy {
    pub(crate) async fn id(&self) -> ID {
        ids::global(Kind::InsurancePolicy, self.0.id)
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
    async fn insurer(&self) -> &str {
        &self.0.insurer
    }
    async fn coverage(&self) -> &str {
        &self.0.coverage
    }
    /// Premium in yuan.
    async fn premium(&self) -> Decimal {
        yuan(self.0.premium_cents)
    }
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    async fn ends_on(&self) -> NaiveDate {
        self.0.ends_on
    }
    /// The id of the policy this one renews, if it is a renewal.
    async fn renewal_of(&self) -> Option<ID> {
        self.0.renewal_of.map(|id| ids::global(Kind::InsurancePolicy, id))
    }
}

#[derive(Clone)]
pub struct PartsOrder(pub parts_order::Model);

#[Object]
impl PartsOrder {
    pub(crate) async fn id(&self) -> ID {
        ids::global(Kind::PartsOrder, self.0.id)
    }
    /// Whom the record is about: the customer, whom to call.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        customer_of(ctx, self.0.customer_id).await
    }
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        store_of(ctx, self.0.store_id).await
    }
    async fn vehicle(&self, ctx: &Context<'_>) -> Result<Option<Vehicle>> {
        vehicle_of(ctx, self.0.vehicle_id).await
    }
    /// Line items: `{ sku name quantity unitPrice }` as JSON.
    async fn items(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(self.0.items.clone())
    }
    /// Amount in yuan.
    async fn amount(&self) -> Decimal {
        yuan(self.0.amount_cents)
    }
    async fn ordered_on(&self) -> NaiveDate {
        self.0.ordered_on
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

/// How repair-order lists are sorted (then by id).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "domain::service::RepairOrderSort")]
pub enum RepairOrderSort {
    #[default]
    OpenedAt,
    Id,
}

#[derive(InputObject, Default)]
pub struct RepairOrderFilter {
    store_id: Option<ID>,
    kind: Option<RepairKind>,
    opened_from: Option<DateTime<Utc>>,
    opened_to: Option<DateTime<Utc>>,
}

impl RepairOrderFilter {
    fn into_domain(self) -> Result<domain::service::RepairOrderFilter, AppError> {
        Ok(domain::service::RepairOrderFilter {
            store_id: ids::filter_arg("storeId", Kind::Store, self.store_id)?,
            kind: self.kind.map(Into::into),
            opened_from: self.opened_from,
            opened_to: self.opened_to,
        })
    }
}

/// How policy lists are sorted (then by id).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "domain::insurance::InsurancePolicySort")]
pub enum InsurancePolicySort {
    #[default]
    EndsOn,
    StartsOn,
    Id,
}

#[derive(InputObject, Default)]
pub struct InsurancePolicyFilter {
    store_id: Option<ID>,
    /// Policies ending on or after this day (renewal lists) …
    ends_from: Option<NaiveDate>,
    /// … and on or before this day.
    ends_to: Option<NaiveDate>,
}

impl InsurancePolicyFilter {
    fn into_domain(self) -> Result<domain::insurance::InsurancePolicyFilter, AppError> {
        Ok(domain::insurance::InsurancePolicyFilter {
            store_id: ids::filter_arg("storeId", Kind::Store, self.store_id)?,
            ends_from: self.ends_from,
            ends_to: self.ends_to,
        })
    }
}

#[derive(Default)]
pub struct RecordQuery;

#[Object]
impl RecordQuery {
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

    /// Repair orders the caller may read, Relay style; newest first unless
    /// `descending: false`.
    #[graphql(complexity = "first.or(last).unwrap_or(20).max(0) as usize * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn repair_orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<RepairOrderFilter>,
        sort: Option<RepairOrderSort>,
        descending: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<KeyCursor, RepairOrder, EmptyFields, EmptyFields>> {
        let filter = filter.map(RepairOrderFilter::into_domain).transpose()?.unwrap_or_default();
        let window = Window { descending, first, after, last, before };
        let sort: domain::service::RepairOrderSort = sort.unwrap_or_default().into();
        list::<repair_order::Entity, _, _, _>(ctx, &filter, sort, true, window, RepairOrder).await
    }

    /// Insurance policies the caller may read, Relay style; by default the soonest
    /// ending first (renewal work).
    #[graphql(complexity = "first.or(last).unwrap_or(20).max(0) as usize * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn insurance_policies(
        &self,
        ctx: &Context<'_>,
        filter: Option<InsurancePolicyFilter>,
        sort: Option<InsurancePolicySort>,
        descending: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<KeyCursor, InsurancePolicy, EmptyFields, EmptyFields>> {
        let filter = filter.map(InsurancePolicyFilter::into_domain).transpose()?.unwrap_or_default();
        let window = Window { descending, first, after, last, before };
        let sort: domain::insurance::InsurancePolicySort = sort.unwrap_or_default().into();
        list::<insurance_policy::Entity, _, _, _>(ctx, &filter, sort, false, window, InsurancePolicy).await
    }
}
