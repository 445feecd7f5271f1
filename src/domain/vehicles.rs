//! Finding vehicles.

use entity::vehicle;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::records::Scoped;
use super::{Scope, normalize};
use crate::error::AppResult;

/// The vehicle with this VIN (any case), if the caller may see it.
pub async fn by_vin(db: &DatabaseConnection, scope: &Scope, vin: &str) -> AppResult<Option<vehicle::Model>> {
    Ok(vehicle::Entity::restrict(vehicle::Entity::find(), scope)
        .filter(vehicle::Column::Vin.eq(normalize::vin(vin)))
        .one(db)
        .await?)
}

/// The vehicle with this plate (any case, spaces or middle dot), if the caller may see it.
pub async fn by_plate(db: &DatabaseConnection, scope: &Scope, plate: &str) -> AppResult<Option<vehicle::Model>> {
    Ok(vehicle::Entity::restrict(vehicle::Entity::find(), scope)
        .filter(vehicle::Column::PlateNormalized.eq(normalize::plate(plate)))
        .one(db)
        .await?)
}
