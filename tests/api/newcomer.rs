//! Finding 14: what a newcomer meets. Every GraphQL example of README.md runs as written
//! against the group `serve --demo` seeds; each department of a store has its integration
//! account; GraphiQL is served from the binary; a test's database goes with its TestApp.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use customer_hub::demo::{self, DemoConfig};
use entity::enums::{Department, Role};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::{ADMIN, Dept, Persona, TestApp, error_codes, gid};

const README: &str = include_str!("../../README.md");

/// The ```graphql blocks of the README, in order.
fn readme_examples() -> Vec<String> {
    let mut examples = Vec::new();
    let mut current: Option<String> = None;
    for line in README.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```graphql") => current = Some(String::new()),
            (Some(block), "```") => {
                examples.push(std::mem::take(block));
                current = None;
            }
            (Some(block), text) => {
                block.push_str(text);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    examples
}

/// Who runs an example: the README says which account each one is for.
fn account_for(example: &str) -> Persona {
    if example.contains("ingestRepairOrder") { Persona::Integration(1, Dept::Service) } else { ADMIN }
}

/// Fails on an answer that shows nothing: a null root field or an empty page.
fn assert_shows_something(example: &str, value: &Value, path: &str) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields {
                let here = format!("{path}.{name}");
                if name == "edges" {
                    assert!(field.as_array().is_some_and(|e| !e.is_empty()), "{here} is empty for\n{example}");
                }
                assert_shows_something(example, field, &here);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                assert_shows_something(example, item, &format!("{path}[{i}]"));
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn every_readme_example_runs_as_written_against_the_demo() {
    let examples = readme_examples();
    assert!(examples.len() >= 10, "README examples not found: {}", examples.len());
    let app = TestApp::with_customers(DemoConfig::default().customers).await;
    for example in &examples {
        let response = app.run(Some(account_for(example)), example, json!({})).await;
        assert!(response.errors.is_empty(), "{example}\nanswered {:?}", error_codes(&response));
        let data = response.data.into_json().expect("JSON data");
        for (field, value) in data.as_object().expect("data object") {
            assert!(!value.is_null(), "{field} is null for\n{example}");
        }
        assert_shows_something(example, &data, "data");
        if example.contains("ingestRepairOrder") {
            assert_eq!(data["ingestRepairOrder"]["outcome"], "CREATED", "{data}");
        }
    }
    // The examples the README describes in words.
    let search = "query($t: String!) { search(text: $t) { edges { node { matchedBy customer { id } } } } }";
    for (text, matched) in [
        ("15821930902", "PHONE"),
        ("158-2193-0902", "PHONE"),
        ("+86 158 2193 0902", "PHONE"),
        ("0086 158 2193 0902", "PHONE"),
        ("浙D·D4360", "PLATE"),
        ("浙d d4360", "PLATE"),
        ("lsgha3r96rg000001", "VIN"),
        ("33060219690617041x", "ID_NUMBER"),
        ("曾宇", "NAME"),
    ] {
        let data = app.data(ADMIN, search, json!({ "t": text })).await;
        let first = &data["search"]["edges"][0]["node"];
        assert_eq!(
            (first["matchedBy"].as_str(), first["customer"]["id"].as_str()),
            (Some(matched), Some(gid("Customer", 1).as_str())),
            "{text}"
        );
    }
    let contains = app.data(ADMIN, search, json!({ "t": "玉兰" })).await;
    assert!(contains["search"]["edges"].as_array().is_some_and(|e| !e.is_empty()));
    // The minimum length of a reveal's purpose, as the README states it.
    let reveal = "mutation($p: String!) { revealCustomer(id: \"Q3VzdG9tZXI6MQ\", purpose: $p) { phones } }";
    assert!(README.contains("the purpose is at least 4 characters"));
    assert_eq!(error_codes(&app.run(Some(ADMIN), reveal, json!({ "p": "回访三" })).await), ["BAD_USER_INPUT"]);
    assert!(app.run(Some(ADMIN), reveal, json!({ "p": "首保回访" })).await.errors.is_empty());
}

#[tokio::test]
async fn each_store_has_an_integration_account_per_department() {
    let app = TestApp::new().await;
    for store in 1..=6u8 {
        for (suffix, dept, department) in [
            ("integration", Dept::Sales, Department::Sales),
            ("integration.service", Dept::Service, Department::Service),
            ("integration.insurance", Dept::Insurance, Department::Insurance),
            ("integration.parts", Dept::Parts, Department::Parts),
        ] {
            let account = app.staff(Persona::Integration(store, dept)).await;
            assert_eq!(
                (account.role, account.department, account.store_id),
                (Role::Integration, department, Some(i32::from(store)))
            );
            assert!(demo::accounts_banner().contains(&format!("zjNN.{suffix} ")), "{suffix} not in the banner");
        }
    }
    // Each one sends its own department's records, and only those.
    let parts = "mutation($r: PartsOrderRecord!) { ingestPartsOrder(record: $r) { outcome errors { field reason } } }";
    let order = json!({ "r": { "externalId": "PO-1", "customerName": "林晓燕", "phone": "13911112222",
        "items": "机油滤清器 x 1", "amount": "88", "orderedAt": "2026-11-01" } });
    let data = app.data(Persona::Integration(1, Dept::Parts), parts, order.clone()).await;
    assert_eq!(data["ingestPartsOrder"]["outcome"], "CREATED", "{data}");
    let refused = app.run(Some(Persona::Integration(1, Dept::Service)), parts, order).await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"]);
}

#[tokio::test]
async fn a_test_database_is_dropped_with_its_app() {
    let app = TestApp::new().await;
    let backend = app.backend();
    let (query, column) = match backend {
        DbBackend::Postgres => ("SELECT current_database() AS name", "name"),
        _ => ("SELECT file AS name FROM pragma_database_list WHERE name = 'main'", "name"),
    };
    let row = app.db.query_one_raw(Statement::from_string(backend, query)).await.expect("query").expect("row");
    let name: String = row.try_get("", column).expect("name");
    assert!(name.contains("hub_t_"), "{name}");
    drop(app);
    match backend {
        DbBackend::Postgres => {
            let admin_url = std::env::var("HUB_TEST_DATABASE_URL").expect("PostgreSQL run");
            let admin = sea_orm::Database::connect(&admin_url).await.expect("admin connection");
            let left = admin
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT count(*) AS n FROM pg_database WHERE datname = $1",
                    [name.clone().into()],
                ))
                .await
                .expect("query")
                .expect("row");
            assert_eq!(left.try_get::<i64>("", "n").expect("count"), 0, "{name} is still there");
            admin.close().await.ok();
        }
        _ => assert!(!std::path::Path::new(&name).exists(), "{name} is still there"),
    }
}

async fn get(path: &str, method: Method) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let router = customer_hub::graphiql::routes::<()>();
    let request = Request::builder().method(method).uri(path).body(Body::empty()).expect("request");
    let response = router.oneshot(request).await.expect("response");
    let (parts, body) = response.into_parts();
    (parts.status, parts.headers, body.collect().await.expect("body").to_bytes().to_vec())
}

#[tokio::test]
async fn graphiql_is_served_from_the_binary_with_its_licences() {
    let (status, headers, page) = get(customer_hub::graphiql::PAGE_PATH, Method::GET).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().expect("ascii");
    assert!(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"), "{csp}");
    let page = String::from_utf8(page).expect("UTF-8 page");
    assert_eq!(
        page,
        String::from_utf8(
            customer_hub::graphiql::page().into_body().collect().await.expect("body").to_bytes().to_vec()
        )
        .expect("UTF-8")
    );
    assert!(!page.contains("http://") && !page.contains("https://"), "the page loads something from elsewhere");
    // Every script and stylesheet of the page is served here, with its type and caching.
    let referenced: Vec<&str> = page.split(['"', '\'']).filter(|part| part.starts_with("/graphiql/static/")).collect();
    assert!(referenced.len() >= 5, "{referenced:?}");
    for path in customer_hub::graphiql::asset_paths() {
        let (status, headers, body) = get(path, Method::GET).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!body.is_empty(), "{path}");
        let kind = headers[header::CONTENT_TYPE].to_str().expect("ascii");
        let expected = if path.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else if path.ends_with(".css") {
            "text/css; charset=utf-8"
        } else {
            "text/plain; charset=utf-8"
        };
        assert_eq!(kind, expected, "{path}");
        let cache = headers[header::CACHE_CONTROL].to_str().expect("ascii");
        if path.contains("3.9.0") || path.contains("18.3.1") {
            assert_eq!(cache, "public, max-age=31536000, immutable", "{path}");
        }
        let (status, _, _) = get(path, Method::HEAD).await;
        assert_eq!(status, StatusCode::OK, "HEAD {path}");
    }
    for path in referenced {
        assert!(customer_hub::graphiql::asset_paths().any(|p| p == path), "{path} is not served");
    }
    let (_, _, licences) = get("/graphiql/static/LICENSES.txt", Method::GET).await;
    let licences = String::from_utf8(licences).expect("UTF-8");
    for package in ["graphiql 3.9.0", "react 18.3.1", "react-dom 18.3.1", "graphql ", "codemirror "] {
        assert!(licences.contains(package), "no licence for {package}");
    }
    assert_eq!(get("/graphiql/static/nothing.js", Method::GET).await.0, StatusCode::NOT_FOUND);
}
