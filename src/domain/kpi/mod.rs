//! KPIs: the catalogue (`catalogue.rs`), computed on the unified records for any
//! breakdown and period, scoped to the caller's stores, with small cells suppressed
//! (`suppress.rs`); the same definitions as SQL views for BI tools (`views.rs`).

pub mod catalogue;
pub mod dialect;
pub mod period;
pub mod suppress;
pub mod views;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use entity::store;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryResult, Statement};

pub use catalogue::{CATALOGUE, Dimension, Kpi, Measure, Settings, Timing};
use dialect::Dialect;
pub use period::{Grain, Period};

use super::access::{Action, Resource};
use super::scope::{Reach, Scope};
use crate::error::{AppError, AppResult};

/// The most cells one answer may hold.
pub const MAX_CELLS: usize = 20_000;
/// The most values one filter may list.
const MAX_FILTER_VALUES: usize = 100;

/// Which facts a query keeps: each list empty means no restriction.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub values: BTreeMap<Dimension, Vec<String>>,
}

#[derive(Clone, Debug)]
pub struct KpiQuery {
    pub name: String,
    pub group_by: Vec<Dimension>,
    pub grain: Grain,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub filter: Filter,
}

/// One cell: a period and the values of the grouped dimensions, in `group_by` order.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub period: Period,
    pub dims: Vec<String>,
    /// `None` when suppressed.
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    pub customers: Option<i64>,
    pub suppressed: bool,
    /// The value of the period before and of the same period a year earlier.
    pub previous: Option<f64>,
    pub year_earlier: Option<f64>,
}

pub struct KpiAnswer {
    pub kpi: &'static Kpi,
    pub group_by: Vec<Dimension>,
    pub periods: Vec<Period>,
    pub cells: Vec<Cell>,
    /// One per period: the whole of what the caller may see, no breakdown.
    pub totals: Vec<Cell>,
    /// Store code → name, for the store cells.
    pub store_names: HashMap<String, String>,
}

/// A cell as the database counts it, before suppression.
#[derive(Clone, Debug)]
pub struct Raw {
    pub period: usize,
    pub dims: Vec<String>,
    pub num: f64,
    pub den: f64,
    pub customers: i64,
}

pub fn find(name: &str) -> AppResult<&'static Kpi> {
    catalogue::find(name).ok_or_else(|| AppError::bad_input("name", format!("no KPI named `{name}`")))
}

/// The SQL expression of a dimension over the facts `f` and store `s`.
fn dimension_sql(d: &Dialect, dim: Dimension) -> String {
    match dim {
        Dimension::Store => "s.code".to_owned(),
        Dimension::Brand => d.first_brand("s"),
        Dimension::City => "s.city".to_owned(),
        Dimension::Department => "f.department".to_owned(),
        Dimension::Grade => "f.grade".to_owned(),
        Dimension::Channel => "f.channel".to_owned(),
        Dimension::Reason => "f.reason".to_owned(),
    }
}

/// How facts meet periods `hp(p_start, p_end, p_at)` of `grain`: a flow fact by the start
/// of its day's period (an equality the database can hash), a snapshot fact when its
/// interval holds the period's as-of day.
pub(crate) fn period_match(d: &Dialect, kpi: &Kpi, grain: Grain) -> String {
    match kpi.timing {
        Timing::Flow => format!("hp.p_start = {}", d.period_start(grain, "f.day_from")),
        Timing::Snapshot => "f.day_from <= hp.p_at AND (f.day_to IS NULL OR f.day_to > hp.p_at)".to_owned(),
    }
}

/// The store join: store-level KPIs count the group's own stores only.
pub(crate) fn store_join(kpi: &Kpi) -> &'static str {
    if kpi.per_store() {
        "JOIN store s ON s.id = f.store_id AND s.kind = 'OWN'"
    } else {
        "LEFT JOIN store s ON s.id = f.store_id"
    }
}

/// What one statement counts: a KPI over periods `(index, period, as-of day)` of one
/// grain, broken down by `dims`, filtered, optionally restricted to one store.
struct Ask<'a> {
    grain: Grain,
    kpi: &'a Kpi,
    settings: &'a Settings,
    periods: &'a [(usize, Period, NaiveDate)],
    dims: &'a [Dimension],
    filter: &'a Filter,
    store: Option<i32>,
}

/// The cells and, per period, the totals of `ask`, in one statement: the facts are
/// read once (only those the periods can count), then grouped twice.
fn cells_sql(d: &mut Dialect, ask: &Ask) -> String {
    let values: Vec<String> = ask
        .periods
        .iter()
        .map(|(i, p, at)| format!("({i}, {}, {}, {})", d.date(p.start), d.date(p.end), d.date(*at)))
        .collect();
    let first = ask.periods.iter().map(|(_, p, at)| p.start.min(*at)).min().unwrap_or_default();
    let last = ask.periods.iter().map(|(_, p, _)| p.end).max().unwrap_or_default();
    let in_range = match ask.kpi.timing {
        Timing::Flow => format!("x.day_from >= {} AND x.day_from <= {}", d.date(first), d.date(last)),
        Timing::Snapshot => {
            format!("x.day_from <= {} AND (x.day_to IS NULL OR x.day_to > {})", d.date(last), d.date(first))
        }
    };
    let facts = (ask.kpi.facts)(d, ask.settings);
    let mut dims = Vec::new();
    let mut blanks = Vec::new();
    let mut group = String::new();
    for (i, dim) in ask.dims.iter().enumerate() {
        let expr = d.text(&format!("COALESCE({}, '(unknown)')", dimension_sql(d, *dim)));
        dims.push(format!(", {expr} AS d{i}"));
        blanks.push(format!(", '' AS d{i}"));
        group.push_str(&format!(", {expr}"));
    }
    let measures = format!(
        "{} AS num, {} AS den, COUNT(DISTINCT f.customer_id) AS customers",
        d.real("COALESCE(SUM(f.num), 0)"),
        d.real("COALESCE(SUM(f.den), 0)")
    );
    let from = format!(
        "FROM hub_facts f JOIN hub_periods hp ON {} {}",
        period_match(d, ask.kpi, ask.grain),
        store_join(ask.kpi)
    );
    let mut branch = |total: bool| {
        let mut conditions = vec!["1 = 1".to_owned()];
        for (dim, wanted) in &ask.filter.values {
            if wanted.is_empty() {
                continue;
            }
            let expr = dimension_sql(d, *dim);
            let marks: Vec<String> = wanted.iter().map(|v| d.bind(v.clone())).collect();
            conditions.push(format!("{expr} IN ({})", marks.join(", ")));
        }
        if let Some(store) = ask.store {
            conditions.push(format!("s.id = {}", d.bind(store)));
        }
        let (columns, grouping) = if total { (blanks.concat(), "") } else { (dims.concat(), group.as_str()) };
        format!(
            "SELECT {} AS total, hp.pi AS pi{columns}, {measures} {from} WHERE {} GROUP BY hp.pi{grouping}",
            i32::from(total),
            conditions.join(" AND ")
        )
    };
    let cells = branch(false);
    let totals = branch(true);
    format!(
        "WITH hub_periods(pi, p_start, p_end, p_at) AS (VALUES {}), \
         hub_facts AS MATERIALIZED (SELECT * FROM ({facts}) x WHERE {in_range}) \
         {cells} UNION ALL {totals}",
        values.join(", ")
    )
}

fn decode(row: &QueryResult, dims: usize) -> Result<(bool, Raw), sea_orm::DbErr> {
    let total: i32 = row.try_get("", "total")?;
    let period: i32 = row.try_get("", "pi")?;
    let mut values = Vec::with_capacity(dims);
    if total == 0 {
        for i in 0..dims {
            values.push(row.try_get::<String>("", &format!("d{i}"))?);
        }
    }
    Ok((
        total == 1,
        Raw {
            period: period.max(0) as usize,
            dims: values,
            num: row.try_get("", "num")?,
            den: row.try_get("", "den")?,
            customers: row.try_get("", "customers")?,
        },
    ))
}

/// The counted cells and totals of `ask`.
async fn fetch(db: &DatabaseConnection, ask: &Ask<'_>) -> AppResult<(Vec<Raw>, Vec<Raw>)> {
    let mut d = Dialect::new(db.get_database_backend());
    let sql = cells_sql(&mut d, ask);
    let rows = db.query_all_raw(Statement::from_sql_and_values(d.backend, sql, d.take_values())).await?;
    if rows.len() > MAX_CELLS {
        return Err(AppError::bad_input(
            "groupBy",
            format!("more than {MAX_CELLS} cells; filter or group by fewer dimensions"),
        ));
    }
    let (mut cells, mut totals) = (Vec::new(), Vec::new());
    for row in &rows {
        let (total, raw) = decode(row, ask.dims.len())?;
        if total { totals.push(raw) } else { cells.push(raw) }
    }
    Ok((cells, totals))
}

/// The store the caller's answers are restricted to (`None`: the whole group).
fn reach(scope: &Scope, kpi: &Kpi) -> AppResult<Option<i32>> {
    match scope.require(Resource::Aggregates, Action::Read)? {
        Reach::Group => Ok(None),
        Reach::Store(store) if kpi.per_store() => Ok(Some(store)),
        Reach::Store(_) => Err(AppError::Forbidden(format!("`{}` is a group-wide KPI", kpi.name))),
        _ => Err(AppError::Forbidden("your role may not read aggregates".into())),
    }
}

fn validate(kpi: &Kpi, query: &KpiQuery) -> AppResult<Vec<Dimension>> {
    let mut dims: Vec<Dimension> = Vec::new();
    for dim in &query.group_by {
        if !kpi.dimensions.contains(dim) {
            return Err(AppError::bad_input("groupBy", format!("`{}` has no {} dimension", kpi.name, dim.name())));
        }
        if !dims.contains(dim) {
            dims.push(*dim);
        }
    }
    for (dim, values) in &query.filter.values {
        if !values.is_empty() && !kpi.dimensions.contains(dim) {
            return Err(AppError::bad_input("filter", format!("`{}` has no {} dimension", kpi.name, dim.name())));
        }
        if values.len() > MAX_FILTER_VALUES {
            return Err(AppError::bad_input("filter", format!("at most {MAX_FILTER_VALUES} values per dimension")));
        }
        for value in values {
            super::limits::check("filter", value, super::limits::FIELD)?;
            // No stored dimension value holds control characters (and PostgreSQL text
            // cannot hold NUL at all).
            if value.chars().any(char::is_control) {
                return Err(AppError::bad_input("filter", "filter values cannot hold control characters"));
            }
        }
    }
    Ok(dims)
}

/// Runs one KPI query as `scope`, with today as the day the current period is seen.
pub async fn run(
    db: &DatabaseConnection,
    scope: &Scope,
    settings: &Settings,
    query: &KpiQuery,
) -> AppResult<KpiAnswer> {
    run_as_of(db, scope, settings, query, period::today()).await
}

pub async fn run_as_of(
    db: &DatabaseConnection,
    scope: &Scope,
    settings: &Settings,
    query: &KpiQuery,
    today: NaiveDate,
) -> AppResult<KpiAnswer> {
    let kpi = find(&query.name)?;
    let store = reach(scope, kpi)?;
    let dims = validate(kpi, query)?;
    let grain = query.grain;
    let periods = grain.periods(query.from, query.to)?;
    // The asked periods and those they are compared with, each counted once.
    let mut all: Vec<Period> = periods.clone();
    for p in &periods {
        all.push(grain.previous(*p));
        all.push(grain.year_earlier(*p));
    }
    all.sort();
    all.dedup();
    let indexed: Vec<(usize, Period, NaiveDate)> =
        all.iter().enumerate().map(|(i, p)| (i, *p, p.end.min(today))).collect();
    let ask = Ask { grain, kpi, settings, periods: &indexed, dims: &dims, filter: &query.filter, store };
    let (raws, totals) = fetch(db, &ask).await?;
    let share = match kpi.measure {
        Measure::Share(dim) => dims.iter().position(|d| *d == dim),
        _ => None,
    };
    let cells = suppress::finish(kpi, &all, raws, dims.len(), share, settings.min_customers);
    let totals = suppress::finish(kpi, &all, totals, 0, None, settings.min_customers);
    let compare = |cells: Vec<Cell>| -> Vec<Cell> {
        let value_of: HashMap<(Period, Vec<String>), Option<f64>> =
            cells.iter().map(|c| ((c.period, c.dims.clone()), c.value)).collect();
        let mut asked: Vec<Cell> = cells
            .iter()
            .filter(|c| periods.contains(&c.period))
            .map(|c| {
                let mut c = c.clone();
                c.previous = value_of.get(&(grain.previous(c.period), c.dims.clone())).copied().flatten();
                c.year_earlier = value_of.get(&(grain.year_earlier(c.period), c.dims.clone())).copied().flatten();
                c
            })
            .collect();
        asked.sort_by(|a, b| a.period.cmp(&b.period).then_with(|| a.dims.cmp(&b.dims)));
        asked
    };
    let store_names =
        store::Entity::find().all(db).await?.into_iter().map(|s| (s.code, s.name)).collect::<HashMap<_, _>>();
    let (cells, totals) = (compare(cells), compare(totals));
    Ok(KpiAnswer { kpi, group_by: dims, periods, cells, totals, store_names })
}
