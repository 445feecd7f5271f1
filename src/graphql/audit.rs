//! The audit trail, for GROUP_ADMIN.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::audit_log;

use super::ids::{self, Kind};
use super::pagination::{JsonCursor, json_cursor, page_size};
use super::{db, scope};
use crate::domain::audit::{self, Filter};
use crate::error::AppError;

#[derive(Clone)]
pub struct AuditEntry(pub audit_log::Model);

#[Object]
impl AuditEntry {
    pub(crate) async fn id(&self) -> ID {
        ids::global(Kind::AuditEntry, self.0.id)
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Who acted (null for failed logins).
    async fn username(&self) -> Option<&str> {
        self.0.username.as_deref()
    }
    async fn role(&self) -> Option<&str> {
        self.0.role.as_deref()
    }
    async fn store_id(&self) -> Option<ID> {
        self.0.store_id.map(|id| ids::global(Kind::Store, id))
    }
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn record_kind(&self) -> &str {
        &self.0.record_kind
    }
    /// The records acted on: ids of the kind `recordKind` names.
    async fn record_ids(&self) -> Vec<ID> {
        match Kind::of_audit_record(&self.0.record_kind) {
            Some(kind) => audit::record_ids(&self.0).into_iter().map(|id| ids::global(kind, id)).collect(),
            None => Vec::new(),
        }
    }
    /// Names of the fields touched or revealed.
    async fn fields(&self) -> Vec<String> {
        serde_json::from_value(self.0.fields.clone()).unwrap_or_default()
    }
    async fn purpose(&self) -> Option<&str> {
        self.0.purpose.as_deref()
    }
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
    async fn client_addr(&self) -> Option<&str> {
        self.0.client_addr.as_deref()
    }
}

#[derive(InputObject, Default)]
pub struct AuditFilter {
    username: Option<String>,
    action: Option<String>,
    record_kind: Option<String>,
    /// Entries about this record (any kind of object the audit trail names).
    record_id: Option<ID>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Audit entries, newest first (GROUP_ADMIN only).
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<JsonCursor<i64>, AuditEntry, EmptyFields, EmptyFields>> {
        let scope = scope(ctx)?;
        let limit = page_size(first)?;
        let after = json_cursor::<i64>("after", after)?;
        let f = filter.unwrap_or_default();
        let (record_kind, record_id) = record(f.record_kind, f.record_id)?;
        let filter = Filter { username: f.username, action: f.action, record_kind, record_id, from: f.from, to: f.to };
        let (rows, more) = audit::page(db(ctx), scope, &filter, after, limit).await?;
        let mut connection = Connection::new(after.is_some(), more);
        connection.edges.extend(rows.into_iter().map(|row| Edge::new(JsonCursor(row.id), AuditEntry(row))));
        Ok(connection)
    }
}

/// The kind and key of the `recordId` filter. The id names its kind: entries of another
/// kind never match it, and an object the audit trail never names matches nothing.
fn record(kind: Option<String>, id: Option<ID>) -> Result<(Option<String>, Option<i64>), AppError> {
    let Some(id) = id else { return Ok((kind, None)) };
    let (named, key) = ids::decode(&id).ok_or_else(|| AppError::bad_input("recordId", "not an id"))?;
    match named.audit_record() {
        Some(audited) if kind.as_deref().is_none_or(|k| k == audited) => Ok((Some(audited.to_owned()), Some(key))),
        // -1 is no record's key: nothing matches.
        _ => Ok((kind, Some(-1))),
    }
}
