//! Relay connections: opaque cursors and page-size rules shared by every list.

use async_graphql::OutputType;
use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use async_graphql::Context;

use crate::domain::keyset::{DEFAULT_PAGE, Key, MAX_PAGE, PageArgs};
use crate::domain::listing::{self, ListFilter, Listed, Listing, SortKey};
use crate::error::AppError;

/// Most rows a worklist bucket or an offer, task, complaint or survey list returns.
pub const MAX_WORKLIST: i32 = 200;

/// Validates the size of a worklist (0 to 200; the fields default to 50).
pub fn worklist_size(first: i32) -> Result<u64, AppError> {
    if !(0..=MAX_WORKLIST).contains(&first) {
        return Err(AppError::bad_input("first", format!("between 0 and {MAX_WORKLIST}")));
    }
    Ok(first as u64)
}

/// Validates a requested page size (lists that are not keyset connections).
pub fn page_size(first: Option<i32>) -> Result<u64, AppError> {
    let max = MAX_PAGE as i32;
    match first {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=max).contains(&n) => Ok(n as u64),
        Some(n) => Err(AppError::bad_input("first", format!("first must be between 1 and {max}, got {n}"))),
    }
}

/// An opaque cursor: a position (`Key`, search rank, timeline entry) as base64 JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonCursor<T>(pub T);

/// A keyset cursor: the sort value and id of a row.
pub type KeyCursor = JsonCursor<Key>;

impl<T: Serialize + DeserializeOwned + Send + Sync> CursorType for JsonCursor<T> {
    type Error = &'static str;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| "malformed cursor")?;
        serde_json::from_slice(&bytes).map(JsonCursor).map_err(|_| "malformed cursor")
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&self.0).unwrap_or_default())
    }
}

/// Decodes an optional cursor argument.
pub fn json_cursor<T: Serialize + DeserializeOwned + Send + Sync>(
    arg: &'static str,
    value: Option<String>,
) -> Result<Option<T>, AppError> {
    value.map(|c| JsonCursor::<T>::decode_cursor(&c).map(|c| c.0).map_err(|e| AppError::bad_input(arg, e))).transpose()
}

/// Validates Relay arguments into domain paging arguments.
pub fn page_args(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageArgs, AppError> {
    Ok(PageArgs { first, after: json_cursor("after", after)?, last, before: json_cursor("before", before)? })
}

/// A Relay connection of one page of rows with their keys.
pub fn connection<M, N: OutputType>(
    page: Listing<M>,
    node: impl Fn(M) -> N,
) -> Connection<KeyCursor, N, EmptyFields, EmptyFields> {
    let mut connection = Connection::new(page.has_previous, page.has_next);
    connection.edges.extend(page.rows.into_iter().map(|(key, row)| Edge::new(JsonCursor(key), node(row))));
    connection
}

/// The Relay arguments of every connection, as one input.
pub struct Window {
    pub descending: Option<bool>,
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// Serves a filtered, sorted connection of `E` through the one listing mechanism of the
/// domain: the GraphQL layer only maps the arguments in and the rows out.
pub async fn list<E, F, S, N>(
    ctx: &Context<'_>,
    filter: &F,
    sort: S,
    default_descending: bool,
    window: Window,
    node: impl Fn(E::Model) -> N,
) -> async_graphql::Result<Connection<KeyCursor, N, EmptyFields, EmptyFields>>
where
    E: Listed,
    F: ListFilter<E>,
    S: SortKey<E>,
    N: OutputType,
{
    let args = page_args(window.first, window.after, window.last, window.before)?;
    let descending = window.descending.unwrap_or(default_descending);
    let page = listing::list::<E, F, S>(super::db(ctx), super::scope(ctx)?, filter, sort, descending, &args).await?;
    Ok(connection(page, node))
}
