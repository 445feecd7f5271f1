//! Insurance: policies and renewal work.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::NaiveDate;
use entity::insurance_policy;
use rust_decimal::Decimal;

use super::customers::Customer;
use super::ids::{self, Kind};
use super::links::{customer_of, store_of, vehicle_of};
use super::org::Store;
use super::pagination::{KeyCursor, Window, list};
use super::vehicles::Vehicle;
use super::yuan;
use crate::domain;
use crate::error::AppError;

#[derive(Clone)]
pub struct InsurancePolicy(pub insurance_policy::Model);

#[Object]
impl InsurancePolicy {
    pub(crate) async fn id(&self) -> ID {
        ids::global(Kind::InsurancePolicy, self.0.id)
    }
    /// Whom the record is about: the customer, whom to call.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        customer_of(ctx, self.0.customer_id).await
    }
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        store_of(ctx, self.0.store_id).await
    }
    async fn vehicle(&self, ctx: &Context<'_>) -> Result<Option<Vehicle>> {
        vehicle_of(ctx, Some(self.0.vehicle_id)).await
    }
    async fn insurer(&self) -> &str {
        &self.0.insurer
    }
    async fn coverage(&self) -> &str {
        &self.0.coverage
    }
    /// Premium in yuan.
    async fn premium(&self) -> Decimal {
        yuan(self.0.premium_cents)
    }
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    async fn ends_on(&self) -> NaiveDate {
        self.0.ends_on
    }
    /// The id of the policy this one renews, if it is a renewal.
    async fn renewal_of(&self) -> Option<ID> {
        self.0.renewal_of.map(|id| ids::global(Kind::InsurancePolicy, id))
    }
}

/// How policy lists are sorted (then by id).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "domain::insurance::InsurancePolicySort")]
pub enum InsurancePolicySort {
    #[default]
    EndsOn,
    StartsOn,
    Id,
}

#[derive(InputObject, Default)]
pub struct InsurancePolicyFilter {
    store_id: Option<ID>,
    /// Policies ending on or after this day (renewal lists) …
    ends_from: Option<NaiveDate>,
    /// … and on or before this day.
    ends_to: Option<NaiveDate>,
}

impl InsurancePolicyFilter {
    fn into_domain(self) -> Result<domain::insurance::InsurancePolicyFilter, AppError> {
        Ok(domain::insurance::InsurancePolicyFilter {
            store_id: ids::filter_arg("storeId", Kind::Store, self.store_id)?,
            ends_from: self.ends_from,
            ends_to: self.ends_to,
        })
    }
}

#[derive(Default)]
pub struct InsuranceQuery;

#[Object]
impl InsuranceQuery {
    /// Insurance policies the caller may read, Relay style; by default the soonest
    /// ending first (renewal work).
    #[graphql(complexity = "first.or(last).unwrap_or(20).max(0) as usize * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn insurance_policies(
        &self,
        ctx: &Context<'_>,
        filter: Option<InsurancePolicyFilter>,
        sort: Option<InsurancePolicySort>,
        descending: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<KeyCursor, InsurancePolicy, EmptyFields, EmptyFields>> {
        let filter = filter.map(InsurancePolicyFilter::into_domain).transpose()?.unwrap_or_default();
        let window = Window { descending, first, after, last, before };
        let sort: domain::insurance::InsurancePolicySort = sort.unwrap_or_default().into();
        list::<insurance_policy::Entity, _, _, _>(ctx, &filter, sort, false, window, InsurancePolicy).await
    }
}
