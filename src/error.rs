//! The one error type of the hub. User-facing errors are explicit constructors with a
//! machine-readable code; everything else is `Internal`, logged and shown generically.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

/// Deliberately not `Display`: async-graphql turns any `Display` error into a message
/// without a code, so the only way into a GraphQL error is the `From` below.
#[derive(Debug, Clone)]
pub enum AppError {
    Unauthenticated,
    BadCredentials,
    TooManyAttempts,
    /// Too many requests of a kind from one client, or too many in progress at once.
    RateLimited,
    Forbidden(String),
    NotFound(&'static str),
    BadInput {
        message: String,
        field: Option<String>,
    },
    Conflict(String),
    /// A business rule refuses the request: its own code (LEAD_CLOSED, LEAD_PROTECTED,
    /// CONSENT_REQUIRED, …) and details the caller may act on, in the extensions.
    Refused {
        code: &'static str,
        message: String,
        details: Vec<(&'static str, String)>,
    },
    /// A request nested deeper than the parser may recurse (HTTP 400 before parsing).
    TooDeep(String),
    /// A document the GraphQL rules refuse (checked by the hub before the engine).
    Invalid(String),
    /// The database could not be reached in time (pool exhausted, unreachable, busy);
    /// HTTP 503 with Retry-After. Logged where it is classified.
    Unavailable,
    /// The cause is kept for the log, never shown to callers.
    Internal(Arc<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput { message: message.into(), field: Some(field.into()) }
    }

    /// A refusal by a business rule, with its code.
    pub fn refused(code: &'static str, message: impl Into<String>) -> Self {
        Self::Refused { code, message: message.into(), details: Vec::new() }
    }

    /// The same refusal with one more detail for the extensions.
    pub fn with(mut self, key: &'static str, value: impl Into<String>) -> Self {
        if let Self::Refused { details, .. } = &mut self {
            details.push((key, value.into()));
        }
        self
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Arc::new(e))
    }

    /// The message for an operator's terminal or log: the internal cause included.
    pub fn log_text(&self) -> String {
        match self {
            Self::Internal(cause) => cause.to_string(),
            other => other.message(),
        }
    }

    /// The message shown to the caller; never the internal cause.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated => "authentication required".into(),
            Self::BadCredentials => "invalid username or password".into(),
            Self::TooManyAttempts => "too many failed logins for this username; try again in 15 minutes".into(),
            Self::RateLimited => "too many requests; wait a moment and try again".into(),
            Self::Refused { message: m, .. } => m.clone(),
            Self::Forbidden(m) | Self::Conflict(m) | Self::Invalid(m) | Self::TooDeep(m) => m.clone(),
            Self::NotFound(what) => format!("{what} not found"),
            Self::BadInput { message, .. } => message.clone(),
            Self::Unavailable => "the database is busy or unreachable; retry shortly".into(),
            Self::Internal(_) => "internal error".into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated | Self::BadCredentials => "UNAUTHENTICATED",
            Self::TooManyAttempts => "TOO_MANY_ATTEMPTS",
            Self::RateLimited => "RATE_LIMITED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::Refused { code, .. } => code,
            Self::Invalid(_) => "GRAPHQL_VALIDATION_FAILED",
            Self::TooDeep(_) => "NESTING_TOO_DEEP",
            Self::Unavailable => "UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }
}

/// Whether a driver error is SQLite's "database is busy/locked" (codes 5, 6 and their
/// extended forms), which a retry resolves.
fn sqlite_busy(e: &sea_orm::DbErr) -> bool {
    let (sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(inner))
    | sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(inner))
    | sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(inner))) = e
    else {
        return false;
    };
    let Some(db) = inner.as_database_error() else { return false };
    let code = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
    matches!(code & 0xff, 5 | 6) && db.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>().is_some()
}

/// Database errors by kind: a unique violation is a conflict with a record that exists,
/// a foreign-key violation names a record that does not, a pool timeout or a lost
/// connection is UNAVAILABLE; anything else is internal.
impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        use sea_orm::{DbErr, SqlErr};
        match &e {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
                tracing::warn!(error = %e, "database unavailable");
                return Self::Unavailable;
            }
            _ if sqlite_busy(&e) => {
                tracing::warn!(error = %e, "database busy");
                return Self::Unavailable;
            }
            _ => {}
        }
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                tracing::info!(error = %e, "unique violation");
                Self::Conflict("a record with the same key already exists".into())
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                tracing::info!(error = %e, "foreign-key violation");
                Self::BadInput { message: "the input refers to a record that does not exist".into(), field: None }
            }
            _ => Self::internal(e),
        }
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(e: sea_orm::TransactionError<AppError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(e: AppError) -> Self {
        if let AppError::Internal(source) = &e {
            // The cause goes to the log only; the caller sees a generic message and the
            // request id that the HTTP layer adds to every error.
            tracing::error!(error = %source, "internal error");
        }
        async_graphql::Error::new(e.message()).extend_with(|_, ext| {
            ext.set("code", e.code());
            if let AppError::Unauthenticated = &e {
                // Marks "no valid credential" apart from a failed login, for the HTTP
                // layer's 401.
                ext.set("credential", "missing");
            }
            if let AppError::Refused { details, .. } = &e {
                for (key, value) in details {
                    ext.set(*key, value.as_str());
                }
            }
            if let AppError::BadInput { field: Some(field), .. } = &e {
                ext.set("field", field.as_str());
            }
        })
    }
}

pub type AppResult<T> = Result<T, AppError>;
