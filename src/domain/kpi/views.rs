//! The catalogue as read-only SQL views for BI tools: schema `bi` on PostgreSQL (views
//! `bi.<kpi>` and `bi.<kpi>_total`), `bi_<kpi>` on SQLite. Each view holds every month from
//! the KPI's first fact to the current one, by store (or, for a share, by the share's
//! dimension; group-wide KPIs by month only), with the suppression rule inside: a view
//! never shows a figure the GraphQL `kpi` query would hide. `bi.kpi_catalogue` lists the
//! definitions. Views run with their owner's rights: a role granted `bi` reads the KPIs
//! and nothing else.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};

use super::catalogue::{CATALOGUE, Dimension, Kpi, Measure, Settings};
use super::dialect::Dialect;
use super::{dimension_sql, period_match, store_join};
use crate::error::{AppError, AppResult};

/// The qualified name of a view.
pub fn view_name(backend: DbBackend, name: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("bi.{name}"),
        _ => format!("bi_{name}"),
    }
}

/// The dimension a KPI's main view is broken down by.
pub fn view_dimension(kpi: &Kpi) -> Option<Dimension> {
    match kpi.measure {
        Measure::Share(dim) => Some(dim),
        _ if kpi.per_store() => Some(Dimension::Store),
        _ => None,
    }
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The SELECT of one view: `dim` breaks it down (or not).
pub fn view_sql(backend: DbBackend, kpi: &Kpi, settings: &Settings, dim: Option<Dimension>) -> String {
    let d = Dialect::new(backend);
    let k = settings.min_customers;
    let today = d.today();
    let facts = (kpi.facts)(&d, settings);
    let first_month = d.month_start("MIN(day_from)");
    let next_month = d.add_months("p_start", 1);
    let end = d.add_days(&d.add_months("p_start", 1), -1);
    let at = d.least(&end, &today);
    let (d0, group) = match dim {
        Some(dim) => {
            let expr = d.text(&format!("COALESCE({}, '(unknown)')", dimension_sql(&d, dim)));
            (format!("{expr} AS d0"), format!(", {expr}"))
        }
        None => ("'' AS d0".to_owned(), String::new()),
    };
    let collate = if backend == DbBackend::Postgres { " COLLATE \"C\"" } else { "" };
    let small = format!("CASE WHEN c.customers < {k} THEN 1 ELSE 0 END");
    let den = match kpi.measure {
        Measure::Share(_) => "h.share_den",
        _ => "h.den",
    };
    let value = match kpi.measure {
        Measure::Count | Measure::Amount => "h.num".to_owned(),
        _ => format!("CASE WHEN {den} > 0 THEN h.num / {den} END"),
    };
    let (labels, label_join) = match dim {
        Some(Dimension::Store) => (
            format!("h.d0 AS store_code, s2.name AS store_name, {} AS brand, s2.city AS city, ", d.first_brand("s2")),
            "LEFT JOIN store s2 ON s2.code = h.d0",
        ),
        Some(other) => (format!("h.d0 AS {}, ", other.name()), ""),
        None => (String::new(), ""),
    };
    format!(
        "{with} hub_facts AS ({facts}), \
         hub_months(p_start) AS (SELECT {first_month} FROM hub_facts UNION ALL SELECT {next_month} FROM hub_months \
         WHERE p_start < {month_now}), \
         hub_periods(p_start, p_end, p_at) AS (SELECT p_start, {end}, {at} FROM hub_months WHERE p_start IS NOT NULL), \
         hub_cells AS (SELECT hp.p_start AS month, {d0}, {num} AS num, {den_sum} AS den, \
         COUNT(DISTINCT f.customer_id) AS customers FROM hub_facts f JOIN hub_periods hp ON {matching} {store} \
         GROUP BY hp.p_start{group}), \
         hub_ranked AS (SELECT c.*, {small} AS small, SUM({small}) OVER (PARTITION BY c.month) AS smalls, \
         COUNT(*) OVER (PARTITION BY c.month) AS siblings, ROW_NUMBER() OVER (PARTITION BY c.month ORDER BY \
         CASE WHEN c.customers < {k} THEN 0 ELSE 1 END, c.customers, c.d0{collate}) AS place, \
         SUM(c.num) OVER (PARTITION BY c.month) AS share_den FROM hub_cells c), \
         hub_hidden AS (SELECT r.*, CASE WHEN r.small = 1 OR (r.smalls = 1 AND r.siblings >= 2 AND r.place = 2) \
         THEN 1 ELSE 0 END AS hidden FROM hub_ranked r) \
         SELECT h.month AS month, {labels}\
         CASE WHEN h.hidden = 1 THEN NULL ELSE h.num END AS numerator, \
         CASE WHEN h.hidden = 1 THEN NULL ELSE {den} END AS denominator, \
         CASE WHEN h.hidden = 1 THEN NULL ELSE {value} END AS value, \
         CASE WHEN h.hidden = 1 THEN NULL ELSE h.customers END AS customers, \
         CASE WHEN h.hidden = 1 THEN 1 ELSE 0 END AS suppressed \
         FROM hub_hidden h {label_join}",
        with = d.with_recursive(),
        month_now = d.month_start(&today),
        num = d.real("COALESCE(SUM(f.num), 0)"),
        den_sum = d.real("COALESCE(SUM(f.den), 0)"),
        matching = period_match(&d, kpi, super::Grain::Month),
        store = store_join(kpi),
    )
}

fn catalogue_sql() -> String {
    CATALOGUE
        .iter()
        .map(|k| {
            format!(
                "SELECT {} AS name, {} AS zh, {} AS en, {} AS definition, {} AS unit, {} AS higher_is_better",
                quote(k.name),
                quote(k.zh),
                quote(k.en),
                quote(k.definition),
                quote(k.unit()),
                i32::from(k.higher_is_better)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// Creates (or re-creates) every view. Safe to run from several instances at once.
pub async fn install(db: &DatabaseConnection, settings: &Settings) -> AppResult<()> {
    let backend = db.get_database_backend();
    let txn = crate::db::begin_write(db).await?;
    let run = |sql: String| Statement::from_string(backend, sql);
    if backend == DbBackend::Postgres {
        // One installer at a time; the others wait and then replace the same views.
        txn.execute_raw(run("SELECT pg_advisory_xact_lock(7420101)".into())).await?;
        txn.execute_raw(run("CREATE SCHEMA IF NOT EXISTS bi".into())).await?;
    }
    let mut views: Vec<(String, String)> = vec![(view_name(backend, "kpi_catalogue"), catalogue_sql())];
    for kpi in CATALOGUE {
        let dim = view_dimension(kpi);
        views.push((view_name(backend, kpi.name), view_sql(backend, kpi, settings, dim)));
        if dim.is_some() {
            views.push((view_name(backend, &format!("{}_total", kpi.name)), view_sql(backend, kpi, settings, None)));
        }
    }
    for (name, sql) in views {
        txn.execute_raw(run(format!("DROP VIEW IF EXISTS {name}"))).await?;
        txn.execute_raw(run(format!("CREATE VIEW {name} AS {sql}"))).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Whether `name` is a plain role name (quoted as is into SQL).
fn plain_role(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
}

/// Creates or updates a PostgreSQL login role that may read the `bi` views and nothing
/// else of the hub's data.
pub async fn grant(db: &DatabaseConnection, role: &str, password: &str) -> AppResult<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Err(AppError::bad_input("role", "login roles exist on PostgreSQL only; SQLite has no users"));
    }
    if !plain_role(role) {
        return Err(AppError::bad_input("role", "a role name is lowercase letters, digits and _ (at most 63)"));
    }
    if password.len() < 12 || password.contains('\0') {
        return Err(AppError::bad_input("password", "the password needs at least 12 characters"));
    }
    let txn = db.begin().await?;
    let exec = |sql: String| Statement::from_string(DbBackend::Postgres, sql);
    let exists = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 FROM pg_roles WHERE rolname = $1",
            [role.into()],
        ))
        .await?
        .is_some();
    let verb = if exists { "ALTER" } else { "CREATE" };
    txn.execute_raw(exec(format!("{verb} ROLE {role} LOGIN PASSWORD {}", quote(password)))).await?;
    txn.execute_raw(exec("CREATE SCHEMA IF NOT EXISTS bi".into())).await?;
    for sql in [
        format!("GRANT USAGE ON SCHEMA bi TO {role}"),
        format!("GRANT SELECT ON ALL TABLES IN SCHEMA bi TO {role}"),
        // Views re-created at the next start keep the grant.
        format!("ALTER DEFAULT PRIVILEGES IN SCHEMA bi GRANT SELECT ON TABLES TO {role}"),
        format!("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}"),
        format!("REVOKE CREATE ON SCHEMA public FROM {role}"),
    ] {
        txn.execute_raw(exec(sql)).await?;
    }
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn role_names_are_plain() {
        assert!(super::plain_role("metabase"));
        assert!(super::plain_role("bi_reader2"));
        assert!(!super::plain_role("x; DROP TABLE customer"));
        assert!(!super::plain_role("Metabase"));
        assert!(!super::plain_role(""));
    }
}
