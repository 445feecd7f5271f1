//! Many reads in one statement. A root field of the API that knows (by look-ahead) which
//! related records its answer will show adds each of their scoped selects as a branch of
//! one bundle; the bundle runs them as one `UNION ALL` in one round trip, every row
//! carried as a JSON object with its branch and its place in the branch's order, and
//! hands each branch back as the entity's own models.
//!
//! The branches are the very `Select`s the batched loaders run — each kind's `restrict`
//! within the caller's scope, the parent filter a subquery of the scoped parent rows — so
//! a bundle never shows more than the loaders would, only in fewer round trips.

use std::marker::PhantomData;

use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement, UnionType};
use sea_orm::{
    ColumnTrait, ColumnType, ConnectionTrait, DatabaseBackend, EntityTrait, IdenStatic, Iterable, Order, QueryTrait,
    Select,
};
use serde::de::DeserializeOwned;

use crate::error::{AppError, AppResult};

/// Branches of one statement under construction.
pub struct Bundle {
    backend: DatabaseBackend,
    branches: Vec<SelectStatement>,
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
}

impl Bundle {
    pub fn new(backend: DatabaseBackend) -> Self {
        Self { backend, branches: Vec::new() }
    }

    /// Adds the rows of `select`, ordered by `order` (the column, ascending or not).
    pub fn add<E: EntityTrait>(&mut self, select: Select<E>, order: &[(E::Column, Order)]) -> Branch<E> {
        let index = self.branches.len();
        let order: Vec<String> = order
            .iter()
            .map(|(column, direction)| {
                let direction = if matches!(direction, Order::Desc) { "DESC" } else { "ASC" };
                format!("\"t\".\"{}\" {direction}", column.as_str())
            })
            .collect();
        let order = if order.is_empty() { "1".to_owned() } else { order.join(", ") };
        let branch = Query::select()
            .expr_as(Expr::cust(index.to_string()), Alias::new("k"))
            .expr_as(Expr::cust(format!("ROW_NUMBER() OVER (ORDER BY {order})")), Alias::new("n"))
            .expr_as(Expr::cust(json_of::<E>(self.backend)), Alias::new("j"))
            .from_subquery(select.into_query(), Alias::new("t"))
            .to_owned();
        self.branches.push(branch);
        Branch { index, _kind: PhantomData }
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
        let rows = db.query_all(&statement).await?;
        let mut fetched = Fetched { rows: vec![Vec::new(); count] };
        for row in rows {
            let k: i32 = row.try_get("", "k")?;
            let n: i64 = row.try_get("", "n")?;
            let j: String = row.try_get("", "j")?;
            let slot = usize::try_from(k).ok().and_then(|k| fetched.rows.get_mut(k));
            let Some(slot) = slot else {
                return Err(AppError::internal(std::io::Error::other(format!("bundle returned branch {k}"))));
            };
            slot.push((n, j));
        }
        for branch in &mut fetched.rows {
            branch.sort_unstable_by_key(|(n, _)| *n);
        }
        Ok(fetched)
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
        rows.into_iter()
            .map(|(_, json)| {
                serde_json::from_str(&json).map_err(|e| {
                    AppError::internal(std::io::Error::other(format!(
                        "bundle row of {} does not decode: {e}",
                        E::default().as_str()
                    )))
                })
            })
            .collect()
    }
}

/// The expression that turns a row of the derived table `t` (the entity's columns) into
/// one JSON object text, with values as the entity's serde form reads them: booleans as
/// booleans and JSON columns as JSON on SQLite too.
fn json_of<E: EntityTrait>(backend: DatabaseBackend) -> String {
    let mut pairs = Vec::new();
    for column in E::Column::iter() {
        let name = column.as_str();
        let value = format!("\"t\".\"{name}\"");
        let value = match (backend, column.def().get_column_type()) {
            (DatabaseBackend::Sqlite, ColumnType::Boolean) => {
                format!("CASE WHEN {value} IS NULL THEN NULL WHEN {value} THEN json('true') ELSE json('false') END")
            }
            (DatabaseBackend::Sqlite, ColumnType::Json | ColumnType::JsonBinary) => format!("json({value})"),
            _ => value,
        };
        pairs.push(format!("'{name}', {value}"));
    }
    match backend {
        DatabaseBackend::Postgres => format!("CAST(json_build_object({}) AS text)", pairs.join(", ")),
        _ => format!("json_object({})", pairs.join(", ")),
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
