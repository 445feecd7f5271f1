//! Parts and accessories: orders at the parts counter.

use async_graphql::{Context, ID, Object, Result};
use chrono::NaiveDate;
use entity::parts_order;
use rust_decimal::Decimal;

use super::customers::Customer;
use super::ids::{self, Kind};
use super::links::{customer_of, store_of, vehicle_of};
use super::org::Store;
use super::vehicles::Vehicle;
use super::yuan;

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
