//! Department records: sales leads and deliveries, repair orders, insurance policies,
//! parts orders.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{delivery, insurance_policy, lead, parts_order, repair_order, staff, store, vehicle};
use rust_decimal::Decimal;

use super::enums::{LeadGrade, LeadStatus, PaymentMethod, RepairKind};
use super::org::{Staff, Store};
use super::vehicles::Vehicle;
use super::{loaders, yuan};

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
