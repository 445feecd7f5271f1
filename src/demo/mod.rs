//! A realistic, deterministic demo dealer group: stores of three brands and a partner,
//! staff for every role, and customers with cars, sales, service, insurance and parts.
//!
//! The rooms, by what they generate: `organisation` (stores, staff, the accounts banner),
//! `customers` (a customer, their contacts, tags, store relations and source records, and
//! their whole history), `sales` (leads and the sale of a car), `vehicles` (the car, its
//! ownership and service visits), `insurance` (policies and renewals), `parts` (parts and
//! accessory orders), `unification` (the duplicates and households the unification
//! features show) and `generator` (the seeded random generator and its helpers). This
//! module holds the entry point and writes the generated rows.

use chrono::NaiveDate;
use entity::{
    contact_point, customer, customer_link, customer_store, customer_tag, delivery, duplicate_candidate,
    insurance_policy, lead, lead_share, parts_order, repair_order, source_record, staff, store, vehicle,
    vehicle_ownership,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait, PaginatorTrait, Statement,
    TransactionTrait,
};

mod customers;
mod generator;
mod insurance;
mod organisation;
mod parts;
mod sales;
mod seasons;
mod unification;
mod vehicles;

use customers::customer_history;
use generator::Generator;
pub use organisation::accounts_banner;
use organisation::organisation;
use unification::unification_examples;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "demo";

#[derive(Debug, Clone)]
pub struct DemoConfig {
    pub customers: usize,
    pub seed: u64,
    /// The demo's "today": history runs three years back from here.
    pub today: NaiveDate,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self { customers: 2000, seed: 4_2024, today: NaiveDate::from_ymd_opt(2026, 11, 20).expect("valid date") }
    }
}

/// Everything the generator produces, inserted table by table afterwards.
#[derive(Default)]
struct Rows {
    stores: Vec<store::ActiveModel>,
    staff: Vec<staff::ActiveModel>,
    customers: Vec<customer::ActiveModel>,
    tags: Vec<customer_tag::ActiveModel>,
    contacts: Vec<contact_point::ActiveModel>,
    relationships: Vec<customer_store::ActiveModel>,
    sources: Vec<source_record::ActiveModel>,
    vehicles: Vec<vehicle::ActiveModel>,
    ownerships: Vec<vehicle_ownership::ActiveModel>,
    leads: Vec<lead::ActiveModel>,
    shares: Vec<lead_share::ActiveModel>,
    deliveries: Vec<delivery::ActiveModel>,
    repairs: Vec<repair_order::ActiveModel>,
    policies: Vec<insurance_policy::ActiveModel>,
    parts: Vec<parts_order::ActiveModel>,
    links: Vec<customer_link::ActiveModel>,
    candidates: Vec<duplicate_candidate::ActiveModel>,
}

/// Seeds the demo group unless the database already holds stores. Returns whether it seeded.
pub async fn seed(db: &DatabaseConnection, cfg: &DemoConfig) -> Result<bool, DbErr> {
    if store::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let txn = db.begin().await?;
    let mut g = Generator::new(cfg);
    let store_staff = organisation(&mut g);
    flush(&txn, &mut g.rows).await?;
    // Customers are generated and written a few thousand at a time, so a large group
    // (the benchmarks seed 200,000) never sits in memory whole.
    for start in (0..cfg.customers).step_by(CHUNK) {
        for n in start..(start + CHUNK).min(cfg.customers) {
            customer_history(&mut g, n as i32 + 1, &store_staff);
        }
        seasons::shape(&mut g);
        flush(&txn, &mut g.rows).await?;
    }
    unification_examples(&mut g, cfg.customers as i32, &store_staff);
    flush(&txn, &mut g.rows).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // Every customer-owned table of the registry, and the others the generator fills.
        let owned = crate::domain::owned::OwnedKind::ALL.map(crate::domain::owned::OwnedKind::table);
        for table in OTHER_TABLES.into_iter().chain(owned) {
            txn.execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"),
            ))
            .await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}

/// Customers generated per write.
const CHUNK: usize = 2_000;

/// Tables the generator fills with explicit ids besides the customer-owned ones of the
/// registry (PostgreSQL sequences are moved past them all).
const OTHER_TABLES: [&str; 7] =
    ["store", "staff", "customer", "vehicle", "lead_share", "customer_link", "duplicate_candidate"];

/// Writes and empties the generated rows, parents before children.
async fn flush(txn: &DatabaseTransaction, rows: &mut Rows) -> Result<(), DbErr> {
    let rows = std::mem::take(rows);
    macro_rules! insert_all {
        ($($field:ident => $entity:ty),+ $(,)?) => {$(
            for chunk in rows.$field.chunks(400) {
                <$entity>::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
            }
        )+};
    }
    insert_all!(
        stores => store::Entity,
        staff => staff::Entity,
        customers => customer::Entity,
        tags => customer_tag::Entity,
        contacts => contact_point::Entity,
        relationships => customer_store::Entity,
        sources => source_record::Entity,
        vehicles => vehicle::Entity,
        ownerships => vehicle_ownership::Entity,
        leads => lead::Entity,
        shares => lead_share::Entity,
        deliveries => delivery::Entity,
        repairs => repair_order::Entity,
        policies => insurance_policy::Entity,
        parts => parts_order::Entity,
        links => customer_link::Entity,
        candidates => duplicate_candidate::Entity,
    );
    Ok(())
}
