//! Satisfaction surveys, done by customer relations — not by the consultant or advisor
//! being rated: SSI after a delivery, CSI after service; a score 1–10 per dimension,
//! weighted into an index on the 1,000-point scale, and a 0–10 recommendation for the
//! NPS. A low survey opens a complaint by itself. And referrals: who brought whom, and
//! the VIPs they make.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Months, Utc};
use entity::enums::{ComplaintSeverity, Department, Role, SurveyKind};
use entity::{customer, customer_referral, customer_tag, delivery, repair_order, survey};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::access::{Action, Resource};
use super::audit::{self, Entry, RequestMeta};
use super::{Scope, customers, limits};
use crate::error::{AppError, AppResult};

/// The dimensions of each survey and their default weights (J.D. Power China's published
/// SSI and CSI studies).
pub const SSI_DIMENSIONS: [(&str, u32); 5] =
    [("SALES_INITIATION", 21), ("FACILITY", 19), ("DEAL", 20), ("SALESPERSON", 17), ("DELIVERY", 23)];
pub const CSI_DIMENSIONS: [(&str, u32); 5] = [
    ("SERVICE_INITIATION", 17),
    ("SERVICE_ADVISOR", 18),
    ("FACILITY", 21),
    ("SERVICE_QUALITY", 24),
    ("VEHICLE_PICKUP", 21),
];

/// The tag the referral rule gives and takes back.
pub const VIP_TAG: &str = "VIP(转介绍)";
/// Converted referrals within 12 months that make a VIP.
pub const VIP_REFERRALS: usize = 3;

/// Weights and the threshold below which a survey opens a complaint (flags `HUB_SURVEY_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveySettings {
    pub ssi_weights: [u32; 5],
    pub csi_weights: [u32; 5],
    /// An index below this (or any dimension scored 3 or less) opens a complaint.
    pub complaint_below: i32,
}

impl Default for SurveySettings {
    fn default() -> Self {
        SurveySettings {
            ssi_weights: SSI_DIMENSIONS.map(|(_, w)| w),
            csi_weights: CSI_DIMENSIONS.map(|(_, w)| w),
            complaint_below: 600,
        }
    }
}

impl SurveySettings {
    fn dimensions(&self, kind: SurveyKind) -> [(&'static str, u32); 5] {
        let (names, weights) = match kind {
            SurveyKind::Ssi => (SSI_DIMENSIONS, self.ssi_weights),
            SurveyKind::Csi => (CSI_DIMENSIONS, self.csi_weights),
        };
        let mut out = names;
        for (slot, w) in out.iter_mut().zip(weights) {
            slot.1 = w;
        }
        out
    }
}

/// The weighted index on the 1,000-point scale of scores 1–10 by dimension.
pub fn index_points(weights: &[(&str, u32)], scores: &BTreeMap<String, i32>) -> i32 {
    let total: u32 = weights.iter().map(|(_, w)| w).sum();
    if total == 0 {
        return 0;
    }
    let sum: i64 = weights.iter().map(|(d, w)| i64::from(*w) * i64::from(scores.get(*d).copied().unwrap_or(0))).sum();
    ((sum * 100) as f64 / f64::from(total)).round() as i32
}

/// A survey as entered: the delivery (SSI) or the repair order (CSI) it is about.
pub struct NewSurvey {
    pub delivery_id: Option<i32>,
    pub repair_order_id: Option<i32>,
    pub scores: Vec<(String, i32)>,
    pub recommend: i32,
    pub comment: Option<String>,
}

/// Customer relations only: the group's, or a store's customer-relations manager for
/// their store — never the people being rated.
fn may_survey(scope: &Scope, store: i32) -> bool {
    match scope.role() {
        Role::GroupCrm | Role::GroupAdmin => true,
        Role::StoreManager => scope.actor.department == Department::Crm && scope.actor.store_id == Some(store),
        _ => false,
    }
}

/// Records a survey; a low one opens a complaint in the same transaction.
pub async fn record(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    settings: &SurveySettings,
    new: NewSurvey,
) -> AppResult<survey::Model> {
    if !matches!(scope.role(), Role::GroupCrm | Role::GroupAdmin | Role::StoreManager) {
        return Err(AppError::Forbidden("surveys are done by customer relations".into()));
    }
    limits::check_opt("comment", new.comment.as_deref(), limits::NOTE)?;
    if !(0..=10).contains(&new.recommend) {
        return Err(AppError::bad_input("recommend", "0 to 10"));
    }
    let txn = crate::db::begin_write(db).await?;
    let (kind, store, customer_id, subject) = match (new.delivery_id, new.repair_order_id) {
        (Some(id), None) => {
            let d = delivery::Entity::find_by_id(id)
                .filter(scope.customer_condition(delivery::Column::CustomerId))
                .one(&txn)
                .await?
                .ok_or(AppError::NotFound("delivery"))?;
            (SurveyKind::Ssi, d.store_id, d.customer_id, format!("SSI:delivery:{id}"))
        }
        (None, Some(id)) => {
            let r = repair_order::Entity::find_by_id(id)
                .filter(scope.customer_condition(repair_order::Column::CustomerId))
                .one(&txn)
                .await?
                .ok_or(AppError::NotFound("repair order"))?;
            (SurveyKind::Csi, r.store_id, r.customer_id, format!("CSI:repair_order:{id}"))
        }
        _ => return Err(AppError::bad_input("deliveryId", "name a delivery (SSI) or a repair order (CSI), not both")),
    };
    if !may_survey(scope, store) {
        return Err(AppError::Forbidden("surveys are done by customer relations, not by the staff being rated".into()));
    }
    let dims = settings.dimensions(kind);
    let mut scores = BTreeMap::new();
    for (dimension, score) in new.scores {
        let dimension = dimension.trim().to_uppercase();
        if !dims.iter().any(|(d, _)| *d == dimension) {
            let names: Vec<&str> = dims.iter().map(|(d, _)| *d).collect();
            return Err(AppError::bad_input(
                "scores",
                format!("{} dimensions are {}", kind.as_str(), names.join(", ")),
            ));
        }
        if !(1..=10).contains(&score) {
            return Err(AppError::bad_input("scores", "every score is 1 to 10"));
        }
        if scores.insert(dimension, score).is_some() {
            return Err(AppError::bad_input("scores", "each dimension once"));
        }
    }
    if scores.len() != dims.len() {
        return Err(AppError::bad_input("scores", "score every dimension of the survey"));
    }
    if survey::Entity::find().filter(survey::Column::SubjectKey.eq(&subject)).count(&txn).await? > 0 {
        return Err(AppError::refused("ALREADY_SURVEYED", "this one was surveyed already"));
    }
    let points = index_points(&dims, &scores);
    let comment = new.comment.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    let now = Utc::now();
    let low = points < settings.complaint_below || scores.values().any(|s| *s <= 3);
    let complaint = if low {
        let worst = scores.iter().min_by_key(|(_, s)| **s).map(|(d, s)| format!("{d} {s}/10")).unwrap_or_default();
        let description = format!(
            "满意度回访低分（{} {points}/1000，最低 {worst}）{}",
            kind.as_str(),
            comment.as_deref().map(|c| format!("：{c}")).unwrap_or_default()
        );
        Some(
            super::complaints::file_in(
                &txn,
                scope,
                super::complaints::NewComplaint {
                    customer_id,
                    store_id: Some(store),
                    department: if kind == SurveyKind::Ssi { Department::Sales } else { Department::Service },
                    category: if kind == SurveyKind::Ssi { "SALES_PROCESS" } else { "SERVICE_QUALITY" }.into(),
                    severity: if points < 400 { ComplaintSeverity::High } else { ComplaintSeverity::Medium },
                    channel: "SURVEY".into(),
                    description,
                },
                now,
            )
            .await?,
        )
    } else {
        None
    };
    let row = survey::ActiveModel {
        kind: Set(kind),
        store_id: Set(store),
        customer_id: Set(customer_id),
        delivery_id: Set(new.delivery_id),
        repair_order_id: Set(new.repair_order_id),
        subject_key: Set(subject),
        scores: Set(serde_json::to_value(&scores).map_err(AppError::internal)?),
        index_points: Set(points),
        recommend: Set(new.recommend),
        comment: Set(comment),
        complaint_id: Set(complaint.as_ref().map(|c| c.id)),
        surveyed_by: Set(scope.actor.staff_id),
        surveyed_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, Some(&scope.actor), meta, Entry::new("RECORD_SURVEY", "survey", [row.id as i64])).await?;
    txn.commit().await?;
    Ok(row)
}

/// Surveys the caller may see (like complaints), newest first.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    kind: Option<SurveyKind>,
    limit: u64,
) -> AppResult<Vec<survey::Model>> {
    scope.require(Resource::Complaint, Action::Read)?;
    let mut select = survey::Entity::find().filter(scope.store_record_condition(
        Resource::Complaint,
        Action::Read,
        survey::Column::StoreId,
        survey::Column::CustomerId,
        None,
    ));
    if let Some(kind) = kind {
        select = select.filter(survey::Column::Kind.eq(kind));
    }
    Ok(select.order_by_desc(survey::Column::SurveyedAt).order_by_desc(survey::Column::Id).limit(limit).all(db).await?)
}

/// Records that `referrer` brought `referred` to the caller's store (staff who correct
/// customers); a customer has one referrer.
pub async fn refer(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    referrer: i32,
    referred: i32,
) -> AppResult<customer_referral::Model> {
    scope.require(Resource::Customer, Action::Update)?;
    let Some(store) = scope.actor.store_id else {
        return Err(AppError::bad_input("referredId", "referrals are recorded by a store"));
    };
    if referrer == referred {
        return Err(AppError::bad_input("referredId", "a customer does not refer themselves"));
    }
    let txn = crate::db::begin_write(db).await?;
    let a = customers::by_id(&txn, scope, referrer).await?.ok_or(AppError::NotFound("customer"))?;
    let b = customers::by_id(&txn, scope, referred).await?.ok_or(AppError::NotFound("customer"))?;
    if customer_referral::Entity::find().filter(customer_referral::Column::CustomerId.eq(b.id)).count(&txn).await? > 0 {
        return Err(AppError::refused("ALREADY_REFERRED", "the customer's referrer is recorded already"));
    }
    let row = customer_referral::ActiveModel {
        referrer_id: Set(a.id),
        customer_id: Set(b.id),
        store_id: Set(store),
        recorded_by: Set(Some(scope.actor.staff_id)),
        recorded_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(&scope.actor),
        meta,
        Entry::new("RECORD_REFERRAL", "customer", [a.id as i64, b.id as i64]),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// When a referral converted: the referred customer's first delivery within 12 months
/// of the referral, among `deliveries`.
pub fn converted_on(referral: &customer_referral::Model, deliveries: &[delivery::Model]) -> Option<chrono::NaiveDate> {
    let from = super::time::local_day(referral.recorded_at);
    let until = from + Months::new(12);
    deliveries
        .iter()
        .filter(|d| d.customer_id == referral.customer_id && d.delivered_on >= from && d.delivered_on <= until)
        .map(|d| d.delivered_on)
        .min()
}

/// When each referral converted (the referred customer's first delivery within 12
/// months of the referral), by referral id.
pub async fn conversions<C: ConnectionTrait>(
    conn: &C,
    referrals: &[customer_referral::Model],
) -> AppResult<HashMap<i32, chrono::NaiveDate>> {
    if referrals.is_empty() {
        return Ok(HashMap::new());
    }
    let referred: Vec<i32> = referrals.iter().map(|r| r.customer_id).collect();
    // In slices of customers: each customer's deliveries stay in order within its slice.
    let deliveries = crate::db::find_in_slices(conn, &referred, |ids| {
        delivery::Entity::find()
            .filter(delivery::Column::CustomerId.is_in(ids))
            .order_by_asc(delivery::Column::DeliveredOn)
    })
    .await?;
    let mut out = HashMap::new();
    for r in referrals {
        let from = super::time::local_day(r.recorded_at);
        let until = from + Months::new(12);
        if let Some(d) = deliveries
            .iter()
            .find(|d| d.customer_id == r.customer_id && d.delivered_on >= from && d.delivered_on <= until)
        {
            out.insert(r.id, d.delivered_on);
        }
    }
    Ok(out)
}

/// Gives the VIP tag to customers with 3 or more referrals converted in the last 12
/// months and takes it from those who no longer have them. Returns (given, taken).
pub async fn refresh_vips(txn: &DatabaseTransaction, now: DateTime<Utc>) -> AppResult<(u64, u64)> {
    let today = super::time::local_day(now);
    let since = now - Duration::days(730);
    let referrals =
        customer_referral::Entity::find().filter(customer_referral::Column::RecordedAt.gte(since)).all(txn).await?;
    let converted = conversions(txn, &referrals).await?;
    let mut counts: HashMap<i32, usize> = HashMap::new();
    for r in &referrals {
        if converted.get(&r.id).is_some_and(|day| *day > today - Months::new(12) && *day <= today) {
            *counts.entry(r.referrer_id).or_default() += 1;
        }
    }
    let should: HashSet<i32> = counts.into_iter().filter(|(_, n)| *n >= VIP_REFERRALS).map(|(c, _)| c).collect();
    let tagged: HashSet<i32> = customer_tag::Entity::find()
        .filter(customer_tag::Column::Tag.eq(VIP_TAG))
        .all(txn)
        .await?
        .into_iter()
        .map(|t| t.customer_id)
        .collect();
    let should: Vec<i32> = should.into_iter().collect();
    let live: HashSet<i32> = crate::db::find_in_slices(txn, &should, |ids| {
        customer::Entity::find().filter(customer::Column::Id.is_in(ids)).filter(customer::Column::MergedInto.is_null())
    })
    .await?
    .into_iter()
    .map(|c| c.id)
    .collect();
    let give: Vec<customer_tag::ActiveModel> = live
        .difference(&tagged)
        .map(|c| customer_tag::ActiveModel { customer_id: Set(*c), tag: Set(VIP_TAG.into()), ..Default::default() })
        .collect();
    let given = give.len() as u64;
    for slice in give.chunks(crate::db::IN_LIST / 3) {
        customer_tag::Entity::insert_many(slice.to_vec()).exec_without_returning(txn).await?;
    }
    let take: Vec<i32> = tagged.difference(&live).copied().collect();
    let taken = if take.is_empty() {
        0
    } else {
        let mut taken = 0;
        for slice in take.chunks(crate::db::IN_LIST) {
            taken += customer_tag::Entity::delete_many()
                .filter(customer_tag::Column::Tag.eq(VIP_TAG))
                .filter(customer_tag::Column::CustomerId.is_in(slice.iter().copied()))
                .exec(txn)
                .await?
                .rows_affected;
        }
        taken
    };
    Ok((given, taken))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_weighs_the_dimensions() {
        let all = |s: i32| SSI_DIMENSIONS.iter().map(|(d, _)| ((*d).to_owned(), s)).collect::<BTreeMap<_, _>>();
        assert_eq!(index_points(&SSI_DIMENSIONS, &all(10)), 1000);
        assert_eq!(index_points(&SSI_DIMENSIONS, &all(1)), 100);
        // Delivery weighs 23 %: a 1 there costs 207 points of 1,000.
        let mut one_low = all(10);
        one_low.insert("DELIVERY".into(), 1);
        assert_eq!(index_points(&SSI_DIMENSIONS, &one_low), 793);
    }
}
