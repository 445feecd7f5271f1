//! Stores, staff and `me`.

use async_graphql::{Context, ID, Object, Result};
use entity::{staff, store};

use super::enums::{Department, Role, StoreKind};
use super::ids::{self, Kind};
use super::{db, loaders, scope};
use crate::domain;
use crate::domain::access::{Action, Resource};
use crate::error::AppError;

#[derive(Clone)]
pub struct Store(pub store::Model);

#[Object]
impl Store {
    pub(crate) async fn id(&self) -> ID {
        ids::global(Kind::Store, self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> StoreKind {
        self.0.kind.into()
    }
    async fn city(&self) -> &str {
        &self.0.city
    }
    /// Brands sold or serviced at this store.
    async fn brands(&self) -> Vec<String> {
        serde_json::from_value(self.0.brands.clone()).unwrap_or_default()
    }
}

#[derive(Clone)]
pub struct Staff(pub staff::Model);

#[Object]
impl Staff {
    pub(crate) async fn id(&self) -> ID {
        ids::global(Kind::Staff, self.0.id)
    }
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    async fn department(&self) -> Department {
        self.0.department.into()
    }
    /// The store this staff member works at; null for group-wide roles.
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        let Some(id) = self.0.store_id else { return Ok(None) };
        if scope(ctx).is_err() {
            // The `login` payload, before the request has a caller (and loaders): the
            // staff member's own store, organisation data every role reads.
            return Ok(domain::org::store(db(ctx), id).await?.map(Store));
        }
        Ok(loaders::one::<store::Entity>(ctx, id).await?.map(Store))
    }
    async fn active(&self) -> bool {
        self.0.active
    }
}

#[derive(Default)]
pub struct OrgQuery;

#[Object]
impl OrgQuery {
    /// Every store of the group, by code.
    async fn stores(&self, ctx: &Context<'_>) -> Result<Vec<Store>> {
        scope(ctx)?.require(Resource::Organisation, Action::Read)?;
        Ok(domain::org::stores(db(ctx)).await?.into_iter().map(Store).collect())
    }

    /// The signed-in staff member.
    async fn me(&self, ctx: &Context<'_>) -> Result<Staff> {
        let scope = scope(ctx)?;
        let me = domain::org::staff(db(ctx), scope.actor.staff_id).await?.ok_or(AppError::Unauthenticated)?;
        Ok(Staff(me))
    }
}
