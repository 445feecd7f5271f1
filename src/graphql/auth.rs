//! Logging in, tokens, staff accounts and the API keys of integration accounts.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::ids::{self, Kind};
use super::org::Staff;
use super::{db, meta, scope};
use crate::auth::TokenKeys;
use crate::domain;

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
