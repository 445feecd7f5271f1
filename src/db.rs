//! Connecting to SQLite or PostgreSQL with the right per-connection settings.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::config::DbConfig;

pub async fn connect(cfg: &DbConfig) -> Result<DatabaseConnection, DbErr> {
    let timeout = Duration::from_millis(cfg.db_statement_timeout_ms);
    let mut opts = ConnectOptions::new(cfg.database_url.clone());
    opts.max_connections(cfg.db_max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if cfg.database_url.starts_with("sqlite:") {
        // Pragmas are per connection: set them through the connect options, so every
        // pooled connection gets them.
        opts.map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(timeout)
                .foreign_keys(true)
        });
    } else {
        let ms = cfg.db_statement_timeout_ms;
        opts.map_sqlx_postgres_opts(move |o| o.options([("statement_timeout", ms.to_string())]));
    }
    Database::connect(opts).await
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Begins a transaction that reads and then writes. On SQLite it starts IMMEDIATE: it
/// takes the write lock at once, so a concurrent writer waits its turn (busy timeout)
/// instead of failing when it upgrades from reading to writing. On PostgreSQL it is an
/// ordinary transaction.
/// A write transaction for bulk work (an import chunk, an API batch). On PostgreSQL its
/// statements are planned for their own values every time (`plan_cache_mode =
/// force_custom_plan` for this transaction only): their look-ups take hundreds of keys
/// in `IN` lists, and a cached generic plan — chosen while the tables were still small
/// or not yet analysed after a load — scans whole tables for them (an unchanged re-run
/// of 25,000 rows took 6.3 s instead of 0.5 s).
pub async fn begin_bulk(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::ConnectionTrait;
    let txn = begin_write(db).await?;
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan").await?;
        // A chunk's reads are small; starting parallel workers for them costs more than it
        // saves (and on a small machine they take the cores the import itself needs).
        txn.execute_unprepared("SET LOCAL max_parallel_workers_per_gather = 0").await?;
    }
    Ok(txn)
}

pub async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Values per `IN` list where a background job's list grows with the group (all recent
/// deliveries, all open renewals): well under SQLite's 32,766 bound parameters.
pub const IN_LIST: usize = 5_000;

/// Runs `select` over `values` in slices of at most [`IN_LIST`] and returns all the rows,
/// slice after slice (no statement at all for no values).
pub async fn find_in_slices<E, C, V, F>(conn: &C, values: &[V], select: F) -> Result<Vec<E::Model>, DbErr>
where
    E: sea_orm::EntityTrait,
    C: sea_orm::ConnectionTrait,
    V: Clone,
    F: Fn(Vec<V>) -> sea_orm::Select<E>,
{
    let mut rows = Vec::new();
    for slice in values.chunks(IN_LIST) {
        rows.extend(select(slice.to_vec()).all(conn).await?);
    }
    Ok(rows)
}
