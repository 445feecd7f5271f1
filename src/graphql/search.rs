//! Free-text customer search.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, Object, Result};

use super::customers::Customer;
use super::pagination::{JsonCursor, json_cursor, page_size};
use super::{db, scope};
use crate::domain::limits;
use crate::domain::search::{self, SearchKey};

/// What a search text matched.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::search::MatchedBy")]
pub enum MatchedBy {
    Phone,
    Plate,
    Vin,
    IdNumber,
    Name,
}

pub struct SearchHit(search::Hit);

#[Object]
impl SearchHit {
    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        Ok(Customer::of(ctx, self.0.customer.clone())?)
    }
    async fn matched_by(&self) -> MatchedBy {
        self.0.matched_by.into()
    }
    /// 0 an exact identifier (phone, plate, VIN, national ID), 1 the exact name, 2 a
    /// name starting with the text, 3 a name containing it.
    async fn rank(&self) -> i32 {
        self.0.rank
    }
}

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Finds customers by whatever is typed: a phone number (13800138000, 138-0013-8000,
    /// +86 138 0013 8000, 0086…), a plate (浙A·12345, 浙a 12345), a VIN in any case, a
    /// national ID, or part of a name. Ranked, best first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        text: String,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<JsonCursor<SearchKey>, SearchHit, EmptyFields, EmptyFields>> {
        let scope = scope(ctx)?;
        limits::check("text", &text, limits::SEARCH)?;
        let limit = page_size(first)?;
        let after = json_cursor::<SearchKey>("after", after)?;
        let page = search::search(db(ctx), scope, &text, limit, after).await?;
        let mut connection = Connection::new(after.is_some(), page.has_next);
        connection.edges.extend(page.hits.into_iter().map(|hit| {
            let key = SearchKey { rank: hit.rank, id: hit.customer.id.into() };
            Edge::new(JsonCursor(key), SearchHit(hit))
        }));
        Ok(connection)
    }
}
