//! KPI benchmark: every KPI of the catalogue for a year by store × month (the share KPIs
//! by their share dimension, the group-wide ones by month), as the hub computes it (the
//! `kpi` query's work: cells and totals, with the previous and year-earlier periods),
//! beside hand-written PostgreSQL for the same twelve months' figures. The hand-written
//! answers are checked against the hub's visible cells.
//!
//! cargo bench --bench kpi                        # SQLite and PostgreSQL, 200,000 customers
//! BENCH_CUSTOMERS=20000 cargo bench --bench kpi   # a quicker run
//!
//! Settings: BENCH_CUSTOMERS (200000), BENCH_RUNS (5, the median is printed),
//! BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres; `none` skips PostgreSQL),
//! BENCH_SQLITE (`none` skips SQLite). The seeded databases are shared with the
//! customer360 benchmark (`$TMPDIR/customer-hub-bench/bench-N.db`, `hub_bench_N`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use customer_hub::auth::Actor;
use customer_hub::config::DbConfig;
use customer_hub::demo::{self, DemoConfig};
use customer_hub::domain::Scope;
use customer_hub::domain::kpi::{self, CATALOGUE, Dimension, Grain, KpiQuery, Settings};
use entity::staff;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, Statement};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The year measured: the demo's last twelve months.
const FROM: &str = "2025-12-01";
const TO: &str = "2026-11-30";

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

async fn connect(url: String, customers: usize) -> DatabaseConnection {
    let cfg = DbConfig { database_url: url, db_max_connections: 4, db_statement_timeout_ms: 600_000 };
    let db = customer_hub::db::connect(&cfg).await.expect("connect");
    customer_hub::db::migrate(&db).await.expect("migrate");
    let started = Instant::now();
    if demo::seed(&db, &DemoConfig { customers, ..DemoConfig::default() }).await.expect("seed") {
        println!("seeded {customers} customers in {:.0} s", started.elapsed().as_secs_f64());
    }
    db.execute_unprepared("ANALYZE").await.expect("analyze");
    db
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The hand-written PostgreSQL of a KPI for the year: rows `(k, m, value)` with `k` the
/// store code (or share value, or '' group-wide) and `m` the month's first day.
fn hand_sql(name: &str) -> Option<String> {
    let day = |ts: &str| format!("(({ts}) AT TIME ZONE 'Asia/Shanghai')::date");
    let months = format!(
        "SELECT g::date AS m, (g + interval '1 month' - interval '1 day')::date AS e, LEAST((g + interval '1 month' - interval '1 day')::date, (now() AT TIME ZONE 'Asia/Shanghai')::date) AS at FROM generate_series(DATE '{FROM}', DATE '{TO}', interval '1 month') g"
    );
    let own = "JOIN store s ON s.id = x.store_id AND s.kind = 'OWN'";
    let visits = format!(
        "SELECT store_id, customer_id, delivered_on AS d FROM delivery UNION SELECT store_id, customer_id, {} FROM repair_order",
        day("opened_at")
    );
    let range = |col: &str| format!("{col} BETWEEN DATE '{FROM}' AND DATE '{TO}'");
    Some(match name {
        "lead_conversion_rate" => format!(
            "SELECT s.code AS k, date_trunc('month', {d})::date AS m, AVG((x.status = 'WON')::int)::float8 AS value \
             FROM lead x {own} WHERE x.status IN ('WON', 'DEFEATED') AND x.closed_at >= TIMESTAMPTZ '{FROM} 00:00+08' \
             AND x.closed_at < TIMESTAMPTZ '{TO} 00:00+08' + interval '1 day' GROUP BY 1, 2",
            d = day("x.closed_at")
        ),
        "lead_defeat_reasons" => format!(
            "SELECT COALESCE(x.defeat_reason, '(unknown)') AS k, date_trunc('month', {d})::date AS m, \
             (COUNT(*)::float8 / SUM(COUNT(*)) OVER (PARTITION BY date_trunc('month', {d})::date))::float8 AS value \
             FROM lead x {own} WHERE x.status = 'DEFEATED' AND x.closed_at >= TIMESTAMPTZ '{FROM} 00:00+08' \
             AND x.closed_at < TIMESTAMPTZ '{TO} 00:00+08' + interval '1 day' GROUP BY 1, 2",
            d = day("x.closed_at")
        ),
        "first_maintenance_return_rate" => format!(
            "SELECT s.code AS k, date_trunc('month', x.e)::date AS m, AVG((EXISTS (SELECT 1 FROM repair_order r \
             JOIN store rs ON rs.id = r.store_id AND rs.kind = 'OWN' WHERE r.vehicle_id = x.vehicle_id AND r.kind IN \
             ('FIRST_MAINTENANCE', 'MAINTENANCE') AND {rd} BETWEEN x.delivered_on AND x.e))::int)::float8 AS value \
             FROM (SELECT d.*, (d.delivered_on + interval '6 months')::date AS e FROM delivery d) x {own} \
             WHERE {} AND x.e <= (now() AT TIME ZONE 'Asia/Shanghai')::date GROUP BY 1, 2",
            range("x.e"),
            rd = day("r.opened_at")
        ),
        "second_maintenance_return_rate" => format!(
            "SELECT s.code AS k, date_trunc('month', x.e)::date AS m, AVG((EXISTS (SELECT 1 FROM repair_order r \
             JOIN store rs ON rs.id = r.store_id AND rs.kind = 'OWN' WHERE r.vehicle_id = x.vehicle_id AND r.kind IN \
             ('FIRST_MAINTENANCE', 'MAINTENANCE') AND {rd} > x.first AND {rd} <= x.e))::int)::float8 AS value \
             FROM (SELECT d.store_id, d.vehicle_id, MIN({rd}) AS first, (MIN({rd}) + interval '6 months')::date AS e \
             FROM delivery d JOIN repair_order r ON r.vehicle_id = d.vehicle_id AND r.kind IN ('FIRST_MAINTENANCE', \
             'MAINTENANCE') JOIN store rs ON rs.id = r.store_id AND rs.kind = 'OWN' WHERE {rd} >= d.delivered_on AND \
             {rd} <= (d.delivered_on + interval '6 months')::date GROUP BY d.store_id, d.customer_id, d.vehicle_id) x \
             {own} WHERE {} AND x.e <= (now() AT TIME ZONE 'Asia/Shanghai')::date GROUP BY 1, 2",
            range("x.e"),
            rd = day("r.opened_at")
        ),
        "insurance_renewal_rate" => format!(
            "SELECT s.code AS k, date_trunc('month', x.ends_on)::date AS m, AVG((EXISTS (SELECT 1 FROM \
             insurance_policy n JOIN store ns ON ns.id = n.store_id AND ns.kind = 'OWN' WHERE n.id <> x.id AND \
             (n.renewal_of = x.id OR (n.vehicle_id = x.vehicle_id AND n.starts_on > x.starts_on AND n.starts_on <= \
             x.ends_on + 31))))::int)::float8 AS value FROM insurance_policy x {own} WHERE {} GROUP BY 1, 2",
            range("x.ends_on")
        ),
        // Per month end: the last visit of each (store, customer) up to it.
        "churn_rate" | "churned_customers" | "active_base" => {
            let measure = match name {
                "churn_rate" => "AVG((l.last <= (mo.at - interval '12 months')::date)::int)::float8",
                "churned_customers" => "COUNT(*) FILTER (WHERE l.last <= (mo.at - interval '12 months')::date)::float8",
                _ => "COUNT(*) FILTER (WHERE l.last > (mo.at - interval '12 months')::date)::float8",
            };
            format!(
                "WITH v AS ({visits}), mo AS ({months}) SELECT s.code AS k, mo.m, {measure} AS value FROM mo \
                 CROSS JOIN LATERAL (SELECT store_id, customer_id, MAX(d) AS last FROM v WHERE d <= mo.at \
                 GROUP BY 1, 2) l JOIN store s ON s.id = l.store_id AND \
                 s.kind = 'OWN' GROUP BY 1, 2"
            )
        }
        "new_customers" => format!(
            "SELECT s.code AS k, date_trunc('month', x.first)::date AS m, COUNT(*)::float8 AS value FROM (SELECT \
             store_id, customer_id, MIN(d) AS first FROM ({visits}) v GROUP BY 1, 2) x {own} WHERE {} GROUP BY 1, 2",
            range("x.first")
        ),
        "revenue" | "revenue_mix" => {
            let lines = format!(
                "SELECT store_id, delivered_on AS d, price_cents AS c FROM delivery UNION ALL SELECT store_id, {}, \
                 amount_cents FROM repair_order UNION ALL SELECT store_id, ordered_on, amount_cents FROM parts_order \
                 UNION ALL SELECT store_id, starts_on, premium_cents FROM insurance_policy",
                day("COALESCE(closed_at, opened_at)")
            );
            if name == "revenue" {
                format!(
                    "SELECT s.code AS k, date_trunc('month', x.d)::date AS m, (SUM(x.c) / 100.0)::float8 AS value \
                     FROM ({lines}) x {own} WHERE {} GROUP BY 1, 2",
                    range("x.d")
                )
            } else {
                let tagged = lines
                    .replacen("price_cents AS c FROM delivery", "price_cents AS c, 'SALES' AS dept FROM delivery", 1)
                    .replacen("amount_cents FROM repair_order", "amount_cents, 'SERVICE' FROM repair_order", 1)
                    .replacen("amount_cents FROM parts_order", "amount_cents, 'PARTS' FROM parts_order", 1)
                    .replacen(
                        "premium_cents FROM insurance_policy",
                        "premium_cents, 'INSURANCE' FROM insurance_policy",
                        1,
                    );
                format!(
                    "SELECT x.dept AS k, date_trunc('month', x.d)::date AS m, (SUM(x.c)::float8 / SUM(SUM(x.c)) OVER \
                     (PARTITION BY date_trunc('month', x.d)::date))::float8 AS value FROM ({tagged}) x {own} WHERE {} \
                     GROUP BY 1, 2",
                    range("x.d")
                )
            }
        }
        "average_repair_order_value" => format!(
            "SELECT s.code AS k, date_trunc('month', {d})::date AS m, (AVG(x.amount_cents) / 100.0)::float8 AS value \
             FROM repair_order x {own} WHERE {} GROUP BY 1, 2",
            range(&day("COALESCE(x.closed_at, x.opened_at)")),
            d = day("COALESCE(x.closed_at, x.opened_at)")
        ),
        "multi_touch_rate" => format!(
            "WITH t AS (SELECT a.customer_id, a.store_id, a.dept, MIN(a.d) AS first FROM (SELECT customer_id, \
             store_id, 'SALES' AS dept, {} AS d FROM lead UNION ALL SELECT customer_id, store_id, 'SALES', delivered_on \
             FROM delivery UNION ALL SELECT customer_id, store_id, 'SERVICE', {} FROM repair_order UNION ALL SELECT \
             customer_id, store_id, 'INSURANCE', starts_on FROM insurance_policy UNION ALL SELECT customer_id, \
             store_id, 'PARTS', ordered_on FROM parts_order) a JOIN store ts ON ts.id = a.store_id AND ts.kind = 'OWN' \
             GROUP BY 1, 2, 3), mo AS ({months}) \
             SELECT s.code AS k, mo.m, AVG((c.pairs >= 2)::int)::float8 AS value FROM mo CROSS JOIN LATERAL \
             (SELECT t.customer_id, t.store_id, (SELECT COUNT(*) FROM t t2 WHERE t2.customer_id = t.customer_id AND \
             t2.first <= LEAST(mo.e, (now() AT TIME ZONE 'Asia/Shanghai')::date)) AS pairs FROM t WHERE t.first <= \
             LEAST(mo.e, (now() AT TIME ZONE 'Asia/Shanghai')::date) GROUP BY t.customer_id, t.store_id) c \
             JOIN store s ON s.id = c.store_id GROUP BY 1, 2",
            day("created_at"),
            day("opened_at")
        ),
        "duplicates_found" => format!(
            "SELECT '' AS k, date_trunc('month', {d})::date AS m, COUNT(*)::float8 AS value FROM duplicate_candidate \
             WHERE {} GROUP BY 1, 2",
            range(&day("created_at")),
            d = day("created_at")
        ),
        "duplicates_merged" => format!(
            "SELECT '' AS k, date_trunc('month', {d})::date AS m, SUM(json_array_length(merged_ids))::float8 AS value \
             FROM merge_event WHERE undone_at IS NULL AND {} GROUP BY 1, 2",
            range(&day("merged_at")),
            d = day("merged_at")
        ),
        _ => return None,
    })
}

/// The breakdown measured for a KPI.
fn breakdown(k: &kpi::Kpi) -> Vec<Dimension> {
    kpi::views::view_dimension(k).into_iter().collect()
}

async fn bench(name: &str, db: &DatabaseConnection, runs: usize) {
    let analyst = staff::Entity::find()
        .filter(staff::Column::Username.eq("analyst"))
        .one(db)
        .await
        .expect("query")
        .expect("the demo analyst");
    let scope = Scope::new(Actor::from_staff(&analyst, "bench".into(), None));
    let settings = Settings::default();
    let pg = db.get_database_backend() == DbBackend::Postgres;
    println!("\n{name}: every KPI for {FROM} … {TO} by store × month (median of {runs})");
    println!("{:<32} {:>10} {:>12} {:>7}  same figures", "KPI", "hub ms", "hand SQL ms", "ratio");
    let mut total_hub = Duration::ZERO;
    for k in CATALOGUE {
        let query = KpiQuery {
            name: k.name.to_owned(),
            group_by: breakdown(k),
            grain: Grain::Month,
            from: date(FROM),
            to: date(TO),
            filter: kpi::Filter::default(),
        };
        let mut times = Vec::new();
        let mut answer = None;
        for _ in 0..runs {
            let started = Instant::now();
            answer = Some(kpi::run(db, &scope, &settings, &query).await.expect("kpi"));
            times.push(started.elapsed());
        }
        let hub = median(times);
        total_hub += hub;
        let answer = answer.expect("an answer");
        let (hand, same) = match hand_sql(k.name).filter(|_| pg) {
            Some(sql) => {
                let mut times = Vec::new();
                let mut rows = Vec::new();
                for _ in 0..runs {
                    let started = Instant::now();
                    rows = db
                        .query_all_raw(Statement::from_string(DbBackend::Postgres, sql.clone()))
                        .await
                        .expect("hand SQL");
                    times.push(started.elapsed());
                }
                let hand: HashMap<(String, String), f64> = rows
                    .iter()
                    .map(|r| {
                        let m: NaiveDate = r.try_get("", "m").expect("m");
                        ((r.try_get("", "k").expect("k"), m.to_string()), r.try_get("", "value").expect("value"))
                    })
                    .collect();
                let cells = if query.group_by.is_empty() { &answer.totals } else { &answer.cells };
                let visible: Vec<_> = cells.iter().filter(|c| !c.suppressed).collect();
                let agree = visible.iter().all(|c| {
                    let key = (c.dims.first().cloned().unwrap_or_default(), c.period.start.to_string());
                    match (hand.get(&key), c.value) {
                        (Some(h), Some(v)) => (h - v).abs() <= 1e-6 * v.abs().max(1.0),
                        (None, None) => true,
                        _ => false,
                    }
                });
                (Some(median(times)), Some(agree && !visible.is_empty()))
            }
            None => (None, None),
        };
        println!(
            "{:<32} {:>10.1} {:>12} {:>7}  {}",
            k.name,
            ms(hub),
            hand.map_or("—".to_owned(), |h| format!("{:.1}", ms(h))),
            hand.map_or("—".to_owned(), |h| format!("{:.2}×", hub.as_secs_f64() / h.as_secs_f64())),
            match same {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "—",
            }
        );
    }
    println!("{:<32} {:>10.1}", "all KPIs", ms(total_hub));
}

#[tokio::main]
async fn main() {
    let customers: usize = env_or("BENCH_CUSTOMERS", 200_000);
    let runs: usize = env_or("BENCH_RUNS", 5).max(1);
    if std::env::var("BENCH_SQLITE").as_deref() != Ok("none") {
        let dir = std::env::temp_dir().join("customer-hub-bench");
        std::fs::create_dir_all(&dir).expect("bench dir");
        let path = dir.join(format!("bench-{customers}.db"));
        let db = connect(format!("sqlite://{}?mode=rwc", path.display()), customers).await;
        bench("SQLite", &db, runs).await;
    }
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
            let db = connect(format!("{base}/{db_name}"), customers).await;
            bench("PostgreSQL", &db, runs).await;
        }
        Err(e) => println!("\nPostgreSQL not reachable at {pg_url} ({e}); skipped"),
    }
}
