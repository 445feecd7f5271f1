//! Department records: sales leads and deliveries, repair orders, insurance policies,
//! parts orders.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{delivery, insurance_policy, lead, parts_order, repair_order, staff, store, vehicle};
use rust_decimal::Decimal;

use super::enums::{LeadGrade, LeadStatus, PaymentMethod, RepairKind};
use super::org::{Staff, Store};
use super::pagination::{KeyCursor, connection, page_args};
use super::vehicles::Vehicle;
use super::{db, loaders, meta, parse_id, scope, yuan};
use crate::domain;
use crate::domain::access::{Action, Resource};
use crate::domain::keyset::{Key, SortValue};
use crate::domain::limits;
use crate::domain::records;
use crate::error::AppError;
use sea_orm::{ColumnTrait, Condition};

async fn store_of(ctx: &Context<'_>, id: i32) -> Result<Option<Store>> {
    Ok(loaders::one::<store::Entity>(ctx, id).await?.map(Store))
}

async fn staff_of(ctx: &Context<'_>, id: Option<i32>) -> Result<Option<Staff>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loaders::one::<staff::Entity>(ctx, id).await?.map(Staff))
}

async fn vehicle_of(ctx: &Context<'_>, id: Option<i32>) -> Result<Option<Vehicle>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loaders::one::<vehicle::Entity>(ctx, id).await?.map(Vehicle))
}

pub struct Lead(pub lead::Model);

#[Object]
impl Lead {
    async fn id(&self) -> ID {
        self.0.id.into()
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

pub struct Delivery(pub delivery::Model);

#[Object]
impl Delivery {
    async fn id(&self) -> ID {
        self.0.id.into()
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

pub struct RepairOrder(pub repair_order::Model);

#[Object]
impl RepairOrder {
    async fn id(&self) -> ID {
        self.0.id.into()
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

pub struct InsurancePolicy(pub insurance_policy::Model);

#[Object]
impl InsurancePolicy {
    async fn id(&self) -> ID {
        self.0.id.into()
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
        self.0.renewal_of.map(Into::into)
    }
}

pub struct PartsOrder(pub parts_order::Model);

#[Object]
impl PartsOrder {
    async fn id(&self) -> ID {
        self.0.id.into()
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
        let customer_id = parse_id(&input.customer_id).ok_or(AppError::NotFound("customer"))?;
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
        let id = parse_id(&id).ok_or(AppError::NotFound("lead"))?;
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
        let id = parse_id(&id).ok_or(AppError::NotFound("lead"))?;
        limits::check("storeCode", &store_code, limits::FIELD)?;
        Ok(Lead(domain::sales::share(db(ctx), scope, meta(ctx), id, &store_code).await?))
    }
}

/// How lead lists are sorted (then by id).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
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

/// How repair-order lists are sorted (then by id).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
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

/// How policy lists are sorted (then by id).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
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

fn id_of(field: &str, id: Option<ID>) -> Result<Option<i32>, AppError> {
    id.map(|id| super::parse_id_str(&id).ok_or_else(|| AppError::bad_input(field, "not an id"))).transpose()
}

fn key(sort: &str, v: SortValue, id: i32) -> Key {
    Key { s: sort.to_owned(), v, i: id.into() }
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
        let scope = scope(ctx)?;
        scope.require(Resource::Lead, Action::Read)?;
        let args = page_args(first, after, last, before)?;
        let sort = sort.unwrap_or_default();
        let descending = descending.unwrap_or(true);
        let f = filter.unwrap_or_default();
        let mut cond = Condition::all();
        if let Some(store) = id_of("storeId", f.store_id)? {
            cond = cond.add(lead::Column::StoreId.eq(store));
        }
        if let Some(status) = f.status {
            cond = cond.add(lead::Column::Status.eq(entity::enums::LeadStatus::from(status)));
        }
        if let Some(grade) = f.grade {
            cond = cond.add(lead::Column::Grade.eq(entity::enums::LeadGrade::from(grade)));
        }
        if let Some(owner) = id_of("ownerId", f.owner_id)? {
            cond = cond.add(lead::Column::OwnerId.eq(owner));
        }
        let (name, col) = match sort {
            LeadSort::CreatedAt => ("createdAt", lead::Column::CreatedAt),
            LeadSort::Id => ("id", lead::Column::Id),
        };
        let page =
            records::list::<lead::Entity>(db(ctx), scope, cond, (name, col), lead::Column::Id, descending, &args)
                .await?;
        Ok(connection(
            page,
            |r| match sort {
                LeadSort::CreatedAt => key(name, SortValue::Time(r.created_at), r.id),
                LeadSort::Id => key(name, SortValue::Int(r.id.into()), r.id),
            },
            Lead,
        ))
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
        let scope = scope(ctx)?;
        scope.require(Resource::RepairOrder, Action::Read)?;
        let args = page_args(first, after, last, before)?;
        let sort = sort.unwrap_or_default();
        let descending = descending.unwrap_or(true);
        let f = filter.unwrap_or_default();
        let mut cond = Condition::all();
        if let Some(store) = id_of("storeId", f.store_id)? {
            cond = cond.add(repair_order::Column::StoreId.eq(store));
        }
        if let Some(kind) = f.kind {
            cond = cond.add(repair_order::Column::Kind.eq(entity::enums::RepairKind::from(kind)));
        }
        if let Some(from) = f.opened_from {
            cond = cond.add(repair_order::Column::OpenedAt.gte(from));
        }
        if let Some(to) = f.opened_to {
            cond = cond.add(repair_order::Column::OpenedAt.lt(to));
        }
        let (name, col) = match sort {
            RepairOrderSort::OpenedAt => ("openedAt", repair_order::Column::OpenedAt),
            RepairOrderSort::Id => ("id", repair_order::Column::Id),
        };
        let page = records::list::<repair_order::Entity>(
            db(ctx),
            scope,
            cond,
            (name, col),
            repair_order::Column::Id,
            descending,
            &args,
        )
        .await?;
        Ok(connection(
            page,
            |r| match sort {
                RepairOrderSort::OpenedAt => key(name, SortValue::Time(r.opened_at), r.id),
                RepairOrderSort::Id => key(name, SortValue::Int(r.id.into()), r.id),
            },
            RepairOrder,
        ))
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
        let scope = scope(ctx)?;
        scope.require(Resource::InsurancePolicy, Action::Read)?;
        let args = page_args(first, after, last, before)?;
        let sort = sort.unwrap_or_default();
        let descending = descending.unwrap_or(false);
        let f = filter.unwrap_or_default();
        let mut cond = Condition::all();
        if let Some(store) = id_of("storeId", f.store_id)? {
            cond = cond.add(insurance_policy::Column::StoreId.eq(store));
        }
        if let Some(from) = f.ends_from {
            cond = cond.add(insurance_policy::Column::EndsOn.gte(from));
        }
        if let Some(to) = f.ends_to {
            cond = cond.add(insurance_policy::Column::EndsOn.lte(to));
        }
        let (name, col) = match sort {
            InsurancePolicySort::EndsOn => ("endsOn", insurance_policy::Column::EndsOn),
            InsurancePolicySort::StartsOn => ("startsOn", insurance_policy::Column::StartsOn),
            InsurancePolicySort::Id => ("id", insurance_policy::Column::Id),
        };
        let page = records::list::<insurance_policy::Entity>(
            db(ctx),
            scope,
            cond,
            (name, col),
            insurance_policy::Column::Id,
            descending,
            &args,
        )
        .await?;
        Ok(connection(
            page,
            |r| match sort {
                InsurancePolicySort::EndsOn => key(name, SortValue::Date(r.ends_on), r.id),
                InsurancePolicySort::StartsOn => key(name, SortValue::Date(r.starts_on), r.id),
                InsurancePolicySort::Id => key(name, SortValue::Int(r.id.into()), r.id),
            },
            InsurancePolicy,
        ))
    }
}
