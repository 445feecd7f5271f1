//! Schema migrations; one file per change, named mYYYYMMDD_NNNNNN_what.rs.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_unified_schema;
mod m20261124_000002_access;
mod m20261124_000003_unification;
mod m20261124_000004_keyset_indexes;
mod m20261124_000005_token_cutoff;
mod m20261124_000006_lead_closing;
mod m20261124_000007_lead_work;
mod m20261124_000008_care_work;
mod m20261124_000009_surveys_referrals;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_unified_schema::Migration),
            Box::new(m20261124_000002_access::Migration),
            Box::new(m20261124_000003_unification::Migration),
            Box::new(m20261124_000004_keyset_indexes::Migration),
            Box::new(m20261124_000005_token_cutoff::Migration),
            Box::new(m20261124_000006_lead_closing::Migration),
            Box::new(m20261124_000007_lead_work::Migration),
            Box::new(m20261124_000008_care_work::Migration),
            Box::new(m20261124_000009_surveys_referrals::Migration),
        ]
    }
}
