//! One typed configuration, from flags and `HUB_*` environment variables.

use std::net::SocketAddr;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

/// Settings shared by every command that touches the database.
#[derive(Debug, Clone, Args)]
pub struct DbConfig {
    /// Database URL: `sqlite://file.db?mode=rwc` (embedded, the default) or `postgres://...`.
    #[arg(long, env = "HUB_DATABASE_URL", default_value = "sqlite://customer-hub.db?mode=rwc")]
    pub database_url: String,
    /// Maximum pooled database connections.
    #[arg(long, env = "HUB_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,
    /// Statement timeout in milliseconds (PostgreSQL `statement_timeout`; SQLite busy timeout).
    #[arg(long, env = "HUB_DB_STATEMENT_TIMEOUT_MS", default_value_t = 10_000)]
    pub db_statement_timeout_ms: u64,
}

/// Settings of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    #[command(flatten)]
    pub db: DbConfig,
    /// Address to listen on.
    #[arg(long, env = "HUB_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// `production` turns off GraphiQL and introspection and requires HUB_JWT_SECRET.
    #[arg(long = "env", env = "HUB_ENV", value_enum, default_value = "development")]
    pub environment: Environment,
    /// HMAC secret for access tokens (at least 32 bytes). Random per start in development.
    #[arg(long, env = "HUB_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Access-token lifetime in seconds (at most 3600).
    #[arg(long, env = "HUB_TOKEN_TTL_SECS", default_value_t = 3600)]
    pub token_ttl_secs: i64,
    /// Seed the demo dealer group (once) and print the demo accounts. Loopback only.
    #[arg(long)]
    pub demo: bool,
}

impl ServeConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.demo && !self.listen.ip().is_loopback() {
            return Err(format!(
                "--demo serves well-known passwords and refuses the non-loopback address {}",
                self.listen
            ));
        }
        if !(60..=3600).contains(&self.token_ttl_secs) {
            return Err("HUB_TOKEN_TTL_SECS must be between 60 and 3600".into());
        }
        if self.environment == Environment::Production {
            match &self.jwt_secret {
                Some(s) if s.len() >= 32 => {}
                _ => return Err("HUB_JWT_SECRET of at least 32 bytes is required when HUB_ENV=production".into()),
            }
        }
        Ok(())
    }
}
