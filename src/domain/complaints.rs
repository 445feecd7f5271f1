//! Complaints nobody can make disappear. Filed by store staff, by the group call
//! center, or by the manufacturer's hotline (an integration account); deadlines by
//! severity in working hours and days; NEW → ACKNOWLEDGED → RESOLVED → CLOSED (confirmed
//! with the customer), or REOPENED; every change an appended event; the description is
//! never edited, only amended; no deletion (no mutation, and the database refuses it);
//! overdue ones escalate by themselves (`care::run_jobs`).

use chrono::{DateTime, Utc};
use entity::enums::{ComplaintSeverity, ComplaintStatus, Department, Role};
use entity::{complaint, complaint_event, store};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::access::{Action, Resource};
use super::audit::{self, Entry, RequestMeta};
use super::calendar::Calendar;
use super::{Scope, customers, limits};
use crate::error::{AppError, AppResult};

/// The categories a complaint is filed under.
pub const CATEGORIES: [&str; 9] = [
    "SALES_PROCESS",
    "SERVICE_QUALITY",
    "REPAIR_QUALITY",
    "PRICE",
    "WAITING_TIME",
    "STAFF_ATTITUDE",
    "PARTS",
    "INSURANCE_CLAIM",
    "OTHER",
];

/// The channels a complaint comes through.
pub const CHANNELS: [&str; 5] = ["STORE", "CALL_CENTER", "OEM_HOTLINE", "SURVEY", "ONLINE"];

/// Working hours to acknowledge and working days to resolve, by severity.
pub fn deadlines(severity: ComplaintSeverity) -> (u32, u32) {
    match severity {
        ComplaintSeverity::Critical => (2, 1),
        ComplaintSeverity::High => (4, 2),
        ComplaintSeverity::Medium => (8, 5),
        ComplaintSeverity::Low => (16, 10),
    }
}

/// A complaint as filed.
pub struct NewComplaint {
    pub customer_id: i32,
    /// Group roles name the store; store staff file for their own.
    pub store_id: Option<i32>,
    pub department: Department,
    pub category: String,
    pub severity: ComplaintSeverity,
    pub channel: String,
    pub description: String,
}

fn visible(scope: &Scope, action: Action) -> Condition {
    scope.store_record_condition(
        Resource::Complaint,
        action,
        complaint::Column::StoreId,
        complaint::Column::CustomerId,
        None,
    )
}

/// Files a complaint (store staff for their store, the group CRM or administrator for
/// any, an integration for its store).
pub async fn file(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    new: NewComplaint,
) -> AppResult<complaint::Model> {
    let reach = scope.require(Resource::Complaint, Action::Create)?;
    limits::check("description", &new.description, limits::NOTE)?;
    let description = new.description.trim().to_owned();
    if description.chars().count() < 4 {
        return Err(AppError::bad_input("description", "say what the customer complains about"));
    }
    let category = new.category.trim().to_uppercase();
    if !CATEGORIES.contains(&category.as_str()) {
        return Err(AppError::bad_input("category", format!("one of {}", CATEGORIES.join(", "))));
    }
    let channel = new.channel.trim().to_uppercase();
    if !CHANNELS.contains(&channel.as_str()) {
        return Err(AppError::bad_input("channel", format!("one of {}", CHANNELS.join(", "))));
    }
    let store_id = match reach {
        super::scope::Reach::Group => {
            new.store_id.ok_or_else(|| AppError::bad_input("storeId", "name the store the complaint is about"))?
        }
        _ => match (scope.actor.store_id, new.store_id) {
            (Some(own), None) => own,
            (Some(own), Some(asked)) if asked == own => own,
            _ => return Err(AppError::NotFound("store")),
        },
    };
    let txn = crate::db::begin_write(db).await?;
    if store::Entity::find_by_id(store_id).one(&txn).await?.is_none() {
        return Err(AppError::NotFound("store"));
    }
    // The customer must be one the caller may see (an integration: one of its store's).
    let customer = if scope.role() == Role::Integration {
        let known = entity::customer_store::Entity::find()
            .filter(entity::customer_store::Column::CustomerId.eq(new.customer_id))
            .filter(entity::customer_store::Column::StoreId.eq(store_id))
            .one(&txn)
            .await?;
        known.map(|k| k.customer_id)
    } else {
        customers::by_id(&txn, scope, new.customer_id).await?.map(|c| c.id)
    }
    .ok_or(AppError::NotFound("customer"))?;
    let row = file_in(
        &txn,
        scope,
        NewComplaint { customer_id: customer, store_id: Some(store_id), description, category, channel, ..new },
        Utc::now(),
    )
    .await?;
    audit::record(&txn, Some(&scope.actor), meta, Entry::new("FILE_COMPLAINT", "complaint", [row.id as i64])).await?;
    txn.commit().await?;
    Ok(row)
}

/// Writes a complaint already checked (store and customer in reach, values valid) and
/// its FILED event, inside the caller's transaction; deadlines from the severity.
pub async fn file_in(
    txn: &sea_orm::DatabaseTransaction,
    scope: &Scope,
    new: NewComplaint,
    now: DateTime<Utc>,
) -> AppResult<complaint::Model> {
    let store_id = new.store_id.ok_or(AppError::NotFound("store"))?;
    let cal = Calendar::load(txn).await?;
    let (ack_hours, resolve_days) = deadlines(new.severity);
    let row = complaint::ActiveModel {
        store_id: Set(store_id),
        customer_id: Set(new.customer_id),
        department: Set(new.department),
        category: Set(new.category),
        severity: Set(new.severity),
        channel: Set(new.channel),
        description: Set(new.description),
        status: Set(ComplaintStatus::New),
        filed_by: Set(Some(scope.actor.staff_id)),
        filed_at: Set(now),
        acknowledge_due_at: Set(cal.add_working_hours(now, ack_hours)),
        resolve_due_at: Set(cal.end_of_working_day(now, resolve_days)),
        acknowledged_at: Set(None),
        resolved_at: Set(None),
        closed_at: Set(None),
        escalated_at: Set(None),
        version: Set(1),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    event(txn, row.id, "FILED", None, Some(ComplaintStatus::New), None, Some(scope.actor.staff_id), now).await?;
    Ok(row)
}

#[allow(clippy::too_many_arguments)]
async fn event<C: ConnectionTrait>(
    conn: &C,
    complaint: i32,
    kind: &str,
    from: Option<ComplaintStatus>,
    to: Option<ComplaintStatus>,
    note: Option<String>,
    staff: Option<i32>,
    at: DateTime<Utc>,
) -> AppResult<()> {
    complaint_event::Entity::insert(complaint_event::ActiveModel {
        complaint_id: Set(complaint),
        kind: Set(kind.into()),
        status_from: Set(from),
        status_to: Set(to),
        note: Set(note),
        staff_id: Set(staff),
        at: Set(at),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// What a step of a complaint does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Acknowledge,
    /// Adds to the description (which itself is never edited); no change of state.
    Amend,
    Resolve,
    /// Confirmed with the customer.
    Close,
    Reopen,
}

impl Step {
    fn kind(self) -> &'static str {
        match self {
            Step::Acknowledge => "ACKNOWLEDGED",
            Step::Amend => "AMENDED",
            Step::Resolve => "RESOLVED",
            Step::Close => "CLOSED",
            Step::Reopen => "REOPENED",
        }
    }

    /// The state it moves to from `from`, or none when it does not apply there.
    fn next(self, from: ComplaintStatus) -> Option<ComplaintStatus> {
        use ComplaintStatus::*;
        match (self, from) {
            (Step::Acknowledge, New | Reopened) => Some(Acknowledged),
            (Step::Amend, New | Acknowledged | Reopened | Resolved) => Some(from),
            (Step::Resolve, Acknowledged | Reopened) => Some(Resolved),
            (Step::Close, Resolved) => Some(Closed),
            (Step::Reopen, Resolved | Closed) => Some(Reopened),
            _ => None,
        }
    }
}

/// Takes one step with a note; `version` (optional) guards against a change made
/// meanwhile. Who: the complaint's store manager, the group CRM or administrator;
/// store staff may only amend.
pub async fn step(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
    step: Step,
    note: Option<String>,
    version: Option<i32>,
) -> AppResult<complaint::Model> {
    limits::check_opt("note", note.as_deref(), limits::NOTE)?;
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if matches!(step, Step::Amend | Step::Resolve | Step::Reopen) && note.is_none() {
        return Err(AppError::bad_input("note", "say what is added, how it was resolved, or why it is reopened"));
    }
    let txn = crate::db::begin_write(db).await?;
    let current = complaint::Entity::find_by_id(id)
        .filter(visible(scope, Action::Read))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("complaint"))?;
    let may_update =
        complaint::Entity::find_by_id(id).filter(visible(scope, Action::Update)).one(&txn).await?.is_some();
    if !may_update && step != Step::Amend {
        return Err(AppError::Forbidden(
            "the store's manager or the group's customer relations move a complaint".into(),
        ));
    }
    if version.is_some_and(|v| v != current.version) {
        return Err(AppError::Conflict("the complaint changed since you read it; read it again".into()));
    }
    let Some(next) = step.next(current.status) else {
        return Err(AppError::refused(
            "COMPLAINT_STATE",
            format!("a {} complaint cannot be {}", current.status.as_str(), step.kind().to_lowercase()),
        ));
    };
    let now = Utc::now();
    let mut update = complaint::Entity::update_many()
        .col_expr(complaint::Column::Status, Expr::value(next.as_str()))
        .col_expr(complaint::Column::Version, Expr::value(current.version + 1))
        .filter(complaint::Column::Id.eq(id))
        .filter(complaint::Column::Version.eq(current.version));
    update = match step {
        Step::Acknowledge => update.col_expr(complaint::Column::AcknowledgedAt, Expr::value(now)),
        Step::Resolve => update.col_expr(complaint::Column::ResolvedAt, Expr::value(now)),
        Step::Close => update.col_expr(complaint::Column::ClosedAt, Expr::value(now)),
        Step::Reopen => update
            .col_expr(complaint::Column::ResolvedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(complaint::Column::ClosedAt, Expr::value(Option::<DateTime<Utc>>::None)),
        Step::Amend => update,
    };
    if update.exec(&txn).await?.rows_affected != 1 {
        return Err(AppError::Conflict("the complaint changed meanwhile; read it again".into()));
    }
    event(&txn, id, step.kind(), Some(current.status), Some(next), note, Some(scope.actor.staff_id), now).await?;
    audit::record(&txn, Some(&scope.actor), meta, Entry::new(step.kind(), "complaint", [id as i64])).await?;
    let fresh = complaint::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("complaint"))?;
    txn.commit().await?;
    Ok(fresh)
}

/// Complaints the caller may see, newest first (optionally of one state, only escalated,
/// only overdue).
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    status: Option<ComplaintStatus>,
    escalated: Option<bool>,
    limit: u64,
) -> AppResult<Vec<complaint::Model>> {
    scope.require(Resource::Complaint, Action::Read)?;
    let mut select = complaint::Entity::find().filter(visible(scope, Action::Read));
    if let Some(status) = status {
        select = select.filter(complaint::Column::Status.eq(status));
    }
    match escalated {
        Some(true) => select = select.filter(complaint::Column::EscalatedAt.is_not_null()),
        Some(false) => select = select.filter(complaint::Column::EscalatedAt.is_null()),
        None => {}
    }
    Ok(select
        .order_by_desc(complaint::Column::FiledAt)
        .order_by_desc(complaint::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// One complaint the caller may see.
pub async fn by_id<C: ConnectionTrait>(conn: &C, scope: &Scope, id: i32) -> AppResult<complaint::Model> {
    scope.require(Resource::Complaint, Action::Read)?;
    complaint::Entity::find_by_id(id)
        .filter(visible(scope, Action::Read))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("complaint"))
}
