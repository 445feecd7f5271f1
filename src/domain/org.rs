//! Stores and staff.

use entity::{staff, store};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use crate::error::AppResult;

pub async fn stores(db: &DatabaseConnection) -> AppResult<Vec<store::Model>> {
    Ok(store::Entity::find().order_by_asc(store::Column::Code).all(db).await?)
}

pub async fn staff(db: &DatabaseConnection, id: i32) -> AppResult<Option<staff::Model>> {
    Ok(staff::Entity::find_by_id(id).one(db).await?)
}

/// One store by id: organisation data, which every role reads.
pub async fn store(db: &DatabaseConnection, id: i32) -> AppResult<Option<store::Model>> {
    Ok(store::Entity::find_by_id(id).one(db).await?)
}
