//! Keyset (cursor) pagination over any entity, sorted by one column plus the id as a
//! tie-breaker: `first/after` walks forward, `last/before` walks backward. No offsets, so
//! pages stay stable and fast however deep they go.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select, Value};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

pub const MAX_PAGE: u64 = 100;
pub const DEFAULT_PAGE: u64 = 20;

/// The value of the sort column of one row, as kept in a cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SortValue {
    Int(i64),
    Time(DateTime<Utc>),
    Date(NaiveDate),
    Text(String),
}

impl From<SortValue> for Value {
    fn from(v: SortValue) -> Self {
        match v {
            SortValue::Int(i) => i.into(),
            SortValue::Time(t) => t.into(),
            SortValue::Date(d) => d.into(),
            SortValue::Text(s) => s.into(),
        }
    }
}

/// A position in a sorted list: the sort value and id of a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Key {
    /// Which sort the key belongs to; a cursor of another sort is refused.
    pub s: String,
    pub v: SortValue,
    pub i: i64,
}

/// Relay paging arguments, validated.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<Key>,
    pub last: Option<i32>,
    pub before: Option<Key>,
}

pub struct Page<M> {
    pub rows: Vec<M>,
    pub has_previous: bool,
    pub has_next: bool,
}

fn size(arg: &'static str, n: i32) -> AppResult<u64> {
    if (1..=MAX_PAGE as i32).contains(&n) {
        Ok(n as u64)
    } else {
        Err(AppError::bad_input(arg, format!("{arg} must be between 1 and {MAX_PAGE}, got {n}")))
    }
}

/// Forward or backward, and how many rows.
fn direction(args: &PageArgs) -> AppResult<(bool, u64)> {
    match (args.first, args.last) {
        (Some(_), Some(_)) => Err(AppError::bad_input("last", "give first or last, not both")),
        (None, Some(n)) => Ok((false, size("last", n)?)),
        (Some(n), None) => Ok((true, size("first", n)?)),
        (None, None) if args.before.is_some() => Ok((false, DEFAULT_PAGE)),
        (None, None) => Ok((true, DEFAULT_PAGE)),
    }
}

/// Rows strictly after `key` in the order (`sort` `ascending`, then id), as a row-value
/// comparison `(sort, id) > (v, i)` that an index on (sort, id) serves directly.
fn beyond<C: ColumnTrait>(sort: C, id: C, by_id: bool, key: &Key, ascending: bool) -> Condition {
    // The cursor's values as one-value subqueries (`bundle::one_value`): a page read
    // with its related lists is one long statement.
    let at = |value: Value| super::bundle::one_value(value);
    let (left, right) = if by_id {
        (Expr::col(id), at(key.i.into()))
    } else {
        let value: Value = key.v.clone().into();
        (Expr::tuple([Expr::col(sort), Expr::col(id)]), Expr::tuple([at(value), at(key.i.into())]))
    };
    Condition::all().add(if ascending { left.gt(right) } else { left.lt(right) })
}

/// The read of one page, as a select to run alone or in a bundle, and how to make a
/// page of its rows.
pub struct PagePlan<E: EntityTrait> {
    /// The rows to read: one more than the page holds, to tell whether more follow.
    pub select: Select<E>,
    /// The order the select reads in.
    pub order: [(E::Column, Order); 2],
    forward: bool,
    limit: u64,
    after: bool,
    before: bool,
}

/// The read of one page of `select`, sorted by `sort` (then `id`), `descending` or not.
pub fn plan<E: EntityTrait>(
    select: Select<E>,
    sort_name: &str,
    sort: E::Column,
    id: E::Column,
    descending: bool,
    args: &PageArgs,
) -> AppResult<PagePlan<E>> {
    for key in [&args.after, &args.before].into_iter().flatten() {
        if key.s != sort_name {
            return Err(AppError::bad_input("after", "this cursor belongs to another sort order"));
        }
    }
    let (forward, limit) = direction(args)?;
    let mut select = select;
    let by_id = sort_name == "id";
    if let Some(after) = &args.after {
        select = select.filter(beyond(sort, id, by_id, after, !descending));
    }
    if let Some(before) = &args.before {
        select = select.filter(beyond(sort, id, by_id, before, descending));
    }
    // Walking backward reads the order reversed, then flips the rows back.
    let ascending = forward != descending;
    let order = if ascending { Order::Asc } else { Order::Desc };
    let select = select.order_by(sort, order.clone()).order_by(id, order.clone()).limit(limit + 1);
    Ok(PagePlan {
        select,
        order: [(sort, order.clone()), (id, order)],
        forward,
        limit,
        after: args.after.is_some(),
        before: args.before.is_some(),
    })
}

impl<E: EntityTrait> PagePlan<E> {
    /// The page made of the rows the select read, in its order.
    pub fn finish<M>(&self, mut rows: Vec<M>) -> Page<M> {
        let more = rows.len() as u64 > self.limit;
        rows.truncate(self.limit as usize);
        if self.forward {
            Page { rows, has_previous: self.after, has_next: more }
        } else {
            rows.reverse();
            Page { rows, has_previous: more, has_next: self.before }
        }
    }
}
