use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use customer_hub::config::Environment;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::{ADMIN, TestApp};

async fn post(app: &TestApp, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let router = customer_hub::http::router(app.state(Environment::Development));
    let mut request = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response =
        router.oneshot(request.body(Body::from(body.to_string())).expect("request")).await.expect("response");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::new().await;
    for path in ["/healthz", "/readyz"] {
        let router = customer_hub::http::router(app.state(Environment::Development));
        let response =
            router.oneshot(Request::get(path).body(Body::empty()).expect("request")).await.expect("response");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn login_then_query_over_http() {
    let app = TestApp::new().await;
    let (status, body) =
        post(&app, None, json!({"query": "mutation { login(username: \"admin\", password: \"demo\") { token } }"}))
            .await;
    assert_eq!(status, StatusCode::OK);
    let token = body["data"]["login"]["token"].as_str().expect("token").to_owned();
    let (status, body) = post(&app, Some(&token), json!({"query": "{ me { username } stores { code } }"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["me"]["username"], ADMIN.username());
}

#[tokio::test]
async fn bad_tokens_get_401_unauthenticated() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let app = TestApp::new().await;
    let staff = app.staff(ADMIN).await;
    let now = chrono::Utc::now();
    let (_, good) = app.keys.issue(&staff, now);
    let mut expired = good.clone();
    expired.iat = now.timestamp() - 7200;
    expired.exp = now.timestamp() - 3600;
    let expired = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &expired,
        &EncodingKey::from_secret(crate::common::SECRET),
    )
    .expect("encode");
    let wrong_key = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &good,
        &EncodingKey::from_secret(b"another-secret-another-secret-12"),
    )
    .expect("encode");
    let mut wrong_aud = good.clone();
    wrong_aud.aud = "someone-else".into();
    let wrong_aud = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &wrong_aud,
        &EncodingKey::from_secret(crate::common::SECRET),
    )
    .expect("encode");
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let alg_none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(serde_json::to_vec(&good).expect("json"))
    );
    for (what, token) in [
        ("garbage", "not-a-token".to_owned()),
        ("expired", expired),
        ("wrong key", wrong_key),
        ("wrong audience", wrong_aud),
        ("alg none", alg_none),
    ] {
        let (status, body) = post(&app, Some(&token), json!({"query": "{ me { username } }"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(code(&body), "UNAUTHENTICATED", "{what}");
    }
}

#[tokio::test]
async fn malformed_queries_unknown_fields_and_wrong_types_get_codes() {
    let app = TestApp::new().await;
    let token = app.token(ADMIN).await;
    for (query, expected) in [
        ("{ stores { code ", "GRAPHQL_VALIDATION_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ customers(first: \"ten\") { edges { cursor } } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ customers(first: 1000) { edges { cursor } } }", "BAD_USER_INPUT"),
    ] {
        let (status, body) = post(&app, Some(&token), json!({"query": query})).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(code(&body), expected, "{query}: {body}");
        assert!(body["errors"][0]["extensions"]["requestId"].is_string());
        let text = body.to_string().to_lowercase();
        assert!(!text.contains("select ") && !text.contains("sqlx"), "{text}");
    }
}
