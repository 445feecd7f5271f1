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
