//! Stores, staff, login and `me`.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{staff, store};

use super::enums::{Department, Role, StoreKind};
use super::ids::{self, Kind};
use super::{db, loaders, meta, scope};
use crate::auth::TokenKeys;
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

#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Send as `Authorization: Bearer <token>`.
    token: String,
    expires_at: DateTime<Utc>,
    staff: Staff,
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Exchanges a username and password for an access token. The same error answers an
    /// unknown user and a wrong password.
    async fn login(&self, ctx: &Context<'_>, username: String, password: String) -> Result<LoginPayload> {
        let keys = ctx.data_unchecked::<TokenKeys>();
        let guard = ctx.data::<domain::auth::LoginGuard>()?;
        let session = domain::auth::login(db(ctx), keys, guard, meta(ctx), &username, &password).await?;
        Ok(session.into())
    }

    /// Issues a new token for the caller and revokes the one this request carries.
    async fn refresh_token(&self, ctx: &Context<'_>) -> Result<LoginPayload> {
        let keys = ctx.data_unchecked::<TokenKeys>();
        Ok(domain::auth::refresh(db(ctx), keys, scope(ctx)?, meta(ctx)).await?.into())
    }

    /// Revokes the token this request carries.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        domain::auth::logout(db(ctx), scope(ctx)?, meta(ctx)).await?;
        Ok(true)
    }

    /// A long-lived API key for an INTEGRATION account (GROUP_ADMIN). The key is shown
    /// only in this answer; send it as `Authorization: Bearer <key>`.
    async fn create_api_key(&self, ctx: &Context<'_>, username: String, name: String) -> Result<NewApiKey> {
        let (key, secret) = domain::auth::create_api_key(db(ctx), scope(ctx)?, meta(ctx), &username, &name).await?;
        Ok(NewApiKey { key: secret, api_key: ApiKey(key) })
    }

    /// Revokes an API key at once (GROUP_ADMIN).
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKey> {
        let id = ids::required(Kind::ApiKey, &id, "API key")?;
        Ok(ApiKey(domain::auth::revoke_api_key(db(ctx), scope(ctx)?, meta(ctx), id).await?))
    }

    /// Enables or disables a staff account (GROUP_ADMIN); a disabled account's tokens
    /// and keys stop working with the next request.
    async fn set_staff_active(&self, ctx: &Context<'_>, username: String, active: bool) -> Result<Staff> {
        Ok(Staff(domain::auth::set_staff_active(db(ctx), scope(ctx)?, meta(ctx), &username, active).await?))
    }
}

impl From<domain::auth::Session> for LoginPayload {
    fn from(session: domain::auth::Session) -> Self {
        Self { token: session.token, expires_at: session.expires_at, staff: Staff(session.staff) }
    }
}

#[derive(Clone)]
pub struct ApiKey(pub entity::api_key::Model);

#[Object]
impl ApiKey {
    pub(crate) async fn id(&self) -> ID {
        ids::global(Kind::ApiKey, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The first characters of the key, to tell keys apart.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

#[derive(SimpleObject)]
pub struct NewApiKey {
    /// The key itself; it cannot be shown again.
    key: String,
    api_key: ApiKey,
}
