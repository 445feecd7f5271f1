//! Sales leads: created by store staff (store and owner from the caller, never from
//! input), followed up, and shared with partner stores.

use chrono::{DateTime, Utc};
use entity::enums::{LeadGrade, LeadStatus, StoreKind};
use entity::{lead, lead_share, store};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, Set,
};

use super::access::{Action, Resource};
use super::audit::{self, Entry, RequestMeta};
use super::keyset::SortValue;
use super::listing::ListFilter;
use super::scope::Reach;
use super::{Scope, customers};
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
}

fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

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
    let txn = crate::db::begin_write(db).await?;
    let customer = customers::by_id(&txn, scope, new.customer_id).await?.ok_or(AppError::NotFound("customer"))?;
    let created = lead::ActiveModel {
        store_id: Set(store_id),
        customer_id: Set(customer.id),
        grade: Set(new.grade),
        intended_model: Set(clean(new.intended_model)),
        budget_cents: Set(new.budget_cents),
        channel: Set(clean(new.channel)),
        status: Set(LeadStatus::Open),
        defeat_reason: Set(None),
        owner_id: Set(Some(scope.actor.staff_id)),
        next_follow_up_at: Set(new.next_follow_up_at),
        created_at: Set(Utc::now()),
        closed_at: Set(None),
        created_grade: Set(Some(new.grade)),
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
    pub grade: Option<LeadGrade>,
    pub status: Option<LeadStatus>,
    pub defeat_reason: Option<String>,
    pub next_follow_up_at: Option<DateTime<Utc>>,
}

/// A lead the caller may `action`, or NOT_FOUND (out of scope looks missing).
async fn lead_in_reach<C: sea_orm::ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    action: Action,
    id: i32,
) -> AppResult<lead::Model> {
    scope.require(Resource::Lead, action)?;
    lead::Entity::find_by_id(id)
        .filter(scope.store_record_condition(
            Resource::Lead,
            action,
            lead::Column::StoreId,
            lead::Column::CustomerId,
            lead::Column::Id,
            Some(lead::Column::OwnerId),
        ))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("lead"))
}

pub async fn update(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
    change: LeadChange,
) -> AppResult<lead::Model> {
    super::limits::check_opt("defeatReason", change.defeat_reason.as_deref(), super::limits::NOTE)?;
    let txn = crate::db::begin_write(db).await?;
    let current = lead_in_reach(&txn, scope, Action::Update, id).await?;
    let mut fields = Vec::new();
    let mut row = current.clone().into_active_model();
    if let Some(grade) = change.grade {
        row.grade = Set(grade);
        fields.push("grade");
    }
    let reason = clean(change.defeat_reason);
    if let Some(status) = change.status {
        if status == LeadStatus::Defeated && reason.is_none() && current.defeat_reason.is_none() {
            return Err(AppError::bad_input("defeatReason", "a defeated lead needs the reason it was lost"));
        }
        if status != current.status {
            // Won or defeated now: the conversion KPIs count the lead in this period;
            // open again: it is counted when it closes.
            row.closed_at = Set((status != LeadStatus::Open).then(Utc::now));
        }
        row.status = Set(status);
        fields.push("status");
    }
    if let Some(reason) = reason {
        row.defeat_reason = Set(Some(reason));
        fields.push("defeatReason");
    }
    if let Some(at) = change.next_follow_up_at {
        row.next_follow_up_at = Set(Some(at));
        fields.push("nextFollowUpAt");
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

/// Shares a lead of the caller's reach with a partner store.
pub async fn share(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
    store_code: &str,
) -> AppResult<lead::Model> {
    if matches!(scope.reach(Resource::Lead, Action::Update), Reach::Shared(_)) {
        return Err(AppError::Forbidden("partner stores cannot share leads further".into()));
    }
    let txn = crate::db::begin_write(db).await?;
    let current = lead_in_reach(&txn, scope, Action::Update, id).await?;
    let target = store::Entity::find()
        .filter(store::Column::Code.eq(store_code.trim()))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("storeCode", format!("no store `{store_code}`")))?;
    if target.kind != StoreKind::Partner {
        return Err(AppError::bad_input("storeCode", "leads are shared with partner stores only"));
    }
    let exists = lead_share::Entity::find()
        .filter(lead_share::Column::LeadId.eq(id))
        .filter(lead_share::Column::StoreId.eq(target.id))
        .one(&txn)
        .await?
        .is_some();
    if !exists {
        lead_share::ActiveModel {
            lead_id: Set(id),
            store_id: Set(target.id),
            shared_by: Set(scope.actor.staff_id),
            shared_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            Some(&scope.actor),
            meta,
            Entry::new("SHARE_LEAD", "lead", [id as i64]).fields(vec!["sharedWith"]).purpose(&target.code),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(current)
}
