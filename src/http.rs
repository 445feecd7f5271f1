//! The HTTP surface, following the GraphQL-over-HTTP specification: POST /graphql with
//! JSON bodies only, queries (never mutations) over GET, the response media type
//! negotiated from Accept, GraphiQL in development, health and readiness.

// The refusals of this layer are HTTP responses; they are built once per request.
#![allow(clippy::result_large_err)]

use std::net::SocketAddr;
use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, ErrorExtensionValues, Response as GqlResponse, ServerError, Value};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::Instrument;

use crate::auth::TokenKeys;
use crate::config::{Environment, HttpConfig};
use crate::domain::audit::RequestMeta;
use crate::domain::{self, Scope};
use crate::error::AppError;
use crate::graphql::document::{self, DocumentLimits};
use crate::graphql::{self, HubSchema};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: HubSchema,
    pub keys: TokenKeys,
    pub environment: Environment,
    pub http: HttpConfig,
}

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .layer(RequestBodyLimitLayer::new(state.http.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_millis(state.http.request_timeout_ms),
        ));
    if !state.http.cors_origins.is_empty() {
        let origins: Vec<HeaderValue> =
            state.http.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o.trim()).ok()).collect();
        router = router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
                .expose_headers([header::HeaderName::from_static("x-request-id")]),
        );
    }
    router.layer(TraceLayer::new_for_http()).with_state(state)
}

async fn ready(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => "ready".into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response(),
    }
}

/// A response carrying one GraphQL error with a code, outside normal execution.
fn error_response(status: StatusCode, code: &str, message: &str, request_id: &str, media: &'static str) -> Response {
    let mut error = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", code);
    ext.set("requestId", request_id);
    error.extensions = Some(ext);
    let body = serde_json::to_vec(&GqlResponse::from_errors(vec![error])).unwrap_or_default();
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// The media type to answer with, from the Accept header; `None` when the client
/// accepts neither GraphQL response type (406).
fn negotiate(headers: &HeaderMap) -> Option<&'static str> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else { return Some(JSON) };
    // Media ranges the client accepts at all (q=0 means "not this one").
    let ranges: Vec<String> = accept
        .split(',')
        .filter(|range| !range.split(';').skip(1).any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000")))
        .map(|range| range.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .collect();
    let ranges: Vec<&str> = ranges.iter().map(String::as_str).collect();
    if ranges.contains(&GRAPHQL_RESPONSE) {
        Some(GRAPHQL_RESPONSE)
    } else if ranges.iter().any(|r| matches!(*r, JSON | "application/*" | "*/*")) {
        Some(JSON)
    } else {
        None
    }
}

fn not_acceptable(request_id: &str) -> Response {
    let message = "accept application/graphql-response+json or application/json";
    error_response(StatusCode::NOT_ACCEPTABLE, "NOT_ACCEPTABLE", message, request_id, JSON)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(JSON))
}

/// Per-request facts the handlers share.
struct Call {
    request_id: String,
    client_addr: Option<String>,
    media: &'static str,
}

async fn graphql_post(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!("graphql", request_id = %request_id);
    async move {
        let media = match negotiate(&headers) {
            Some(media) => media,
            None => return not_acceptable(&request_id),
        };
        // Only JSON bodies: forms, multipart and text/plain are what a cross-site page
        // can send without a preflight, so they never reach execution.
        if !is_json(&headers) {
            return error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "POST bodies must be application/json",
                &request_id,
                media,
            );
        }
        let batch: BatchRequest = match serde_json::from_slice(&body) {
            Ok(batch) => batch,
            Err(_) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "the body is not a GraphQL request in JSON",
                    &request_id,
                    media,
                );
            }
        };
        let call = Call { request_id, client_addr: connect.map(|c| c.0.0.ip().to_string()), media };
        match batch {
            BatchRequest::Single(request) => execute(&state, &headers, &call, request, false).await,
            BatchRequest::Batch(requests) => {
                if !state.http.allow_batch {
                    return error_response(
                        StatusCode::BAD_REQUEST,
                        "BATCH_NOT_ALLOWED",
                        "batched requests are not enabled",
                        &call.request_id,
                        media,
                    );
                }
                if requests.len() > state.http.max_batch {
                    let message = format!("at most {} operations per batch", state.http.max_batch);
                    return error_response(
                        StatusCode::BAD_REQUEST,
                        "BATCH_TOO_LARGE",
                        &message,
                        &call.request_id,
                        media,
                    );
                }
                // Every operation is checked before any runs, so a refusal never hides an
                // operation that already changed something.
                for request in &requests {
                    if let Err(refused) = check(&state, &call, request, false) {
                        return refused;
                    }
                }
                let scope = match authenticate(&state, &headers, &call).await {
                    Ok(scope) => scope,
                    Err(refused) => return refused,
                };
                let mut responses = Vec::with_capacity(requests.len());
                for request in requests {
                    responses.push(execute_checked(&state, &call, request, scope.clone()).await);
                }
                respond(StatusCode::OK, &call, &BatchResponse::Batch(responses))
            }
        }
    }
    .instrument(span)
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    variables: Option<String>,
    operation_name: Option<String>,
}

async fn graphql_get(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Query(params): Query<GetParams>,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let Some(query) = params.query else {
        return match state.environment {
            Environment::Development => Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response(),
            Environment::Production => StatusCode::NOT_FOUND.into_response(),
        };
    };
    let media = match negotiate(&headers) {
        Some(media) => media,
        None => return not_acceptable(&request_id),
    };
    let variables = match params.variables.as_deref().map(serde_json::from_str::<serde_json::Value>).transpose() {
        Ok(v) => v,
        Err(_) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "variables must be a JSON object",
                &request_id,
                media,
            );
        }
    };
    let mut request = async_graphql::Request::new(query);
    if let Some(variables) = variables {
        request = request.variables(async_graphql::Variables::from_json(variables));
    }
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    let call = Call { request_id: request_id.clone(), client_addr: connect.map(|c| c.0.0.ip().to_string()), media };
    let span = tracing::info_span!("graphql", request_id = %request_id);
    execute(&state, &headers, &call, request, true).instrument(span).await
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    call: &Call,
    request: async_graphql::Request,
    via_get: bool,
) -> Response {
    match run(state, headers, call, request, via_get).await {
        Ok((status, response)) => respond(status, call, &response),
        Err(early) => early,
    }
}

fn respond<T: serde::Serialize>(status: StatusCode, call: &Call, body: &T) -> Response {
    let bytes = match serde_json::to_vec(body) {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "serialising a response failed");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal error",
                &call.request_id,
                call.media,
            );
        }
    };
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(call.media));
    if let Ok(value) = HeaderValue::from_str(&call.request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Applies the document limits and method rules to one operation before it runs.
fn check(state: &AppState, call: &Call, request: &async_graphql::Request, via_get: bool) -> Result<(), Response> {
    let limits = DocumentLimits {
        max_aliases: state.http.max_aliases,
        max_fields: state.http.max_fields,
        introspection: state.environment == Environment::Development,
    };
    match document::check(&request.query, request.operation_name.as_deref(), limits) {
        Ok(Some(checked)) if via_get && checked.operation == Some(OperationType::Mutation) => {
            let mut response = error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "mutations are only accepted over POST",
                &call.request_id,
                call.media,
            );
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
            Err(response)
        }
        Ok(_) => Ok(()),
        Err(e) => {
            let status = if call.media == GRAPHQL_RESPONSE { StatusCode::BAD_REQUEST } else { StatusCode::OK };
            Err(error_response(status, e.code(), &e.message(), &call.request_id, call.media))
        }
    }
}

/// The caller's scope from the bearer credential; `None` when anonymous.
async fn authenticate(state: &AppState, headers: &HeaderMap, call: &Call) -> Result<Option<Scope>, Response> {
    match bearer(headers) {
        None => Ok(None),
        Some(Err(())) => Err(unauthenticated(call)),
        Some(Ok(token)) => match domain::auth::authenticate(&state.db, &state.keys, token).await {
            Ok(actor) => Ok(Some(Scope::new(actor))),
            Err(AppError::Internal(e)) => {
                tracing::error!(error = %e, "authentication lookup failed");
                let message = format!("internal error; quote request id {} when reporting it", call.request_id);
                Err(error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    &message,
                    &call.request_id,
                    call.media,
                ))
            }
            Err(_) => Err(unauthenticated(call)),
        },
    }
}

/// Executes one checked operation as `scope`.
async fn execute_checked(
    state: &AppState,
    call: &Call,
    request: async_graphql::Request,
    scope: Option<Scope>,
) -> GqlResponse {
    let meta = RequestMeta { request_id: call.request_id.clone(), client_addr: call.client_addr.clone() };
    let mut response = graphql::execute(&state.schema, &state.db, request, scope, meta).await;
    finish_errors(&mut response, &call.request_id);
    response
}

/// Checks, authenticates and executes one operation. `Err` is an HTTP-level refusal.
async fn run(
    state: &AppState,
    headers: &HeaderMap,
    call: &Call,
    request: async_graphql::Request,
    via_get: bool,
) -> Result<(StatusCode, GqlResponse), Response> {
    check(state, call, &request, via_get)?;
    let scope = authenticate(state, headers, call).await?;
    let anonymous = scope.is_none();
    let response = execute_checked(state, call, request, scope).await;
    // An anonymous call to anything but `login` is an authentication failure.
    let needs_login = anonymous
        && response.errors.iter().any(|e| {
            matches!(e.extensions.as_ref().and_then(|x| x.get("credential")), Some(Value::String(c)) if c == "missing")
        });
    if needs_login {
        return Err(unauthenticated(call));
    }
    let status = if call.media == GRAPHQL_RESPONSE && response.data == Value::Null && !response.errors.is_empty() {
        // Requests that fail before execution (syntax, validation) are 400 under the
        // graphql-response+json media type.
        if response.errors.iter().all(|e| e.path.is_empty()) { StatusCode::BAD_REQUEST } else { StatusCode::OK }
    } else {
        StatusCode::OK
    };
    Ok((status, response))
}

fn unauthenticated(call: &Call) -> Response {
    error_response(
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
        "authentication required: the token is missing, malformed, expired or revoked",
        &call.request_id,
        call.media,
    )
}

fn bearer(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    Some(
        value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(()),
    )
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
