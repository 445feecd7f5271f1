//! Finding customers: by id, by phone, and page by page.

use entity::{contact_point, customer, enums::ContactKind};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{Scope, normalize};
use crate::error::AppResult;

/// Merged customers forward to their survivor; a chain is followed a few hops at most.
const MAX_MERGE_HOPS: usize = 8;

/// The customer with this id (or the survivor it was merged into), if the caller may
/// see it. Out of scope and nonexistent look the same: `None`.
pub async fn by_id(db: &DatabaseConnection, scope: &Scope, id: i32) -> AppResult<Option<customer::Model>> {
    let mut id = id;
    for _ in 0..MAX_MERGE_HOPS {
        let Some(found) = scope.customers(customer::Entity::find_by_id(id)).one(db).await? else {
            return Ok(None);
        };
        match found.merged_into {
            Some(survivor) => id = survivor,
            None => return Ok(Some(found)),
        }
    }
    Ok(None)
}

/// The customer a phone number belongs to, however it was typed. When several customers
/// share the number (a family), the one holding it as primary contact comes first.
pub async fn by_phone(db: &DatabaseConnection, scope: &Scope, phone: &str) -> AppResult<Option<customer::Model>> {
    let normalized = normalize::mobile(phone).unwrap_or_else(|_| phone.trim().to_owned());
    let holders: Vec<i32> = contact_point::Entity::find()
        .select_only()
        .column(contact_point::Column::CustomerId)
        .filter(contact_point::Column::Kind.eq(ContactKind::Phone))
        .filter(contact_point::Column::Normalized.eq(normalized))
        .filter(scope.customer_condition(contact_point::Column::CustomerId))
        .order_by_desc(contact_point::Column::IsPrimary)
        .order_by_asc(contact_point::Column::CustomerId)
        .into_tuple()
        .all(db)
        .await?;
    for holder in holders {
        if let Some(found) = by_id(db, scope, holder).await? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// One page of live (not merged) customers in id order, after `after`; fetches one row
/// more than asked so the caller knows whether another page follows.
pub async fn page(
    db: &DatabaseConnection,
    scope: &Scope,
    after: Option<i32>,
    limit: u64,
) -> AppResult<(Vec<customer::Model>, bool)> {
    let mut select = scope.customers(customer::Entity::find()).filter(customer::Column::MergedInto.is_null());
    if let Some(after) = after {
        select = select.filter(customer::Column::Id.gt(after));
    }
    let mut rows = select.order_by_asc(customer::Column::Id).limit(limit + 1).all(db).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}
