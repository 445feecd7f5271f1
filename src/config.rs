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
    /// Source systems in order of trust for merge survivorship ties (comma-separated).
    #[arg(
        long,
        env = "HUB_SOURCE_PRIORITY",
        value_delimiter = ',',
        default_value = "SALES,INSURANCE,SERVICE,PARTS,CRM,IMPORT"
    )]
    pub source_priority: Vec<String>,
    #[command(flatten)]
    pub http: HttpConfig,
    #[command(flatten)]
    pub kpi: KpiConfig,
    #[command(flatten)]
    pub care: CareConfig,
    #[command(flatten)]
    pub matching: MatchConfig,
    /// Seconds between runs of the care jobs inside `serve` (task generation, expiry,
    /// complaint escalation); 0 turns the scheduler off (run `customer-hub jobs run`).
    #[arg(long, env = "HUB_JOBS_INTERVAL_SECS", default_value_t = 900)]
    pub jobs_interval_secs: u64,
    /// SSI weights in %, in the order sales initiation, facility, deal, salesperson, delivery.
    #[arg(long, env = "HUB_SURVEY_SSI_WEIGHTS", value_delimiter = ',', default_value = "21,19,20,17,23")]
    pub survey_ssi_weights: Vec<u32>,
    /// CSI weights in %: service initiation, service advisor, facility, service quality, vehicle pick-up.
    #[arg(long, env = "HUB_SURVEY_CSI_WEIGHTS", value_delimiter = ',', default_value = "17,18,21,24,21")]
    pub survey_csi_weights: Vec<u32>,
    /// A survey index (1,000-point scale) below this opens a complaint.
    #[arg(long, env = "HUB_SURVEY_COMPLAINT_BELOW", default_value_t = 600)]
    pub survey_complaint_below: i32,
}

impl ServeConfig {
    /// The survey settings, checked.
    pub fn survey_settings(&self) -> Result<crate::domain::surveys::SurveySettings, String> {
        let five = |name: &str, w: &[u32]| -> Result<[u32; 5], String> {
            let weights: [u32; 5] = w.try_into().map_err(|_| format!("{name} takes five weights"))?;
            if weights.iter().any(|w| *w > 100) || weights.iter().sum::<u32>() == 0 {
                return Err(format!("{name}: weights 0–100, not all 0"));
            }
            Ok(weights)
        };
        if !(100..=1000).contains(&self.survey_complaint_below) {
            return Err("HUB_SURVEY_COMPLAINT_BELOW must be between 100 and 1000".into());
        }
        Ok(crate::domain::surveys::SurveySettings {
            ssi_weights: five("HUB_SURVEY_SSI_WEIGHTS", &self.survey_ssi_weights)?,
            csi_weights: five("HUB_SURVEY_CSI_WEIGHTS", &self.survey_csi_weights)?,
            complaint_below: self.survey_complaint_below,
        })
    }
}

/// Identity resolution's thresholds, in bits of match score (see README, "How the hub
/// decides who is who").
#[derive(Debug, Clone, Copy, Args)]
pub struct MatchConfig {
    /// At or above this score a record is the customer's.
    #[arg(long, env = "HUB_MATCH_THRESHOLD", default_value_t = 6.0)]
    pub match_threshold: f64,
    /// At or above this (and below the match threshold) the pair waits in the duplicate
    /// queue; below it the two stay apart.
    #[arg(long, env = "HUB_REVIEW_THRESHOLD", default_value_t = 0.0)]
    pub review_threshold: f64,
}

impl MatchConfig {
    /// Checks the thresholds and puts them in force for this process.
    pub fn apply(&self) -> Result<(), String> {
        let (accept, review) = (self.match_threshold, self.review_threshold);
        if !accept.is_finite() || !review.is_finite() || !(-40.0..=60.0).contains(&accept) || review > accept {
            return Err(
                "HUB_MATCH_THRESHOLD must be a number of bits between -40 and 60, and HUB_REVIEW_THRESHOLD no higher"
                    .into(),
            );
        }
        crate::domain::linkage::configure(crate::domain::linkage::Thresholds { accept, review });
        Ok(())
    }
}

/// The rules of care work.
#[derive(Debug, Clone, Args)]
pub struct CareConfig {
    /// First maintenance: months after delivery…
    #[arg(long, env = "HUB_CARE_FIRST_MAINTENANCE_MONTHS", default_value_t = 6)]
    pub care_first_maintenance_months: u32,
    /// …or kilometres, whichever comes first (predicted from odometer readings).
    #[arg(long, env = "HUB_CARE_FIRST_MAINTENANCE_KM", default_value_t = 5_000)]
    pub care_first_maintenance_km: i32,
    /// Days ahead a maintenance or inspection reminder is made.
    #[arg(long, env = "HUB_CARE_REMIND_DAYS_AHEAD", default_value_t = 30)]
    pub care_remind_days_ahead: i64,
    /// Open tasks overdue this many days expire (and older events make no task).
    #[arg(long, env = "HUB_CARE_STALE_DAYS", default_value_t = 14)]
    pub care_stale_days: i64,
}

impl CareConfig {
    pub fn settings(&self) -> Result<crate::domain::care::CareSettings, String> {
        if !(1..=36).contains(&self.care_first_maintenance_months) {
            return Err("HUB_CARE_FIRST_MAINTENANCE_MONTHS must be between 1 and 36".into());
        }
        if !(500..=50_000).contains(&self.care_first_maintenance_km) {
            return Err("HUB_CARE_FIRST_MAINTENANCE_KM must be between 500 and 50000".into());
        }
        if !(1..=120).contains(&self.care_remind_days_ahead) || !(1..=120).contains(&self.care_stale_days) {
            return Err("HUB_CARE_REMIND_DAYS_AHEAD and HUB_CARE_STALE_DAYS must be between 1 and 120".into());
        }
        Ok(crate::domain::care::CareSettings {
            first_maintenance_months: self.care_first_maintenance_months,
            first_maintenance_km: self.care_first_maintenance_km,
            remind_days_ahead: self.care_remind_days_ahead,
            stale_days: self.care_stale_days,
            ..Default::default()
        })
    }
}

/// The KPI definitions' settings; the `bi` views are re-created with them at start.
#[derive(Debug, Clone, Args)]
pub struct KpiConfig {
    /// KPI cells counting fewer distinct customers show no figures (at least 2).
    #[arg(long, env = "HUB_KPI_MIN_CUSTOMERS", default_value_t = 5)]
    pub kpi_min_customers: i64,
    /// The first-maintenance window after delivery, in months.
    #[arg(long, env = "HUB_KPI_FIRST_MAINTENANCE_MONTHS", default_value_t = 6)]
    pub kpi_first_maintenance_months: u32,
    /// The second-maintenance window after the first maintenance, in months.
    #[arg(long, env = "HUB_KPI_SECOND_MAINTENANCE_MONTHS", default_value_t = 6)]
    pub kpi_second_maintenance_months: u32,
    /// Months without a purchase or visit after which a base customer counts as lost.
    #[arg(long, env = "HUB_KPI_CHURN_MONTHS", default_value_t = 12)]
    pub kpi_churn_months: u32,
}

impl KpiConfig {
    pub fn settings(&self) -> Result<crate::domain::kpi::Settings, String> {
        if self.kpi_min_customers < 2 {
            return Err("HUB_KPI_MIN_CUSTOMERS must be at least 2".into());
        }
        for (name, months) in [
            ("HUB_KPI_FIRST_MAINTENANCE_MONTHS", self.kpi_first_maintenance_months),
            ("HUB_KPI_SECOND_MAINTENANCE_MONTHS", self.kpi_second_maintenance_months),
            ("HUB_KPI_CHURN_MONTHS", self.kpi_churn_months),
        ] {
            if !(1..=120).contains(&months) {
                return Err(format!("{name} must be between 1 and 120"));
            }
        }
        Ok(crate::domain::kpi::Settings {
            min_customers: self.kpi_min_customers,
            first_maintenance_months: self.kpi_first_maintenance_months,
            second_maintenance_months: self.kpi_second_maintenance_months,
            churn_months: self.kpi_churn_months,
        })
    }
}

/// SchemaOptions and policies of the HTTP surface.
#[derive(Debug, Clone, Args)]
pub struct HttpConfig {
    /// Origins allowed to call the API from a browser (comma-separated); none by default.
    #[arg(long, env = "HUB_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Accept batched requests (a JSON array of operations).
    #[arg(long, env = "HUB_ALLOW_BATCH", default_value_t = false)]
    pub allow_batch: bool,
    /// Most operations in one batch, when batching is on.
    #[arg(long, env = "HUB_MAX_BATCH", default_value_t = 10)]
    pub max_batch: usize,
    /// Largest request body in bytes.
    #[arg(long, env = "HUB_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Whole-request timeout in milliseconds.
    #[arg(long, env = "HUB_REQUEST_TIMEOUT_MS", default_value_t = 15_000)]
    pub request_timeout_ms: u64,
    /// Query depth limit.
    #[arg(long, env = "HUB_MAX_DEPTH", default_value_t = 16)]
    pub max_depth: usize,
    /// Query complexity limit (each field costs 1, lists multiply by their page size).
    #[arg(long, env = "HUB_MAX_COMPLEXITY", default_value_t = 20_000)]
    pub max_complexity: usize,
    /// Most aliases in one document.
    #[arg(long, env = "HUB_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: usize,
    /// Most selected fields in one document.
    #[arg(long, env = "HUB_MAX_FIELDS", default_value_t = 600)]
    pub max_fields: usize,
    /// Most database connections one request uses at once (its share of the pool).
    #[arg(long, env = "HUB_DB_CONNECTIONS_PER_REQUEST", default_value_t = 3)]
    pub db_connections_per_request: usize,
    /// Logins allowed per client address and minute (a burst of this many, refilled evenly).
    #[arg(long, env = "HUB_LOGIN_PER_MINUTE", default_value_t = 30)]
    pub login_per_minute: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            allow_batch: false,
            max_batch: 10,
            max_body_bytes: 1024 * 1024,
            request_timeout_ms: 15_000,
            max_depth: 16,
            max_complexity: 20_000,
            max_aliases: 30,
            max_fields: 600,
            db_connections_per_request: 3,
            login_per_minute: 30,
        }
    }
}

impl ServeConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.demo && !self.listen.ip().is_loopback() {
            return Err(format!(
                "--demo serves well-known passwords and refuses the non-loopback address {}",
                self.listen
            ));
        }
        if self.http.db_connections_per_request == 0 {
            return Err("HUB_DB_CONNECTIONS_PER_REQUEST must be at least 1".into());
        }
        if self.http.login_per_minute == 0 {
            return Err("HUB_LOGIN_PER_MINUTE must be at least 1".into());
        }
        if !(60..=3600).contains(&self.token_ttl_secs) {
            return Err("HUB_TOKEN_TTL_SECS must be between 60 and 3600".into());
        }
        for system in &self.source_priority {
            system
                .trim()
                .parse::<entity::enums::SourceSystem>()
                .map_err(|_| format!("HUB_SOURCE_PRIORITY: unknown source system `{system}`"))?;
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
