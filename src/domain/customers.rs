//! Finding customers: by id, by phone, and page by page.

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{ContactKind, LeadGrade, LeadStatus, LifecycleStage, RelationshipStatus};
use entity::{
    contact_point, customer, customer_store, customer_tag, insurance_policy, lead, repair_order, vehicle,
    vehicle_ownership,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Select, Set,
};

use super::access::{Action, Resource};
use super::audit::{self, Entry, RequestMeta};
use super::bundle::Bundle;
use super::keyset::SortValue;
use super::listing::ListFilter;
use super::scope::Reach;
use super::{Scope, normalize};
use crate::error::{AppError, AppResult};

/// The customer with this id (or the survivor it was merged into), if the caller may
/// see it. Out of scope and nonexistent look the same: `None`.
pub async fn by_id<C: ConnectionTrait>(db: &C, scope: &Scope, id: i32) -> AppResult<Option<customer::Model>> {
    scope.require(Resource::Customer, Action::Read)?;
    // A merged record's relationships moved to its survivor, so the survivor is what the
    // caller's scope is checked against.
    let live = super::ingest::live_customer(db, id).await?;
    Ok(scope
        .customers(customer::Entity::find_by_id(live))
        .filter(customer::Column::MergedInto.is_null())
        .one(db)
        .await?)
}

/// The live customer with this id the caller may see, as a select (to run in a bundle
/// with what the answer shows of it); a merged-away id finds nothing here — `by_id`
/// follows it to its survivor.
pub fn live_by_id(scope: &Scope, id: i32) -> AppResult<Select<customer::Entity>> {
    scope.require(Resource::Customer, Action::Read)?;
    Ok(scope.customers(customer::Entity::find_by_id(id)).filter(customer::Column::MergedInto.is_null()))
}

/// The customer a phone number belongs to, however it was typed. When several customers
/// share the number (a family), the one holding it as primary contact comes first.
pub async fn by_phone(db: &DatabaseConnection, scope: &Scope, phone: &str) -> AppResult<Option<customer::Model>> {
    let lookup = PhoneLookup::new(scope, phone)?;
    let mut bundle = Bundle::new(db.get_database_backend());
    let (holders, live) = lookup.add_to(&mut bundle);
    let mut fetched = bundle.run(db).await?;
    pick_holder(db, scope, fetched.take(holders)?, fetched.take(live)?).await
}

/// The reads that find a phone's customer, as selects to run in a bundle (possibly with
/// the customer's related records): the phone's holders in scope, and those of them
/// that are live customers the caller may see.
pub struct PhoneLookup {
    pub holders: Select<contact_point::Entity>,
    pub live: Select<customer::Entity>,
}

impl PhoneLookup {
    pub fn new(scope: &Scope, phone: &str) -> AppResult<Self> {
        scope.require(Resource::Customer, Action::Read)?;
        let normalized = normalize::mobile(phone).unwrap_or_else(|_| phone.trim().to_owned());
        let holders = contact_point::Entity::find()
            .filter(contact_point::Column::Kind.eq(ContactKind::Phone))
            // The number as a one-value subquery (`bundle::one_value`): the 360 by phone
            // is one long statement.
            .filter(Expr::col(contact_point::Column::Normalized).eq(super::bundle::one_value(normalized)))
            .filter(scope.customer_condition(contact_point::Column::CustomerId));
        let live = scope.customers(customer::Entity::find()).filter(customer::Column::MergedInto.is_null()).filter(
            customer::Column::Id.in_subquery(super::bundle::ids_of(holders.clone(), contact_point::Column::CustomerId)),
        );
        Ok(Self { holders, live })
    }

    /// Adds both reads to `bundle`.
    pub fn add_to(
        &self,
        bundle: &mut Bundle,
    ) -> (super::bundle::Branch<contact_point::Entity>, super::bundle::Branch<customer::Entity>) {
        (
            bundle.add(self.holders.clone(), &[(contact_point::Column::Id, Order::Asc)]),
            bundle.add(self.live.clone(), &[(customer::Column::Id, Order::Asc)]),
        )
    }
}

/// The customer a phone lookup found: among the holders, the one holding the number as
/// primary contact first, then the lowest id; a holder merged away resolves to its
/// survivor.
pub async fn pick_holder(
    db: &DatabaseConnection,
    scope: &Scope,
    mut holders: Vec<contact_point::Model>,
    live: Vec<customer::Model>,
) -> AppResult<Option<customer::Model>> {
    holders.sort_by_key(|c| (!c.is_primary, c.customer_id));
    let mut ids: Vec<i32> = holders.iter().map(|c| c.customer_id).collect();
    ids.dedup();
    if let Some(found) = ids.iter().find_map(|id| live.iter().find(|c| c.id == *id)) {
        return Ok(Some(found.clone()));
    }
    first_visible(db, scope, ids).await
}

/// The first of `holders` (in order) that the caller may see, as a live customer.
async fn first_visible(
    db: &DatabaseConnection,
    scope: &Scope,
    holders: Vec<i32>,
) -> AppResult<Option<customer::Model>> {
    if holders.is_empty() {
        return Ok(None);
    }
    // Usually the holders are live customers: one scoped statement finds them all.
    let live = scope
        .customers(customer::Entity::find())
        .filter(customer::Column::MergedInto.is_null())
        .filter(customer::Column::Id.is_in(holders.iter().copied()))
        .all(db)
        .await?;
    if let Some(found) = holders.iter().find_map(|id| live.iter().find(|c| c.id == *id)) {
        return Ok(Some(found.clone()));
    }
    // Otherwise one may have been merged away: follow each to its survivor.
    for holder in holders {
        if let Some(found) = by_id(db, scope, holder).await? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The customer with this national ID or credit code, however typed.
pub async fn by_id_number(
    db: &DatabaseConnection,
    scope: &Scope,
    id_number: &str,
) -> AppResult<Option<customer::Model>> {
    scope.require(Resource::Customer, Action::Read)?;
    let normalized = normalize::national_id(id_number).unwrap_or_else(|_| id_number.trim().to_ascii_uppercase());
    let holders: Vec<i32> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .filter(customer::Column::IdNumberHash.eq(normalize::id_hash(&normalized)))
        .order_by_asc(customer::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    // Duplicates may share the number: the first the caller may see.
    first_visible(db, scope, holders).await
}

/// Sort orders of customer lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerSort {
    Id,
    Name,
    CreatedAt,
    UpdatedAt,
}

/// Filters of customer lists; every one narrows the list (AND). Filters on records
/// (leads, service, insurance) only look at records the caller may read.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    pub store_id: Option<i32>,
    pub relationship_status: Option<RelationshipStatus>,
    pub lead_grade: Option<LeadGrade>,
    pub lifecycle_stage: Option<LifecycleStage>,
    /// Customers carrying all of these tags.
    pub tags: Vec<String>,
    pub manager_id: Option<i32>,
    pub vehicle_brand: Option<String>,
    pub vehicle_model: Option<String>,
    /// Churn lists: the latest visible repair order opened before this instant.
    pub last_service_before: Option<DateTime<Utc>>,
    pub last_service_after: Option<DateTime<Utc>>,
    /// Renewal lists: a visible policy ending within [from, to].
    pub insurance_ends_from: Option<NaiveDate>,
    pub insurance_ends_to: Option<NaiveDate>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
}

fn customers_where(statement: sea_orm::sea_query::SelectStatement) -> Condition {
    Condition::all().add(customer::Column::Id.in_subquery(statement))
}

impl ListFilter<customer::Entity> for CustomerFilter {
    fn condition(&self, scope: &Scope) -> Condition {
        let mut cond = Condition::all();
        if self.store_id.is_some() || self.relationship_status.is_some() || self.manager_id.is_some() {
            let mut q = Query::select();
            q.column(customer_store::Column::CustomerId).from(customer_store::Entity);
            if let Some(store) = self.store_id {
                q.and_where(customer_store::Column::StoreId.eq(store));
            }
            if let Some(status) = self.relationship_status {
                q.and_where(customer_store::Column::Status.eq(status));
            }
            if let Some(manager) = self.manager_id {
                q.and_where(customer_store::Column::ManagerId.eq(manager));
            }
            cond = cond.add(customers_where(q.to_owned()));
        }
        if let Some(grade) = self.lead_grade {
            let visible = scope.store_record_condition(
                Resource::Lead,
                Action::Read,
                lead::Column::StoreId,
                lead::Column::CustomerId,
                Some(lead::Column::OwnerId),
            );
            let q = Query::select()
                .column(lead::Column::CustomerId)
                .from(lead::Entity)
                .and_where(lead::Column::Grade.eq(grade))
                .and_where(lead::Column::Status.eq(LeadStatus::Open))
                .cond_where(visible)
                .to_owned();
            cond = cond.add(customers_where(q));
        }
        if let Some(stage) = self.lifecycle_stage {
            cond = cond.add(customer::Column::LifecycleStage.eq(stage));
        }
        for tag in &self.tags {
            let q = Query::select()
                .column(customer_tag::Column::CustomerId)
                .from(customer_tag::Entity)
                .and_where(customer_tag::Column::Tag.eq(tag.trim()))
                .to_owned();
            cond = cond.add(customers_where(q));
        }
        if self.vehicle_brand.is_some() || self.vehicle_model.is_some() {
            if scope.reach(Resource::Vehicle, Action::Read) == Reach::Nothing {
                return cond.add(Expr::value(false));
            }
            let mut q = Query::select();
            q.column((vehicle_ownership::Entity, vehicle_ownership::Column::CustomerId))
                .from(vehicle_ownership::Entity)
                .inner_join(
                    vehicle::Entity,
                    Expr::col((vehicle::Entity, vehicle::Column::Id))
                        .equals((vehicle_ownership::Entity, vehicle_ownership::Column::VehicleId)),
                )
                .and_where(Expr::col((vehicle_ownership::Entity, vehicle_ownership::Column::ToDate)).is_null());
            if let Some(brand) = &self.vehicle_brand {
                q.and_where(Expr::col((vehicle::Entity, vehicle::Column::Brand)).eq(brand.trim()));
            }
            if let Some(model) = &self.vehicle_model {
                q.and_where(Expr::col((vehicle::Entity, vehicle::Column::Model)).eq(model.trim()));
            }
            cond = cond.add(customers_where(q.to_owned()));
        }
        if self.last_service_before.is_some() || self.last_service_after.is_some() {
            let visible = scope.store_record_condition(
                Resource::RepairOrder,
                Action::Read,
                repair_order::Column::StoreId,
                repair_order::Column::CustomerId,
                None,
            );
            let latest = Expr::col(repair_order::Column::OpenedAt).max();
            let mut having = Condition::all();
            if let Some(before) = self.last_service_before {
                having = having.add(latest.clone().lt(before));
            }
            if let Some(after) = self.last_service_after {
                having = having.add(latest.gte(after));
            }
            let q = Query::select()
                .column(repair_order::Column::CustomerId)
                .from(repair_order::Entity)
                .cond_where(visible)
                .group_by_col(repair_order::Column::CustomerId)
                .cond_having(having)
                .to_owned();
            cond = cond.add(customers_where(q));
        }
        if self.insurance_ends_from.is_some() || self.insurance_ends_to.is_some() {
            let visible = scope.store_record_condition(
                Resource::InsurancePolicy,
                Action::Read,
                insurance_policy::Column::StoreId,
                insurance_policy::Column::CustomerId,
                None,
            );
            let mut q = Query::select();
            q.column(insurance_policy::Column::CustomerId).from(insurance_policy::Entity).cond_where(visible);
            if let Some(from) = self.insurance_ends_from {
                q.and_where(insurance_policy::Column::EndsOn.gte(from));
            }
            if let Some(to) = self.insurance_ends_to {
                q.and_where(insurance_policy::Column::EndsOn.lte(to));
            }
            cond = cond.add(customers_where(q.to_owned()));
        }
        if let Some(from) = self.created_from {
            cond = cond.add(customer::Column::CreatedAt.gte(from));
        }
        if let Some(to) = self.created_to {
            cond = cond.add(customer::Column::CreatedAt.lt(to));
        }
        cond
    }
}

crate::sort_key!(CustomerSort, customer::Entity,
    Id => "id", Id, |r| SortValue::Int(r.id.into());
    Name => "name", Name, |r| SortValue::Text(r.name.clone());
    CreatedAt => "createdAt", CreatedAt, |r| SortValue::Time(r.created_at);
    UpdatedAt => "updatedAt", UpdatedAt, |r| SortValue::Time(r.updated_at);
);

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
    super::limits::check("purpose", purpose, super::limits::PURPOSE)?;
    let purpose = purpose.trim();
    if purpose.chars().count() < 4 {
        return Err(AppError::bad_input("purpose", "say why you need the unmasked data (at least 4 characters)"));
    }
    let txn = crate::db::begin_write(db).await?;
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
    {
        use super::limits::{ADDRESS, FIELD, NOTE, check, check_opt};
        check_opt("notes", change.notes.as_deref(), NOTE)?;
        check_opt("address", change.address.as_deref(), ADDRESS)?;
        check_opt("city", change.city.as_deref(), FIELD)?;
        let tags = change.tags.as_deref().unwrap_or_default();
        if tags.len() > 50 {
            return Err(AppError::bad_input("tags", "at most 50 tags"));
        }
        tags.iter().try_for_each(|tag| check("tags", tag, 50))?;
    }
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
    let txn = crate::db::begin_write(db).await?;
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
