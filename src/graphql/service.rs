//! After-sales service: repair orders.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::repair_order;
use rust_decimal::Decimal;

use super::customers::Customer;
use super::enums::RepairKind;
use super::ids::{self, Kind};
use super::links::{customer_of, staff_of, store_of, vehicle_of};
use super::org::{Staff, Store};
use super::pagination::{KeyCursor, Window, list};
use super::vehicles::Vehicle;
use super::yuan;
use crate::domain;
use crate::error::AppError;

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

#[derive(Default)]
pub struct ServiceQuery;

#[Object]
impl ServiceQuery {
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
}
