//! `peer-seed URL CUSTOMERS`: migrates the database at URL and seeds the hub's demo group
//! with CUSTOMERS customers through the same generator as `customer-hub seed-demo`
//! (`customer_hub::demo::seed`), which seeds only an empty database.

use customer_hub::config::DbConfig;
use customer_hub::demo::{self, DemoConfig};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: peer-seed URL CUSTOMERS");
    let customers: usize = args.next().and_then(|n| n.parse().ok()).expect("usage: peer-seed URL CUSTOMERS");
    let cfg = DbConfig { database_url: url, db_max_connections: 4, db_statement_timeout_ms: 600_000 };
    let db = customer_hub::db::connect(&cfg).await.expect("connect");
    customer_hub::db::migrate(&db).await.expect("migrate");
    let started = std::time::Instant::now();
    let seeded = demo::seed(&db, &DemoConfig { customers, ..DemoConfig::default() }).await.expect("seed");
    if seeded {
        println!("seeded {customers} customers in {:.1} s", started.elapsed().as_secs_f64());
    } else {
        println!("database already seeded; left as it is");
    }
}
