//! HS256 access tokens with every claim required and the algorithm pinned.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "customer-hub";
pub const AUDIENCE: &str = "customer-hub-api";
const LEEWAY_SECS: u64 = 30;
const MAX_TTL_SECS: i64 = 3600;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Staff id.
    pub sub: String,
    pub role: String,
    /// Store id; null for group-wide roles, but always present.
    #[serde(deserialize_with = "Option::deserialize")]
    pub store: Option<i32>,
    pub department: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl_secs: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["sub", "iss", "aud", "exp", "iat", "jti"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs: ttl_secs.min(MAX_TTL_SECS),
        }
    }

    /// A random secret for development runs (tokens die with the process).
    pub fn random(ttl_secs: i64) -> Self {
        use rand::RngCore;
        let mut secret = [0u8; 48];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        Self::new(&secret, ttl_secs)
    }

    pub fn issue(&self, staff: &entity::staff::Model, now: DateTime<Utc>) -> (String, Claims) {
        let claims = Claims {
            sub: staff.id.to_string(),
            role: staff.role.as_str().to_owned(),
            store: staff.store_id,
            department: staff.department.as_str().to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            exp: now.timestamp() + self.ttl_secs,
            iat: now.timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding of plain claims cannot fail");
        (token, claims)
    }

    /// Checks signature, algorithm, issuer, audience, expiry and lifetime; `None` for any
    /// failure.
    pub fn decode(&self, token: &str) -> Option<Claims> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?.claims;
        let issued_in_future = claims.iat > Utc::now().timestamp().saturating_add(LEEWAY_SECS as i64);
        let lifetime = claims.exp.saturating_sub(claims.iat);
        let sane = !issued_in_future && (0..=MAX_TTL_SECS).contains(&lifetime) && !claims.jti.trim().is_empty();
        sane.then_some(claims)
    }
}
