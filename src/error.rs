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
    Forbidden(String),
    NotFound(&'static str),
    BadInput {
        message: String,
        field: Option<String>,
    },
    Conflict(String),
    /// The cause is kept for the log, never shown to callers.
    Internal(Arc<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput { message: message.into(), field: Some(field.into()) }
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Arc::new(e))
    }

    /// The message shown to the caller; never the internal cause.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated => "authentication required".into(),
            Self::BadCredentials => "invalid username or password".into(),
            Self::TooManyAttempts => "too many failed logins for this username; try again in 15 minutes".into(),
            Self::Forbidden(m) | Self::Conflict(m) => m.clone(),
            Self::NotFound(what) => format!("{what} not found"),
            Self::BadInput { message, .. } => message.clone(),
            Self::Internal(_) => "internal error".into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated | Self::BadCredentials => "UNAUTHENTICATED",
            Self::TooManyAttempts => "TOO_MANY_ATTEMPTS",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::Internal(_) => "INTERNAL",
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::internal(e)
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
            if let AppError::BadInput { field: Some(field), .. } = &e {
                ext.set("field", field.as_str());
            }
        })
    }
}

pub type AppResult<T> = Result<T, AppError>;
