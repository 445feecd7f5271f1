//! Logging in and turning a bearer token into an `Actor`.

use chrono::{DateTime, Utc};
use entity::staff;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::auth::{Actor, TokenKeys, password};
use crate::error::{AppError, AppResult};

pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub staff: staff::Model,
}

/// Checks the password of an active account and issues a token. An unknown user, a
/// disabled one and a wrong password all get the same error after the same work.
pub async fn login(db: &DatabaseConnection, keys: &TokenKeys, username: &str, pass: &str) -> AppResult<Session> {
    let found = staff::Entity::find().filter(staff::Column::Username.eq(username.trim())).one(db).await?;
    let hash = found.as_ref().map(|s| s.password_hash.clone());
    let pass = pass.to_owned();
    let verified = tokio::task::spawn_blocking(move || password::verify(&pass, hash.as_deref()))
        .await
        .map_err(AppError::internal)?;
    match found {
        Some(staff) if verified && staff.active => {
            let (token, claims) = keys.issue(&staff, Utc::now());
            let expires_at = DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now);
            Ok(Session { token, expires_at, staff })
        }
        _ => Err(AppError::BadCredentials),
    }
}

/// Validates a bearer token and loads the staff member it names; refuses tokens of
/// disabled or deleted accounts at once.
pub async fn authenticate(db: &DatabaseConnection, keys: &TokenKeys, token: &str) -> AppResult<Actor> {
    let claims = keys.decode(token).ok_or(AppError::Unauthenticated)?;
    let staff_id: i32 = claims.sub.parse().map_err(|_| AppError::Unauthenticated)?;
    let staff =
        staff::Entity::find_by_id(staff_id).one(db).await?.filter(|s| s.active).ok_or(AppError::Unauthenticated)?;
    Ok(Actor::from_staff(&staff, claims.jti))
}
