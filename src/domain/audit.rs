//! The append-only audit trail: every change and every reveal of personal data writes
//! an entry in the same transaction as the change itself.

use chrono::{DateTime, Utc};
use entity::audit_log;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use super::Scope;
use super::access::{Action, Resource};
use crate::auth::Actor;
use crate::error::AppResult;

/// Where a request came from; put into every request by the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub request_id: String,
    pub client_addr: Option<String>,
}

/// One audit entry before it is written.
pub struct Entry<'a> {
    pub action: &'a str,
    pub record_kind: &'a str,
    pub record_ids: Vec<i64>,
    pub fields: Vec<&'a str>,
    pub purpose: Option<&'a str>,
}

impl<'a> Entry<'a> {
    pub fn new(action: &'a str, record_kind: &'a str, record_ids: impl IntoIterator<Item = i64>) -> Self {
        Self { action, record_kind, record_ids: record_ids.into_iter().collect(), fields: Vec::new(), purpose: None }
    }

    pub fn fields(mut self, fields: Vec<&'a str>) -> Self {
        self.fields = fields;
        self
    }

    pub fn purpose(mut self, purpose: &'a str) -> Self {
        self.purpose = Some(purpose);
        self
    }
}

/// Appends an entry through `conn` — pass the transaction of the change.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    actor: Option<&Actor>,
    meta: &RequestMeta,
    entry: Entry<'_>,
) -> AppResult<()> {
    let ids: String = entry.record_ids.iter().map(|id| format!(",{id}")).collect::<String>() + ",";
    let row = audit_log::ActiveModel {
        id: NotSet,
        at: Set(Utc::now()),
        staff_id: Set(actor.map(|a| a.staff_id)),
        username: Set(actor.map(|a| a.username.clone())),
        role: Set(actor.map(|a| a.role.as_str().to_owned())),
        store_id: Set(actor.and_then(|a| a.store_id)),
        action: Set(entry.action.to_owned()),
        record_kind: Set(entry.record_kind.to_owned()),
        record_ids: Set(ids),
        fields: Set(json!(entry.fields)),
        purpose: Set(entry.purpose.map(str::to_owned)),
        request_id: Set(Some(meta.request_id.clone()).filter(|r| !r.is_empty())),
        client_addr: Set(meta.client_addr.clone()),
    };
    audit_log::Entity::insert(row).exec_without_returning(conn).await?;
    Ok(())
}

/// The ids of an entry, from their stored form `,1,2,`.
pub fn record_ids(row: &audit_log::Model) -> Vec<i64> {
    row.record_ids.split(',').filter_map(|id| id.parse().ok()).collect()
}

/// Filters of the audit-log query.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub username: Option<String>,
    pub action: Option<String>,
    pub record_kind: Option<String>,
    pub record_id: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Newest entries first, before the entry id `before`; one more row than asked tells
/// whether another page follows.
pub async fn page(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: &Filter,
    before: Option<i64>,
    limit: u64,
) -> AppResult<(Vec<audit_log::Model>, bool)> {
    scope.require(Resource::AuditLog, Action::Read)?;
    let mut select = audit_log::Entity::find();
    if let Some(username) = &filter.username {
        select = select.filter(audit_log::Column::Username.eq(username.as_str()));
    }
    if let Some(action) = &filter.action {
        select = select.filter(audit_log::Column::Action.eq(action.as_str()));
    }
    if let Some(kind) = &filter.record_kind {
        select = select.filter(audit_log::Column::RecordKind.eq(kind.as_str()));
    }
    if let Some(from) = filter.from {
        select = select.filter(audit_log::Column::At.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(audit_log::Column::At.lt(to));
    }
    if let Some(id) = filter.record_id {
        select = select.filter(audit_log::Column::RecordIds.contains(format!(",{id},")));
    }
    if let Some(before) = before {
        select = select.filter(audit_log::Column::Id.lt(before));
    }
    let mut rows = select.order_by_desc(audit_log::Column::Id).limit(limit + 1).all(db).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}
