//! HTTP rules of the GraphQL-over-HTTP surface (written by a helper).
//!
//! Each test drives `customer_hub::http::router` in process and checks one rule of the
//! HTTP surface: accepted media types, GET versus POST, Accept negotiation, batching,
//! body size, document limits, production hardening, CORS and error bodies.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::response::Response;
use customer_hub::config::Environment;
use customer_hub::http::AppState;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::{ADMIN, CRM, SALES_1, TestApp};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// One answer of the router, with the body kept as text and, when it is JSON, parsed.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("<none>")
    }

    /// The `code` extension of the first error.
    pub(crate) fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>")
    }

    pub(crate) fn errors(&self) -> &[Value] {
        self.body["errors"].as_array().map(Vec::as_slice).unwrap_or(&[])
    }

    pub(crate) fn messages(&self) -> String {
        self.errors().iter().filter_map(|e| e["message"].as_str()).collect::<Vec<_>>().join(" | ")
    }
}

pub(crate) async fn reply(response: Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, headers, text, body }
}

pub(crate) async fn send(state: &AppState, request: Request<Body>) -> Reply {
    let router = customer_hub::http::router(state.clone());
    reply(router.oneshot(request).await.expect("response")).await
}

/// A POST to /graphql with the given content type, extra headers and raw body.
pub(crate) fn post_raw(content_type: Option<&str>, headers: &[(&str, &str)], body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::post("/graphql");
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(body.into()).expect("request")
}

/// A JSON POST to /graphql with an optional bearer token and extra headers.
pub(crate) fn post_json(token: Option<&str>, headers: &[(&str, &str)], body: &Value) -> Request<Body> {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    if let Some(bearer) = bearer.as_deref() {
        all.push(("authorization", bearer));
    }
    post_raw(Some("application/json"), &all, body.to_string())
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters kept).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A GET of /graphql?<query> with an optional bearer token and extra headers.
pub(crate) fn get(path_and_query: &str, token: Option<&str>, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::get(path_and_query);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::empty()).expect("request")
}

/// Words that would betray the database behind an error message: SQL keywords as whole
/// words, driver and database names anywhere.
const SQL_KEYWORDS: [&str; 2] = ["select", "insert"];
const DATABASE_NAMES: [&str; 3] = ["sqlx", "sqlite", "postgres"];

pub(crate) fn assert_no_leak(what: &str, reply: &Reply) {
    let text = reply.text.to_lowercase();
    for name in DATABASE_NAMES {
        assert!(!text.contains(name), "{what}: the body mentions {name:?}: {}", reply.text);
    }
    // Messages only: the JSON keys are ours.
    for message in reply.errors().iter().filter_map(|e| e["message"].as_str()) {
        let message = message.to_lowercase();
        let words: Vec<&str> = message.split(|c: char| !c.is_ascii_alphanumeric()).collect();
        for keyword in SQL_KEYWORDS {
            assert!(!words.contains(&keyword), "{what}: a message holds the SQL word {keyword:?}: {}", reply.text);
        }
    }
}

/// Rule 1: only JSON bodies are executed. The three content types a cross-site form can
/// send without a preflight are refused with 415 before anything runs.
#[tokio::test]
async fn non_json_posts_get_415_and_never_execute() {
    let app = TestApp::new().await;
    let state = app.state(Environment::Development);
    let token = app.token(ADMIN).await;
    let bearer = format!("Bearer {token}");
    assert!(app.staff(SALES_1).await.active, "precondition: {SALES_1} starts active");

    let mutation =
        &format!(r#"mutation {{ setStaffActive(username: "{SALES_1}", active: false) {{ username active }} }}"#);
    let json_body = json!({ "query": mutation }).to_string();
    let form_body = format!("query={}", encode(mutation));
    let boundary = "hub-test-boundary";
    let multipart_body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{json_body}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{}}\r\n--{boundary}--\r\n"
    );
    let multipart_type = format!("multipart/form-data; boundary={boundary}");
    let cases: [(&str, Option<&str>, String); 5] = [
        ("text/plain", Some("text/plain"), json_body.clone()),
        ("text/plain with charset", Some("text/plain;charset=UTF-8"), json_body.clone()),
        ("form", Some("application/x-www-form-urlencoded"), form_body),
        ("multipart", Some(multipart_type.as_str()), multipart_body),
        ("no content type", None, json_body.clone()),
    ];
    for (what, content_type, body) in cases {
        let reply = send(&state, post_raw(content_type, &[("authorization", bearer.as_str())], body)).await;
        assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{what}: {}", reply.text);
        assert_eq!(reply.code(), "UNSUPPORTED_MEDIA_TYPE", "{what}: {}", reply.text);
        assert!(reply.body["data"].is_null(), "{what}: nothing may run: {}", reply.text);
        assert!(app.staff(SALES_1).await.active, "{what}: the refused mutation must not have run");
    }

    // A `logout` sent as text/plain must not revoke the token either.
    let logout = json!({ "query": "mutation { logout }" }).to_string();
    let reply = send(&state, post_raw(Some("text/plain"), &[("authorization", bearer.as_str())], logout)).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", reply.text);
    let reply = send(&state, post_json(Some(&token), &[], &json!({ "query": "{ me { username } }" }))).await;
    assert_eq!(reply.status, StatusCode::OK, "the token still works after a refused logout: {}", reply.text);
    assert_eq!(reply.body["data"]["me"]["username"], ADMIN.username());

    // Control: the very same mutation as application/json does run, so the refusals
    // above were about the media type and not about the mutation.
    let reply = send(&state, post_json(Some(&token), &[], &json!({ "query": mutation }))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply.errors().is_empty(), "{}", reply.text);
    assert!(!app.staff(SALES_1).await.active, "the JSON mutation deactivates {SALES_1}");
}

/// Rule 2: mutations only over POST (405 with `Allow: POST` over GET); queries work
/// over GET.
#[tokio::test]
async fn mutations_over_get_get_405_and_queries_over_get_work() {
    let app = TestApp::new().await;
    let state = app.state(Environment::Development);
    let token = app.token(ADMIN).await;

    let reply = send(&state, get("/graphql?query=mutation%20%7B%20logout%20%7D", Some(&token), &[])).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{}", reply.text);
    assert_eq!(reply.header("allow"), Some("POST"), "{:?}", reply.headers);
    assert_eq!(reply.code(), "METHOD_NOT_ALLOWED", "{}", reply.text);

    // A named mutation picked by operationName out of a two-operation document.
    let document = "query Who { me { username } } mutation Out { logout }";
    let uri = format!("/graphql?query={}&operationName=Out", encode(document));
    let reply = send(&state, get(&uri, Some(&token), &[])).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{}", reply.text);
    assert_eq!(reply.header("allow"), Some("POST"), "{:?}", reply.headers);

    // The refused logouts did not run: the token still works, and a query over GET
    // answers normally.
    let uri = format!("/graphql?query={}", encode("{ me { username } }"));
    let reply = send(&state, get(&uri, Some(&token), &[])).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply.errors().is_empty(), "{}", reply.text);
    assert_eq!(reply.body["data"]["me"]["username"], ADMIN.username(), "{}", reply.text);

    // The query operation of the two-operation document runs over GET too.
    let uri = format!("/graphql?query={}&operationName=Who", encode(document));
    let reply = send(&state, get(&uri, Some(&token), &[])).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["data"]["me"]["username"], ADMIN.username(), "{}", reply.text);
}

/// Rule 3: the response media type follows Accept, and under
/// application/graphql-response+json a request that fails before execution is a 400.
#[tokio::test]
async fn accept_negotiation_picks_the_media_type_and_status() {
    let app = TestApp::new().await;
    let state = app.state(Environment::Development);
    let token = app.token(ADMIN).await;
    let query = json!({ "query": "{ me { username } }" });

    for (accept, expected) in [
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (Some("application/json"), "application/json"),
        (None, "application/json"),
        (Some("application/graphql-response+json, application/json;q=0.9"), GRAPHQL_RESPONSE),
        (Some("*/*"), "application/json"),
    ] {
        let headers: Vec<(&str, &str)> = accept.map(|a| vec![("accept", a)]).unwrap_or_default();
        let reply = send(&state, post_json(Some(&token), &headers, &query)).await;
        assert_eq!(reply.status, StatusCode::OK, "Accept {accept:?}: {}", reply.text);
        assert_eq!(reply.content_type(), expected, "Accept {accept:?}");
        assert_eq!(reply.body["data"]["me"]["username"], ADMIN.username(), "Accept {accept:?}: {}", reply.text);
    }

    let reply = send(&state, post_json(Some(&token), &[("accept", "text/html")], &query)).await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE, "{}", reply.text);
    assert_eq!(reply.code(), "NOT_ACCEPTABLE", "{}", reply.text);

    let broken = json!({ "query": "{ me { username " });
    let reply = send(&state, post_json(Some(&token), &[("accept", GRAPHQL_RESPONSE)], &broken)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(reply.content_type(), GRAPHQL_RESPONSE);
    assert!(reply.body["data"].is_null(), "{}", reply.text);
    assert!(!reply.errors().is_empty(), "{}", reply.text);

    let reply = send(&state, post_json(Some(&token), &[("accept", "application/json")], &broken)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.content_type(), "application/json");
    assert_eq!(reply.code(), "GRAPHQL_VALIDATION_FAILED", "{}", reply.text);
    assert!(reply.body["data"].is_null(), "{}", reply.text);
}

/// Rule 4: batches are refused unless `allow_batch` is on, and then answered as an array.
#[tokio::test]
async fn batches_are_refused_by_default_and_answered_when_allowed() {
    let app = TestApp::new().await;
    let token = app.token(ADMIN).await;
    let batch = json!([
        { "query": "{ me { username } }" },
        { "query": "{ stores { code } }" },
    ]);

    let state = app.state(Environment::Development);
    let reply = send(&state, post_json(Some(&token), &[], &batch)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(reply.code(), "BATCH_NOT_ALLOWED", "{}", reply.text);

    let mut state = app.state(Environment::Development);
    state.http.allow_batch = true;
    let reply = send(&state, post_json(Some(&token), &[], &batch)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let answers = reply.body.as_array().unwrap_or_else(|| panic!("a JSON array: {}", reply.text));
    assert_eq!(answers.len(), 2, "{}", reply.text);
    assert_eq!(answers[0]["data"]["me"]["username"], ADMIN.username(), "{}", reply.text);
    assert!(answers[1]["data"]["stores"].as_array().is_some_and(|s| !s.is_empty()), "{}", reply.text);
    assert!(answers.iter().all(|a| a.get("errors").is_none()), "{}", reply.text);
}

/// Rule 4, continued: when batching is on, refusing one operation of a batch must not
/// hide that an earlier one already ran. Either every operation gets its own answer, or
/// the batch is refused before anything runs.
#[tokio::test]
async fn a_refused_operation_in_a_batch_does_not_hide_an_executed_mutation() {
    let app = TestApp::new().await;
    let token = app.token(ADMIN).await;
    let mut state = app.state(Environment::Development);
    state.http.allow_batch = true;
    assert!(app.staff(SALES_1).await.active, "precondition: {SALES_1} starts active");

    let aliases: Vec<String> = (0..31).map(|i| format!("a{i}: me {{ username }}")).collect();
    let batch = json!([
        { "query": format!("mutation {{ setStaffActive(username: \"{SALES_1}\", active: false) {{ username active }} }}") },
        { "query": format!("{{ {} }}", aliases.join(" ")) },
    ]);
    let reply = send(&state, post_json(Some(&token), &[], &batch)).await;
    let deactivated = !app.staff(SALES_1).await.active;
    match reply.body.as_array() {
        Some(answers) => {
            assert_eq!(answers.len(), 2, "{}", reply.text);
            assert_eq!(answers[0]["data"]["setStaffActive"]["active"], false, "{}", reply.text);
            assert_eq!(answers[1]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{}", reply.text);
            assert!(deactivated, "the first answer reports a change that did not happen");
        }
        None => assert!(
            !deactivated,
            "the batch was answered with a single refusal ({} {}), yet its first operation ran: \
             {SALES_1} is now inactive and the caller was never told",
            reply.status, reply.text
        ),
    }
}

/// Rule 5: a body over `http.max_body_bytes` gets 413, announced or not.
#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = TestApp::new().await;
    let token = app.token(ADMIN).await;
    let mut state = app.state(Environment::Development);
    state.http.max_body_bytes = 1024;

    // A valid query padded with a comment past the limit.
    let padded = format!("# {}\n{{ me {{ username }} }}", "x".repeat(2048));
    let body = json!({ "query": padded }).to_string();
    assert!(body.len() > 1024);

    // Streamed without Content-Length.
    let reply = send(&state, post_json(Some(&token), &[], &json!({ "query": padded }))).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", reply.text);

    // Announced with Content-Length.
    let length = body.len().to_string();
    let request = post_raw(
        Some("application/json"),
        &[("authorization", format!("Bearer {token}").as_str()), ("content-length", length.as_str())],
        body,
    );
    let reply = send(&state, request).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", reply.text);

    // Control: a small request passes the same limit.
    let reply = send(&state, post_json(Some(&token), &[], &json!({ "query": "{ me { username } }" }))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["data"]["me"]["username"], ADMIN.username());
}

/// `customer(id: <customer 1>)` then `levels` times `vehicles { ownershipHistory { customer { ... } } }`,
/// ending in `id`: depth 2 + 3 × levels.
fn nested_customer_query(levels: usize) -> String {
    let mut inner = "id".to_owned();
    for _ in 0..levels {
        inner = format!("vehicles {{ ownershipHistory {{ customer {{ {inner} }} }} }}");
    }
    format!("{{ customer(id: \"{}\") {{ {inner} }} }}", crate::common::gid("Customer", 1))
}

/// Rule 6: alias, depth and complexity limits refuse a document before it runs.
#[tokio::test]
async fn alias_depth_and_complexity_limits_refuse_expensive_documents() {
    let app = TestApp::new().await;
    let state = app.state(Environment::Development);
    let token = app.token(ADMIN).await;
    let run = |query: String| {
        let state = state.clone();
        let token = token.clone();
        async move { send(&state, post_json(Some(&token), &[], &json!({ "query": query }))).await }
    };
    let aliased = |n: usize| {
        let fields: Vec<String> = (0..n).map(|i| format!("a{i}: me {{ username }}")).collect();
        format!("{{ {} }}", fields.join(" "))
    };

    // Aliases: 30 pass, 31 are refused.
    let reply = run(aliased(30)).await;
    assert!(reply.errors().is_empty(), "30 aliases are allowed: {}", reply.text);
    assert_eq!(reply.body["data"]["a29"]["username"], ADMIN.username(), "{}", reply.text);
    let reply = run(aliased(31)).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT", "{}", reply.text);
    assert!(reply.messages().contains("aliases"), "{}", reply.text);
    assert!(reply.body["data"].is_null(), "{}", reply.text);

    // Depth: 14 runs, 17 is refused (complexity lifted so only depth is tested).
    let mut deep_state = state.clone();
    deep_state.schema = customer_hub::graphql::build_schema(
        app.db.clone(),
        app.keys.clone(),
        &customer_hub::graphql::SchemaOptions { complexity: usize::MAX, ..Default::default() },
    );
    let deep = |query: String| {
        let state = deep_state.clone();
        let token = token.clone();
        async move { send(&state, post_json(Some(&token), &[], &json!({ "query": query }))).await }
    };
    let reply = deep(nested_customer_query(4)).await;
    assert!(reply.errors().is_empty(), "depth 14 is allowed: {}", reply.text);
    assert!(reply.body["data"]["customer"].is_object(), "{}", reply.text);
    let reply = deep(nested_customer_query(5)).await;
    assert!(!reply.errors().is_empty(), "depth 17 must be refused: {}", reply.text);
    assert!(reply.body["data"].is_null(), "{}", reply.text);
    assert!(reply.messages().to_lowercase().contains("deep"), "{}", reply.text);

    // Complexity: a page costs its size times its children, and nested lists ten times
    // theirs: customers → vehicles → ownershipHistory → customer → repairOrders costs
    // 1 102 per customer, so 10 customers (11 020) run and 100 (110 200) are refused.
    let fan_out = |first: usize| {
        format!(
            "{{ customers(first: {first}) {{ edges {{ node {{ vehicles {{ ownershipHistory {{ customer {{ repairOrders {{ id }} }} }} }} }} }} }} }}"
        )
    };
    let reply = run(fan_out(10)).await;
    assert!(reply.errors().is_empty(), "complexity 11 020 is allowed: {}", reply.messages());
    assert!(reply.body["data"]["customers"]["edges"].as_array().is_some_and(|e| !e.is_empty()));
    let reply = run(fan_out(100)).await;
    assert!(!reply.errors().is_empty(), "complexity 110 200 must be refused: {}", reply.text);
    assert!(reply.body["data"].is_null(), "{}", reply.text);
    assert!(reply.messages().to_lowercase().contains("complex"), "{}", reply.text);
    assert!(reply.errors().iter().all(|e| e.get("path").is_none()), "refused before execution: {}", reply.text);
}

/// Rule 7: production has no introspection, no suggestions and no GraphiQL.
#[tokio::test]
async fn production_hides_introspection_suggestions_and_graphiql() {
    let app = TestApp::new().await;
    let token = app.token(ADMIN).await;
    let mut production = app.state(Environment::Production);
    production.schema = customer_hub::graphql::build_schema(
        app.db.clone(),
        app.keys.clone(),
        &customer_hub::graphql::SchemaOptions { introspection: false, ..Default::default() },
    );
    let development = app.state(Environment::Development);
    let introspection = json!({ "query": "{ __schema { types { name } } }" });
    let misspelled = json!({ "query": "{ stors { code } }" });

    // Development, for contrast: introspection works and suggestions are given.
    let reply = send(&development, post_json(Some(&token), &[], &introspection)).await;
    assert!(reply.errors().is_empty(), "{}", reply.text);
    assert!(reply.body["data"]["__schema"]["types"].as_array().is_some_and(|t| !t.is_empty()));
    let reply = send(&development, post_json(Some(&token), &[], &misspelled)).await;
    assert!(reply.messages().contains("Did you mean"), "{}", reply.text);

    let reply = send(&production, post_json(Some(&token), &[], &misspelled)).await;
    assert!(!reply.errors().is_empty(), "{}", reply.text);
    assert!(!reply.messages().contains("Did you mean"), "{}", reply.text);
    assert!(!reply.text.contains("stores"), "no suggestion of the real field: {}", reply.text);

    let reply = send(&production, get("/graphql", None, &[])).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
    assert!(!reply.text.to_lowercase().contains("graphiql"), "{}", reply.text);

    let reply = send(&development, get("/graphql", None, &[])).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.content_type().starts_with("text/html"), "{}", reply.content_type());
    assert!(reply.text.to_lowercase().contains("graphiql"), "GraphiQL page: {}", reply.text);

    // Introspection last: first that nothing of the schema leaks, then that the caller
    // is told so with an error (`__schema` is non-null, so a bare null is no answer).
    let type_query = json!({ "query": "{ __type(name: \"Customer\") { name fields { name } } }" });
    let reply = send(&production, post_json(Some(&token), &[], &type_query)).await;
    assert!(reply.body["data"]["__type"].is_null(), "{}", reply.text);
    assert!(!reply.text.contains("lifecycleStage"), "no field names leak: {}", reply.text);
    let reply = send(&production, post_json(Some(&token), &[], &introspection)).await;
    assert!(reply.body["data"]["__schema"].is_null(), "{}", reply.text);
    assert!(!reply.text.contains("\"Customer\""), "no type names leak: {}", reply.text);
    assert!(!reply.errors().is_empty(), "introspection must be refused with an error: {}", reply.text);
}

/// Rule 8: CORS answers only configured origins, and nothing without configuration.
#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = TestApp::new().await;
    let token = app.token(ADMIN).await;
    let mut state = app.state(Environment::Development);
    state.http.cors_origins = vec!["https://crm.example.cn".into()];

    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/graphql")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .body(Body::empty())
            .expect("request")
    };

    let reply = send(&state, preflight("https://crm.example.cn")).await;
    assert!(reply.status.is_success(), "{} {:?}", reply.status, reply.headers);
    assert_eq!(reply.header("access-control-allow-origin"), Some("https://crm.example.cn"), "{:?}", reply.headers);
    let methods = reply.header("access-control-allow-methods").unwrap_or("").to_uppercase();
    assert!(methods.contains("POST"), "{:?}", reply.headers);
    let allowed_headers = reply.header("access-control-allow-headers").unwrap_or("").to_lowercase();
    assert!(allowed_headers.contains("authorization"), "{:?}", reply.headers);

    let reply = send(&state, preflight("https://evil.example")).await;
    assert!(reply.header("access-control-allow-origin").is_none(), "{:?}", reply.headers);

    // A simple POST from the configured origin carries the header; from another it does not.
    let query = json!({ "query": "{ me { username } }" });
    let reply = send(&state, post_json(Some(&token), &[("origin", "https://crm.example.cn")], &query)).await;
    assert_eq!(reply.header("access-control-allow-origin"), Some("https://crm.example.cn"), "{:?}", reply.headers);
    let reply = send(&state, post_json(Some(&token), &[("origin", "https://evil.example")], &query)).await;
    assert!(reply.header("access-control-allow-origin").is_none(), "{:?}", reply.headers);

    // No configured origins: no CORS headers at all.
    let state = app.state(Environment::Development);
    let reply = send(&state, post_json(Some(&token), &[("origin", "https://crm.example.cn")], &query)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply.header("access-control-allow-origin").is_none(), "{:?}", reply.headers);
    let reply = send(&state, preflight("https://crm.example.cn")).await;
    assert!(reply.header("access-control-allow-origin").is_none(), "{:?}", reply.headers);
}

/// Rule 9: every error carries the request id (matching `x-request-id` when the request
/// was executed) and no error betrays the database.
#[tokio::test]
async fn errors_carry_the_request_id_and_never_name_the_database() {
    let app = TestApp::new().await;
    let token = app.token(ADMIN).await;
    let state = app.state(Environment::Development);
    let mut batching = app.state(Environment::Development);
    batching.http.allow_batch = true;
    batching.http.max_batch = 1;
    let bearer = format!("Bearer {token}");
    let ok_query = json!({ "query": "{ me { username } }" });

    // Requests that reach execution: the header is there and matches every error.
    let executed: Vec<(&str, Request<Body>)> = vec![
        ("syntax error", post_json(Some(&token), &[], &json!({ "query": "{ me { username " }))),
        ("unknown field", post_json(Some(&token), &[], &json!({ "query": "{ nope }" }))),
        (
            "bad argument",
            post_json(Some(&token), &[], &json!({ "query": "{ customers(first: 1000) { edges { cursor } } }" })),
        ),
        (
            "not found id",
            post_json(Some(&token), &[], &json!({ "query": "mutation { revokeApiKey(id: \"x\") { id } }" })),
        ),
        (
            "forbidden",
            post_json(
                Some(&app.token(SALES_1).await),
                &[],
                &json!({ "query": format!("mutation {{ setStaffActive(username: \"{CRM}\", active: false) {{ id }} }}") }),
            ),
        ),
        (
            "wrong password",
            post_json(
                None,
                &[],
                &json!({ "query": "mutation { login(username: \"admin\", password: \"nope\") { token } }" }),
            ),
        ),
        (
            "bad variables type",
            post_json(
                Some(&token),
                &[],
                &json!({ "query": "query($n: Int) { customers(first: $n) { edges { cursor } } }", "variables": { "n": "many" } }),
            ),
        ),
    ];
    for (what, request) in executed {
        let reply = send(&state, request).await;
        assert!(!reply.errors().is_empty(), "{what}: expected an error: {}", reply.text);
        let header = reply.header("x-request-id").unwrap_or_else(|| panic!("{what}: no x-request-id header"));
        assert!(uuid::Uuid::parse_str(header).is_ok(), "{what}: {header}");
        for error in reply.errors() {
            assert_eq!(error["extensions"]["requestId"].as_str(), Some(header), "{what}: {}", reply.text);
            assert!(error["extensions"]["code"].is_string(), "{what}: {}", reply.text);
        }
        assert_no_leak(what, &reply);
    }

    // A database failure inside execution: an internal error with a generic message.
    use sea_orm::ConnectionTrait;
    app.db.execute_unprepared("DROP TABLE repair_order").await.expect("drop a table");
    let broken = json!({ "query": "{ customers(first: 5) { edges { node { id repairOrders { id } } } } }" });
    let reply = send(&state, post_json(Some(&token), &[], &broken)).await;
    assert!(!reply.errors().is_empty(), "{}", reply.text);
    let header = reply.header("x-request-id").expect("x-request-id").to_owned();
    for error in reply.errors() {
        assert_eq!(error["extensions"]["code"], "INTERNAL", "{}", reply.text);
        assert_eq!(error["extensions"]["requestId"].as_str(), Some(header.as_str()), "{}", reply.text);
        assert!(error["message"].as_str().is_some_and(|m| m.contains(&header)), "{}", reply.text);
    }
    assert_no_leak("database failure", &reply);
    assert!(!reply.text.contains("repair_order"), "no table names: {}", reply.text);

    // Refusals before execution still carry a request id in every error body.
    let refused: Vec<(&str, &AppState, Request<Body>)> = vec![
        ("415", &state, post_raw(Some("text/plain"), &[("authorization", bearer.as_str())], ok_query.to_string())),
        ("406", &state, post_json(Some(&token), &[("accept", "text/html")], &ok_query)),
        ("400 not json", &state, post_raw(Some("application/json"), &[], "{not json")),
        ("400 batch", &state, post_json(Some(&token), &[], &json!([ok_query, ok_query]))),
        ("400 batch too large", &batching, post_json(Some(&token), &[], &json!([ok_query, ok_query]))),
        ("401 garbage token", &state, post_json(Some("garbage"), &[], &ok_query)),
        ("401 anonymous", &state, post_json(None, &[], &ok_query)),
        ("405", &state, get("/graphql?query=mutation%20%7B%20logout%20%7D", Some(&token), &[])),
        (
            "400 variables",
            &state,
            get("/graphql?query=%7B%20me%20%7B%20username%20%7D%20%7D&variables=%5B", Some(&token), &[]),
        ),
    ];
    for (what, state, request) in refused {
        let reply = send(state, request).await;
        assert!(reply.status.is_client_error(), "{what}: {} {}", reply.status, reply.text);
        assert!(!reply.errors().is_empty(), "{what}: a GraphQL error body: {}", reply.text);
        for error in reply.errors() {
            let id = error["extensions"]["requestId"].as_str().unwrap_or_else(|| panic!("{what}: {}", reply.text));
            assert!(uuid::Uuid::parse_str(id).is_ok(), "{what}: {id}");
        }
        assert_no_leak(what, &reply);
    }
}
