//! Vehicles and who held them.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::NaiveDate;
use entity::{customer, repair_order, store, vehicle, vehicle_ownership};

use super::customers::{Customer, LIST_COST};
use super::enums::OwnershipRole;
use super::ids::{self, Kind};
use super::org::Store;
use super::pagination::{KeyCursor, Window, list};
use super::service::RepairOrder;
use super::{db, loaders, scope};
use crate::domain::limits;
use crate::domain::{self, records::Vehicle as ByVehicle};
use crate::error::AppError;

#[derive(Clone)]
pub struct Vehicle(pub vehicle::Model);

#[Object]
impl Vehicle {
    pub(crate) async fn id(&self) -> ID {
        ids::global(Kind::Vehicle, self.0.id)
    }
    async fn vin(&self) -> &str {
        &self.0.vin
    }
    /// As displayed, e.g. 浙A·12345.
    async fn plate(&self) -> Option<&str> {
        self.0.plate.as_deref()
    }
    async fn brand(&self) -> &str {
        &self.0.brand
    }
    async fn model(&self) -> &str {
        &self.0.model
    }
    async fn model_year(&self) -> Option<i32> {
        self.0.model_year
    }
    async fn colour(&self) -> Option<&str> {
        self.0.colour.as_deref()
    }
    async fn purchase_date(&self) -> Option<NaiveDate> {
        self.0.purchase_date
    }
    async fn last_mileage(&self) -> Option<i32> {
        self.0.last_mileage
    }
    async fn selling_store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        let Some(id) = self.0.selling_store_id else { return Ok(None) };
        Ok(loaders::one::<store::Entity>(ctx, id).await?.map(Store))
    }
    /// Everyone who owned, drove or leased this vehicle, oldest first.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn ownership_history(&self, ctx: &Context<'_>) -> Result<Vec<VehicleOwnership>> {
        let rows = loaders::children::<ByVehicle, vehicle_ownership::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(VehicleOwnership).collect())
    }
    /// Service history of this vehicle, oldest first.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn repair_orders(&self, ctx: &Context<'_>) -> Result<Vec<RepairOrder>> {
        let rows = loaders::children::<ByVehicle, repair_order::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(RepairOrder).collect())
    }
}

pub struct VehicleOwnership(pub vehicle_ownership::Model);

#[Object]
impl VehicleOwnership {
    async fn role(&self) -> OwnershipRole {
        self.0.role.into()
    }
    async fn from(&self) -> NaiveDate {
        self.0.from_date
    }
    /// Null while current.
    async fn to(&self) -> Option<NaiveDate> {
        self.0.to_date
    }
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        loaders::one::<customer::Entity>(ctx, self.0.customer_id)
            .await?
            .map(|c| Customer::of(ctx, c))
            .transpose()
            .map_err(Into::into)
    }
}

/// How vehicle lists are sorted (then by id).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "domain::vehicles::VehicleSort")]
pub enum VehicleSort {
    #[default]
    Id,
    Vin,
}

#[derive(InputObject, Default)]
pub struct VehicleFilter {
    brand: Option<String>,
    model: Option<String>,
    /// Vehicles sold by this store.
    selling_store_id: Option<ID>,
}

impl VehicleFilter {
    fn into_domain(self) -> Result<domain::vehicles::VehicleFilter, AppError> {
        Ok(domain::vehicles::VehicleFilter {
            brand: self.brand,
            model: self.model,
            selling_store_id: ids::filter_arg("sellingStoreId", Kind::Store, self.selling_store_id)?,
        })
    }
}

#[derive(Default)]
pub struct VehicleQuery;

#[Object]
impl VehicleQuery {
    /// Vehicles the caller may see, Relay style.
    #[graphql(complexity = "first.or(last).unwrap_or(20).max(0) as usize * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn vehicles(
        &self,
        ctx: &Context<'_>,
        filter: Option<VehicleFilter>,
        sort: Option<VehicleSort>,
        descending: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<KeyCursor, Vehicle, EmptyFields, EmptyFields>> {
        let filter = filter.map(VehicleFilter::into_domain).transpose()?.unwrap_or_default();
        let window = Window { descending, first, after, last, before };
        let sort: domain::vehicles::VehicleSort = sort.unwrap_or_default().into();
        list::<vehicle::Entity, _, _, _>(ctx, &filter, sort, false, window, Vehicle).await
    }

    /// A vehicle by VIN, in any case. Null when not found.
    async fn vehicle(&self, ctx: &Context<'_>, vin: String) -> Result<Option<Vehicle>> {
        let scope = scope(ctx)?;
        limits::check("vin", &vin, limits::SEARCH)?;
        Ok(domain::vehicles::by_vin(db(ctx), scope, &vin).await?.map(Vehicle))
    }

    /// A vehicle by plate, typed in any case, with or without spaces and middle dot.
    async fn vehicle_by_plate(&self, ctx: &Context<'_>, plate: String) -> Result<Option<Vehicle>> {
        let scope = scope(ctx)?;
        limits::check("plate", &plate, limits::SEARCH)?;
        Ok(domain::vehicles::by_plate(db(ctx), scope, &plate).await?.map(Vehicle))
    }
}
