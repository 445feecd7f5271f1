//! The customer golden record and the ways to find it.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    contact_point, customer, customer_store, customer_tag, delivery, insurance_policy, lead, parts_order, repair_order,
    staff, store, vehicle, vehicle_ownership,
};

use super::enums::{ContactKind, CustomerKind, Gender, LifecycleStage, RelationshipStatus};
use super::org::{Staff, Store};
use super::pagination::{IdCursor, cursor, page_size};
use super::records::{Delivery, InsurancePolicy, Lead, PartsOrder, RepairOrder};
use super::vehicles::Vehicle;
use super::{db, loaders, meta, parse_id, scope};
use crate::domain::access::{Action, Resource};
use crate::domain::{self, mask, records::Customer as ByCustomer};
use crate::error::AppError;

pub struct Customer(pub customer::Model);

#[Object]
impl Customer {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> CustomerKind {
        self.0.kind.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn gender(&self) -> Option<Gender> {
        self.0.gender.map(Into::into)
    }
    /// Masked (`1990-**-**`); `revealCustomer` shows it whole.
    async fn birthday(&self) -> Option<String> {
        self.0.birthday.map(mask::birthday)
    }
    /// National ID (individuals) or unified social credit code (companies), masked
    /// (`330102********1234`); `revealCustomer` shows it whole.
    async fn id_number(&self) -> Option<String> {
        self.0.id_number.as_deref().map(mask::id_number)
    }
    /// Masked after the city; `revealCustomer` shows it whole.
    async fn address(&self) -> Option<String> {
        self.0.address.as_deref().map(mask::address)
    }
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    async fn lifecycle_stage(&self) -> LifecycleStage {
        self.0.lifecycle_stage.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Optimistic-locking version; changes send it back and fail if it moved.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let rows = loaders::children::<ByCustomer, customer_tag::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(|t| t.tag).collect())
    }
    /// Every phone, e-mail and WeChat id.
    async fn contact_points(&self, ctx: &Context<'_>) -> Result<Vec<ContactPoint>> {
        let rows = loaders::children::<ByCustomer, contact_point::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(ContactPoint).collect())
    }
    /// Phone numbers, primary first.
    async fn phones(&self, ctx: &Context<'_>) -> Result<Vec<ContactPoint>> {
        let mut rows: Vec<_> = loaders::children::<ByCustomer, contact_point::Entity>(ctx, self.0.id)
            .await?
            .into_iter()
            .filter(|c| c.kind == entity::enums::ContactKind::Phone)
            .collect();
        rows.sort_by_key(|c| !c.is_primary);
        Ok(rows.into_iter().map(ContactPoint).collect())
    }
    /// The customer's relationship with each store that knows them.
    async fn stores(&self, ctx: &Context<'_>) -> Result<Vec<StoreRelationship>> {
        let rows = loaders::children::<ByCustomer, customer_store::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(StoreRelationship).collect())
    }
    /// Vehicles the customer holds now (owner, driver or lessee).
    async fn vehicles(&self, ctx: &Context<'_>) -> Result<Vec<Vehicle>> {
        let held = loaders::children::<ByCustomer, vehicle_ownership::Entity>(ctx, self.0.id).await?;
        let current = held.iter().filter(|o| o.to_date.is_none()).map(|o| o.vehicle_id);
        Ok(loaders::many::<vehicle::Entity>(ctx, current).await?.into_iter().map(Vehicle).collect())
    }
    async fn leads(&self, ctx: &Context<'_>) -> Result<Vec<Lead>> {
        let rows = loaders::children::<ByCustomer, lead::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(Lead).collect())
    }
    async fn deliveries(&self, ctx: &Context<'_>) -> Result<Vec<Delivery>> {
        let rows = loaders::children::<ByCustomer, delivery::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(Delivery).collect())
    }
    /// Repair orders, oldest first.
    async fn repair_orders(&self, ctx: &Context<'_>) -> Result<Vec<RepairOrder>> {
        let rows = loaders::children::<ByCustomer, repair_order::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(RepairOrder).collect())
    }
    async fn insurance_policies(&self, ctx: &Context<'_>) -> Result<Vec<InsurancePolicy>> {
        let rows = loaders::children::<ByCustomer, insurance_policy::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(InsurancePolicy).collect())
    }
    async fn parts_orders(&self, ctx: &Context<'_>) -> Result<Vec<PartsOrder>> {
        let rows = loaders::children::<ByCustomer, parts_order::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(PartsOrder).collect())
    }
}

pub struct ContactPoint(pub contact_point::Model);

#[Object]
impl ContactPoint {
    async fn kind(&self) -> ContactKind {
        self.0.kind.into()
    }
    /// Masked: `138****5678` for phones, `so***@example.cn` for e-mail;
    /// `revealCustomer` shows it whole.
    async fn number(&self) -> String {
        match self.0.kind {
            entity::enums::ContactKind::Phone => mask::phone(&self.0.normalized),
            _ => mask::handle(&self.0.normalized),
        }
    }
    async fn primary(&self) -> bool {
        self.0.is_primary
    }
}

pub struct StoreRelationship(pub customer_store::Model);

#[Object]
impl StoreRelationship {
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        Ok(loaders::one::<store::Entity>(ctx, self.0.store_id).await?.map(Store))
    }
    async fn status(&self) -> RelationshipStatus {
        self.0.status.into()
    }
    /// The one staff member responsible for this customer at this store.
    async fn manager(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        let Some(id) = self.0.manager_id else { return Ok(None) };
        Ok(loaders::one::<staff::Entity>(ctx, id).await?.map(Staff))
    }
    async fn first_contact_on(&self) -> NaiveDate {
        self.0.first_contact_on
    }
    async fn source_channel(&self) -> Option<&str> {
        self.0.source_channel.as_deref()
    }
}

#[derive(Default)]
pub struct CustomerQuery;

#[Object]
impl CustomerQuery {
    /// A customer by id; a merged id resolves to its survivor. Null when not found.
    async fn customer(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Customer>> {
        let scope = scope(ctx)?;
        scope.require(Resource::Customer, Action::Read)?;
        let Some(id) = parse_id(&id) else { return Ok(None) };
        Ok(domain::customers::by_id(db(ctx), scope, id).await?.map(Customer))
    }

    /// The customer holding this phone number, typed any common way.
    async fn customer_by_phone(&self, ctx: &Context<'_>, phone: String) -> Result<Option<Customer>> {
        let scope = scope(ctx)?;
        scope.require(Resource::Customer, Action::Read)?;
        Ok(domain::customers::by_phone(db(ctx), scope, &phone).await?.map(Customer))
    }

    /// Customers in id order, Relay style; at most 100 per page.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<IdCursor, Customer, EmptyFields, EmptyFields>> {
        let scope = scope(ctx)?;
        scope.require(Resource::Customer, Action::Read)?;
        let limit = page_size(first)?;
        let after = cursor("after", after)?;
        let (rows, more) = domain::customers::page(db(ctx), scope, after.map(|c| c.0), limit).await?;
        let mut connection = Connection::new(after.is_some(), more);
        connection.edges.extend(rows.into_iter().map(|c| Edge::new(IdCursor(c.id.into()), Customer(c))));
        Ok(connection)
    }
}

/// A customer's personal data, unmasked. Only `revealCustomer` returns it, and every
/// call is audited.
pub struct PersonalData(pub domain::customers::PersonalData);

#[Object]
impl PersonalData {
    async fn customer_id(&self) -> ID {
        self.0.customer.id.into()
    }
    /// Phones as +86 and 11 digits, primary first.
    async fn phones(&self) -> Vec<&str> {
        self.contacts(entity::enums::ContactKind::Phone)
    }
    async fn emails(&self) -> Vec<&str> {
        self.contacts(entity::enums::ContactKind::Email)
    }
    async fn wechat_ids(&self) -> Vec<&str> {
        self.contacts(entity::enums::ContactKind::Wechat)
    }
    async fn id_number(&self) -> Option<&str> {
        self.0.customer.id_number.as_deref()
    }
    async fn address(&self) -> Option<&str> {
        self.0.customer.address.as_deref()
    }
    async fn birthday(&self) -> Option<NaiveDate> {
        self.0.customer.birthday
    }
}

impl PersonalData {
    fn contacts(&self, kind: entity::enums::ContactKind) -> Vec<&str> {
        self.0.contacts.iter().filter(|c| c.kind == kind).map(|c| c.normalized.as_str()).collect()
    }
}

#[derive(InputObject)]
pub struct CustomerProfileInput {
    /// The `version` you read; the change fails with CONFLICT if it moved since.
    expected_version: i32,
    notes: Option<String>,
    address: Option<String>,
    city: Option<String>,
    /// Replaces all tags.
    tags: Option<Vec<String>>,
}

#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    /// Shows a customer's personal data unmasked, for a stated purpose (audited).
    async fn reveal_customer(&self, ctx: &Context<'_>, id: ID, purpose: String) -> Result<PersonalData> {
        let scope = scope(ctx)?;
        let id = parse_id(&id).ok_or(AppError::NotFound("customer"))?;
        Ok(PersonalData(domain::customers::reveal(db(ctx), scope, meta(ctx), id, &purpose).await?))
    }

    /// Corrects a customer's profile, with optimistic locking on `version`.
    async fn update_customer_profile(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CustomerProfileInput,
    ) -> Result<Customer> {
        let scope = scope(ctx)?;
        let id = parse_id(&id).ok_or(AppError::NotFound("customer"))?;
        let change = domain::customers::ProfileChange {
            notes: input.notes,
            address: input.address,
            city: input.city,
            tags: input.tags,
        };
        let updated =
            domain::customers::update_profile(db(ctx), scope, meta(ctx), id, input.expected_version, change).await?;
        Ok(Customer(updated))
    }
}
