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
    complaint, complaint_event, contact_point, customer, customer_consent, customer_link, customer_store, customer_tag,
    delivery, duplicate_candidate, insurance_policy, lead, lead_conflict, lead_follow_up, lead_offer, parts_order,
    repair_order, source_record, staff, store, vehicle, vehicle_ownership,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait, PaginatorTrait, Statement,
    TransactionTrait,
};

mod care;
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
    offers: Vec<lead_offer::ActiveModel>,
    follow_ups: Vec<lead_follow_up::ActiveModel>,
    conflicts: Vec<lead_conflict::ActiveModel>,
    complaints: Vec<complaint::ActiveModel>,
    complaint_events: Vec<complaint_event::ActiveModel>,
    consents: Vec<customer_consent::ActiveModel>,
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
    care_history(db, g.now).await?;
    Ok(true)
}

/// The care jobs as if the scheduler had run three weeks ago and runs now: most of the
/// older tasks were done (reached, no answer, a visit booked), the rest expired; of the
/// recent ones about half are done and some are overdue. Complaints past their deadline
/// escalate on the way.
async fn care_history(db: &DatabaseConnection, now: chrono::DateTime<chrono::Utc>) -> Result<(), DbErr> {
    use crate::domain::care::{CareSettings, run_jobs};
    let fail = |e: crate::error::AppError| DbErr::Custom(format!("the demo's care jobs: {}", e.log_text()));
    let settings = CareSettings::default();
    let earlier = now - chrono::Duration::days(21);
    care::surveys_and_referrals(db, now).await?;
    run_jobs(db, &settings, earlier).await.map_err(fail)?;
    let done = |outcome: &str, filter: &str| {
        format!(
            "UPDATE care_task SET status = 'DONE', outcome = '{outcome}', done_by = assignee_id, done_at = start_at \
             WHERE status = 'OPEN' AND assignee_id IS NOT NULL AND {filter}"
        )
    };
    let old = format!("due_at < {}", timestamp(db, now - chrono::Duration::days(14)));
    let recent = format!("due_at < {}", timestamp(db, now));
    for sql in [
        done("NO_ANSWER", &format!("{old} AND id % 7 = 1")),
        done("BOOKED_VISIT", &format!("{old} AND kind IN ('FIRST_MAINTENANCE', 'ANNUAL_INSPECTION') AND id % 4 <> 0")),
        done("REACHED", &format!("{old} AND id % 4 <> 0")),
        "UPDATE care_task SET status = 'CANCELLED', note = '客户已在他店办理' WHERE status = 'OPEN' AND id % 13 = 0"
            .to_owned(),
    ] {
        db.execute_unprepared(&sql).await?;
    }
    run_jobs(db, &settings, now).await.map_err(fail)?;
    db.execute_unprepared(&done("REACHED", &format!("{recent} AND id % 2 = 0"))).await?;
    Ok(())
}

/// A timestamp literal the backend compares with its stored timestamps.
fn timestamp(db: &DatabaseConnection, at: chrono::DateTime<chrono::Utc>) -> String {
    match db.get_database_backend() {
        DbBackend::Postgres => format!("'{}'::timestamptz", at.to_rfc3339()),
        _ => format!("'{}'", at.to_rfc3339()),
    }
}

/// Customers generated per write.
const CHUNK: usize = 2_000;

/// Tables the generator fills with explicit ids besides the customer-owned ones of the
/// registry (PostgreSQL sequences are moved past them all).
const OTHER_TABLES: [&str; 10] = [
    "store",
    "staff",
    "customer",
    "vehicle",
    "lead_offer",
    "lead_follow_up",
    "lead_conflict",
    "complaint_event",
    "customer_link",
    "duplicate_candidate",
];

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
        offers => lead_offer::Entity,
        follow_ups => lead_follow_up::Entity,
        conflicts => lead_conflict::Entity,
        complaints => complaint::Entity,
        complaint_events => complaint_event::Entity,
        consents => customer_consent::Entity,
        deliveries => delivery::Entity,
        repairs => repair_order::Entity,
        policies => insurance_policy::Entity,
        parts => parts_order::Entity,
        links => customer_link::Entity,
        candidates => duplicate_candidate::Entity,
    );
    Ok(())
}
