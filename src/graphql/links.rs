//! The objects a department record points to — its customer, store, staff and vehicle —
//! each through the per-request loaders, so they are batched and scoped like every
//! other read.

use async_graphql::{Context, Result};
use entity::{customer, staff, store, vehicle};

use super::customers::Customer;
use super::loaders;
use super::org::{Staff, Store};
use super::vehicles::Vehicle;

pub(crate) async fn store_of(ctx: &Context<'_>, id: i32) -> Result<Option<Store>> {
    Ok(loaders::one::<store::Entity>(ctx, id).await?.map(Store))
}

pub(crate) async fn staff_of(ctx: &Context<'_>, id: Option<i32>) -> Result<Option<Staff>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loaders::one::<staff::Entity>(ctx, id).await?.map(Staff))
}

/// The customer a record belongs to, batched and scoped (null when out of scope).
pub(crate) async fn customer_of(ctx: &Context<'_>, id: i32) -> Result<Option<Customer>> {
    Ok(loaders::one::<customer::Entity>(ctx, id).await?.map(|c| Customer::of(ctx, c)).transpose()?)
}

pub(crate) async fn vehicle_of(ctx: &Context<'_>, id: Option<i32>) -> Result<Option<Vehicle>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loaders::one::<vehicle::Entity>(ctx, id).await?.map(Vehicle))
}
