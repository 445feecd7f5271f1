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
        opts.map_sqlx_sqlite_pool_opts(|o| o.after_connect(|conn, _| Box::pin(plan_stably(conn))));
    } else {
        let ms = cfg.db_statement_timeout_ms;
        opts.map_sqlx_postgres_opts(move |o| o.options([("statement_timeout", ms.to_string())]));
    }
    Database::connect(opts).await
}

/// Turns on SQLite's query planner stability guarantee (QPSG) for one connection: a
/// prepared statement keeps its plan whatever values are bound to it. Without it the
/// bundled SQLite (3.51, with the STAT4 statistics `ANALYZE` keeps) marks a statement
/// for recompiling whenever a value it planned with is bound again — every `LIMIT ?`,
/// every `col = ?` or `col IN (?, …)` on an indexed column once the table has been
/// analysed, every `LIKE ?` — so sqlx's statement cache saved nothing and each page of
/// a list compiled its statement twice (a quarter of the CPU of a page of customers).
/// The plans are then chosen from the statistics and the statement alone, as a generic
/// plan is in PostgreSQL.
async fn plan_stably(conn: &mut sea_orm::sqlx::sqlite::SqliteConnection) -> Result<(), sea_orm::sqlx::Error> {
    let (rc, now_on) = stability_guarantee(conn, 1).await?;
    if rc != libsqlite3_sys::SQLITE_OK || now_on != 1 {
        return Err(sea_orm::sqlx::Error::Configuration(
            format!("SQLite refused the query planner stability guarantee (code {rc})").into(),
        ));
    }
    Ok(())
}

/// `sqlite3_db_config(SQLITE_DBCONFIG_ENABLE_QPSG, on_off)` on one connection: 1 turns
/// the guarantee on, a negative value only reads it. Returns SQLite's code and the
/// setting afterwards.
async fn stability_guarantee(
    conn: &mut sea_orm::sqlx::sqlite::SqliteConnection,
    on_off: std::ffi::c_int,
) -> Result<(std::ffi::c_int, std::ffi::c_int), sea_orm::sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    let mut now_on: std::ffi::c_int = -1;
    // SAFETY: `db` is this connection's open handle, held locked by `handle` for the
    // call, so no other thread uses it; the option takes an int and a pointer to an int
    // that receives the setting, and `now_on` lives across the call.
    let rc = unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db,
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            on_off,
            &mut now_on as *mut _,
        )
    };
    Ok((rc, now_on))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pooled SQLite connection plans with the stability guarantee.
    #[tokio::test]
    async fn sqlite_connections_keep_their_plans_whatever_is_bound() {
        let dir = std::env::temp_dir().join(format!("hub-qpsg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let url = format!("sqlite://{}?mode=rwc", dir.join("q.db").display());
        let cfg = DbConfig { database_url: url, db_max_connections: 2, db_statement_timeout_ms: 5_000 };
        let db = connect(&cfg).await.expect("connect");
        let pool = db.get_sqlite_connection_pool();
        let mut held = Vec::new();
        for _ in 0..2 {
            let mut conn = pool.acquire().await.expect("acquire");
            let (rc, on) = stability_guarantee(&mut conn, -1).await.expect("read the setting");
            assert_eq!(rc, libsqlite3_sys::SQLITE_OK);
            assert_eq!(on, 1, "a pooled connection plans by bound values");
            held.push(conn);
        }
        drop(held);
        db.close().await.ok();
        std::fs::remove_dir_all(&dir).ok();
    }
}
