//! Customer 360 benchmark: seeds a large dealer group, then measures the GraphQL API
//! in-process against hand-written SQL through the same connection pool.
//!
//! (a) `customerByPhone` with the full 360 (contacts, stores and managers, vehicles,
//!     leads, deliveries, repair orders, policies, parts orders);
//! (b) a 50-customer page with their vehicles.
//!
//! cargo bench --bench customer360                      # SQLite, and PostgreSQL if reachable
//! BENCH_CUSTOMERS=20000 cargo bench --bench customer360 # a quicker run
//!
//! Settings (environment): BENCH_CUSTOMERS (200000), BENCH_REQUESTS (2000),
//! BENCH_CONCURRENCY (8), BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres;
//! `none` skips PostgreSQL), BENCH_ROUNDS (4: the API and the SQL run in interleaved
//! rounds, so a shared machine's slow minutes fall on both), BENCH_ONLY (`360` or `page`:
//! that workload through the API alone, for a profiler).

use std::sync::Arc;
use std::time::{Duration, Instant};

use customer_hub::auth::{Actor, TokenKeys};
use customer_hub::config::DbConfig;
use customer_hub::demo::{self, DemoConfig};
use customer_hub::domain::Scope;
use customer_hub::graphql::{self, HubSchema, SchemaOptions};
use entity::staff;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, QueryFilter, Statement,
    Value,
};
use serde_json::json;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Setup {
    name: &'static str,
    db: DatabaseConnection,
    schema: HubSchema,
    actor: Actor,
    phones: Vec<String>,
    max_customer: i64,
}

async fn setup(name: &'static str, url: String, customers: usize) -> Setup {
    let cfg = DbConfig { database_url: url, db_max_connections: 16, db_statement_timeout_ms: 60_000 };
    let db = customer_hub::db::connect(&cfg).await.expect("connect");
    customer_hub::db::migrate(&db).await.expect("migrate");
    let started = Instant::now();
    let seeded = demo::seed(&db, &DemoConfig { customers, ..DemoConfig::default() }).await.expect("seed");
    if seeded {
        let rows: i64 = count(&db, "SELECT (SELECT COUNT(*) FROM customer) + (SELECT COUNT(*) FROM contact_point) + (SELECT COUNT(*) FROM vehicle) + (SELECT COUNT(*) FROM vehicle_ownership) + (SELECT COUNT(*) FROM repair_order) + (SELECT COUNT(*) FROM insurance_policy) + (SELECT COUNT(*) FROM lead) + (SELECT COUNT(*) FROM delivery) + (SELECT COUNT(*) FROM parts_order) + (SELECT COUNT(*) FROM customer_store) AS n").await;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{name}: seeded {customers} customers ({rows} rows) in {secs:.1} s ({:.0} rows/s)",
            rows as f64 / secs
        );
    } else {
        println!("{name}: reusing the seeded database");
    }
    // Fresh statistics, as a production database would have after a bulk load.
    db.execute_unprepared("ANALYZE").await.expect("analyze");
    if db.get_database_backend() == DbBackend::Sqlite {
        // Seeding leaves hundreds of megabytes in the write-ahead log, which every read
        // would otherwise go through until a checkpoint: runs right after seeding and
        // runs reusing the database then read the same file.
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await.expect("checkpoint");
    }
    let admin =
        staff::Entity::find().filter(staff::Column::Username.eq("admin")).one(&db).await.expect("q").expect("admin");
    let actor = Actor::from_staff(&admin, "bench".into(), None);
    let phones: Vec<String> = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT normalized FROM contact_point WHERE kind = 'PHONE' AND is_primary ORDER BY id",
        ))
        .await
        .expect("phones")
        .into_iter()
        .filter_map(|row| row.try_get::<String>("", "normalized").ok())
        .step_by(97)
        .collect();
    let max_customer = count(&db, "SELECT MAX(id) AS n FROM customer").await;
    let schema = graphql::build_schema(
        db.clone(),
        TokenKeys::new(b"bench-secret-bench-secret-bench-secret", 3600),
        &SchemaOptions::default(),
    );
    Setup { name, db, schema, actor, phones, max_customer }
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row =
        db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect("count").expect("row");
    row.try_get::<i64>("", "n").or_else(|_| row.try_get::<i32>("", "n").map(i64::from)).expect("n")
}

const FULL_360: &str = "query($p: String!) { customerByPhone(phone: $p) { id name kind idNumber address birthday lifecycleStage tags phones { number primary } stores { status firstContactOn store { code name } manager { displayName } } vehicles { vin plate brand model modelYear ownershipHistory { role from to } } leads { grade status intendedModel budget } deliveries { deliveredOn price payment } repairOrders { kind openedAt mileage amount store { code } } insurancePolicies { insurer startsOn endsOn premium } partsOrders { amount orderedOn } } }";
const PAGE_50: &str = "query($a: String) { customers(first: 50, after: $a) { edges { node { id name vehicles { vin plate brand model } } } pageInfo { endCursor } } }";

async fn graphql_360(s: &Setup, i: usize) -> usize {
    let phone = &s.phones[i % s.phones.len()];
    let request =
        async_graphql::Request::new(FULL_360).variables(async_graphql::Variables::from_json(json!({"p": phone})));
    let response =
        graphql::execute(&s.schema, &s.db, request, Some(Scope::new(s.actor.clone())), Default::default()).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    serde_json::to_vec(&response).expect("json").len()
}

fn cursor_after(id: i64) -> String {
    use base64::Engine;
    let key = json!({"s": "id", "v": {"Int": id}, "i": id});
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.to_string())
}

async fn graphql_page(s: &Setup, i: usize) -> usize {
    let after = (i as i64 * 7919) % (s.max_customer - 60).max(1);
    let request = async_graphql::Request::new(PAGE_50)
        .variables(async_graphql::Variables::from_json(json!({"a": cursor_after(after)})));
    let response =
        graphql::execute(&s.schema, &s.db, request, Some(Scope::new(s.actor.clone())), Default::default()).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    serde_json::to_vec(&response).expect("json").len()
}

/// Hand-written SQL: the same rows, one statement per list, decoded into JSON.
async fn rows_json(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> Vec<serde_json::Value> {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        let mut n = 0;
        sql.chars()
            .map(|c| {
                if c == '?' {
                    n += 1;
                    format!("${n}")
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        sql.to_owned()
    };
    db.query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .expect("sql")
        .iter()
        .map(|row| sea_orm::JsonValue::from_query_result(row, "").expect("decode row"))
        .collect()
}

async fn sql_360(s: &Setup, i: usize) -> usize {
    // The stored form (+86…): the API is given the same text and normalises it itself
    // (a displayed value such as 136-0152-5232 is not the stored key).
    let phone = s.phones[i % s.phones.len()].clone();
    let db = &s.db;
    let backend = db.get_database_backend();
    let q = if backend == DbBackend::Postgres { "$1" } else { "?" };
    let holder = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT customer_id FROM contact_point WHERE kind = 'PHONE' AND normalized = {q} ORDER BY is_primary DESC, customer_id LIMIT 1"),
            [phone.into()],
        ))
        .await
        .expect("sql")
        .expect("holder");
    let id: i32 = holder.try_get("", "customer_id").expect("id");
    let mut total = 0;
    for sql in [
        "SELECT * FROM customer WHERE id = ?",
        "SELECT tag FROM customer_tag WHERE customer_id = ?",
        "SELECT * FROM contact_point WHERE customer_id = ?",
        "SELECT cs.*, s.code, s.name, m.display_name FROM customer_store cs JOIN store s ON s.id = cs.store_id LEFT JOIN staff m ON m.id = cs.manager_id WHERE cs.customer_id = ?",
        "SELECT v.*, o.role, o.from_date, o.to_date FROM vehicle_ownership o JOIN vehicle v ON v.id = o.vehicle_id WHERE o.customer_id = ?",
        "SELECT * FROM lead WHERE customer_id = ? ORDER BY created_at",
        "SELECT * FROM delivery WHERE customer_id = ? ORDER BY delivered_on",
        "SELECT r.*, s.code FROM repair_order r JOIN store s ON s.id = r.store_id WHERE r.customer_id = ? ORDER BY r.opened_at",
        "SELECT * FROM insurance_policy WHERE customer_id = ? ORDER BY starts_on",
        "SELECT * FROM parts_order WHERE customer_id = ? ORDER BY ordered_on",
    ] {
        total += rows_json(db, sql, vec![id.into()]).await.len();
    }
    total
}

async fn sql_page(s: &Setup, i: usize) -> usize {
    let after = (i as i64 * 7919) % (s.max_customer - 60).max(1);
    let ids: Vec<i32> =
        s.db.query_all_raw(Statement::from_sql_and_values(
            s.db.get_database_backend(),
            if s.db.get_database_backend() == DbBackend::Postgres {
                "SELECT id, name FROM customer WHERE merged_into IS NULL AND id > $1 ORDER BY id LIMIT 51"
            } else {
                "SELECT id, name FROM customer WHERE merged_into IS NULL AND id > ? ORDER BY id LIMIT 51"
            },
            [after.into()],
        ))
        .await
        .expect("sql")
        .into_iter()
        .filter_map(|r| r.try_get::<i32>("", "id").ok())
        .take(50)
        .collect();
    let list = ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let sql = format!(
        "SELECT o.customer_id, v.vin, v.plate, v.brand, v.model FROM vehicle_ownership o JOIN vehicle v ON v.id = o.vehicle_id WHERE o.to_date IS NULL AND o.customer_id IN ({list})"
    );
    ids.len() + rows_json(&s.db, &sql, vec![]).await.len()
}

struct Figures {
    per_sec: f64,
    p50: Duration,
    p99: Duration,
}

/// The latencies of `requests` requests, `concurrency` at a time, and the wall time.
async fn run<F, Fut>(
    s: Arc<Setup>,
    offset: usize,
    requests: usize,
    concurrency: usize,
    f: F,
) -> (Vec<Duration>, Duration)
where
    F: Fn(Arc<Setup>, usize) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = usize> + Send,
{
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = worker;
            while i < requests {
                let t = Instant::now();
                f(s.clone(), offset + i).await;
                latencies.push(t.elapsed());
                i += concurrency;
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("worker"));
    }
    (latencies, started.elapsed())
}

fn figures(mut latencies: Vec<Duration>, wall: Duration) -> Figures {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Figures { per_sec: latencies.len() as f64 / wall.as_secs_f64(), p50: at(0.50), p99: at(0.99) }
}

async fn warm<F, Fut>(s: &Arc<Setup>, f: F)
where
    F: Fn(Arc<Setup>, usize) -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    for i in 0..20 {
        f(s.clone(), i).await;
    }
}

async fn measure<F, Fut>(s: Arc<Setup>, requests: usize, concurrency: usize, f: F) -> Figures
where
    F: Fn(Arc<Setup>, usize) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = usize> + Send,
{
    warm(&s, f).await;
    let (latencies, wall) = run(s, 0, requests, concurrency, f).await;
    figures(latencies, wall)
}

/// The API and the hand-written SQL in interleaved rounds (API then SQL, then SQL then
/// API, …; `BENCH_ROUNDS`, default 4), so that a shared machine's slow minutes fall on
/// both: their figures over all rounds, and the lowest and highest ratio of a round.
async fn side_by_side<A, AF, B, BF>(
    s: Arc<Setup>,
    requests: usize,
    concurrency: usize,
    api: A,
    sql: B,
) -> (Figures, Figures, f64, f64)
where
    A: Fn(Arc<Setup>, usize) -> AF + Send + Sync + Copy + 'static,
    AF: std::future::Future<Output = usize> + Send,
    B: Fn(Arc<Setup>, usize) -> BF + Send + Sync + Copy + 'static,
    BF: std::future::Future<Output = usize> + Send,
{
    let rounds: usize = env_or("BENCH_ROUNDS", 4).max(1);
    let per_round = (requests / rounds).max(concurrency);
    warm(&s, api).await;
    warm(&s, sql).await;
    let (mut a_lat, mut b_lat) = (Vec::new(), Vec::new());
    let (mut a_wall, mut b_wall) = (Duration::ZERO, Duration::ZERO);
    let (mut low, mut high) = (f64::MAX, 0f64);
    for round in 0..rounds {
        let offset = round * per_round;
        let (a, b) = if round % 2 == 0 {
            let a = run(s.clone(), offset, per_round, concurrency, api).await;
            (a, run(s.clone(), offset, per_round, concurrency, sql).await)
        } else {
            let b = run(s.clone(), offset, per_round, concurrency, sql).await;
            (run(s.clone(), offset, per_round, concurrency, api).await, b)
        };
        let ratio = b.1.as_secs_f64() / a.1.as_secs_f64();
        low = low.min(ratio);
        high = high.max(ratio);
        a_lat.extend(a.0);
        a_wall += a.1;
        b_lat.extend(b.0);
        b_wall += b.1;
    }
    (figures(a_lat, a_wall), figures(b_lat, b_wall), low, high)
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

async fn bench(s: Setup, requests: usize, concurrency: usize) {
    let s = Arc::new(s);
    // One workload through the API alone, for a profiler (`perf record -p`).
    match std::env::var("BENCH_ONLY").as_deref() {
        Ok("360") => {
            let a = measure(s.clone(), requests, concurrency, |s, i| async move { graphql_360(&s, i).await }).await;
            println!("{}: customerByPhone, full 360, API only: {:.0} req/s", s.name, a.per_sec);
            return;
        }
        Ok("page") => {
            let a = measure(s.clone(), requests, concurrency, |s, i| async move { graphql_page(&s, i).await }).await;
            println!("{}: 50 customers with vehicles, API only: {:.0} req/s", s.name, a.per_sec);
            return;
        }
        _ => {}
    }
    println!();
    println!("{} — {requests} requests, {concurrency} concurrent", s.name);
    println!(
        "| workload | API req/s | API p50 ms | API p99 ms | SQL req/s | SQL p50 ms | SQL p99 ms | API/SQL | rounds' API/SQL |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let (a, b, low, high) = side_by_side(
        s.clone(),
        requests,
        concurrency,
        |s, i| async move { graphql_360(&s, i).await },
        |s, i| async move { sql_360(&s, i).await },
    )
    .await;
    row("customerByPhone, full 360", &a, &b, low, high);
    let (a, b, low, high) = side_by_side(
        s.clone(),
        requests,
        concurrency,
        |s, i| async move { graphql_page(&s, i).await },
        |s, i| async move { sql_page(&s, i).await },
    )
    .await;
    row("50 customers with vehicles", &a, &b, low, high);
}

fn row(workload: &str, a: &Figures, b: &Figures, low: f64, high: f64) {
    println!(
        "| {workload} | {:.0} | {} | {} | {:.0} | {} | {} | {:.2} | {low:.2}–{high:.2} |",
        a.per_sec,
        ms(a.p50),
        ms(a.p99),
        b.per_sec,
        ms(b.p50),
        ms(b.p99),
        a.per_sec / b.per_sec
    );
}

#[tokio::main]
async fn main() {
    let customers: usize = env_or("BENCH_CUSTOMERS", 200_000);
    let requests: usize = env_or("BENCH_REQUESTS", 2_000);
    let concurrency: usize = env_or("BENCH_CONCURRENCY", 8);
    let dir = std::env::temp_dir().join("customer-hub-bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = dir.join(format!("bench-{customers}.db"));
    let sqlite = setup("SQLite", format!("sqlite://{}?mode=rwc", path.display()), customers).await;
    bench(sqlite, requests, concurrency).await;

    let pg_url = std::env::var("BENCH_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    if pg_url == "none" {
        return;
    }
    let db_name = format!("hub_bench_{customers}");
    match sea_orm::Database::connect(&pg_url).await {
        Ok(admin) => {
            let exists = admin
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    format!("SELECT 1 AS n FROM pg_database WHERE datname = '{db_name}'"),
                ))
                .await
                .ok()
                .flatten()
                .is_some();
            if !exists {
                admin.execute_unprepared(&format!("CREATE DATABASE {db_name}")).await.expect("create bench database");
            }
            let base = pg_url.rsplit_once('/').map(|(b, _)| b.to_owned()).expect("URL with a database");
            let pg = setup("PostgreSQL", format!("{base}/{db_name}"), customers).await;
            bench(pg, requests, concurrency).await;
        }
        Err(e) => println!("\nPostgreSQL not reachable at {pg_url} ({e}); skipped"),
    }
}
