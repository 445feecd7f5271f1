//! Care work of the demo: complaints in every state (some overdue, so that the care
//! jobs escalate them at seeding; some reopened), from the `shape` stream so every other
//! demo value stays as it was. The tasks come from the care jobs, which seeding runs
//! once with the demo's "now"; then a share of the older ones is marked done.

use chrono::{DateTime, Duration, Utc};
use entity::enums::{ComplaintSeverity, ComplaintStatus, Department};
use entity::{complaint, complaint_event};
use rand::Rng;
use sea_orm::IntoActiveModel;

use super::customers::Profile;
use super::generator::Generator;
use crate::domain::calendar::Calendar;
use crate::domain::complaints::{CATEGORIES, deadlines};

/// kind, status before, status after, note, by whom, when.
type Event = (&'static str, Option<ComplaintStatus>, ComplaintStatus, Option<&'static str>, Option<i32>, DateTime<Utc>);

const STORIES: &[(&str, Department, &str)] = &[
    ("保养后车辆异响，要求免费复查", Department::Service, "REPAIR_QUALITY"),
    ("等待维修时间超过承诺两小时", Department::Service, "WAITING_TIME"),
    ("交车时承诺的装饰未兑现", Department::Sales, "SALES_PROCESS"),
    ("服务顾问态度冷淡，未解释收费项目", Department::Service, "STAFF_ATTITUDE"),
    ("配件到货时间一再推迟", Department::Parts, "PARTS"),
    ("理赔材料递交后无人跟进", Department::Insurance, "INSURANCE_CLAIM"),
    ("贷款手续费与报价不符", Department::Sales, "PRICE"),
];

/// Sometimes the customer complained about the store, at a moment of their history.
pub(super) fn complaints(g: &mut Generator, p: &Profile) {
    if !g.shape.gen_bool(0.06) {
        return;
    }
    let days_ago = if g.shape.gen_bool(0.3) { g.shape.gen_range(0..30i64) } else { g.shape.gen_range(30..900i64) };
    // Recent ones are still being worked: they went this many steps so far.
    let steps_done = if days_ago < 30 { g.shape.gen_range(0..4usize) } else { 3 };
    let filed = g.now - Duration::days(days_ago) - Duration::hours(g.shape.gen_range(0..8));
    if filed.date_naive() < p.first_contact {
        return;
    }
    let (text, department, category) = STORIES[g.shape.gen_range(0..STORIES.len())];
    debug_assert!(CATEGORIES.contains(&category));
    let severity =
        [ComplaintSeverity::Low, ComplaintSeverity::Medium, ComplaintSeverity::Medium, ComplaintSeverity::High]
            [g.shape.gen_range(0..4)];
    let cal = Calendar::default();
    let (ack_hours, resolve_days) = deadlines(severity);
    let (ack_due, resolve_due) = (cal.add_working_hours(filed, ack_hours), cal.end_of_working_day(filed, resolve_days));
    let id = g.next_id("complaints");
    let staff = Some(p.relations());
    let mut events: Vec<Event> = vec![("FILED", None, ComplaintStatus::New, None, Some(p.relations()), filed)];
    let mut row = complaint::Model {
        id,
        store_id: p.store_id,
        customer_id: p.id,
        department,
        category: category.into(),
        severity,
        channel: ["STORE", "CALL_CENTER", "OEM_HOTLINE"][g.shape.gen_range(0..3)].into(),
        description: text.into(),
        status: ComplaintStatus::New,
        filed_by: staff,
        filed_at: filed,
        acknowledge_due_at: ack_due,
        resolve_due_at: resolve_due,
        acknowledged_at: None,
        resolved_at: None,
        closed_at: None,
        escalated_at: None,
        version: 1,
    };
    // Older complaints went all the way (a few late, escalated, or reopened); recent
    // ones are still being worked.
    let late = g.shape.gen_bool(0.15);
    let ack_at = if late { ack_due + Duration::hours(6) } else { filed + Duration::hours(g.shape.gen_range(1..4)) };
    let resolve_at =
        if late { resolve_due + Duration::days(2) } else { ack_at + Duration::days(g.shape.gen_range(1..4)) };
    let close_at = resolve_at + Duration::days(g.shape.gen_range(1..5));
    let reopen = g.shape.gen_bool(0.08);
    let steps: [(&str, ComplaintStatus, DateTime<Utc>, &str); 3] = [
        ("ACKNOWLEDGED", ComplaintStatus::Acknowledged, ack_at, "已致电客户致歉并登记"),
        ("RESOLVED", ComplaintStatus::Resolved, resolve_at, "已处理，客户接受方案"),
        ("CLOSED", ComplaintStatus::Closed, close_at, "回访确认客户满意"),
    ];
    for (kind, status, at, note) in steps.into_iter().take(steps_done) {
        if at >= g.now {
            break;
        }
        if late && row.escalated_at.is_none() {
            let due = if row.acknowledged_at.is_none() { ack_due } else { resolve_due };
            if at > due && due < g.now {
                row.escalated_at = Some(due + Duration::minutes(15));
                events.push((
                    "ESCALATED",
                    Some(row.status),
                    row.status,
                    Some("超时未处理，已升级至集团客户关系部"),
                    None,
                    due + Duration::minutes(15),
                ));
            }
        }
        events.push((kind, Some(row.status), status, Some(note), staff, at));
        row.status = status;
        row.version += 1;
        match status {
            ComplaintStatus::Acknowledged => row.acknowledged_at = Some(at),
            ComplaintStatus::Resolved => row.resolved_at = Some(at),
            _ => row.closed_at = Some(at),
        }
    }
    if reopen && row.status == ComplaintStatus::Closed {
        let at = close_at + Duration::days(g.shape.gen_range(3..20));
        if at < g.now {
            events.push(("REOPENED", Some(row.status), ComplaintStatus::Reopened, Some("客户反映问题复现"), staff, at));
            row.status = ComplaintStatus::Reopened;
            row.closed_at = None;
            row.resolved_at = None;
            row.version += 1;
        }
    }
    g.rows.complaints.push(row.into_active_model());
    for (kind, from, to, note, by, at) in events {
        let event_id = g.next_id("complaint_events");
        g.rows.complaint_events.push(
            complaint_event::Model {
                id: event_id,
                complaint_id: id,
                kind: kind.into(),
                status_from: from,
                status_to: Some(to),
                note: note.map(Into::into),
                staff_id: by,
                at,
            }
            .into_active_model(),
        );
    }
}

/// Surveys after deliveries and service (customer relations called about one in three;
/// a few scored low and opened a complaint), and referral chains — some referrers with
/// three deliveries in a year become VIPs when the care jobs run.
pub(super) async fn surveys_and_referrals(
    db: &sea_orm::DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    use std::collections::BTreeMap;

    use entity::enums::{Role, SurveyKind};
    use entity::{customer_referral, delivery, repair_order, staff, survey};
    use rand::SeedableRng;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};

    use crate::domain::surveys::{CSI_DIMENSIONS, SSI_DIMENSIONS, index_points};

    let fail = |e: crate::error::AppError| sea_orm::DbErr::Custom(format!("the demo's surveys: {}", e.log_text()));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5352_5645);
    let relations: BTreeMap<i32, staff::Model> = staff::Entity::find()
        .filter(staff::Column::Role.eq(Role::StoreManager))
        .filter(staff::Column::Department.eq(Department::Crm))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| s.store_id.map(|store| (store, s)))
        .collect();
    let since = now - Duration::days(400);
    let deliveries = delivery::Entity::find()
        .filter(delivery::Column::DeliveredOn.gte(since.date_naive()))
        .order_by_asc(delivery::Column::DeliveredOn)
        .order_by_asc(delivery::Column::Id)
        .all(db)
        .await?;
    let orders = repair_order::Entity::find()
        .filter(repair_order::Column::ClosedAt.gte(since))
        .order_by_asc(repair_order::Column::Id)
        .all(db)
        .await?;
    let subjects =
        deliveries
            .iter()
            .map(|d| {
                (
                    SurveyKind::Ssi,
                    d.store_id,
                    d.customer_id,
                    Some(d.id),
                    None,
                    crate::domain::time::day_start(d.delivered_on),
                )
            })
            .chain(orders.iter().filter_map(|r| {
                r.closed_at.map(|at| (SurveyKind::Csi, r.store_id, r.customer_id, None, Some(r.id), at))
            }));
    let txn = db.begin().await?;
    for (kind, store, customer, delivery_id, order_id, at) in subjects {
        let Some(surveyor) = relations.get(&store) else { continue };
        if !rng.gen_bool(0.35) {
            continue;
        }
        let surveyed_at = at + Duration::days(rng.gen_range(3..6)) + Duration::hours(2);
        if surveyed_at >= now {
            continue;
        }
        let dims: &[(&str, u32)] = if kind == SurveyKind::Ssi { &SSI_DIMENSIONS } else { &CSI_DIMENSIONS };
        let unhappy = rng.gen_bool(0.08);
        let scores: BTreeMap<String, i32> = dims
            .iter()
            .map(|(d, _)| ((*d).to_owned(), if unhappy { rng.gen_range(2..7) } else { rng.gen_range(7..11) }))
            .collect();
        let points = index_points(dims, &scores);
        let recommend = if unhappy { rng.gen_range(0..7) } else { rng.gen_range(6..11) };
        let comment = unhappy.then(|| "等待时间长，沟通不到位".to_owned());
        let complaint = if points < 600 || scores.values().any(|s| *s <= 3) {
            let scope = crate::domain::Scope::new(crate::auth::Actor::from_staff(surveyor, "demo".into(), None));
            let new = crate::domain::complaints::NewComplaint {
                customer_id: customer,
                store_id: Some(store),
                department: if kind == SurveyKind::Ssi { Department::Sales } else { Department::Service },
                category: if kind == SurveyKind::Ssi { "SALES_PROCESS" } else { "SERVICE_QUALITY" }.into(),
                severity: ComplaintSeverity::Medium,
                channel: "SURVEY".into(),
                description: format!("满意度回访低分（{} {points}/1000）：等待时间长，沟通不到位", kind.as_str()),
            };
            let filed = crate::domain::complaints::file_in(&txn, &scope, new, surveyed_at).await.map_err(fail)?;
            // The store dealt with it within days.
            complaint::Entity::update_many()
                .col_expr(complaint::Column::Status, sea_orm::sea_query::Expr::value(ComplaintStatus::Closed.as_str()))
                .col_expr(
                    complaint::Column::AcknowledgedAt,
                    sea_orm::sea_query::Expr::value(surveyed_at + Duration::hours(2)),
                )
                .col_expr(
                    complaint::Column::ResolvedAt,
                    sea_orm::sea_query::Expr::value(surveyed_at + Duration::days(2)),
                )
                .col_expr(complaint::Column::ClosedAt, sea_orm::sea_query::Expr::value(surveyed_at + Duration::days(4)))
                .col_expr(complaint::Column::Version, sea_orm::sea_query::Expr::value(4))
                .filter(complaint::Column::Id.eq(filed.id))
                .filter(complaint::Column::FiledAt.lt(now - Duration::days(5)))
                .exec(&txn)
                .await?;
            Some(filed.id)
        } else {
            None
        };
        let key = match (delivery_id, order_id) {
            (Some(d), _) => format!("SSI:delivery:{d}"),
            (_, Some(r)) => format!("CSI:repair_order:{r}"),
            _ => continue,
        };
        survey::Entity::insert(survey::ActiveModel {
            kind: sea_orm::Set(kind),
            store_id: sea_orm::Set(store),
            customer_id: sea_orm::Set(customer),
            delivery_id: sea_orm::Set(delivery_id),
            repair_order_id: sea_orm::Set(order_id),
            subject_key: sea_orm::Set(key),
            scores: sea_orm::Set(serde_json::to_value(&scores).unwrap_or_default()),
            index_points: sea_orm::Set(points),
            recommend: sea_orm::Set(recommend),
            comment: sea_orm::Set(comment),
            complaint_id: sea_orm::Set(complaint),
            surveyed_by: sea_orm::Set(surveyor.id),
            surveyed_at: sea_orm::Set(surveyed_at),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
    }
    // Referral chains: per store, every 25th buyer of the last year brought the next
    // three or four, recorded three weeks before their delivery.
    let mut by_store: BTreeMap<i32, Vec<&delivery::Model>> = BTreeMap::new();
    for d in deliveries.iter().filter(|d| d.delivered_on > (now - Duration::days(360)).date_naive()) {
        by_store.entry(d.store_id).or_default().push(d);
    }
    let mut referred = std::collections::HashSet::new();
    for (store, list) in by_store {
        let Some(recorder) = relations.get(&store) else { continue };
        for (i, referrer) in list.iter().enumerate().step_by(25) {
            let brought = rng.gen_range(2..5);
            for d in list.iter().skip(i + 1).filter(|d| d.customer_id != referrer.customer_id).take(brought) {
                if !referred.insert(d.customer_id) {
                    continue;
                }
                customer_referral::Entity::insert(customer_referral::ActiveModel {
                    referrer_id: sea_orm::Set(referrer.customer_id),
                    customer_id: sea_orm::Set(d.customer_id),
                    store_id: sea_orm::Set(store),
                    recorded_by: sea_orm::Set(Some(recorder.id)),
                    recorded_at: sea_orm::Set(crate::domain::time::day_start(d.delivered_on) - Duration::days(21)),
                    ..Default::default()
                })
                .exec_without_returning(&txn)
                .await?;
            }
        }
    }
    txn.commit().await
}
