//! The audit trail, for GROUP_ADMIN.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::audit_log;

use super::pagination::{JsonCursor, json_cursor, page_size};
use super::{db, scope};
use crate::domain::audit::{self, Filter};

pub struct AuditEntry(pub audit_log::Model);

#[Object]
impl AuditEntry {
    async fn id(&self) -> ID {
        self.0.id.into()
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
        self.0.store_id.map(Into::into)
    }
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn record_kind(&self) -> &str {
        &self.0.record_kind
    }
    async fn record_ids(&self) -> Vec<ID> {
        audit::record_ids(&self.0).into_iter().map(|id| ID(id.to_string())).collect()
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
        let filter = Filter {
            username: f.username,
            action: f.action,
            record_kind: f.record_kind,
            // An id that is not a number names no record: -1 matches nothing.
            record_id: f.record_id.map(|id| super::parse_id_str(&id).map_or(-1, i64::from)),
            from: f.from,
            to: f.to,
        };
        let (rows, more) = audit::page(db(ctx), scope, &filter, after, limit).await?;
        let mut connection = Connection::new(after.is_some(), more);
        connection.edges.extend(rows.into_iter().map(|row| Edge::new(JsonCursor(row.id), AuditEntry(row))));
        Ok(connection)
    }
}
