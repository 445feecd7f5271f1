//! Finding customers: by id, by phone, and page by page.

use chrono::Utc;
use entity::{contact_point, customer, customer_tag, enums::ContactKind};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};

use super::access::{Action, Resource};
use super::audit::{self, Entry, RequestMeta};
use super::{Scope, normalize};
use crate::error::{AppError, AppResult};

/// Merged customers forward to their survivor; a chain is followed a few hops at most.
const MAX_MERGE_HOPS: usize = 8;

/// The customer with this id (or the survivor it was merged into), if the caller may
/// see it. Out of scope and nonexistent look the same: `None`.
pub async fn by_id<C: ConnectionTrait>(db: &C, scope: &Scope, id: i32) -> AppResult<Option<customer::Model>> {
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
    after: Option<i64>,
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

/// Personal data of a customer, unmasked.
pub struct PersonalData {
    pub customer: customer::Model,
    pub contacts: Vec<contact_point::Model>,
}

/// Reveals a visible customer's personal data for a stated purpose, and audits it.
pub async fn reveal(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
    purpose: &str,
) -> AppResult<PersonalData> {
    scope.require(Resource::PersonalData, Action::Read)?;
    let purpose = purpose.trim();
    if purpose.chars().count() < 4 {
        return Err(AppError::bad_input("purpose", "say why you need the unmasked data (at least 4 characters)"));
    }
    let txn = db.begin().await?;
    let customer = by_id(&txn, scope, id).await?.ok_or(AppError::NotFound("customer"))?;
    let contacts = contact_point::Entity::find()
        .filter(contact_point::Column::CustomerId.eq(customer.id))
        .order_by_desc(contact_point::Column::IsPrimary)
        .order_by_asc(contact_point::Column::Id)
        .all(&txn)
        .await?;
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("REVEAL", "customer", [customer.id as i64])
            .fields(vec!["phones", "idNumber", "address", "birthday"])
            .purpose(purpose),
    )
    .await?;
    txn.commit().await?;
    Ok(PersonalData { customer, contacts })
}

/// Changes to a customer's profile; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ProfileChange {
    pub notes: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// Updates a customer's profile if the caller may, and only if nobody changed the
/// record since the caller read `expected_version`.
pub async fn update_profile(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
    expected_version: i32,
    change: ProfileChange,
) -> AppResult<customer::Model> {
    let reach = scope.require(Resource::Customer, Action::Update)?;
    let mut fields = Vec::new();
    let tags = match change.tags {
        Some(tags) => {
            let mut clean: Vec<String> = tags.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
            clean.sort();
            clean.dedup();
            if let Some(long) = clean.iter().find(|t| t.chars().count() > 32) {
                return Err(AppError::bad_input("tags", format!("tag `{long}` is longer than 32 characters")));
            }
            if clean.len() > 20 {
                return Err(AppError::bad_input("tags", "at most 20 tags"));
            }
            fields.push("tags");
            Some(clean)
        }
        None => None,
    };
    let txn = db.begin().await?;
    let visible = customer::Entity::find_by_id(id)
        .filter(customer::Column::MergedInto.is_null())
        .filter(scope.customer_condition_for(reach, customer::Column::Id));
    let current = visible.one(&txn).await?.ok_or(AppError::NotFound("customer"))?;
    let mut update = customer::Entity::update_many()
        .col_expr(customer::Column::Version, Expr::col(customer::Column::Version).add(1))
        .col_expr(customer::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(customer::Column::Id.eq(current.id))
        .filter(customer::Column::Version.eq(expected_version));
    if let Some(notes) = change.notes {
        update = update
            .col_expr(customer::Column::Notes, Expr::value(Some(notes.trim().to_owned()).filter(|n| !n.is_empty())));
        fields.push("notes");
    }
    if let Some(address) = change.address {
        update = update.col_expr(
            customer::Column::Address,
            Expr::value(Some(address.trim().to_owned()).filter(|a| !a.is_empty())),
        );
        fields.push("address");
    }
    if let Some(city) = change.city {
        update = update
            .col_expr(customer::Column::City, Expr::value(Some(city.trim().to_owned()).filter(|c| !c.is_empty())));
        fields.push("city");
    }
    if fields.is_empty() {
        return Err(AppError::bad_input("input", "nothing to change"));
    }
    if update.exec(&txn).await?.rows_affected == 0 {
        return Err(AppError::Conflict(format!(
            "customer {} was changed by someone else (now version {}); reload and try again",
            current.id, current.version
        )));
    }
    if let Some(tags) = tags {
        customer_tag::Entity::delete_many().filter(customer_tag::Column::CustomerId.eq(current.id)).exec(&txn).await?;
        if !tags.is_empty() {
            customer_tag::Entity::insert_many(tags.into_iter().map(|tag| customer_tag::ActiveModel {
                customer_id: Set(current.id),
                tag: Set(tag),
                ..Default::default()
            }))
            .exec_without_returning(&txn)
            .await?;
        }
    }
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("UPDATE_CUSTOMER", "customer", [current.id as i64]).fields(fields),
    )
    .await?;
    let updated = customer::Entity::find_by_id(current.id).one(&txn).await?.ok_or(AppError::NotFound("customer"))?;
    txn.commit().await?;
    Ok(updated)
}
