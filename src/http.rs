//! The HTTP surface: POST /graphql, GraphiQL in development, health and readiness.

use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql::{ErrorExtensionValues, Response as GqlResponse, ServerError, Value};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;
use tracing::Instrument;

use crate::auth::TokenKeys;
use crate::config::Environment;
use crate::domain::{self, Scope};
use crate::error::AppError;
use crate::graphql::{self, HubSchema};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: HubSchema,
    pub keys: TokenKeys,
    pub environment: Environment,
}

/// Largest accepted request body.
const BODY_LIMIT: usize = 256 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphiql).post(graphql_post))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn graphiql(State(state): State<AppState>) -> Response {
    match state.environment {
        Environment::Development => Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response(),
        Environment::Production => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn ready(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => "ready".into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response(),
    }
}

fn bearer(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    Some(
        value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or(()),
    )
}

fn unauthenticated(request_id: &str) -> Response {
    let mut error =
        ServerError::new("authentication required: the token is missing, malformed, expired or revoked", None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", "UNAUTHENTICATED");
    ext.set("requestId", request_id);
    error.extensions = Some(ext);
    let body = GqlResponse::from_errors(vec![error]);
    let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

async fn graphql_post(State(state): State<AppState>, headers: HeaderMap, request: GraphQLRequest) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!("graphql", request_id = %request_id);
    execute(state, headers, request, request_id).instrument(span).await
}

async fn execute(state: AppState, headers: HeaderMap, request: GraphQLRequest, request_id: String) -> Response {
    let scope = match bearer(&headers) {
        None => None,
        Some(Err(())) => return with_request_id(unauthenticated(&request_id), &request_id),
        Some(Ok(token)) => match domain::auth::authenticate(&state.db, &state.keys, token).await {
            Ok(actor) => Some(Scope::new(actor)),
            Err(AppError::Internal(e)) => {
                tracing::error!(error = %e, "authentication lookup failed");
                None
            }
            Err(_) => return with_request_id(unauthenticated(&request_id), &request_id),
        },
    };
    let request = graphql::with_caller(request.into_inner(), &state.db, scope);
    let mut response = state.schema.execute(request).await;
    finish_errors(&mut response, &request_id);
    with_request_id(GraphQLResponse::from(response).into_response(), &request_id)
}

fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Gives every error a `code` and the request id; internal errors keep a generic message.
pub fn finish_errors(response: &mut GqlResponse, request_id: &str) {
    for error in &mut response.errors {
        let ext = error.extensions.get_or_insert_with(ErrorExtensionValues::default);
        let code = match ext.get("code") {
            Some(Value::String(code)) => code.clone(),
            _ => {
                // Errors raised by the GraphQL engine itself: parse and validation errors
                // carry no path; argument coercion errors do.
                let code = if error.path.is_empty() { "GRAPHQL_VALIDATION_FAILED" } else { "BAD_USER_INPUT" };
                ext.set("code", code);
                code.to_owned()
            }
        };
        if code == "INTERNAL" {
            error.message = format!("internal error; quote request id {request_id} when reporting it");
        }
        ext.set("requestId", request_id);
    }
}
