//! Pool-share benchmark (issue 8, finding 3): 50 concurrent maximum-alias requests from
//! store managers against a pool of 10 connections, with a simple query running
//! alongside. Prints the outcome of every heavy request and the latency percentiles of
//! the simple one. The point is zero errors and a simple query that stays fast: one
//! request never holds more than its share of the pool (HUB_DB_CONNECTIONS_PER_REQUEST).
//!
//! Requests go through the hub's own HTTP router in process (the same layers, limits,
//! authentication and executor as a served request; no sockets), so what is measured is
//! the hub and its pool, not a network.
//!
//! cargo bench --bench pool                   # SQLite, and PostgreSQL if reachable
//!
//! Settings (environment): BENCH_CUSTOMERS (2000), BENCH_HEAVY (50), BENCH_ROUNDS (20 requests
//! per client, one after another), BENCH_ALIASES (30), BENCH_POOL (10), BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres; `none`
//! skips PostgreSQL).

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use customer_hub::auth::TokenKeys;
use customer_hub::config::{DbConfig, Environment, HttpConfig};
use customer_hub::demo::{self, DemoConfig};
use customer_hub::graphql::{self, SchemaOptions};
use customer_hub::http::AppState;
use entity::staff;
use http_body_util::BodyExt;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tower::ServiceExt;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Status, whether the body carried errors, and the time taken.
async fn call(state: &AppState, token: &str, query: &str) -> (u16, usize, Duration) {
    let started = Instant::now();
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(json!({ "query": query }).to_string()))
        .expect("request");
    let response = customer_hub::http::router(state.clone()).oneshot(request).await.expect("response");
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let errors = body["errors"].as_array().map_or(0, Vec::len);
    (status, errors, started.elapsed())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn run(name: &str, url: String) {
    let customers: usize = env_or("BENCH_CUSTOMERS", 2_000);
    let heavy: usize = env_or("BENCH_HEAVY", 50);
    let aliases: usize = env_or("BENCH_ALIASES", 30);
    let pool: u32 = env_or("BENCH_POOL", 10);
    let rounds: usize = env_or("BENCH_ROUNDS", 20);
    let cfg = DbConfig { database_url: url, db_max_connections: pool, db_statement_timeout_ms: 30_000 };
    let db = customer_hub::db::connect(&cfg).await.expect("connect");
    customer_hub::db::migrate(&db).await.expect("migrate");
    demo::seed(&db, &DemoConfig { customers, ..DemoConfig::default() }).await.expect("seed");
    let keys = TokenKeys::new(b"bench-secret-bench-secret-bench-secret", 3600);
    let schema = graphql::build_schema(db.clone(), keys.clone(), &SchemaOptions::default());
    let http = HttpConfig { max_aliases: aliases.max(30), ..HttpConfig::default() };
    let per_request = http.db_connections_per_request;
    let state = AppState { db: db.clone(), schema, keys: keys.clone(), environment: Environment::Production, http };
    let managers =
        staff::Entity::find().filter(staff::Column::Username.like("zj0%.manager")).all(&db).await.expect("q");
    let tokens: Vec<String> = managers.iter().map(|m| keys.issue(m, chrono::Utc::now()).0).collect();
    let max_id = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT MAX(id) AS n FROM customer"))
        .await
        .expect("max")
        .and_then(|row| row.try_get::<i32>("", "n").ok())
        .unwrap_or(1);
    let heavy_query = |offset: usize| {
        let fields: Vec<String> = (0..aliases)
            .map(|i| {
                let id = (offset * aliases + i) as i32 % max_id + 1;
                format!("c{i}: customer(id: \"{id}\") {{ id phones {{ number }} vehicles {{ id }} }}")
            })
            .collect();
        format!("{{ {} }}", fields.join(" "))
    };
    println!(
        "{name}: {heavy} concurrent clients × {rounds} requests of {aliases} aliases, pool of {pool}, {per_request} connections per request"
    );
    let simple_token = tokens[0].clone();
    let simple_state = state.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop_simple = stop.clone();
    let simple = tokio::spawn(async move {
        let mut times = Vec::new();
        let mut failures = 0;
        while !stop_simple.load(std::sync::atomic::Ordering::SeqCst) && times.len() < 100_000 {
            let (status, errors, took) = call(&simple_state, &simple_token, "{ me { username } }").await;
            if status != 200 || errors > 0 {
                failures += 1;
            }
            times.push(took);
        }
        (times, failures)
    });
    let started = Instant::now();
    let handles: Vec<_> = (0..heavy)
        .map(|i| {
            let state = state.clone();
            let token = tokens[i % tokens.len()].clone();
            let query = heavy_query(i);
            tokio::spawn(async move {
                let mut results = Vec::with_capacity(rounds);
                for _ in 0..rounds {
                    results.push(call(&state, &token, &query).await);
                }
                results
            })
        })
        .collect();
    let mut outcomes: std::collections::BTreeMap<String, usize> = Default::default();
    let mut heavy_times = Vec::new();
    for handle in handles {
        for (status, errors, took) in handle.await.expect("task") {
            *outcomes.entry(format!("HTTP {status}, {errors} errors")).or_default() += 1;
            heavy_times.push(took);
        }
    }
    let wall = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (mut simple_times, simple_failures) = simple.await.expect("simple");
    heavy_times.sort();
    simple_times.sort();
    for (outcome, count) in &outcomes {
        println!("  heavy: {count:>4} × {outcome}");
    }
    println!(
        "  heavy: all done in {:.0} ms; p50 {:.0} ms, p99 {:.0} ms",
        wall.as_secs_f64() * 1e3,
        percentile(&heavy_times, 0.5).as_secs_f64() * 1e3,
        percentile(&heavy_times, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "  simple query alongside: {} requests, {simple_failures} failed; p50 {:.1} ms, p99 {:.1} ms",
        simple_times.len(),
        percentile(&simple_times, 0.5).as_secs_f64() * 1e3,
        percentile(&simple_times, 0.99).as_secs_f64() * 1e3
    );
    db.close().await.ok();
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join("customer-hub-bench");
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join(format!("pool-{}.db", std::process::id()));
    run("SQLite", format!("sqlite://{}?mode=rwc", file.display())).await;
    std::fs::remove_file(&file).ok();
    let pg = std::env::var("BENCH_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    if pg == "none" {
        return;
    }
    let name = format!("hub_bench_pool_{}", std::process::id());
    match sea_orm::Database::connect(&pg).await {
        Ok(admin) => {
            if admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.is_ok() {
                let base = pg.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(pg.clone());
                run("PostgreSQL", format!("{base}/{name}")).await;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok();
            }
        }
        Err(_) => println!("PostgreSQL: not reachable at {pg}; skipped"),
    }
}
