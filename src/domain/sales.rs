//! Sales leads: created by store staff (store from the caller, never from input) and
//! listed; the work on them (follow-ups, outcomes, pool) is in `leads`, offers to
//! other stores in `offers`.

use chrono::{DateTime, Duration, Utc};
use entity::enums::{LeadGrade, LeadStatus, Role};
use entity::{lead, staff};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, Set,
};

use super::access::{Action, Resource};
use super::audit::{self, Entry, RequestMeta};
use super::keyset::SortValue;
use super::listing::ListFilter;
use super::{Scope, customers, leads};
use crate::error::{AppError, AppResult};

/// Narrows a lead list; all given conditions must hold.
#[derive(Debug, Default)]
pub struct LeadFilter {
    pub store_id: Option<i32>,
    pub status: Option<LeadStatus>,
    pub grade: Option<LeadGrade>,
    pub owner_id: Option<i32>,
}

impl ListFilter<lead::Entity> for LeadFilter {
    fn condition(&self, _scope: &Scope) -> Condition {
        Condition::all()
            .add_option(self.store_id.map(|id| lead::Column::StoreId.eq(id)))
            .add_option(self.status.map(|status| lead::Column::Status.eq(status)))
            .add_option(self.grade.map(|grade| lead::Column::Grade.eq(grade)))
            .add_option(self.owner_id.map(|id| lead::Column::OwnerId.eq(id)))
    }
}

/// How lead lists are sorted (then by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LeadSort {
    #[default]
    CreatedAt,
    Id,
}

crate::sort_key!(LeadSort, lead::Entity,
    CreatedAt => "createdAt", CreatedAt, |r| SortValue::Time(r.created_at);
    Id => "id", Id, |r| SortValue::Int(r.id.into());
);

pub struct NewLead {
    pub customer_id: i32,
    pub grade: LeadGrade,
    pub intended_model: Option<String>,
    pub budget_cents: Option<i64>,
    pub channel: Option<String>,
    pub next_follow_up_at: Option<DateTime<Utc>>,
    /// A manager (reception) may give the lead to a consultant; none: the pool.
    pub owner_id: Option<i32>,
}

/// Trimmed text, or none when nothing is left.
pub(crate) fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A new lead of the caller's store. A consultant creates it for themselves, talking
/// to the prospect (answered at once); a manager, as reception, for a consultant or the
/// pool, with a first-response deadline. A customer has at most one open lead per
/// store: a second one is refused with CONFLICT (owner, end of protection) and the
/// attempt is recorded for the manager.
pub async fn create(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    new: NewLead,
) -> AppResult<lead::Model> {
    scope.require(Resource::Lead, Action::Create)?;
    let Some(store_id) = scope.actor.store_id else {
        return Err(AppError::bad_input("customerId", "leads belong to a store and your account has none"));
    };
    super::limits::check_opt("intendedModel", new.intended_model.as_deref(), super::limits::FIELD)?;
    super::limits::check_opt("channel", new.channel.as_deref(), super::limits::FIELD)?;
    if new.budget_cents.is_some_and(|b| b < 0) {
        return Err(AppError::bad_input("budget", "budget cannot be negative"));
    }
    let now = Utc::now();
    if new.next_follow_up_at.is_some_and(|t| t < now - Duration::minutes(5) || t > now + Duration::days(366)) {
        return Err(AppError::bad_input("nextFollowUpAt", "the next follow-up is within the coming year"));
    }
    let consultant = scope.role() == Role::SalesConsultant;
    if consultant && new.owner_id.is_some_and(|o| o != scope.actor.staff_id) {
        return Err(AppError::Forbidden("a consultant creates leads for themselves".into()));
    }
    let txn = crate::db::begin_write(db).await?;
    let customer = customers::by_id(&txn, scope, new.customer_id).await?.ok_or(AppError::NotFound("customer"))?;
    let owner = if consultant { Some(scope.actor.staff_id) } else { new.owner_id };
    if let Some(owner) = owner.filter(|_| !consultant) {
        staff::Entity::find_by_id(owner)
            .filter(staff::Column::StoreId.eq(store_id))
            .filter(staff::Column::Role.eq(Role::SalesConsultant))
            .filter(staff::Column::Active.eq(true))
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::bad_input("ownerId", "not an active sales consultant of your store"))?;
    }
    leads::lock_customer_at_store(&txn, store_id, customer.id).await?;
    if let Some(existing) = leads::open_lead_at(&txn, store_id, customer.id).await? {
        let refusal = leads::conflict_with(&txn, &existing).await?;
        txn.rollback().await?;
        if refusal.code() == "CONFLICT" {
            leads::record_conflict(db, scope, meta, &existing).await?;
        }
        return Err(refusal);
    }
    let policy = leads::policy(&txn, store_id).await?;
    let created = lead::ActiveModel {
        store_id: Set(store_id),
        customer_id: Set(customer.id),
        grade: Set(new.grade),
        intended_model: Set(clean(new.intended_model)),
        budget_cents: Set(new.budget_cents),
        channel: Set(clean(new.channel)),
        status: Set(LeadStatus::Open),
        defeat_reason: Set(None),
        owner_id: Set(owner),
        next_follow_up_at: Set(Some(new.next_follow_up_at.unwrap_or_else(|| {
            if consultant { policy.next_follow_up(new.grade, now) } else { policy.first_response_due(now) }
        }))),
        created_at: Set(now),
        closed_at: Set(None),
        created_grade: Set(Some(new.grade)),
        first_response_due_at: Set((!consultant).then(|| policy.first_response_due(now))),
        first_contacted_at: Set(consultant.then_some(now)),
        protected_until: Set(owner.map(|_| now + Duration::days(policy.protection_days.into()))),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, Some(&scope.actor), meta, Entry::new("CREATE_LEAD", "lead", [created.id as i64])).await?;
    txn.commit().await?;
    Ok(created)
}

#[derive(Default)]
pub struct LeadChange {
    pub intended_model: Option<String>,
    pub budget_cents: Option<i64>,
    pub channel: Option<String>,
}

/// Corrects what the prospect wants (grade, follow-ups and outcomes have their own
/// mutations, see `leads`).
pub async fn update(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
    change: LeadChange,
) -> AppResult<lead::Model> {
    super::limits::check_opt("intendedModel", change.intended_model.as_deref(), super::limits::FIELD)?;
    super::limits::check_opt("channel", change.channel.as_deref(), super::limits::FIELD)?;
    if change.budget_cents.is_some_and(|b| b < 0) {
        return Err(AppError::bad_input("budget", "budget cannot be negative"));
    }
    let txn = crate::db::begin_write(db).await?;
    let current = leads::workable(&txn, scope, id).await?;
    let mut fields = Vec::new();
    let mut row = current.clone().into_active_model();
    if let Some(model) = clean(change.intended_model) {
        row.intended_model = Set(Some(model));
        fields.push("intendedModel");
    }
    if let Some(budget) = change.budget_cents {
        row.budget_cents = Set(Some(budget));
        fields.push("budget");
    }
    if let Some(channel) = clean(change.channel) {
        row.channel = Set(Some(channel));
        fields.push("channel");
    }
    if fields.is_empty() {
        return Err(AppError::bad_input("input", "nothing to change"));
    }
    let updated = row.update(&txn).await?;
    audit::record(&txn, Some(&scope.actor), meta, Entry::new("UPDATE_LEAD", "lead", [id as i64]).fields(fields))
        .await?;
    txn.commit().await?;
    Ok(updated)
}
