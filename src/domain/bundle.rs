//! Many reads in one statement. A root field of the API that knows (by look-ahead) which
//! related records its answer will show adds each of their scoped selects as a branch of
//! one bundle; the bundle runs them as one `UNION ALL` in one round trip, every row
//! carried as a JSON object with its branch, and hands each branch back as the entity's
//! own models in the branch's order (sorted here: a union keeps no order, and a window
//! function to number the rows would double the statement's cost on SQLite). Each
//! branch answers as one row: its records joined into one text.
//!
//! The branches are the very `Select`s the batched loaders run — each kind's `restrict`
//! within the caller's scope, the parent filter a subquery of the scoped parent rows — so
//! a bundle never shows more than the loaders would, only in fewer round trips.

use std::marker::PhantomData;

use sea_orm::sea_query::{Alias, CommonTableExpression, Expr, Query, SelectStatement, UnionType, WithClause};
use sea_orm::{
    ColumnTrait, ColumnType, ConnectionTrait, DatabaseBackend, EntityTrait, IdenStatic, Iterable, ModelTrait, Order,
    QueryTrait, Select, Statement,
};
use serde::de::DeserializeOwned;

use crate::error::{AppError, AppResult};

/// Separates the records of a branch's text, and a record's number from its JSON object.
/// JSON text never holds these control characters raw (JSON escapes every character
/// below U+0020 inside strings), so they cannot occur in a record.
const ROW: char = '\u{1e}';
const FIELD: char = '\u{1f}';

/// Branches of one statement under construction.
pub struct Bundle {
    backend: DatabaseBackend,
    branches: Vec<SelectStatement>,
    /// Each branch's order: column name, descending — or `None` when the database
    /// numbers the rows (an order by text, whose collation only the database knows).
    orders: Vec<Option<Vec<(&'static str, bool)>>>,
    /// The parent ids the branches share, read once (`WITH hub_parents AS MATERIALIZED`).
    parents: Option<SelectStatement>,
}

/// A handle on one branch's rows, typed by its entity.
pub struct Branch<E> {
    index: usize,
    _kind: PhantomData<fn() -> E>,
}

impl<E> Clone for Branch<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E> Copy for Branch<E> {}

/// The rows a bundle read, by branch, each in its branch's order.
#[derive(Default)]
pub struct Fetched {
    rows: Vec<Vec<(i64, String)>>,
    orders: Vec<Option<Vec<(&'static str, bool)>>>,
}

impl Bundle {
    pub fn new(backend: DatabaseBackend) -> Self {
        Self { backend, branches: Vec::new(), orders: Vec::new(), parents: None }
    }

    /// Adds the rows of `select`, ordered by `order` (the column, ascending or not).
    pub fn add<E: EntityTrait>(&mut self, select: Select<E>, order: &[(E::Column, Order)]) -> Branch<E> {
        let index = self.branches.len();
        let textual = order.iter().any(|(column, _)| {
            matches!(column.def().get_column_type(), ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_))
        });
        // Numbers, dates and times sort the same here as in the database, from the JSON
        // values; text sorts by the database's collation, so the database numbers it.
        let number = if textual {
            let order: Vec<String> = order
                .iter()
                .map(|(column, direction)| {
                    let direction = if matches!(direction, Order::Desc) { "DESC" } else { "ASC" };
                    format!("\"t\".\"{}\" {direction}", column.as_str())
                })
                .collect();
            self.orders.push(None);
            format!("ROW_NUMBER() OVER (ORDER BY {})", order.join(", "))
        } else {
            self.orders.push(Some(
                order.iter().map(|(column, direction)| (column.as_str(), matches!(direction, Order::Desc))).collect(),
            ));
            "CAST(0 AS BIGINT)".to_owned()
        };
        let rows = Query::select()
            .expr_as(Expr::cust(number), Alias::new("n"))
            .expr_as(Expr::cust(json_of::<E>(self.backend)), Alias::new("j"))
            .from_subquery(select.into_query(), Alias::new("t"))
            .to_owned();
        // The branch's rows as one text (see `ROW` and `FIELD`): one row per branch
        // instead of one per record — SQLite hands each row from its worker thread to the
        // request, a thread wake-up per row.
        let joined = match self.backend {
            DatabaseBackend::Postgres => "string_agg(CAST(\"r\".\"n\" AS text) || chr(31) || \"r\".\"j\", chr(30))",
            _ => "group_concat(CAST(\"r\".\"n\" AS text) || char(31) || \"r\".\"j\", char(30))",
        };
        let branch = Query::select()
            .expr_as(Expr::cust(index.to_string()), Alias::new("k"))
            .expr_as(Expr::cust(joined), Alias::new("rows"))
            .from_subquery(rows, Alias::new("r"))
            .to_owned();
        self.branches.push(branch);
        Branch { index, _kind: PhantomData }
    }

    /// Makes `ids` (a one-column select of ids) the statement's shared parent set, read
    /// once, and returns the subquery the branches name it by. Each branch repeating the
    /// parents' own select would make the statement many times longer, and SQLite
    /// compiles it again whenever a bound value changes (it keeps statistics per value).
    pub fn parents(&mut self, ids: SelectStatement) -> SelectStatement {
        self.parents = Some(ids);
        Query::select().column(Alias::new("id")).from(Alias::new("hub_parents")).to_owned()
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.branches.is_empty()
    }

    /// Runs every branch in one statement.
    pub async fn run<C: ConnectionTrait>(self, db: &C) -> AppResult<Fetched> {
        let count = self.branches.len();
        let mut branches = self.branches.into_iter();
        let Some(mut statement) = branches.next() else { return Ok(Fetched::default()) };
        for branch in branches {
            statement.union(UnionType::All, branch);
        }
        let built = match self.parents {
            Some(parents) => {
                let mut cte = CommonTableExpression::new();
                cte.query(parents).table_name(Alias::new("hub_parents")).column(Alias::new("id")).materialized(true);
                let mut with = WithClause::new();
                with.cte(cte);
                self.backend.build(&with.query(statement))
            }
            None => self.backend.build(&statement),
        };
        let rows = db.query_all_raw(inline_limits(built)).await?;
        let mut fetched = Fetched { rows: vec![Vec::new(); count], orders: self.orders };
        for row in rows {
            let k: i32 = row.try_get("", "k")?;
            let joined: Option<String> = row.try_get("", "rows")?;
            let slot = usize::try_from(k).ok().and_then(|k| fetched.rows.get_mut(k));
            let Some(slot) = slot else {
                return Err(AppError::internal(std::io::Error::other(format!("bundle returned branch {k}"))));
            };
            for record in joined.as_deref().unwrap_or_default().split(ROW).filter(|r| !r.is_empty()) {
                let Some((n, j)) = record.split_once(FIELD) else {
                    return Err(AppError::internal(std::io::Error::other("bundle row without its number")));
                };
                let n: i64 = n.parse().map_err(AppError::internal)?;
                slot.push((n, j.to_owned()));
            }
        }
        // Branches the database numbered, in its numbers (the others are sorted by their
        // columns' values as they are decoded).
        for (branch, order) in fetched.rows.iter_mut().zip(&fetched.orders) {
            if order.is_none() {
                branch.sort_by_key(|(n, _)| *n);
            }
        }
        Ok(fetched)
    }
}

/// The statement with each `LIMIT` written as a number instead of a bound parameter
/// (the limits are page sizes the hub computed, never caller text). PostgreSQL plans a
/// prepared statement for its values each time unless a generic plan is as good, and a
/// generic plan cannot know a bound limit: it guessed a tenth of the customers for a
/// page's parents and joined them by scanning whole tables — so a page was planned
/// anew on every request (1.5–10 ms of planning against ~2 ms of execution). With the
/// limit in the text the generic plan is the custom one, and PostgreSQL keeps it.
/// Placeholders after an inlined one are renumbered (`$n`) or simply follow (`?`).
fn inline_limits(statement: Statement) -> Statement {
    let Statement { sql, values, db_backend } = statement;
    let Some(sea_orm::Values(values)) = values else { return Statement { sql, values: None, db_backend } };
    let numbered = db_backend == DatabaseBackend::Postgres;
    let places = placeholders(&sql, numbered);
    // Per value: the number to write instead, when it is an unsigned integer bound right
    // after `LIMIT`.
    let mut limits: Vec<Option<u64>> = vec![None; values.len()];
    for &(start, _, n) in &places {
        let value = match values.get(n - 1) {
            Some(sea_orm::Value::BigUnsigned(Some(v))) => Some(*v),
            Some(sea_orm::Value::Unsigned(Some(v))) => Some(u64::from(*v)),
            _ => None,
        };
        if let (Some(v), true) = (value, follows_limit(sql.get(..start).unwrap_or_default())) {
            limits[n - 1] = Some(v);
        }
    }
    if limits.iter().all(Option::is_none) {
        return Statement { sql, values: Some(sea_orm::Values(values)), db_backend };
    }
    let mut out = String::with_capacity(sql.len());
    let mut from = 0;
    for &(start, end, n) in &places {
        out.push_str(sql.get(from..start).unwrap_or_default());
        from = end;
        match limits.get(n - 1).copied().flatten() {
            Some(v) => out.push_str(&v.to_string()),
            None if numbered => {
                let before = limits.iter().take(n - 1).filter(|l| l.is_some()).count();
                out.push_str(&format!("${}", n - before));
            }
            None => out.push('?'),
        }
    }
    out.push_str(sql.get(from..).unwrap_or_default());
    let kept = values.into_iter().zip(limits).filter(|(_, limit)| limit.is_none()).map(|(v, _)| v).collect();
    Statement { sql: out, values: Some(sea_orm::Values(kept)), db_backend }
}

/// Whether `before` (the text up to a placeholder) ends with the keyword `LIMIT`: only
/// its last word is looked at, not the whole text.
fn follows_limit(before: &str) -> bool {
    let text = before.trim_end();
    let Some(word_start) = text.len().checked_sub(5) else { return false };
    text.get(word_start..).is_some_and(|word| word.eq_ignore_ascii_case("LIMIT"))
        && text
            .get(..word_start)
            .is_some_and(|rest| !rest.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '"'))
}

/// The placeholders of `sql` outside quoted text: (start, end, value number from 1).
/// `?` are numbered in order; `$n` carry their number.
fn placeholders(sql: &str, numbered: bool) -> Vec<(usize, usize, usize)> {
    let mut found = Vec::new();
    let mut quote: Option<char> = None;
    let mut chars = sql.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '?') if !numbered => found.push((at, at + 1, found.len() + 1)),
            (None, '$') if numbered => {
                let mut end = at + 1;
                while let Some((i, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
                    end = i + d.len_utf8();
                    chars.next();
                }
                if let Ok(n) =
                    sql[at + 1..end].parse::<usize>().map_err(|_| ()).and_then(|n| if n > 0 { Ok(n) } else { Err(()) })
                {
                    found.push((at, end, n));
                }
            }
            _ => {}
        }
    }
    found
}

/// A column's value as the database orders it (numbers by value, dates and times by
/// time, text by characters — text orders are numbered by the database itself).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    Null,
    Int(i64),
    Date(chrono::NaiveDate),
    Time(chrono::DateTime<chrono::Utc>),
    Text(String),
}

fn sort_key(value: sea_orm::Value) -> SortKey {
    use sea_orm::Value as V;
    match value {
        V::Bool(Some(b)) => SortKey::Int(i64::from(b)),
        V::TinyInt(Some(i)) => SortKey::Int(i64::from(i)),
        V::SmallInt(Some(i)) => SortKey::Int(i64::from(i)),
        V::Int(Some(i)) => SortKey::Int(i64::from(i)),
        V::BigInt(Some(i)) => SortKey::Int(i),
        V::ChronoDate(Some(d)) => SortKey::Date(d),
        V::ChronoDateTimeUtc(Some(t)) => SortKey::Time(t),
        V::ChronoDateTime(Some(t)) => SortKey::Time(t.and_utc()),
        V::String(Some(s)) => SortKey::Text(s),
        V::Bool(None)
        | V::TinyInt(None)
        | V::SmallInt(None)
        | V::Int(None)
        | V::BigInt(None)
        | V::ChronoDate(None)
        | V::ChronoDateTimeUtc(None)
        | V::ChronoDateTime(None)
        | V::String(None) => SortKey::Null,
        other => SortKey::Text(format!("{other:?}")),
    }
}

impl Fetched {
    /// The rows of `branch`, in its order.
    pub fn take<E>(&mut self, branch: Branch<E>) -> AppResult<Vec<E::Model>>
    where
        E: EntityTrait,
        E::Model: DeserializeOwned,
    {
        let rows = self.rows.get_mut(branch.index).map(std::mem::take).unwrap_or_default();
        let mut models = rows
            .into_iter()
            .map(|(_, json)| {
                serde_json::from_str::<E::Model>(&json).map_err(|e| {
                    AppError::internal(std::io::Error::other(format!(
                        "bundle row of {} does not decode: {e}",
                        E::default().as_str()
                    )))
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        if let Some(Some(order)) = self.orders.get(branch.index) {
            let columns: Vec<(E::Column, bool)> = order
                .iter()
                .filter_map(|(name, descending)| {
                    E::Column::iter().find(|c| c.as_str() == *name).map(|c| (c, *descending))
                })
                .collect();
            let mut keyed: Vec<(Vec<SortKey>, E::Model)> =
                models.into_iter().map(|m| (columns.iter().map(|(c, _)| sort_key(m.get(*c))).collect(), m)).collect();
            keyed.sort_by(|(a, _), (b, _)| {
                a.iter()
                    .zip(b)
                    .zip(&columns)
                    .map(|((x, y), (_, descending))| if *descending { y.cmp(x) } else { x.cmp(y) })
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            models = keyed.into_iter().map(|(_, m)| m).collect();
        }
        Ok(models)
    }
}

/// The expression that turns a row of the derived table `t` (the entity's columns) into
/// one JSON array text, the columns in the entity's order — serde reads a model from an
/// array of its fields in declaration order, which `Column::iter` follows — with values
/// as the entity's serde form reads them: booleans as booleans and JSON columns as JSON
/// on SQLite too. An array rather than an object: the column names are not written out
/// and matched again for every record (SQLite's `json_object` was 7 % of a page's CPU).
fn json_of<E: EntityTrait>(backend: DatabaseBackend) -> String {
    let mut values = Vec::new();
    for column in E::Column::iter() {
        let value = format!("\"t\".\"{}\"", column.as_str());
        let value = match (backend, column.def().get_column_type()) {
            (DatabaseBackend::Sqlite, ColumnType::Boolean) => {
                format!("CASE WHEN {value} IS NULL THEN NULL WHEN {value} THEN json('true') ELSE json('false') END")
            }
            (DatabaseBackend::Sqlite, ColumnType::Json | ColumnType::JsonBinary) => format!("json({value})"),
            _ => value,
        };
        values.push(value);
    }
    match backend {
        DatabaseBackend::Postgres => format!("CAST(json_build_array({}) AS text)", values.join(", ")),
        _ => format!("json_array({})", values.join(", ")),
    }
}

/// The ids of the rows `select` reads, as a subquery (`id IN (…)`).
pub fn ids_of<E: EntityTrait>(select: Select<E>, column: E::Column) -> SelectStatement {
    Query::select()
        .column((Alias::new("p"), Alias::new(column.as_str())))
        .from_subquery(select.into_query(), Alias::new("p"))
        .to_owned()
}

/// `ids_of` narrowed by a condition on the subquery's own columns.
pub fn ids_where<E: EntityTrait>(
    select: Select<E>,
    column: E::Column,
    condition: sea_orm::sea_query::SimpleExpr,
) -> SelectStatement {
    let mut statement = ids_of(select, column);
    statement.and_where(condition);
    statement
}

/// A column of the `ids_of` subquery, for `ids_where` conditions.
pub fn sub_column<C: ColumnTrait>(column: C) -> Expr {
    Expr::col((Alias::new("p"), Alias::new(column.as_str())))
}

/// `value` as a one-value subquery (`(SELECT ?)`) rather than a bare parameter, for
/// comparisons with indexed columns in long statements: SQLite, with the STAT4
/// statistics its bundled build keeps, compiles a statement again whenever a parameter
/// compared with an indexed column changes — for a bundle, milliseconds per request. The
/// subquery still uses the index, on SQLite and PostgreSQL alike.
pub fn one_value(value: impl Into<sea_orm::Value>) -> Expr {
    Expr::SubQuery(None, Box::new(Query::select().expr(Expr::val(value.into())).to_owned().into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{Value, Values};

    fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
        Statement { sql: sql.to_owned(), values: Some(Values(values)), db_backend: backend }
    }

    #[test]
    fn limits_are_written_as_numbers_and_the_other_values_stay_bound() {
        let pg = inline_limits(statement(
            DatabaseBackend::Postgres,
            "SELECT 'LIMIT $9', \"a?\" FROM t WHERE x > (SELECT $1) LIMIT $2) AS p WHERE y = $3 ORDER BY z limit $4",
            vec![
                Value::BigInt(Some(7)),
                Value::BigUnsigned(Some(51)),
                Value::String(Some("a".into())),
                Value::BigUnsigned(Some(3)),
            ],
        ));
        assert_eq!(
            pg.sql,
            "SELECT 'LIMIT $9', \"a?\" FROM t WHERE x > (SELECT $1) LIMIT 51) AS p WHERE y = $2 ORDER BY z limit 3"
        );
        assert_eq!(pg.values, Some(Values(vec![Value::BigInt(Some(7)), Value::String(Some("a".into()))])));

        let sqlite = inline_limits(statement(
            DatabaseBackend::Sqlite,
            "SELECT '?' FROM t WHERE x > (SELECT ?) LIMIT ?) AS p WHERE y = ? LIMIT ?",
            vec![
                Value::BigInt(Some(7)),
                Value::BigUnsigned(Some(51)),
                Value::BigUnsigned(Some(4)),
                Value::BigUnsigned(Some(3)),
            ],
        ));
        assert_eq!(sqlite.sql, "SELECT '?' FROM t WHERE x > (SELECT ?) LIMIT 51) AS p WHERE y = ? LIMIT 3");
        assert_eq!(sqlite.values, Some(Values(vec![Value::BigInt(Some(7)), Value::BigUnsigned(Some(4))])));
    }

    #[test]
    fn a_limit_given_as_anything_but_an_unsigned_number_stays_bound() {
        let sql = "SELECT x FROM t WHERE y = $1 LIMIT $2";
        let kept = inline_limits(statement(
            DatabaseBackend::Postgres,
            sql,
            vec![Value::BigUnsigned(Some(9)), Value::String(Some("1; DROP TABLE t".into()))],
        ));
        assert_eq!(kept.sql, sql);
        assert_eq!(kept.values.map(|v| v.0.len()), Some(2));
    }

    proptest::proptest! {
        /// Any text and any number of values (placeholders beyond them, Chinese text
        /// around `LIMIT`, unclosed quotes): rewriting never panics and keeps every value
        /// it does not write as a number.
        #[test]
        fn inlining_is_total(sql in "(LIMIT|limit|王|\\$|\\?|[0-9]|'|\"| |x){0,40}", n in 0usize..4, pg in proptest::bool::ANY) {
            let backend = if pg { DatabaseBackend::Postgres } else { DatabaseBackend::Sqlite };
            let values: Vec<Value> = (0..n).map(|i| Value::BigUnsigned(Some(i as u64))).collect();
            let out = inline_limits(statement(backend, &sql, values));
            proptest::prop_assert!(out.values.map_or(0, |v| v.0.len()) <= n);
        }
    }
}
