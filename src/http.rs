//! The HTTP surface, following the GraphQL-over-HTTP specification: POST /graphql with
//! JSON bodies only, queries (never mutations) over GET, the response media type
//! negotiated from Accept, GraphiQL in development, health and readiness.

// The refusals of this layer are HTTP responses; they are built once per request.
#![allow(clippy::result_large_err)]

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, ErrorExtensionValues, Response as GqlResponse, Value};
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use tower_http::cors::{AllowOrigin, CorsLayer};
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

/// The id of one request, given by the first layer and carried by every answer.
#[derive(Clone)]
pub struct RequestId(pub String);

pub fn router(state: AppState) -> Router {
    let graphql = get(graphql_get).post(graphql_post).fallback(method_not_allowed);
    let mut router = Router::new()
        .route("/graphql", graphql)
        .route("/healthz", get(|| async { "ok" }).fallback(method_not_allowed))
        .route("/readyz", get(ready).fallback(method_not_allowed))
        .fallback(not_found)
        .merge(crate::dashboard::routes())
        .merge(crate::bi::routes());
    if state.environment == Environment::Development {
        router = router.merge(crate::graphiql::routes());
    }
    router = harden(router, &state);
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

/// Wraps routes in the first layer every request meets (see [`request_context`]).
pub fn harden(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    router.layer(middleware::from_fn_with_state(state.clone(), request_context))
}

/// The first layer every request meets: it gives the request its id, bounds its time,
/// turns a panic anywhere below into the documented INTERNAL error (the process and the
/// connection live on), and puts the id on every answer.
async fn request_context(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    request.extensions_mut().insert(RequestId(request_id.clone()));
    let media = negotiate(request.headers()).unwrap_or(JSON);
    let limit = Duration::from_millis(state.http.request_timeout_ms);
    let work = AssertUnwindSafe(next.run(request)).catch_unwind();
    let mut response = match tokio::time::timeout(limit, work).await {
        Ok(Ok(response)) => response,
        Ok(Err(panic)) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(request_id = %request_id, panic = %what, "a request panicked");
            internal_error(&request_id, media)
        }
        Err(_) => {
            let message = format!("the request took longer than {} ms", state.http.request_timeout_ms);
            let mut response = error_response(StatusCode::SERVICE_UNAVAILABLE, "TIMEOUT", &message, &request_id, media);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    };
    if !response.headers().contains_key("x-request-id")
        && let Ok(value) = HeaderValue::from_str(&request_id)
    {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

async fn not_found(Extension(id): Extension<RequestId>, headers: HeaderMap) -> Response {
    let media = negotiate(&headers).unwrap_or(JSON);
    error_response(StatusCode::NOT_FOUND, "NOT_FOUND", "no such path; the API is POST /graphql", &id.0, media)
}

async fn method_not_allowed(Extension(id): Extension<RequestId>, headers: HeaderMap) -> Response {
    let media = negotiate(&headers).unwrap_or(JSON);
    let mut response =
        error_response(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "use GET or POST", &id.0, media);
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
    response
}

async fn ready(State(state): State<AppState>, Extension(id): Extension<RequestId>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => "ready".into_response(),
        _ => unavailable(&id.0, JSON, "the database is unreachable"),
    }
}

fn internal_error(request_id: &str, media: &'static str) -> Response {
    let message = format!("internal error; quote request id {request_id} when reporting it");
    error_response(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", &message, request_id, media)
}

fn unavailable(request_id: &str, media: &'static str, message: &str) -> Response {
    let mut response = error_response(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", message, request_id, media);
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// A response carrying one error with a code, outside normal execution. Such a request
/// never started executing, so the body has no `data` (GraphQL over HTTP).
fn error_response(status: StatusCode, code: &str, message: &str, request_id: &str, media: &'static str) -> Response {
    let mut extensions = serde_json::json!({ "code": code, "requestId": request_id });
    if status == StatusCode::UNAUTHORIZED {
        extensions["credential"] = "missing".into();
    }
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": extensions }] });
    let mut response = (status, body.to_string()).into_response();
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

/// The JSON error every refusal answers with (for the hub's other routes).
pub(crate) fn json_error(status: StatusCode, code: &str, message: &str, request_id: &str) -> Response {
    error_response(status, code, message, request_id, JSON)
}

/// Runs one operation the hub wrote itself (the CSV download's) as the caller of
/// `headers`: the same authentication, limits and error codes as `POST /graphql`.
/// `Err` is the JSON refusal to send.
pub(crate) async fn run_for_caller(
    state: &AppState,
    headers: &HeaderMap,
    request_id: &str,
    request: async_graphql::Request,
) -> Result<GqlResponse, Response> {
    let call = Call { request_id: request_id.to_owned(), client_addr: None, media: JSON };
    let scope = authenticate(state, headers, &call).await?;
    if scope.is_none() {
        return Err(unauthenticated(&call));
    }
    Ok(execute_checked(state, &call, request, scope).await)
}

/// Per-request facts the handlers share.
struct Call {
    request_id: String,
    client_addr: Option<String>,
    media: &'static str,
}

/// Reads the body up to `limit` bytes; 413 with the JSON error beyond it, announced by
/// Content-Length or not.
async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    request_id: &str,
    media: &'static str,
) -> Result<Bytes, Response> {
    let too_large = || {
        let message = format!("the request body is larger than {limit} bytes");
        error_response(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", &message, request_id, media)
    };
    let announced =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|_| too_large())
}

fn bad_request(message: &str, request_id: &str, media: &'static str) -> Response {
    error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", message, request_id, media)
}

/// Checks that a JSON body is a GraphQL request (or, when `batch`, a non-empty list of
/// them): `query` a string, `variables` and `extensions` objects, `operationName` a
/// string, each when present. Answers with what is wrong.
fn request_shape(body: &serde_json::Value) -> Result<(), String> {
    fn one(request: &serde_json::Value) -> Result<(), String> {
        let Some(map) = request.as_object() else { return Err("a GraphQL request is a JSON object".into()) };
        match map.get("query") {
            Some(serde_json::Value::String(_)) => {}
            Some(_) => return Err("`query` must be a string".into()),
            None => return Err("the request has no `query`".into()),
        }
        for (key, ok) in [
            ("variables", map.get("variables").is_none_or(|v| v.is_object() || v.is_null())),
            ("extensions", map.get("extensions").is_none_or(|v| v.is_object() || v.is_null())),
            ("operationName", map.get("operationName").is_none_or(|v| v.is_string() || v.is_null())),
        ] {
            if !ok {
                return Err(format!("`{key}` has the wrong type"));
            }
        }
        Ok(())
    }
    match body {
        serde_json::Value::Array(list) if list.is_empty() => Err("an empty batch holds no request".into()),
        serde_json::Value::Array(list) => list.iter().try_for_each(one),
        other => one(other),
    }
}

async fn graphql_post(
    State(state): State<AppState>,
    Extension(id): Extension<RequestId>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = id.0;
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
        let body = match read_body(body, &headers, state.http.max_body_bytes, &request_id, media).await {
            Ok(body) => body,
            Err(refused) => return refused,
        };
        // The JSON reader recurses once per level: measure the nesting first.
        if document::json_nesting(&body, document::MAX_NESTING) > document::MAX_NESTING {
            let e = document::too_deep("body");
            return error_response(StatusCode::BAD_REQUEST, e.code(), &e.message(), &request_id, media);
        }
        let json: serde_json::Value = match serde_json::from_slice(&body) {
            Ok(json) => json,
            Err(_) => return bad_request("the body is not JSON", &request_id, media),
        };
        if let Err(message) = request_shape(&json) {
            return bad_request(&format!("the body is not a GraphQL request: {message}"), &request_id, media);
        }
        let batch: BatchRequest = match serde_json::from_value(json) {
            Ok(batch) => batch,
            Err(_) => return bad_request("the body is not a GraphQL request in JSON", &request_id, media),
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
                let status =
                    if responses.iter().any(is_unavailable) { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
                respond(status, &call, &BatchResponse::Batch(responses))
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
    extensions: Option<String>,
}

async fn graphql_get(
    State(state): State<AppState>,
    Extension(id): Extension<RequestId>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    params: Result<Query<GetParams>, QueryRejection>,
) -> Response {
    let request_id = id.0;
    let media = match negotiate(&headers) {
        Some(media) => media,
        None => return not_acceptable(&request_id),
    };
    let Ok(Query(params)) = params else {
        return bad_request("the query string is not a GraphQL request", &request_id, media);
    };
    let Some(query) = params.query else {
        return match state.environment {
            Environment::Development => crate::graphiql::page(),
            // No GraphiQL in production, and nothing says there ever is one.
            Environment::Production => {
                error_response(StatusCode::NOT_FOUND, "NOT_FOUND", "no `query` in the request", &request_id, media)
            }
        };
    };
    let variables = match params.variables.as_deref() {
        None => None,
        Some(text) => {
            if document::json_nesting(text.as_bytes(), document::MAX_NESTING) > document::MAX_NESTING {
                let e = document::too_deep("variables");
                return error_response(StatusCode::BAD_REQUEST, e.code(), &e.message(), &request_id, media);
            }
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(v @ serde_json::Value::Object(_)) => Some(v),
                Ok(serde_json::Value::Null) => None,
                _ => return bad_request("variables must be a JSON object", &request_id, media),
            }
        }
    };
    if let Some(text) = params.extensions.as_deref()
        && !matches!(serde_json::from_str::<serde_json::Value>(text), Ok(serde_json::Value::Object(_)))
    {
        return bad_request("extensions must be a JSON object", &request_id, media);
    }
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
        Ok((status, response)) => {
            if status == StatusCode::BAD_REQUEST {
                // A request error under graphql-response+json: the body has no `data`.
                let mut body = serde_json::to_value(&response).unwrap_or_default();
                if let Some(map) = body.as_object_mut() {
                    map.remove("data");
                }
                respond(status, call, &body)
            } else {
                respond(status, call, &response)
            }
        }
        Err(early) => early,
    }
}

fn respond<T: serde::Serialize>(status: StatusCode, call: &Call, body: &T) -> Response {
    let bytes = match serde_json::to_vec(body) {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "serialising a response failed");
            return internal_error(&call.request_id, call.media);
        }
    };
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(call.media));
    if let Ok(value) = HeaderValue::from_str(&call.request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// Whether a response failed because the database could not be reached in time.
fn is_unavailable(response: &GqlResponse) -> bool {
    response.errors.iter().any(
        |e| matches!(e.extensions.as_ref().and_then(|x| x.get("code")), Some(Value::String(c)) if c == "UNAVAILABLE"),
    )
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
            // Nesting is refused before parsing, so always with 400; a document the
            // rules refuse answers 400 only under graphql-response+json.
            let status = if call.media == GRAPHQL_RESPONSE || matches!(e, AppError::TooDeep(_)) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
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
            Err(AppError::Unavailable) => {
                Err(unavailable(&call.request_id, call.media, "the database is busy or unreachable; retry shortly"))
            }
            Err(AppError::Internal(e)) => {
                tracing::error!(error = %e, "authentication lookup failed");
                Err(internal_error(&call.request_id, call.media))
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
    let limits = graphql::RequestLimits { connections: state.http.db_connections_per_request };
    let mut response = graphql::execute_with(&state.schema, &state.db, request, scope, meta, limits).await;
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
    let status = if is_unavailable(&response) {
        StatusCode::SERVICE_UNAVAILABLE
    } else if call.media == GRAPHQL_RESPONSE && response.data == Value::Null && !response.errors.is_empty() {
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
