//! Lead work: the follow-up log with its cadence, the first response, outcomes (won,
//! defeated, reactivated), protection of a consultant's lead against 撞单, the store's
//! pool (公海), reassignment, and the worklists of a consultant and a manager.
//!
//! Times of day are Asia/Shanghai; a store is open every day of the week (4S stores
//! are), between its opening and closing time.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::time::{at_minute, day_start, local_day};
use entity::enums::{DefeatReason, FollowUpChannel, FollowUpOutcome, LeadGrade, LeadStatus, RelationshipStatus, Role};
use entity::{customer_store, delivery, lead, lead_conflict, lead_follow_up, staff, store_lead_policy};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::access::{Action, Resource};
use super::audit::{self, Entry, RequestMeta};
use super::sales::clean;
use super::scope::Reach;
use super::{Scope, limits};
use crate::error::{AppError, AppResult};

/// The hub's defaults for a store without its own lead rules.
pub const DEFAULT_POLICY: Policy = Policy {
    first_response_minutes: 60,
    protection_days: 30,
    cadence_days: [1, 3, 7, 14],
    opens_at_minute: 9 * 60,
    closes_at_minute: 18 * 60,
};

/// A store's lead rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Working minutes (within opening hours) to the first personal answer.
    pub first_response_minutes: i32,
    /// Days a consultant's lead is protected after its last effective follow-up.
    pub protection_days: i32,
    /// Days between follow-ups for grades H, A, B and C (O follows H).
    pub cadence_days: [i32; 4],
    pub opens_at_minute: i32,
    pub closes_at_minute: i32,
}

impl Policy {
    /// Checks the rules a manager sets.
    pub fn validate(&self) -> AppResult<()> {
        if !(1..=7 * 24 * 60).contains(&self.first_response_minutes) {
            return Err(AppError::bad_input("firstResponseMinutes", "between 1 minute and 7 days"));
        }
        if !(1..=365).contains(&self.protection_days) {
            return Err(AppError::bad_input("protectionDays", "between 1 and 365 days"));
        }
        if self.cadence_days.iter().any(|d| !(1..=90).contains(d)) {
            return Err(AppError::bad_input("cadence", "every grade's cadence is between 1 and 90 days"));
        }
        if !(0..24 * 60).contains(&self.opens_at_minute)
            || !(1..=24 * 60).contains(&self.closes_at_minute)
            || self.opens_at_minute >= self.closes_at_minute
        {
            return Err(AppError::bad_input("opensAt", "the store opens before it closes, within one day"));
        }
        Ok(())
    }

    pub fn cadence(&self, grade: LeadGrade) -> i64 {
        i64::from(match grade {
            LeadGrade::O | LeadGrade::H => self.cadence_days[0],
            LeadGrade::A => self.cadence_days[1],
            LeadGrade::B => self.cadence_days[2],
            LeadGrade::C => self.cadence_days[3],
        })
    }

    /// The first moment at or after `at` when the store is open.
    pub fn open_from(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let day = local_day(at);
        let (open, close) = (at_minute(day, self.opens_at_minute), self.closing(day));
        if at < open {
            open
        } else if at >= close {
            at_minute(day.succ_opt().unwrap_or(day), self.opens_at_minute)
        } else {
            at
        }
    }

    fn closing(&self, day: NaiveDate) -> DateTime<Utc> {
        if self.closes_at_minute >= 24 * 60 {
            day_start(day.succ_opt().unwrap_or(day))
        } else {
            at_minute(day, self.closes_at_minute)
        }
    }

    /// When a lead arriving at `at` must have had its first answer: the first
    /// `first_response_minutes` minutes the store is open from then.
    pub fn first_response_due(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let mut left = i64::from(self.first_response_minutes.max(1));
        let mut t = self.open_from(at);
        // Bounded: at most a week of minutes, at least one open minute a day.
        for _ in 0..=8 * 24 * 60 {
            let close = self.closing(local_day(t));
            let open_minutes = (close - t).num_minutes();
            if left <= open_minutes {
                return t + Duration::minutes(left);
            }
            left -= open_minutes.max(0);
            t = self.open_from(close);
        }
        t
    }

    /// The next follow-up after one at `at` on a lead of `grade`: the cadence's days
    /// later, moved into opening hours.
    pub fn next_follow_up(&self, grade: LeadGrade, at: DateTime<Utc>) -> DateTime<Utc> {
        self.open_from(at + Duration::days(self.cadence(grade)))
    }
}

impl From<store_lead_policy::Model> for Policy {
    fn from(m: store_lead_policy::Model) -> Self {
        Policy {
            first_response_minutes: m.first_response_minutes,
            protection_days: m.protection_days,
            cadence_days: [m.cadence_h_days, m.cadence_a_days, m.cadence_b_days, m.cadence_c_days],
            opens_at_minute: m.opens_at_minute,
            closes_at_minute: m.closes_at_minute,
        }
    }
}

/// The lead rules of `store`.
pub async fn policy<C: ConnectionTrait>(conn: &C, store: i32) -> AppResult<Policy> {
    Ok(store_lead_policy::Entity::find_by_id(store).one(conn).await?.map(Policy::from).unwrap_or(DEFAULT_POLICY))
}

/// Sets a store's lead rules: its manager for their store, the group administrator for any.
pub async fn set_policy(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    store: i32,
    policy: Policy,
) -> AppResult<Policy> {
    policy.validate()?;
    let allowed = match scope.role() {
        Role::GroupAdmin => true,
        Role::StoreManager => scope.actor.store_id == Some(store),
        _ => return Err(AppError::Forbidden("only a store manager or the group administrator sets lead rules".into())),
    };
    if !allowed || entity::store::Entity::find_by_id(store).one(db).await?.is_none() {
        return Err(AppError::NotFound("store"));
    }
    let txn = crate::db::begin_write(db).await?;
    let row = store_lead_policy::ActiveModel {
        store_id: Set(store),
        first_response_minutes: Set(policy.first_response_minutes),
        protection_days: Set(policy.protection_days),
        cadence_h_days: Set(policy.cadence_days[0]),
        cadence_a_days: Set(policy.cadence_days[1]),
        cadence_b_days: Set(policy.cadence_days[2]),
        cadence_c_days: Set(policy.cadence_days[3]),
        opens_at_minute: Set(policy.opens_at_minute),
        closes_at_minute: Set(policy.closes_at_minute),
        updated_at: Set(Utc::now()),
    };
    if store_lead_policy::Entity::find_by_id(store).one(&txn).await?.is_some() {
        row.update(&txn).await?;
    } else {
        row.insert(&txn).await?;
    }
    audit::record(&txn, Some(&scope.actor), meta, Entry::new("SET_LEAD_POLICY", "store", [store as i64])).await?;
    txn.commit().await?;
    Ok(policy)
}

/// Whether an open lead is in its store's pool: nobody owns it, or its owner's
/// protection lapsed.
pub fn in_pool(lead: &lead::Model, now: DateTime<Utc>) -> bool {
    lead.status == LeadStatus::Open
        && (lead.owner_id.is_none() || lead.protected_until.is_some_and(|until| until < now))
}

/// The condition for open leads in the pool.
pub fn pool_condition(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(lead::Column::Status.eq(LeadStatus::Open))
        .add(Condition::any().add(lead::Column::OwnerId.is_null()).add(lead::Column::ProtectedUntil.lt(now)))
}

async fn owner_name<C: ConnectionTrait>(conn: &C, owner: Option<i32>) -> AppResult<String> {
    Ok(match owner {
        Some(id) => staff::Entity::find_by_id(id).one(conn).await?.map(|s| s.display_name).unwrap_or_default(),
        None => String::new(),
    })
}

/// LEAD_PROTECTED for `lead`, naming its owner and the end of the protection.
async fn protected<C: ConnectionTrait>(conn: &C, lead: &lead::Model, code: &'static str) -> AppResult<AppError> {
    let owner = owner_name(conn, lead.owner_id).await?;
    let until = lead.protected_until.map(|t| t.to_rfc3339()).unwrap_or_default();
    Ok(AppError::refused(code, format!("the customer's lead is protected for {owner} until {until}"))
        .with("owner", owner)
        .with("protectedUntil", until))
}

/// A readable lead, or NOT_FOUND (out of scope looks missing).
pub async fn readable<C: ConnectionTrait>(conn: &C, scope: &Scope, id: i32) -> AppResult<lead::Model> {
    scope.require(Resource::Lead, Action::Read)?;
    lead::Entity::find_by_id(id)
        .filter(scope.store_record_condition(
            Resource::Lead,
            Action::Read,
            lead::Column::StoreId,
            lead::Column::CustomerId,
            Some(lead::Column::OwnerId),
        ))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("lead"))
}

/// An open lead the caller may work on. A consultant's colleague's lead answers
/// LEAD_PROTECTED (or LEAD_IN_POOL: claim it first), a closed lead LEAD_CLOSED.
pub async fn workable<C: ConnectionTrait>(conn: &C, scope: &Scope, id: i32) -> AppResult<lead::Model> {
    scope.require(Resource::Lead, Action::Update)?;
    let lead = readable(conn, scope, id).await?;
    let may = match scope.reach(Resource::Lead, Action::Update) {
        Reach::Group => true,
        Reach::Store(store) | Reach::Shared(store) => lead.store_id == store,
        Reach::Own { store, staff } => {
            if lead.store_id != store {
                false
            } else if lead.owner_id == Some(staff) {
                true
            } else if in_pool(&lead, Utc::now()) {
                return Err(AppError::refused("LEAD_IN_POOL", "the lead is in the store's pool: claim it first"));
            } else {
                return Err(protected(conn, &lead, "LEAD_PROTECTED").await?);
            }
        }
        Reach::Nothing => false,
    };
    if !may {
        return Err(AppError::NotFound("lead"));
    }
    if lead.status != LeadStatus::Open {
        return Err(AppError::refused("LEAD_CLOSED", format!("the lead is {}", lead.status.as_str())));
    }
    Ok(lead)
}

/// Takes the lock that serialises lead creation for one customer at one store (on
/// PostgreSQL an advisory lock; SQLite's write transactions are serial already).
pub async fn lock_customer_at_store(txn: &DatabaseTransaction, store: i32, customer: i32) -> AppResult<()> {
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1, $2)",
            [store.into(), customer.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The customer's open lead at `store`, if any.
pub async fn open_lead_at<C: ConnectionTrait>(conn: &C, store: i32, customer: i32) -> AppResult<Option<lead::Model>> {
    Ok(lead::Entity::find()
        .filter(lead::Column::StoreId.eq(store))
        .filter(lead::Column::CustomerId.eq(customer))
        .filter(lead::Column::Status.eq(LeadStatus::Open))
        .order_by_asc(lead::Column::Id)
        .one(conn)
        .await?)
}

/// The refusal for a second open lead: CONFLICT with the owner and the end of the
/// protection, or LEAD_IN_POOL when nobody protects the lead.
pub async fn conflict_with<C: ConnectionTrait>(conn: &C, existing: &lead::Model) -> AppResult<AppError> {
    if in_pool(existing, Utc::now()) {
        return Ok(AppError::refused(
            "LEAD_IN_POOL",
            "the customer already has an open lead at this store, in the pool: claim it",
        ));
    }
    protected(conn, existing, "CONFLICT").await
}

/// Records an attempt to open a second lead (for the manager), in its own transaction.
pub async fn record_conflict(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    existing: &lead::Model,
) -> AppResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let row = lead_conflict::ActiveModel {
        store_id: Set(existing.store_id),
        lead_id: Set(existing.id),
        attempted_by: Set(scope.actor.staff_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("LEAD_CONFLICT", "lead", [existing.id as i64, row.id as i64]),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// One follow-up as entered.
pub struct FollowUp {
    pub channel: FollowUpChannel,
    pub outcome: FollowUpOutcome,
    pub note: Option<String>,
    pub grade: Option<LeadGrade>,
    pub next_follow_up_at: Option<DateTime<Utc>>,
}

/// Appends a follow-up: the grade may change (kept as history), the next follow-up is
/// the given time or the cadence's, an effective one extends the owner's protection.
pub async fn record_follow_up(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
    input: FollowUp,
) -> AppResult<(lead::Model, lead_follow_up::Model)> {
    limits::check_opt("note", input.note.as_deref(), limits::NOTE)?;
    let now = Utc::now();
    if let Some(next) = input.next_follow_up_at
        && (next < now - Duration::minutes(5) || next > now + Duration::days(366))
    {
        return Err(AppError::bad_input("nextFollowUpAt", "the next follow-up is within the coming year"));
    }
    let txn = crate::db::begin_write(db).await?;
    let current = workable(&txn, scope, id).await?;
    let policy = policy(&txn, current.store_id).await?;
    let grade = input.grade.unwrap_or(current.grade);
    let next = input.next_follow_up_at.unwrap_or_else(|| policy.next_follow_up(grade, now));
    let effective = input.outcome != FollowUpOutcome::NoAnswer;
    let follow_up = lead_follow_up::ActiveModel {
        lead_id: Set(current.id),
        store_id: Set(current.store_id),
        staff_id: Set(scope.actor.staff_id),
        channel: Set(input.channel),
        outcome: Set(input.outcome),
        note: Set(clean(input.note)),
        grade_before: Set(current.grade),
        grade_after: Set(grade),
        due_at: Set(current.next_follow_up_at),
        next_follow_up_at: Set(Some(next)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut row = current.clone().into_active_model();
    row.grade = Set(grade);
    row.next_follow_up_at = Set(Some(next));
    if current.first_contacted_at.is_none() {
        row.first_contacted_at = Set(Some(now));
    }
    if effective && current.owner_id.is_some() {
        let until = now + Duration::days(policy.protection_days.into());
        row.protected_until = Set(Some(current.protected_until.map_or(until, |t| t.max(until))));
    }
    let updated = row.update(&txn).await?;
    let mut fields = vec!["followUp", "nextFollowUpAt"];
    if grade != current.grade {
        fields.push("grade");
    }
    audit::record(&txn, Some(&scope.actor), meta, Entry::new("FOLLOW_UP_LEAD", "lead", [id as i64]).fields(fields))
        .await?;
    txn.commit().await?;
    Ok((updated, follow_up))
}

/// Makes sure the customer has a relationship with the store at `status` or better.
async fn relate(txn: &DatabaseTransaction, customer: i32, store: i32, status: RelationshipStatus) -> AppResult<()> {
    let existing = customer_store::Entity::find()
        .filter(customer_store::Column::CustomerId.eq(customer))
        .filter(customer_store::Column::StoreId.eq(store))
        .one(txn)
        .await?;
    match existing {
        Some(rel) => {
            let upgrade = match status {
                RelationshipStatus::Base => rel.status != RelationshipStatus::Base,
                RelationshipStatus::Defeated => rel.status == RelationshipStatus::Prospect,
                _ => false,
            };
            if upgrade {
                let mut row = rel.into_active_model();
                row.status = Set(status);
                row.update(txn).await?;
            }
        }
        None => {
            customer_store::ActiveModel {
                customer_id: Set(customer),
                store_id: Set(store),
                status: Set(status),
                manager_id: Set(None),
                first_contact_on: Set(local_day(Utc::now())),
                source_channel: Set(None),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
    }
    Ok(())
}

/// Opens a relationship of the customer with a store that received their lead.
pub async fn relate_prospect(txn: &DatabaseTransaction, customer: i32, store: i32) -> AppResult<()> {
    relate(txn, customer, store, RelationshipStatus::Prospect).await
}

/// Won: the delivery (of the lead's customer, at the lead's store) is linked and the
/// customer becomes a base customer of the store.
pub async fn win(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
    delivery_id: i32,
) -> AppResult<lead::Model> {
    let txn = crate::db::begin_write(db).await?;
    let current = workable(&txn, scope, id).await?;
    let delivery = delivery::Entity::find_by_id(delivery_id)
        .filter(scope.store_record_condition(
            Resource::Delivery,
            Action::Read,
            delivery::Column::StoreId,
            delivery::Column::CustomerId,
            None,
        ))
        .one(&txn)
        .await?;
    let delivery = match delivery {
        Some(d) if d.customer_id == current.customer_id && d.store_id == current.store_id => d,
        // A partner store records deliveries elsewhere; it may not see the group's.
        None if matches!(scope.reach(Resource::Lead, Action::Update), Reach::Shared(_)) => {
            return Err(AppError::refused("WRONG_DELIVERY", "partner stores close won leads without a group delivery"));
        }
        _ => {
            return Err(AppError::refused(
                "WRONG_DELIVERY",
                "the delivery is not one of this customer's at the lead's store",
            ));
        }
    };
    let taken = lead::Entity::find().filter(lead::Column::DeliveryId.eq(delivery.id)).count(&txn).await?;
    if taken > 0 {
        return Err(AppError::refused("WRONG_DELIVERY", "the delivery already won another lead"));
    }
    let updated = close(&txn, &current, LeadStatus::Won, |row| {
        row.delivery_id = Set(Some(delivery.id));
        row.grade = Set(LeadGrade::O);
    })
    .await?;
    relate(&txn, current.customer_id, current.store_id, RelationshipStatus::Base).await?;
    audit::record(&txn, Some(&scope.actor), meta, Entry::new("WIN_LEAD", "lead", [id as i64, delivery.id as i64]))
        .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Won at a partner store, which sells outside the group's systems: no delivery.
pub async fn win_at_partner(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
) -> AppResult<lead::Model> {
    if !matches!(scope.reach(Resource::Lead, Action::Update), Reach::Shared(_)) {
        return Err(AppError::refused("WRONG_DELIVERY", "a lead of the group is won with its delivery"));
    }
    let txn = crate::db::begin_write(db).await?;
    let current = workable(&txn, scope, id).await?;
    let updated = close(&txn, &current, LeadStatus::Won, |row| row.grade = Set(LeadGrade::O)).await?;
    audit::record(&txn, Some(&scope.actor), meta, Entry::new("WIN_LEAD", "lead", [id as i64])).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Closes `current` (open) as `status`, conditionally: a concurrent close wins once.
async fn close(
    txn: &DatabaseTransaction,
    current: &lead::Model,
    status: LeadStatus,
    change: impl FnOnce(&mut lead::ActiveModel),
) -> AppResult<lead::Model> {
    let mut row = current.clone().into_active_model();
    row.status = Set(status);
    row.closed_at = Set(Some(Utc::now()));
    row.next_follow_up_at = Set(None);
    change(&mut row);
    let done = lead::Entity::update_many()
        .set(row)
        .filter(lead::Column::Id.eq(current.id))
        .filter(lead::Column::Status.eq(LeadStatus::Open))
        .exec(txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::refused("LEAD_CLOSED", "the lead was closed meanwhile"));
    }
    lead::Entity::find_by_id(current.id).one(txn).await?.ok_or(AppError::NotFound("lead"))
}

/// Defeated, with a reason from the fixed list.
pub async fn defeat(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
    reason: DefeatReason,
    note: Option<String>,
) -> AppResult<lead::Model> {
    limits::check_opt("note", note.as_deref(), limits::NOTE)?;
    let txn = crate::db::begin_write(db).await?;
    let current = workable(&txn, scope, id).await?;
    let note = clean(note);
    let updated = close(&txn, &current, LeadStatus::Defeated, |row| {
        row.defeat_reason = Set(Some(reason.as_str().to_owned()));
        row.defeat_note = Set(note);
    })
    .await?;
    relate(&txn, current.customer_id, current.store_id, RelationshipStatus::Defeated).await?;
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("DEFEAT_LEAD", "lead", [id as i64]).purpose(reason.as_str()),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

fn require_manager(scope: &Scope, what: &str) -> AppResult<()> {
    match scope.role() {
        Role::StoreManager | Role::GroupAdmin => Ok(()),
        _ => Err(AppError::Forbidden(format!("only a store manager may {what}"))),
    }
}

/// A manager reopens a defeated lead, for its owner, with a fresh protection.
pub async fn reactivate(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
    reason: &str,
) -> AppResult<lead::Model> {
    require_manager(scope, "reactivate a lead")?;
    limits::required("reason", reason, limits::PURPOSE, "say why the lead is worked again")?;
    let txn = crate::db::begin_write(db).await?;
    let current = readable(&txn, scope, id).await?;
    if !matches!(scope.reach(Resource::Lead, Action::Update), Reach::Group | Reach::Store(_)) {
        return Err(AppError::NotFound("lead"));
    }
    if current.status != LeadStatus::Defeated {
        return Err(AppError::refused("LEAD_NOT_DEFEATED", "only a defeated lead is reactivated"));
    }
    lock_customer_at_store(&txn, current.store_id, current.customer_id).await?;
    if let Some(open) = open_lead_at(&txn, current.store_id, current.customer_id).await? {
        return Err(conflict_with(&txn, &open).await?);
    }
    let policy = policy(&txn, current.store_id).await?;
    let now = Utc::now();
    let mut row = current.clone().into_active_model();
    row.status = Set(LeadStatus::Open);
    row.closed_at = Set(None);
    row.next_follow_up_at = Set(Some(policy.next_follow_up(current.grade, now)));
    row.protected_until = Set(current.owner_id.map(|_| now + Duration::days(policy.protection_days.into())));
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("REACTIVATE_LEAD", "lead", [id as i64]).purpose(reason.trim()),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// A consultant of the store takes a lead from the pool; of two at once, one gets it.
pub async fn claim(db: &DatabaseConnection, scope: &Scope, meta: &RequestMeta, id: i32) -> AppResult<lead::Model> {
    if scope.role() != Role::SalesConsultant {
        return Err(AppError::Forbidden("leads are claimed from the pool by sales consultants".into()));
    }
    let txn = crate::db::begin_write(db).await?;
    let current = readable(&txn, scope, id).await?;
    if Some(current.store_id) != scope.actor.store_id {
        return Err(AppError::NotFound("lead"));
    }
    if current.status != LeadStatus::Open {
        return Err(AppError::refused("LEAD_CLOSED", format!("the lead is {}", current.status.as_str())));
    }
    let now = Utc::now();
    if !in_pool(&current, now) {
        return Err(protected(&txn, &current, "LEAD_PROTECTED").await?);
    }
    let policy = policy(&txn, current.store_id).await?;
    let done = lead::Entity::update_many()
        .col_expr(lead::Column::OwnerId, Expr::value(scope.actor.staff_id))
        .col_expr(lead::Column::ProtectedUntil, Expr::value(now + Duration::days(policy.protection_days.into())))
        .filter(lead::Column::Id.eq(id))
        .filter(pool_condition(now))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        let now_row = lead::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("lead"))?;
        return Err(protected(&txn, &now_row, "LEAD_PROTECTED").await?);
    }
    let previous = current.owner_id.map(|o| o.to_string()).unwrap_or_default();
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("CLAIM_LEAD", "lead", [id as i64]).fields(vec!["owner"]).purpose(&previous),
    )
    .await?;
    let updated = lead::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("lead"))?;
    txn.commit().await?;
    Ok(updated)
}

/// A manager gives a lead to another consultant of its store, with a reason.
pub async fn reassign(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    id: i32,
    owner: i32,
    reason: &str,
) -> AppResult<lead::Model> {
    require_manager(scope, "reassign a lead")?;
    limits::required("reason", reason, limits::PURPOSE, "say why the lead changes hands")?;
    let txn = crate::db::begin_write(db).await?;
    let current = workable(&txn, scope, id).await?;
    let consultant = staff::Entity::find_by_id(owner)
        .filter(staff::Column::StoreId.eq(current.store_id))
        .filter(staff::Column::Role.eq(Role::SalesConsultant))
        .filter(staff::Column::Active.eq(true))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("ownerId", "not an active sales consultant of the lead's store"))?;
    let policy = policy(&txn, current.store_id).await?;
    let mut row = current.clone().into_active_model();
    row.owner_id = Set(Some(consultant.id));
    row.protected_until = Set(Some(Utc::now() + Duration::days(policy.protection_days.into())));
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("REASSIGN_LEAD", "lead", [id as i64, consultant.id as i64])
            .fields(vec!["owner"])
            .purpose(reason.trim()),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Which leads of the worklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// Follow-ups due before today.
    Overdue,
    /// Follow-ups due today.
    DueToday,
    /// Follow-ups due after today, until the end of the week (Sunday).
    ThisWeek,
    /// New leads nobody has answered yet.
    NotContacted,
    /// The store's pool: nobody owns them, or the protection lapsed.
    Pool,
}

/// Whose work: one consultant's, or a store's (optionally one owner's).
#[derive(Debug, Clone, Copy)]
pub struct WorkOf {
    pub store: i32,
    pub owner: Option<i32>,
}

/// Whose work the caller may see: a consultant their own (and their store's pool),
/// a manager their store's, group roles any store's.
pub fn work_of(scope: &Scope, store: Option<i32>, owner: Option<i32>) -> AppResult<WorkOf> {
    match scope.require(Resource::Lead, Action::Read)? {
        Reach::Group => {
            let store =
                store.ok_or_else(|| AppError::bad_input("storeId", "name the store whose lead work to show"))?;
            Ok(WorkOf { store, owner })
        }
        Reach::Store(own) | Reach::Own { store: own, .. } | Reach::Shared(own) => {
            if store.is_some_and(|s| s != own) {
                return Err(AppError::NotFound("store"));
            }
            let owner = match scope.role() {
                Role::SalesConsultant => {
                    if owner.is_some_and(|o| o != scope.actor.staff_id) {
                        return Err(AppError::Forbidden("a consultant sees their own lead work".into()));
                    }
                    Some(scope.actor.staff_id)
                }
                _ => owner,
            };
            Ok(WorkOf { store: own, owner })
        }
        Reach::Nothing => Err(AppError::Forbidden("your role may not read leads".into())),
    }
}

/// The condition for one bucket of the worklist (besides store, owner and scope).
pub fn bucket_condition(bucket: Bucket, now: DateTime<Utc>) -> Condition {
    let today = local_day(now);
    let start = day_start(today);
    let tomorrow = day_start(today.succ_opt().unwrap_or(today));
    let week_end = day_start(today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday())));
    let open = Condition::all().add(lead::Column::Status.eq(LeadStatus::Open));
    match bucket {
        Bucket::Overdue => open.add(lead::Column::NextFollowUpAt.lt(start)),
        Bucket::DueToday => {
            open.add(lead::Column::NextFollowUpAt.gte(start)).add(lead::Column::NextFollowUpAt.lt(tomorrow))
        }
        Bucket::ThisWeek => {
            open.add(lead::Column::NextFollowUpAt.gte(tomorrow)).add(lead::Column::NextFollowUpAt.lt(week_end))
        }
        Bucket::NotContacted => open.add(lead::Column::FirstContactedAt.is_null()),
        Bucket::Pool => pool_condition(now),
    }
}

/// Up to `limit` leads of a bucket and how many there are.
pub async fn worklist(
    db: &DatabaseConnection,
    scope: &Scope,
    work: WorkOf,
    bucket: Bucket,
    limit: u64,
) -> AppResult<(u64, Vec<lead::Model>)> {
    let now = Utc::now();
    let mut select = lead::Entity::find()
        .filter(scope.store_record_condition(
            Resource::Lead,
            Action::Read,
            lead::Column::StoreId,
            lead::Column::CustomerId,
            Some(lead::Column::OwnerId),
        ))
        .filter(lead::Column::StoreId.eq(work.store))
        .filter(bucket_condition(bucket, now));
    if bucket != Bucket::Pool
        && let Some(owner) = work.owner
    {
        select = select.filter(lead::Column::OwnerId.eq(owner));
    }
    let total = select.clone().count(db).await?;
    let order = match bucket {
        Bucket::NotContacted => lead::Column::FirstResponseDueAt,
        Bucket::Pool => lead::Column::CreatedAt,
        _ => lead::Column::NextFollowUpAt,
    };
    let rows = select.order_by_asc(order).order_by_asc(lead::Column::Id).limit(limit).all(db).await?;
    Ok((total, rows))
}

/// The store's recent 撞单 attempts (managers and group roles).
pub async fn conflicts(
    db: &DatabaseConnection,
    scope: &Scope,
    store: i32,
    limit: u64,
) -> AppResult<Vec<lead_conflict::Model>> {
    require_manager(scope, "see 撞单 attempts").or_else(|e| match scope.reach(Resource::Lead, Action::Read) {
        Reach::Group => Ok(()),
        _ => Err(e),
    })?;
    Ok(lead_conflict::Entity::find()
        .filter(lead_conflict::Column::StoreId.eq(store))
        .order_by_desc(lead_conflict::Column::CreatedAt)
        .order_by_desc(lead_conflict::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::shanghai;
    use chrono::TimeZone;
    use chrono::Timelike;
    use proptest::prelude::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        shanghai().with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn first_response_counts_opening_hours_only() {
        let p = DEFAULT_POLICY;
        // 10:00 → 11:00 the same day.
        assert_eq!(p.first_response_due(utc(2026, 11, 24, 10, 0)), utc(2026, 11, 24, 11, 0));
        // 17:30 → 30 minutes today, 30 tomorrow: 09:30 the next day.
        assert_eq!(p.first_response_due(utc(2026, 11, 24, 17, 30)), utc(2026, 11, 25, 9, 30));
        // At night → 10:00 the next morning; early morning → 10:00 the same day.
        assert_eq!(p.first_response_due(utc(2026, 11, 24, 23, 0)), utc(2026, 11, 25, 10, 0));
        assert_eq!(p.first_response_due(utc(2026, 11, 24, 6, 0)), utc(2026, 11, 24, 10, 0));
        // Month end.
        assert_eq!(p.first_response_due(utc(2026, 11, 30, 18, 0)), utc(2026, 12, 1, 10, 0));
    }

    #[test]
    fn cadence_by_grade_lands_in_opening_hours() {
        let p = DEFAULT_POLICY;
        assert_eq!(p.next_follow_up(LeadGrade::H, utc(2026, 11, 24, 10, 0)), utc(2026, 11, 25, 10, 0));
        assert_eq!(p.next_follow_up(LeadGrade::A, utc(2026, 11, 24, 10, 0)), utc(2026, 11, 27, 10, 0));
        assert_eq!(p.next_follow_up(LeadGrade::B, utc(2026, 11, 24, 20, 0)), utc(2026, 12, 2, 9, 0));
        assert_eq!(p.next_follow_up(LeadGrade::C, utc(2026, 11, 24, 7, 0)), utc(2026, 12, 8, 9, 0));
    }

    proptest! {
        /// Whatever the rules and the moment: the deadline is within opening hours,
        /// not before the lead came in, and never more than the week the rules allow.
        #[test]
        fn first_response_is_total(minutes in 1i32..=10080, opens in 0i32..1439, len in 1i32..=1440, secs in 0i64..4_000_000_000) {
            let closes = (opens + len).min(1440);
            prop_assume!(closes > opens);
            let p = Policy { first_response_minutes: minutes, protection_days: 30, cadence_days: [1, 3, 7, 14], opens_at_minute: opens, closes_at_minute: closes };
            prop_assert!(p.validate().is_ok());
            let at = DateTime::from_timestamp(secs, 0).unwrap();
            let due = p.first_response_due(at);
            prop_assert!(due >= at);
            prop_assert!(due <= at + Duration::days(i64::from(minutes) + 2));
            let local = due.with_timezone(&shanghai());
            let minute = i32::try_from(local.time().num_seconds_from_midnight() / 60).unwrap();
            prop_assert!((minute >= opens && minute <= closes) || (closes == 1440 && minute == 0), "{minute} not in {opens}..{closes}");
        }
    }
}
