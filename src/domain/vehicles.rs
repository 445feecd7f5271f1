//! Finding vehicles.

use entity::vehicle;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};

use super::access::{Action, Resource};
use super::keyset::SortValue;
use super::listing::ListFilter;
use super::records::Scoped;
use super::{Scope, normalize};
use crate::error::AppResult;

/// The vehicle with this VIN (any case), if the caller may see it.
pub async fn by_vin(db: &DatabaseConnection, scope: &Scope, vin: &str) -> AppResult<Option<vehicle::Model>> {
    scope.require(Resource::Vehicle, Action::Read)?;
    Ok(vehicle::Entity::restrict(vehicle::Entity::find(), scope)
        .filter(vehicle::Column::Vin.eq(normalize::vin(vin)))
        .one(db)
        .await?)
}

/// The vehicle with this plate (any case, spaces or middle dot), if the caller may see it.
pub async fn by_plate(db: &DatabaseConnection, scope: &Scope, plate: &str) -> AppResult<Option<vehicle::Model>> {
    scope.require(Resource::Vehicle, Action::Read)?;
    Ok(vehicle::Entity::restrict(vehicle::Entity::find(), scope)
        .filter(vehicle::Column::PlateNormalized.eq(normalize::plate(plate)))
        .one(db)
        .await?)
}

/// Narrows a vehicle list; all given conditions must hold.
#[derive(Debug, Default)]
pub struct VehicleFilter {
    pub brand: Option<String>,
    pub model: Option<String>,
    /// Vehicles sold by this store.
    pub selling_store_id: Option<i32>,
}

impl ListFilter<vehicle::Entity> for VehicleFilter {
    fn condition(&self, _scope: &Scope) -> Condition {
        Condition::all()
            .add_option(self.brand.as_deref().map(|brand| vehicle::Column::Brand.eq(brand.trim())))
            .add_option(self.model.as_deref().map(|model| vehicle::Column::Model.eq(model.trim())))
            .add_option(self.selling_store_id.map(|id| vehicle::Column::SellingStoreId.eq(id)))
    }
}

/// How vehicle lists are sorted (then by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VehicleSort {
    #[default]
    Id,
    Vin,
}

crate::sort_key!(VehicleSort, vehicle::Entity,
    Id => "id", Id, |r| SortValue::Int(r.id.into());
    Vin => "vin", Vin, |r| SortValue::Text(r.vin.clone());
);
