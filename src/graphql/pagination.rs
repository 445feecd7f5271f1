//! Relay connections: opaque cursors and page-size rules shared by every list.

use async_graphql::OutputType;
use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::keyset::{Key, Page, PageArgs};
use crate::error::AppError;

pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;

/// An opaque keyset cursor: the id of the last row seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdCursor(pub i64);

impl CursorType for IdCursor {
    type Error = &'static str;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let bad = || "malformed cursor";
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let id = text.strip_prefix("id:").and_then(|n| n.parse().ok()).ok_or_else(bad)?;
        Ok(Self(id))
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("id:{}", self.0))
    }
}

/// Decodes an `after`/`before` argument.
pub fn cursor(arg: &'static str, value: Option<String>) -> Result<Option<IdCursor>, AppError> {
    value.map(|c| IdCursor::decode_cursor(&c).map_err(|e| AppError::bad_input(arg, e))).transpose()
}

/// Validates a requested page size.
pub fn page_size(first: Option<i32>) -> Result<u64, AppError> {
    match first.unwrap_or(DEFAULT_PAGE_SIZE) {
        n if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n as u64),
        n => Err(AppError::bad_input("first", format!("first must be between 1 and {MAX_PAGE_SIZE}, got {n}"))),
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

/// A Relay connection of one page.
pub fn connection<M, N: OutputType>(
    page: Page<M>,
    key: impl Fn(&M) -> Key,
    node: impl Fn(M) -> N,
) -> Connection<KeyCursor, N, EmptyFields, EmptyFields> {
    let mut connection = Connection::new(page.has_previous, page.has_next);
    connection.edges.extend(page.rows.into_iter().map(|row| Edge::new(JsonCursor(key(&row)), node(row))));
    connection
}
