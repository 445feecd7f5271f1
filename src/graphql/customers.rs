//! The customer golden record and the ways to find it.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    contact_point, customer, customer_store, customer_tag, delivery, insurance_policy, lead, parts_order, repair_order,
    staff, store, vehicle, vehicle_ownership,
};
use sea_orm::Order;

use super::enums::{
    ContactKind, CustomerKind, Department, Gender, LeadGrade, LeadStatus, LifecycleStage, RelationshipStatus,
};
use super::ids::{self, Kind};
use super::insurance::InsurancePolicy;
use super::org::{Staff, Store};
use super::pagination::{JsonCursor, KeyCursor, Window, json_cursor, page_size};
use super::parts::PartsOrder;
use super::sales::{Delivery, Lead};
use super::service::RepairOrder;
use super::vehicles::Vehicle;
use super::{db, loaders, meta, prefetch, scope};
use crate::domain::Scope;
use crate::domain::limits;
use crate::domain::views::{ContactView, CustomerView};
use crate::domain::{self, records::Customer as ByCustomer, timeline};
use crate::error::AppError;

/// What a nested list (not paged) counts for in the query cost: its children times this.
pub const LIST_COST: usize = 10;

/// A customer as the caller may see it: the domain's view, personal fields already
/// masked or absent.
#[derive(Clone)]
pub struct Customer(pub CustomerView);

impl Customer {
    /// The caller's view of `model`.
    pub fn new(scope: &Scope, model: customer::Model) -> Self {
        Self(CustomerView::new(scope, model))
    }

    /// The caller's view of `model`, with the scope taken from the request.
    pub fn of(ctx: &Context<'_>, model: customer::Model) -> Result<Self, AppError> {
        Ok(Self::new(scope(ctx)?, model))
    }
}

#[Object]
impl Customer {
    pub(crate) async fn id(&self) -> ID {
        ids::global(Kind::Customer, self.0.id)
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
    /// Masked (`1990-**-**`); `revealCustomer` shows it whole. Null for roles without
    /// personal-data access.
    async fn birthday(&self) -> Option<&str> {
        self.0.birthday.as_deref()
    }
    /// National ID (individuals) or unified social credit code (companies), masked
    /// (`330102********1234`); `revealCustomer` shows it whole. Null for roles without
    /// personal-data access.
    async fn id_number(&self) -> Option<&str> {
        self.0.id_number.as_deref()
    }
    /// Masked after the city; `revealCustomer` shows it whole. Null for roles without
    /// personal-data access.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
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
    /// Every phone, e-mail and WeChat id, masked. Null for roles without personal-data
    /// access.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn contact_points(&self, ctx: &Context<'_>) -> Result<Option<Vec<ContactPoint>>> {
        if !self.0.personal {
            return Ok(None);
        }
        let rows = loaders::children::<ByCustomer, contact_point::Entity>(ctx, self.0.id).await?;
        Ok(ContactView::list(scope(ctx)?, rows).map(|views| views.into_iter().map(ContactPoint).collect()))
    }
    /// Phone numbers, primary first, masked. Null for roles without personal-data access.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn phones(&self, ctx: &Context<'_>) -> Result<Option<Vec<ContactPoint>>> {
        if !self.0.personal {
            return Ok(None);
        }
        let rows: Vec<_> = loaders::children::<ByCustomer, contact_point::Entity>(ctx, self.0.id)
            .await?
            .into_iter()
            .filter(|c| c.kind == entity::enums::ContactKind::Phone)
            .collect();
        Ok(ContactView::list(scope(ctx)?, rows).map(|views| views.into_iter().map(ContactPoint).collect()))
    }
    /// The customer's relationship with each store that knows them.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn stores(&self, ctx: &Context<'_>) -> Result<Vec<StoreRelationship>> {
        let rows = loaders::children::<ByCustomer, customer_store::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(StoreRelationship).collect())
    }
    /// Vehicles the customer holds now (owner, driver or lessee).
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn vehicles(&self, ctx: &Context<'_>) -> Result<Vec<Vehicle>> {
        let held = loaders::children::<ByCustomer, vehicle_ownership::Entity>(ctx, self.0.id).await?;
        let current = held.iter().filter(|o| o.to_date.is_none()).map(|o| o.vehicle_id);
        Ok(loaders::many::<vehicle::Entity>(ctx, current).await?.into_iter().map(Vehicle).collect())
    }
    /// Leads, oldest first; `status: OPEN` for the ones still being worked.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn leads(&self, ctx: &Context<'_>, status: Option<LeadStatus>) -> Result<Vec<Lead>> {
        let rows = loaders::children::<ByCustomer, lead::Entity>(ctx, self.0.id).await?;
        let status = status.map(entity::enums::LeadStatus::from);
        Ok(rows.into_iter().filter(|l| status.is_none_or(|s| l.status == s)).map(Lead).collect())
    }
    /// Care tasks about the customer the caller may see (their own, their store's, or
    /// the group's), by due date.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn care_tasks(&self, ctx: &Context<'_>) -> Result<Vec<super::care::CareTask>> {
        let rows = loaders::children::<ByCustomer, entity::care_task::Entity>(ctx, self.0.id).await?;
        Ok(super::care::CareTask::page(rows))
    }
    /// Complaints of the customer the caller may see, oldest first.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn complaints(&self, ctx: &Context<'_>) -> Result<Vec<super::care::Complaint>> {
        let rows = loaders::children::<ByCustomer, entity::complaint::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(super::care::Complaint).collect())
    }
    /// Satisfaction surveys of the customer the caller may see.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn surveys(&self, ctx: &Context<'_>) -> Result<Vec<super::care::Survey>> {
        let rows = loaders::children::<ByCustomer, entity::survey::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(super::care::Survey).collect())
    }
    /// Who brought this customer to the group, and whether it converted.
    async fn referred_by(&self, ctx: &Context<'_>) -> Result<Option<super::care::Referral>> {
        let rows = loaders::children::<ByCustomer, entity::customer_referral::Entity>(ctx, self.0.id).await?;
        let Some(row) = rows.into_iter().next() else { return Ok(None) };
        // The customer's deliveries through the batched loader: no statement per customer.
        let deliveries = loaders::children::<ByCustomer, delivery::Entity>(ctx, self.0.id).await?;
        let converted_on = domain::surveys::converted_on(&row, &deliveries);
        Ok(Some(super::care::Referral { converted_on, row }))
    }
    /// Consents to sharing the customer's lead with other stores, withdrawn ones too.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn consents(&self, ctx: &Context<'_>) -> Result<Vec<super::leads::Consent>> {
        let rows = loaders::children::<ByCustomer, entity::customer_consent::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(super::leads::Consent).collect())
    }
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn deliveries(&self, ctx: &Context<'_>) -> Result<Vec<Delivery>> {
        let rows = loaders::children::<ByCustomer, delivery::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(Delivery).collect())
    }
    /// Repair orders, oldest first.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn repair_orders(&self, ctx: &Context<'_>) -> Result<Vec<RepairOrder>> {
        let rows = loaders::children::<ByCustomer, repair_order::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(RepairOrder).collect())
    }
    /// Where this customer's data came from: every source record and why it matched.
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn source_records(&self, ctx: &Context<'_>) -> Result<Vec<super::identity::SourceRecord>> {
        let rows = loaders::children::<ByCustomer, entity::source_record::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(super::identity::SourceRecord).collect())
    }
    /// Other customers of the same household (sharing a phone, not the same person).
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn household(&self, ctx: &Context<'_>) -> Result<Vec<HouseholdMember>> {
        let loader = ctx.data::<async_graphql::dataloader::DataLoader<loaders::HouseholdLoader>>()?;
        let links = loader.load_one(self.0.id).await?.unwrap_or_default();
        let members = loaders::many::<customer::Entity>(ctx, links.iter().map(|(id, _)| *id)).await?;
        let scope = scope(ctx)?;
        Ok(members
            .into_iter()
            .map(|c| {
                let reason = links.iter().find(|(id, _)| *id == c.id).map(|(_, r)| r.clone()).unwrap_or_default();
                let reason = Some(reason).filter(|_| crate::domain::views::sees_personal(scope));
                HouseholdMember { customer: Customer::new(scope, c), reason }
            })
            .collect())
    }
    /// The survivor this record was merged into, if it was.
    async fn merged_into(&self) -> Option<ID> {
        self.0.merged_into.map(|id| ids::global(Kind::Customer, id))
    }
    /// The most recent repair order (for "when did they last come in").
    async fn latest_repair_order(&self, ctx: &Context<'_>) -> Result<Option<RepairOrder>> {
        let rows = loaders::children::<ByCustomer, repair_order::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().max_by_key(|r| (r.opened_at, r.id)).map(RepairOrder))
    }
    /// Every touch point across departments and stores, newest first, Relay style.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<JsonCursor<timeline::EventKey>, TimelineEntry, EmptyFields, EmptyFields>> {
        let limit = page_size(first)? as usize;
        let after = json_cursor::<timeline::EventKey>("after", after)?;
        let id = self.0.id;
        let (leads, deliveries, repairs, policies, parts, tasks, complaints, surveys) = futures_util::try_join!(
            loaders::children::<ByCustomer, lead::Entity>(ctx, id),
            loaders::children::<ByCustomer, delivery::Entity>(ctx, id),
            loaders::children::<ByCustomer, repair_order::Entity>(ctx, id),
            loaders::children::<ByCustomer, insurance_policy::Entity>(ctx, id),
            loaders::children::<ByCustomer, parts_order::Entity>(ctx, id),
            loaders::children::<ByCustomer, entity::care_task::Entity>(ctx, id),
            loaders::children::<ByCustomer, entity::complaint::Entity>(ctx, id),
            loaders::children::<ByCustomer, entity::survey::Entity>(ctx, id),
        )?;
        let events = timeline::merge(timeline::Touches {
            leads,
            deliveries,
            repairs,
            policies,
            parts,
            tasks,
            complaints,
            surveys,
        });
        let (events, more) = timeline::page(events, after, limit);
        let mut connection = Connection::new(after.is_some(), more);
        connection.edges.extend(events.into_iter().map(|e| Edge::new(JsonCursor(e.key()), TimelineEntry(e))));
        Ok(connection)
    }
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn insurance_policies(&self, ctx: &Context<'_>) -> Result<Vec<InsurancePolicy>> {
        let rows = loaders::children::<ByCustomer, insurance_policy::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(InsurancePolicy).collect())
    }
    #[graphql(complexity = "LIST_COST * child_complexity")]
    async fn parts_orders(&self, ctx: &Context<'_>) -> Result<Vec<PartsOrder>> {
        let rows = loaders::children::<ByCustomer, parts_order::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(PartsOrder).collect())
    }
}

/// A member of a customer's household, and why they are linked.
#[derive(async_graphql::SimpleObject)]
pub struct HouseholdMember {
    customer: Customer,
    /// Why they are linked (it quotes the shared phone, masked); null for roles without
    /// personal-data access.
    reason: Option<String>,
}

pub struct ContactPoint(pub ContactView);

#[Object]
impl ContactPoint {
    async fn kind(&self) -> ContactKind {
        self.0.kind.into()
    }
    /// Masked: `138****5678` for phones, `so***@example.cn` for e-mail;
    /// `revealCustomer` shows it whole.
    async fn number(&self) -> &str {
        &self.0.number
    }
    async fn primary(&self) -> bool {
        self.0.primary
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
        let Some(id) = ids::parse(Kind::Customer, &id) else { return Ok(None) };
        // The live customer and what the selection shows of it, in one statement; a
        // merged-away id is followed to its survivor the slower way.
        let live = domain::customers::live_by_id(scope, id)?;
        let mut plan = prefetch::Plan::new(scope, db(ctx).get_database_backend());
        let branch = plan.add(live.clone(), &[(customer::Column::Id, Order::Asc)]);
        let parents = plan.bundle.parents(prefetch::customer_ids(live));
        plan.customer_fields(&ctx.look_ahead(), parents);
        let mut ready = plan.run(db(ctx)).await?;
        let found = ready.fetched.take(branch)?;
        ready.file(ctx.data::<prefetch::Prefetched>()?, &found)?;
        let found = match found.into_iter().next() {
            Some(found) => Some(found),
            None => domain::customers::by_id(db(ctx), scope, id).await?,
        };
        Ok(found.map(|c| Customer::new(scope, c)))
    }

    /// The customer holding this phone number, typed any common way.
    async fn customer_by_phone(&self, ctx: &Context<'_>, phone: String) -> Result<Option<Customer>> {
        let scope = scope(ctx)?;
        limits::check("phone", &phone, limits::SEARCH)?;
        // The phone's holders, the live ones among them and what the selection shows of
        // them, in one statement.
        let lookup = domain::customers::PhoneLookup::new(scope, &phone)?;
        let mut plan = prefetch::Plan::new(scope, db(ctx).get_database_backend());
        let (holders, live) = lookup.add_to(&mut plan.bundle);
        let parents = plan.bundle.parents(prefetch::customer_ids(lookup.live.clone()));
        plan.customer_fields(&ctx.look_ahead(), parents);
        let mut ready = plan.run(db(ctx)).await?;
        let (holders, live) = (ready.fetched.take(holders)?, ready.fetched.take(live)?);
        ready.file(ctx.data::<prefetch::Prefetched>()?, &live)?;
        let found = domain::customers::pick_holder(db(ctx), scope, holders, live).await?;
        Ok(found.map(|c| Customer::new(scope, c)))
    }

    /// Customers, Relay style (keyset cursors), filtered and sorted; at most 100 per page.
    #[graphql(complexity = "first.or(last).unwrap_or(20).max(0) as usize * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        filter: Option<CustomerFilter>,
        sort: Option<CustomerSort>,
        descending: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<KeyCursor, Customer, EmptyFields, EmptyFields>> {
        let filter = filter.map(CustomerFilter::into_domain).transpose()?.unwrap_or_default();
        let window = Window { descending, first, after, last, before };
        let sort: domain::customers::CustomerSort = sort.unwrap_or_default().into();
        let scope = scope(ctx)?;
        let args = super::pagination::page_args(window.first, window.after, window.last, window.before)?;
        let descending = window.descending.unwrap_or(false);
        let look = ctx.look_ahead();
        let nodes = look.field("edges").field("node");
        // The page and what the selection shows of its customers, in one statement.
        let read = async |page: &domain::keyset::PagePlan<customer::Entity>| {
            let mut plan = prefetch::Plan::new(scope, db(ctx).get_database_backend());
            let branch = plan.add(page.select.clone(), &page.order);
            let parents = plan.bundle.parents(prefetch::customer_ids(page.select.clone()));
            plan.customer_fields(&nodes, parents);
            let mut ready = plan.run(db(ctx)).await?;
            let rows = ready.fetched.take(branch)?;
            ready.file(
                ctx.data::<prefetch::Prefetched>().map_err(|e| AppError::internal(std::io::Error::other(e.message)))?,
                &rows,
            )?;
            Ok(rows)
        };
        let page = domain::listing::list_with(scope, &filter, sort, descending, &args, read).await?;
        Ok(super::pagination::connection(page, |c| Customer::new(scope, c)))
    }

    /// A customer by national ID (18 digits; a lowercase x is fine) or credit code.
    async fn customer_by_id_number(&self, ctx: &Context<'_>, id_number: String) -> Result<Option<Customer>> {
        let scope = scope(ctx)?;
        limits::check("idNumber", &id_number, limits::SEARCH)?;
        Ok(domain::customers::by_id_number(db(ctx), scope, &id_number).await?.map(|c| Customer::new(scope, c)))
    }
}

/// How customer lists are sorted (then by id).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "domain::customers::CustomerSort")]
pub enum CustomerSort {
    #[default]
    Id,
    Name,
    CreatedAt,
    UpdatedAt,
}

/// Narrows a customer list; all given conditions must hold.
#[derive(InputObject, Default)]
pub struct CustomerFilter {
    /// Customers with a relationship to this store.
    store_id: Option<ID>,
    relationship_status: Option<RelationshipStatus>,
    /// Customers with an open lead of this grade.
    lead_grade: Option<LeadGrade>,
    lifecycle_stage: Option<LifecycleStage>,
    /// Customers carrying all of these tags.
    tags: Option<Vec<String>>,
    /// Customers whose dedicated manager (at some store) is this staff member.
    manager_id: Option<ID>,
    /// Customers currently holding a vehicle of this brand …
    vehicle_brand: Option<String>,
    /// … and/or model.
    vehicle_model: Option<String>,
    /// Churn lists: customers whose latest repair order opened before this instant.
    last_service_before: Option<DateTime<Utc>>,
    last_service_after: Option<DateTime<Utc>>,
    /// Renewal lists: customers with a policy ending on or after this day …
    insurance_ends_from: Option<NaiveDate>,
    /// … and on or before this day.
    insurance_ends_to: Option<NaiveDate>,
    created_from: Option<DateTime<Utc>>,
    created_to: Option<DateTime<Utc>>,
}

impl CustomerFilter {
    fn into_domain(self) -> Result<domain::customers::CustomerFilter, AppError> {
        Ok(domain::customers::CustomerFilter {
            store_id: ids::filter_arg("storeId", Kind::Store, self.store_id)?,
            relationship_status: self.relationship_status.map(Into::into),
            lead_grade: self.lead_grade.map(Into::into),
            lifecycle_stage: self.lifecycle_stage.map(Into::into),
            tags: self.tags.unwrap_or_default(),
            manager_id: ids::filter_arg("managerId", Kind::Staff, self.manager_id)?,
            vehicle_brand: self.vehicle_brand,
            vehicle_model: self.vehicle_model,
            last_service_before: self.last_service_before,
            last_service_after: self.last_service_after,
            insurance_ends_from: self.insurance_ends_from,
            insurance_ends_to: self.insurance_ends_to,
            created_from: self.created_from,
            created_to: self.created_to,
        })
    }
}

/// A customer's personal data, unmasked. Only `revealCustomer` returns it, and every
/// call is audited.
pub struct PersonalData(pub domain::customers::PersonalData);

#[Object]
impl PersonalData {
    async fn customer_id(&self) -> ID {
        ids::global(Kind::Customer, self.0.customer.id)
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
        let id = ids::required(Kind::Customer, &id, "customer")?;
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
        let id = ids::required(Kind::Customer, &id, "customer")?;
        let change = domain::customers::ProfileChange {
            notes: input.notes,
            address: input.address,
            city: input.city,
            tags: input.tags,
        };
        let updated =
            domain::customers::update_profile(db(ctx), scope, meta(ctx), id, input.expected_version, change).await?;
        Ok(Customer::new(scope, updated))
    }
}

/// One touch point of a customer: when, where, which department, and the record.
pub struct TimelineEntry(timeline::Event);

#[Object]
impl TimelineEntry {
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        Ok(loaders::one::<store::Entity>(ctx, self.0.store_id).await?.map(Store))
    }
    async fn department(&self) -> Department {
        self.0.department.into()
    }
    /// LEAD, DELIVERY, REPAIR_ORDER, INSURANCE_POLICY, PARTS_ORDER, CARE_TASK (done),
    /// COMPLAINT or SURVEY.
    async fn kind(&self) -> &'static str {
        match self.0.record {
            timeline::Record::Lead(_) => "LEAD",
            timeline::Record::Delivery(_) => "DELIVERY",
            timeline::Record::RepairOrder(_) => "REPAIR_ORDER",
            timeline::Record::InsurancePolicy(_) => "INSURANCE_POLICY",
            timeline::Record::PartsOrder(_) => "PARTS_ORDER",
            timeline::Record::CareTask(_) => "CARE_TASK",
            timeline::Record::Complaint(_) => "COMPLAINT",
            timeline::Record::Survey(_) => "SURVEY",
        }
    }
    /// One line for a feed, e.g. "FIRST_MAINTENANCE 0.00" or "lead H 途观L".
    async fn summary(&self) -> String {
        match &self.0.record {
            timeline::Record::Lead(r) => {
                format!("lead {} {} {}", r.grade.as_str(), r.status.as_str(), r.intended_model.as_deref().unwrap_or(""))
                    .trim_end()
                    .to_owned()
            }
            timeline::Record::Delivery(r) => format!("delivery {}", super::yuan(r.price_cents)),
            timeline::Record::RepairOrder(r) => format!("{} {}", r.kind.as_str(), super::yuan(r.amount_cents)),
            timeline::Record::InsurancePolicy(r) => format!("policy {} until {}", r.insurer, r.ends_on),
            timeline::Record::PartsOrder(r) => format!("parts {}", super::yuan(r.amount_cents)),
            timeline::Record::CareTask(r) => {
                format!("{} {}", r.kind.as_str(), r.outcome.map(|o| o.as_str()).unwrap_or_default())
                    .trim_end()
                    .to_owned()
            }
            timeline::Record::Complaint(r) => {
                format!("complaint {} {} {}", r.severity.as_str(), r.category, r.status.as_str())
            }
            timeline::Record::Survey(r) => format!("{} {}/1000", r.kind.as_str(), r.index_points),
        }
    }
    async fn lead(&self) -> Option<Lead> {
        match &self.0.record {
            timeline::Record::Lead(r) => Some(Lead(r.clone())),
            _ => None,
        }
    }
    async fn delivery(&self) -> Option<Delivery> {
        match &self.0.record {
            timeline::Record::Delivery(r) => Some(Delivery(r.clone())),
            _ => None,
        }
    }
    async fn repair_order(&self) -> Option<RepairOrder> {
        match &self.0.record {
            timeline::Record::RepairOrder(r) => Some(RepairOrder(r.clone())),
            _ => None,
        }
    }
    async fn insurance_policy(&self) -> Option<InsurancePolicy> {
        match &self.0.record {
            timeline::Record::InsurancePolicy(r) => Some(InsurancePolicy(r.clone())),
            _ => None,
        }
    }
    async fn parts_order(&self) -> Option<PartsOrder> {
        match &self.0.record {
            timeline::Record::PartsOrder(r) => Some(PartsOrder(r.clone())),
            _ => None,
        }
    }
    async fn care_task(&self) -> Option<super::care::CareTask> {
        match &self.0.record {
            timeline::Record::CareTask(r) => Some(super::care::CareTask { task: r.clone() }),
            _ => None,
        }
    }
    async fn complaint(&self) -> Option<super::care::Complaint> {
        match &self.0.record {
            timeline::Record::Complaint(r) => Some(super::care::Complaint(r.clone())),
            _ => None,
        }
    }
    async fn survey(&self) -> Option<super::care::Survey> {
        match &self.0.record {
            timeline::Record::Survey(r) => Some(super::care::Survey(r.clone())),
            _ => None,
        }
    }
}
