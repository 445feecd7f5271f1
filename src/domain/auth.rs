//! Logging in, tokens (refresh, logout), API keys of integration accounts, and turning a
//! bearer credential into an `Actor`.

use chrono::{DateTime, Duration, Utc};
use entity::enums::Role;
use entity::{api_key, login_throttle, revoked_token, staff};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, Set};

use super::Scope;
use super::access::{Action, Resource};
use super::audit::{self, Entry, RequestMeta};
use super::{limits, normalize};
use crate::auth::{Actor, TokenKeys, password};
use crate::error::{AppError, AppResult};

/// Failed logins within `FAILURE_WINDOW` that lock a username for `LOCKOUT`.
const MAX_FAILURES: i32 = 5;
const FAILURE_WINDOW: Duration = Duration::minutes(15);
const LOCKOUT: Duration = Duration::minutes(15);
/// API keys start with this, so they are told apart from access tokens.
pub const API_KEY_PREFIX: &str = "hubk_";

pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub staff: staff::Model,
}

fn issue(keys: &TokenKeys, staff: staff::Model) -> Session {
    let (token, claims) = keys.issue(&staff, Utc::now());
    let expires_at = DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now);
    Session { token, expires_at, staff }
}

/// What keeps logins from being used to take the hub down: a rate per client address
/// and a bound on password hashes running at once (each costs ~19 MiB and tens of
/// milliseconds of a core), with a short queue; beyond it callers are refused at once.
pub struct LoginGuard {
    per_address: governor::DefaultKeyedRateLimiter<String>,
    /// One permit per core: the password checks running at once.
    hashing: std::sync::Arc<tokio::sync::Semaphore>,
    /// The checks running or waiting; beyond them a login is refused at once.
    admission: std::sync::Arc<tokio::sync::Semaphore>,
}

impl LoginGuard {
    /// `per_minute` logins per client address (a burst of that many, refilled evenly).
    pub fn new(per_minute: u32) -> Self {
        let per_minute = std::num::NonZeroU32::new(per_minute).unwrap_or(std::num::NonZeroU32::MIN);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            per_address: governor::RateLimiter::keyed(governor::Quota::per_minute(per_minute)),
            hashing: std::sync::Arc::new(tokio::sync::Semaphore::new(cores)),
            admission: std::sync::Arc::new(tokio::sync::Semaphore::new(cores * 9)),
        }
    }

    fn admit(&self, client: Option<&str>) -> AppResult<()> {
        let key = client.unwrap_or("unknown").to_owned();
        self.per_address.check_key(&key).map_err(|_| AppError::RateLimited)?;
        // Forget addresses whose bucket is full again, so the map stays small.
        if self.per_address.len() > 10_000 {
            self.per_address.retain_recent();
        }
        Ok(())
    }

    /// Runs a password check on the blocking pool, at most one per core at once. The
    /// permits live as long as the check itself, also when the caller goes away, so
    /// cancelled logins neither leak a place in the queue nor let more checks run.
    async fn verify(&self, pass: String, hash: Option<String>) -> AppResult<bool> {
        let slot = self.admission.clone().try_acquire_owned().map_err(|_| AppError::RateLimited)?;
        let permit = self.hashing.clone().acquire_owned().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(move || {
            let _held = (slot, permit);
            password::verify(&pass, hash.as_deref())
        })
        .await
        .map_err(AppError::internal)
    }
}

/// Counts one failed login for `username` in one statement, so parallel failures are
/// all counted: the count restarts when the window has passed (and no lock is on), and
/// the fifth failure in the window sets the lock. Returns the failures now counted.
async fn count_failure<C: sea_orm::ConnectionTrait>(conn: &C, username: &str, now: DateTime<Utc>) -> AppResult<i32> {
    use sea_orm::{DbBackend, Statement, Value};
    let backend = conn.get_database_backend();
    let p = |n: usize| if backend == DbBackend::Postgres { format!("${n}") } else { format!("?{n}") };
    let (user, now_p, window_cut, locked_until) = (p(1), p(2), p(3), p(4));
    let current = format!(
        "(login_throttle.window_start > {window_cut} OR (login_throttle.locked_until IS NOT NULL AND login_throttle.locked_until > {now_p}))"
    );
    let sql = format!(
        "INSERT INTO login_throttle (username, failures, window_start, locked_until) VALUES ({user}, 1, {now_p}, NULL) \
         ON CONFLICT (username) DO UPDATE SET \
           failures = CASE WHEN {current} THEN login_throttle.failures + 1 ELSE 1 END, \
           window_start = CASE WHEN {current} THEN login_throttle.window_start ELSE {now_p} END, \
           locked_until = CASE \
             WHEN login_throttle.locked_until IS NOT NULL AND login_throttle.locked_until > {now_p} THEN login_throttle.locked_until \
             WHEN {current} AND login_throttle.failures + 1 >= {MAX_FAILURES} THEN {locked_until} \
             ELSE NULL END \
         RETURNING failures"
    );
    let values: Vec<Value> =
        vec![username.to_owned().into(), now.into(), (now - FAILURE_WINDOW).into(), (now + LOCKOUT).into()];
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .ok_or_else(|| AppError::internal(sea_orm::DbErr::RecordNotInserted))?;
    Ok(row.try_get::<i32>("", "failures")?)
}

/// Checks the password of an active account and issues a token. An unknown user, a
/// disabled one and a wrong password all get the same error after the same work; five
/// failures in 15 minutes lock the username (known or not) for 15 minutes — counted
/// atomically, so parallel guesses cannot get past the lock.
pub async fn login(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    guard: &LoginGuard,
    meta: &RequestMeta,
    username: &str,
    pass: &str,
) -> AppResult<Session> {
    limits::check("username", username, limits::NAME)?;
    limits::check("password", pass, limits::NOTE)?;
    guard.admit(meta.client_addr.as_deref())?;
    let username = username.trim();
    let now = Utc::now();
    let found = staff::Entity::find().filter(staff::Column::Username.eq(username)).one(db).await?;
    let hash = found.as_ref().map(|s| s.password_hash.clone());
    // The hash is verified even when locked, so a locked answer takes as long as any other.
    let verified = guard.verify(pass.to_owned(), hash).await?;
    match found {
        Some(staff) if verified && staff.active => {
            let txn = crate::db::begin_write(db).await?;
            let throttle = login_throttle::Entity::find_by_id(username.to_owned()).one(&txn).await?;
            if throttle.as_ref().and_then(|t| t.locked_until).is_some_and(|until| until > now) {
                return Err(AppError::TooManyAttempts);
            }
            if throttle.is_some() {
                login_throttle::Entity::delete_by_id(username.to_owned()).exec(&txn).await?;
            }
            let actor = Actor::from_staff(&staff, String::new(), None);
            audit::record(&txn, Some(&actor), meta, Entry::new("LOGIN", "staff", [staff.id as i64])).await?;
            txn.commit().await?;
            Ok(issue(keys, staff))
        }
        _ => {
            let txn = crate::db::begin_write(db).await?;
            let failures = count_failure(&txn, username, now).await?;
            let attempted = format!("login attempt as `{}`", username.chars().take(limits::NAME).collect::<String>());
            // Attempts while the lock is on are audited apart from the failures that set it.
            let action = if failures > MAX_FAILURES { "LOGIN_LOCKED" } else { "LOGIN_FAILED" };
            audit::record(&txn, None, meta, Entry::new(action, "staff", []).purpose(&attempted)).await?;
            txn.commit().await?;
            // Failures past the fifth were made while the lock was on.
            if failures > MAX_FAILURES { Err(AppError::TooManyAttempts) } else { Err(AppError::BadCredentials) }
        }
    }
}

/// Validates a bearer credential — an access token or an integration API key — and
/// loads the staff member it names. Revoked tokens and keys and disabled accounts are
/// refused at once.
pub async fn authenticate(db: &DatabaseConnection, keys: &TokenKeys, credential: &str) -> AppResult<Actor> {
    if let Some(secret) = credential.strip_prefix(API_KEY_PREFIX) {
        let key = api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(normalize::id_hash(secret)))
            .filter(api_key::Column::RevokedAt.is_null())
            .one(db)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let staff = active_staff(db, key.staff_id).await?;
        if staff.role != Role::Integration {
            return Err(AppError::Unauthenticated);
        }
        return Ok(Actor::from_staff(&staff, format!("apikey:{}", key.id), None));
    }
    let claims = keys.decode(credential).ok_or(AppError::Unauthenticated)?;
    let staff_id: i32 = claims.sub.parse().map_err(|_| AppError::Unauthenticated)?;
    // One statement: the account, if it is active and this token was not revoked.
    let revoked = sea_orm::sea_query::Query::select()
        .expr(sea_orm::sea_query::Expr::val(1))
        .from(revoked_token::Entity)
        .and_where(revoked_token::Column::Jti.eq(claims.jti.clone()))
        .to_owned();
    let staff = staff::Entity::find_by_id(staff_id)
        .filter(staff::Column::Active.eq(true))
        .filter(sea_orm::Condition::all().add(sea_orm::sea_query::Expr::exists(revoked)).not())
        .one(db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    // Tokens from before the account was last enabled again stay dead.
    if staff.tokens_not_before.is_some_and(|cutoff| claims.iat < cutoff.timestamp()) {
        return Err(AppError::Unauthenticated);
    }
    Ok(Actor::from_staff(&staff, claims.jti, DateTime::from_timestamp(claims.exp, 0)))
}

async fn active_staff(db: &DatabaseConnection, id: i32) -> AppResult<staff::Model> {
    staff::Entity::find_by_id(id).one(db).await?.filter(|s| s.active).ok_or(AppError::Unauthenticated)
}

async fn revoke_current<C: sea_orm::ConnectionTrait>(conn: &C, actor: &Actor) -> AppResult<()> {
    let Some(expires_at) = actor.token_expires_at else {
        return Err(AppError::bad_input("token", "API keys are revoked with revokeApiKey, not logout or refresh"));
    };
    revoked_token::ActiveModel {
        jti: Set(actor.token_id.clone()),
        staff_id: Set(actor.staff_id),
        expires_at: Set(expires_at),
        revoked_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    // Forget revocations of tokens that have expired anyway.
    revoked_token::Entity::delete_many()
        .filter(revoked_token::Column::ExpiresAt.lt(Utc::now() - Duration::minutes(5)))
        .exec(conn)
        .await?;
    Ok(())
}

/// Issues a fresh token for the caller and revokes the one the request came with.
pub async fn refresh(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    scope: &Scope,
    meta: &RequestMeta,
) -> AppResult<Session> {
    let staff = active_staff(db, scope.actor.staff_id).await?;
    let txn = crate::db::begin_write(db).await?;
    revoke_current(&txn, &scope.actor).await?;
    audit::record(&txn, Some(&scope.actor), meta, Entry::new("REFRESH_TOKEN", "staff", [staff.id as i64])).await?;
    txn.commit().await?;
    Ok(issue(keys, staff))
}

/// Revokes the token the request came with.
pub async fn logout(db: &DatabaseConnection, scope: &Scope, meta: &RequestMeta) -> AppResult<()> {
    let txn = crate::db::begin_write(db).await?;
    revoke_current(&txn, &scope.actor).await?;
    audit::record(&txn, Some(&scope.actor), meta, Entry::new("LOGOUT", "staff", [scope.actor.staff_id as i64])).await?;
    txn.commit().await?;
    Ok(())
}

async fn staff_by_username<C: sea_orm::ConnectionTrait>(conn: &C, username: &str) -> AppResult<staff::Model> {
    staff::Entity::find()
        .filter(staff::Column::Username.eq(username.trim()))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("staff member"))
}

/// A new API key for an INTEGRATION account; the key is returned once and only its
/// hash is kept.
pub async fn create_api_key(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    username: &str,
    name: &str,
) -> AppResult<(api_key::Model, String)> {
    scope.require(Resource::Accounts, Action::Create)?;
    limits::check("name", name, limits::NAME)?;
    if name.trim().is_empty() {
        return Err(AppError::bad_input("name", "give the key a name, e.g. the source system it is for"));
    }
    let txn = crate::db::begin_write(db).await?;
    let owner = staff_by_username(&txn, username).await?;
    if owner.role != Role::Integration {
        return Err(AppError::bad_input("username", "API keys are only for INTEGRATION accounts"));
    }
    let secret = {
        use base64::Engine;
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    };
    let key = api_key::ActiveModel {
        staff_id: Set(owner.id),
        name: Set(name.trim().to_owned()),
        prefix: Set(format!("{API_KEY_PREFIX}{}", secret.chars().take(6).collect::<String>())),
        key_hash: Set(normalize::id_hash(&secret)),
        created_by: Set(scope.actor.staff_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, Some(&scope.actor), meta, Entry::new("CREATE_API_KEY", "api_key", [key.id as i64])).await?;
    txn.commit().await?;
    Ok((key, format!("{API_KEY_PREFIX}{secret}")))
}

pub async fn revoke_api_key(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
) -> AppResult<api_key::Model> {
    scope.require(Resource::Accounts, Action::Update)?;
    let txn = crate::db::begin_write(db).await?;
    let key = api_key::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("API key"))?;
    let mut active = key.into_active_model();
    active.revoked_at = Set(Some(Utc::now()));
    let key = active.update(&txn).await?;
    audit::record(&txn, Some(&scope.actor), meta, Entry::new("REVOKE_API_KEY", "api_key", [id as i64])).await?;
    txn.commit().await?;
    Ok(key)
}

/// Enables or disables a staff account; a disabled account's tokens and keys stop
/// working with the next request.
pub async fn set_staff_active(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    username: &str,
    active: bool,
) -> AppResult<staff::Model> {
    scope.require(Resource::Accounts, Action::Update)?;
    let txn = crate::db::begin_write(db).await?;
    let member = staff_by_username(&txn, username).await?;
    if member.id == scope.actor.staff_id && !active {
        return Err(AppError::bad_input("username", "you cannot disable your own account"));
    }
    let enabling = active && !member.active;
    let mut row = member.into_active_model();
    row.active = Set(active);
    if enabling {
        // Whatever was issued before the account was disabled does not come back.
        row.tokens_not_before = Set(Some(Utc::now()));
    }
    let member = row.update(&txn).await?;
    let action = if active { "ENABLE_STAFF" } else { "DISABLE_STAFF" };
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new(action, "staff", [member.id as i64]).fields(vec!["active"]),
    )
    .await?;
    txn.commit().await?;
    Ok(member)
}
