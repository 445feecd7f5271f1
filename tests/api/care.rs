//! Care work through the API and the jobs: the working-day calendar, tasks generated
//! from events (idempotent, also two runs at once), worklists and completion (once),
//! complaints that cannot be hidden and escalate by themselves. SQLite by default,
//! PostgreSQL with HUB_TEST_DATABASE_URL.

use chrono::{Duration, NaiveDate, Utc};
use customer_hub::domain::care::{CareSettings, run_jobs};
use customer_hub::domain::time::local_day;
use entity::enums::{PaymentMethod, RepairKind, TaskKind, TaskStatus};
use entity::{care_task, customer_store, delivery, insurance_policy, repair_order, vehicle_ownership};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use crate::common::*;

/// A base customer of ZJ01 holding a vehicle: (customer, vehicle).
async fn customer_with_car(app: &TestApp) -> (i32, i32) {
    let base: Vec<i32> = customer_store::Entity::find()
        .filter(customer_store::Column::StoreId.eq(1))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.customer_id)
        .collect();
    let held = vehicle_ownership::Entity::find()
        .filter(vehicle_ownership::Column::CustomerId.is_in(base))
        .filter(vehicle_ownership::Column::ToDate.is_null())
        .order_by_asc(vehicle_ownership::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("a ZJ01 customer with a car");
    (held.customer_id, held.vehicle_id)
}

async fn tasks_of(app: &TestApp, kind: TaskKind) -> Vec<care_task::Model> {
    care_task::Entity::find().filter(care_task::Column::Kind.eq(kind)).all(&app.db).await.unwrap()
}

#[tokio::test]
async fn the_calendar_knows_holidays_and_takes_the_published_schedule() {
    let app = TestApp::new().await;
    let q = "query($f: NaiveDate!, $t: NaiveDate!) { workingCalendar(from: $f, to: $t) { day working name } }";
    let days = app.data(SALES_1, q, json!({"f": "2025-09-28", "t": "2025-10-11"})).await;
    let working: Vec<bool> =
        days["workingCalendar"].as_array().unwrap().iter().map(|d| d["working"].as_bool().unwrap()).collect();
    // Sunday 09-28 worked, 09-29/30 working, 10-01..08 off, 10-09/10 working, Saturday 10-11 worked.
    assert_eq!(working, [true, true, true, false, false, false, false, false, false, false, false, true, true, true]);
    let set = "mutation($d: [CalendarDayInput!]!) { setCalendarDays(days: $d) }";
    let spring = json!([{"day": "2027-02-06", "working": true, "name": "春节补班"}, {"day": "2027-02-08", "working": false, "name": "春节"}]);
    assert_eq!(error_codes(&app.run(Some(MANAGER_1), set, json!({"d": spring})).await), ["FORBIDDEN"]);
    assert_eq!(app.data(ADMIN, set, json!({"d": spring})).await["setCalendarDays"], 2);
    let after = app.data(SALES_1, q, json!({"f": "2027-02-06", "t": "2027-02-08"})).await;
    assert_eq!(
        after["workingCalendar"],
        json!([
            {"day": "2027-02-06", "working": true, "name": "春节补班"},
            {"day": "2027-02-07", "working": false, "name": null},
            {"day": "2027-02-08", "working": false, "name": "春节"}
        ])
    );
    let too_long = app.run(Some(SALES_1), q, json!({"f": "2020-01-01", "t": "2026-01-01"})).await;
    assert_eq!(error_codes(&too_long), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn events_make_tasks_once_even_when_two_instances_run_at_the_same_moment() {
    let app = TestApp::new().await;
    app.db.execute_unprepared("DELETE FROM care_task").await.unwrap();
    let (customer, vehicle) = customer_with_car(&app).await;
    let today = local_day(Utc::now());
    let sales = app.staff(SALES_1).await.id;
    let delivered = delivery::ActiveModel {
        vehicle_id: Set(vehicle),
        customer_id: Set(customer),
        store_id: Set(1),
        consultant_id: Set(Some(sales)),
        delivered_on: Set(today - Duration::days(1)),
        price_cents: Set(19_980_000),
        payment: Set(PaymentMethod::Cash),
        source_record_id: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let policy = insurance_policy::ActiveModel {
        store_id: Set(1),
        vehicle_id: Set(vehicle),
        customer_id: Set(customer),
        insurer: Set("平安".into()),
        coverage: Set("商业险".into()),
        premium_cents: Set(480_000),
        starts_on: Set(today - Duration::days(300)),
        ends_on: Set(today + Duration::days(50)),
        renewal_of: Set(None),
        source_record_id: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let settings = CareSettings::default();
    let now = Utc::now();
    let (a, b) =
        tokio::join!(run_jobs(&app.db, &settings, now), run_jobs(&app.db, &settings, now + Duration::seconds(1)));
    let (a, b) = (a.expect("first run"), b.expect("second run"));
    let delivery_calls: Vec<_> =
        tasks_of(&app, TaskKind::DeliveryCall).await.into_iter().filter(|t| t.source_id == delivered.id).collect();
    assert_eq!(delivery_calls.len(), 1, "one call per delivery, whatever ran");
    assert_eq!(delivery_calls[0].assignee_id, Some(sales));
    let made = |r: &customer_hub::domain::care::JobReport, k: TaskKind| {
        r.created.iter().find(|(kind, _)| *kind == k).map(|(_, n)| *n).unwrap_or(0)
    };
    let all_calls = tasks_of(&app, TaskKind::DeliveryCall).await.len() as u64;
    assert_eq!(made(&a, TaskKind::DeliveryCall) + made(&b, TaskKind::DeliveryCall), all_calls, "each made by one run");
    let relations: Vec<_> = tasks_of(&app, TaskKind::DeliveryRelationsCall)
        .await
        .into_iter()
        .filter(|t| t.source_id == delivered.id)
        .collect();
    assert_eq!(relations.len(), 1);
    assert!(relations[0].start_at > delivery_calls[0].due_at, "the relations call starts after the consultant's");
    assert_eq!(relations[0].assignee_id, Some(app.staff(Persona::StoreCrm(1)).await.id));
    // 50 days before the end: the 60-day stage, to the insurance specialist.
    let renewal: Vec<_> =
        tasks_of(&app, TaskKind::InsuranceRenewal).await.into_iter().filter(|t| t.source_id == policy.id).collect();
    assert_eq!(renewal.len(), 1);
    assert!(renewal[0].dedupe_key.ends_with(":60"), "{}", renewal[0].dedupe_key);
    assert_eq!(renewal[0].assignee_id, Some(app.staff(INSURANCE_1).await.id));
    // A third run makes nothing new.
    let total = care_task::Entity::find().all(&app.db).await.unwrap().len();
    let again = run_jobs(&app.db, &settings, now + Duration::seconds(2)).await.unwrap();
    assert!(again.created.is_empty(), "{again:?}");
    assert_eq!(care_task::Entity::find().all(&app.db).await.unwrap().len(), total);

    // Renewed at the store: the open reminder is cancelled as moot.
    insurance_policy::ActiveModel {
        store_id: Set(1),
        vehicle_id: Set(vehicle),
        customer_id: Set(customer),
        insurer: Set("平安".into()),
        coverage: Set("商业险".into()),
        premium_cents: Set(470_000),
        starts_on: Set(today + Duration::days(50)),
        ends_on: Set(today + Duration::days(415)),
        renewal_of: Set(Some(policy.id)),
        source_record_id: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let report = run_jobs(&app.db, &settings, now + Duration::seconds(3)).await.unwrap();
    assert!(report.cancelled >= 1);
    let renewal = care_task::Entity::find_by_id(renewal[0].id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(renewal.status, TaskStatus::Cancelled);
}

#[tokio::test]
async fn a_task_is_completed_once_by_its_person_or_a_manager() {
    let app = TestApp::new().await;
    app.db.execute_unprepared("DELETE FROM care_task").await.unwrap();
    let (customer, vehicle) = customer_with_car(&app).await;
    let closed_at = Utc::now() - Duration::days(6);
    repair_order::ActiveModel {
        store_id: Set(1),
        vehicle_id: Set(vehicle),
        customer_id: Set(customer),
        advisor_id: Set(None),
        kind: Set(RepairKind::Repair),
        mileage: Set(Some(12_000)),
        opened_at: Set(closed_at - Duration::hours(5)),
        closed_at: Set(Some(closed_at)),
        amount_cents: Set(88_000),
        source_record_id: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    run_jobs(&app.db, &CareSettings::default(), Utc::now()).await.unwrap();
    let crm = Persona::StoreCrm(1);
    let list = "query($b: TaskBucketArg!) { careTasks(bucket: $b, kind: SERVICE_RELATIONS_CALL) { total tasks { id kind status dueAt assignee { username } customer { id } } } }";
    let mine = app.data(crm, list, json!({"b": "OVERDUE"})).await;
    let due_today = app.data(crm, list, json!({"b": "DUE_TODAY"})).await;
    let tasks: Vec<serde_json::Value> = mine["careTasks"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .chain(due_today["careTasks"]["tasks"].as_array().unwrap())
        .cloned()
        .collect();
    let task = tasks.iter().find(|t| t["customer"]["id"] == gid("Customer", customer)).expect("the call after service");
    assert_eq!(task["assignee"]["username"], "zj01.crm");
    let id = task["id"].as_str().unwrap().to_owned();

    // Nobody else at the store sees it; another store's manager neither.
    let complete = "mutation($id: ID!, $o: TaskOutcome!) { completeTask(id: $id, outcome: $o, note: \"客户满意\") { status outcome doneBy { username } } }";
    for who in [SALES_1, SERVICE_1, Persona::Manager(2)] {
        let r = app.run(Some(who), complete, json!({"id": id, "o": "REACHED"})).await;
        assert_eq!(error_codes(&r), ["NOT_FOUND"], "{who:?}");
    }
    // The person and the manager at the same moment: one completion.
    let (a, b) = tokio::join!(
        app.run(Some(crm), complete, json!({"id": id, "o": "REACHED"})),
        app.run(Some(MANAGER_1), complete, json!({"id": id, "o": "NO_ANSWER"}))
    );
    let mut codes = vec![error_codes(&a), error_codes(&b)];
    codes.sort();
    assert_eq!(codes, vec![vec![], vec!["TASK_CLOSED".to_owned()]]);
    let key = customer_hub::graphql::ids::decode(&id).unwrap().1 as i32;
    let row = care_task::Entity::find_by_id(key).one(&app.db).await.unwrap().unwrap();
    assert_eq!(row.status, TaskStatus::Done);
    let closed = app.data(crm, "{ careTasks(bucket: CLOSED) { tasks { id outcome } } }", json!({})).await;
    assert!(closed["careTasks"]["tasks"].as_array().unwrap().iter().any(|t| t["id"] == id.as_str()));
    let audit = entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::Action.eq("COMPLETE_TASK"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
}

#[tokio::test]
async fn complaints_move_by_their_states_cannot_be_hidden_and_escalate_by_themselves() {
    let app = TestApp::new().await;
    let (customer, _) = customer_with_car(&app).await;
    let file = "mutation($c: ID!, $s: ComplaintSeverity!) { fileComplaint(input: { customerId: $c, department: SERVICE, category: \"repair_quality\", severity: $s, channel: \"STORE\", description: \"保养后发动机异响，第二次返修\" }) { id status acknowledgeDueAt resolveDueAt version events { kind by { username } } } }";
    let filed = app.data(SERVICE_1, file, json!({"c": gid("Customer", customer), "s": "HIGH"})).await;
    let filed = &filed["fileComplaint"];
    assert_eq!(filed["status"], "NEW");
    assert_eq!(filed["events"], json!([{"kind": "FILED", "by": {"username": "zj01.service"}}]));
    let id = filed["id"].as_str().unwrap().to_owned();
    let bad = app
        .run(
            Some(SERVICE_1),
            &file.replace("repair_quality", "nonsense"),
            json!({"c": gid("Customer", customer), "s": "LOW"}),
        )
        .await;
    assert_eq!(error_codes(&bad), ["BAD_USER_INPUT"]);

    // Staff may amend, not move it; the manager moves it; wrong steps are refused.
    let ack =
        "mutation($id: ID!) { acknowledgeComplaint(id: $id, note: \"已致电客户致歉\") { status acknowledgedAt } }";
    assert_eq!(error_codes(&app.run(Some(SERVICE_1), ack, json!({"id": id})).await), ["FORBIDDEN"]);
    let amend =
        "mutation($id: ID!) { amendComplaint(id: $id, note: \"客户补充：异响在冷车时明显\") { status description } }";
    let amended = app.data(SERVICE_1, amend, json!({"id": id})).await;
    assert_eq!(amended["amendComplaint"]["description"], "保养后发动机异响，第二次返修");
    let close = "mutation($id: ID!) { closeComplaint(id: $id) { status } }";
    assert_eq!(error_codes(&app.run(Some(MANAGER_1), close, json!({"id": id})).await), ["COMPLAINT_STATE"]);
    assert_eq!(app.data(MANAGER_1, ack, json!({"id": id})).await["acknowledgeComplaint"]["status"], "ACKNOWLEDGED");
    assert_eq!(error_codes(&app.run(Some(MANAGER_1), ack, json!({"id": id})).await), ["COMPLAINT_STATE"]);
    let stale = app
        .run(
            Some(MANAGER_1),
            "mutation($id: ID!) { resolveComplaint(id: $id, resolution: \"更换正时皮带\", version: 1) { status } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_codes(&stale), ["CONFLICT"], "the version moved");
    let resolve = "mutation($id: ID!) { resolveComplaint(id: $id, resolution: \"更换正时皮带，免费\") { status } }";
    assert_eq!(app.data(MANAGER_1, resolve, json!({"id": id})).await["resolveComplaint"]["status"], "RESOLVED");
    assert_eq!(app.data(MANAGER_1, close, json!({"id": id})).await["closeComplaint"]["status"], "CLOSED");
    let reopen = "mutation($id: ID!) { reopenComplaint(id: $id, reason: \"一周后异响复现\") { status closedAt } }";
    let reopened = app.data(Persona::Crm, reopen, json!({"id": id})).await;
    assert_eq!(reopened["reopenComplaint"], json!({"status": "REOPENED", "closedAt": null}));

    // Seen by the store and the group, not by another store; never deleted or rewritten.
    let events = "query($id: ID!) { complaint(id: $id) { events { kind } } }";
    let log = app.data(Persona::Crm, events, json!({"id": id})).await;
    let kinds: Vec<&str> =
        log["complaint"]["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["FILED", "AMENDED", "ACKNOWLEDGED", "RESOLVED", "CLOSED", "REOPENED"]);
    assert_eq!(error_codes(&app.run(Some(Persona::Manager(2)), events, json!({"id": id})).await), ["NOT_FOUND"]);
    for sql in [
        "DELETE FROM complaint",
        "DELETE FROM complaint_event",
        "UPDATE complaint_event SET note = 'x'",
        "UPDATE complaint SET description = '没事了'",
    ] {
        assert!(app.db.execute_unprepared(sql).await.is_err(), "{sql} must be refused");
    }
    let schema = customer_hub::graphql::sdl();
    assert!(!schema.contains("deleteComplaint"), "no mutation deletes a complaint");

    // Overdue: it escalates by itself, once, with a task for the group's customer relations.
    let key = customer_hub::graphql::ids::decode(&id).unwrap().1;
    app.db
        .execute_unprepared(&format!(
            "UPDATE complaint SET resolve_due_at = filed_at, acknowledge_due_at = filed_at WHERE id = {key}"
        ))
        .await
        .unwrap();
    let report = run_jobs(&app.db, &CareSettings::default(), Utc::now()).await.unwrap();
    assert_eq!(report.escalated, 1);
    let again = run_jobs(&app.db, &CareSettings::default(), Utc::now()).await.unwrap();
    assert_eq!(again.escalated, 0);
    let escalated = app
        .data(
            Persona::Crm,
            "{ complaints(escalated: true) { id escalatedAt events { kind by { username } } } }",
            json!({}),
        )
        .await;
    let first = &escalated["complaints"][0];
    assert_eq!(first["id"], id.as_str());
    assert_eq!(first["events"].as_array().unwrap().last().unwrap(), &json!({"kind": "ESCALATED", "by": null}));
    let task = app.data(Persona::Crm, "{ careTasks(bucket: UPCOMING, kind: COMPLAINT_ESCALATION) { tasks { assignee { username } customer { id } } } }", json!({})).await;
    assert_eq!(task["careTasks"]["tasks"][0]["assignee"]["username"], "crm");

    // The manufacturer's hotline files for its store through the integration account.
    let hotline = "mutation($c: ID!) { fileComplaint(input: { customerId: $c, department: SALES, category: \"SALES_PROCESS\", severity: LOW, channel: \"OEM_HOTLINE\", description: \"交车时承诺的贴膜未做\" }) { id status } }";
    let from_oem = app.data(INTEGRATION_1, hotline, json!({"c": gid("Customer", customer)})).await;
    let seen = app
        .data(
            MANAGER_1,
            "query($id: ID!) { complaint(id: $id) { store { code } channel } }",
            json!({"id": from_oem["fileComplaint"]["id"]}),
        )
        .await;
    assert_eq!(seen["complaint"], json!({"store": {"code": "ZJ01"}, "channel": "OEM_HOTLINE"}));
    let partner = app.run(Some(PARTNER), hotline, json!({"c": gid("Customer", customer)})).await;
    assert_eq!(error_codes(&partner), ["FORBIDDEN"]);
}

#[test]
fn deadlines_follow_the_published_holidays() {
    use customer_hub::domain::calendar::Calendar;
    let cal = Calendar::default();
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    assert_eq!(cal.add_working_days(d(2025, 1, 24), 1), d(2025, 1, 26), "Sunday 2025-01-26 was worked");
}

/// A delivery of ZJ01 nobody surveyed yet.
async fn unsurveyed_delivery(app: &TestApp) -> delivery::Model {
    let done: Vec<Option<i32>> =
        entity::survey::Entity::find().all(&app.db).await.unwrap().into_iter().map(|s| s.delivery_id).collect();
    delivery::Entity::find()
        .filter(delivery::Column::StoreId.eq(1))
        .order_by_asc(delivery::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|d| !done.contains(&Some(d.id)))
        .expect("an unsurveyed delivery of ZJ01")
}

#[tokio::test]
async fn surveys_are_done_by_customer_relations_once_and_low_ones_open_a_complaint() {
    let app = TestApp::new().await;
    let d = unsurveyed_delivery(&app).await;
    let record = "mutation($d: ID!, $s: [SurveyScoreInput!]!, $r: Int!) { recordSurvey(input: { deliveryId: $d, scores: $s, recommend: $r, comment: \"交车仪式很用心\" }) { kind index recommend scores { dimension score } complaint { channel status severity } } }";
    let all = |score: i32| {
        json!(
            ["SALES_INITIATION", "FACILITY", "DEAL", "SALESPERSON", "DELIVERY"]
                .iter()
                .map(|d| json!({"dimension": d, "score": score}))
                .collect::<Vec<_>>()
        )
    };
    let vars = |s: serde_json::Value, r: i32| json!({"d": gid("Delivery", d.id), "s": s, "r": r});
    // Not by the people being rated, not by the general manager.
    for who in [SALES_1, SERVICE_1, MANAGER_1] {
        assert_eq!(error_codes(&app.run(Some(who), record, vars(all(9), 9)).await), ["FORBIDDEN"], "{who:?}");
    }
    let crm = Persona::StoreCrm(1);
    let mut partial = all(9);
    partial.as_array_mut().unwrap().pop();
    for (scores, r) in
        [(all(11), 9), (all(0), 9), (partial, 9), (all(9), 11), (json!([{"dimension": "VIBES", "score": 5}]), 5)]
    {
        let refused = app.run(Some(crm), record, vars(scores.clone(), r)).await;
        assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"], "{scores} {r}");
    }
    let missing = app.run(Some(crm), record, json!({"d": gid("Delivery", 999_999), "s": all(9), "r": 9})).await;
    assert_eq!(error_codes(&missing), ["NOT_FOUND"]);
    let good = app.data(crm, record, vars(all(10), 10)).await;
    assert_eq!(good["recordSurvey"]["kind"], "SSI");
    assert_eq!(good["recordSurvey"]["index"], 1000);
    assert!(good["recordSurvey"]["complaint"].is_null());
    let again = app.run(Some(crm), record, vars(all(10), 10)).await;
    assert_eq!(error_codes(&again), ["ALREADY_SURVEYED"]);

    // A low one: the complaint opens by itself, in the same step.
    let other = delivery::Entity::find()
        .filter(delivery::Column::StoreId.eq(1))
        .filter(delivery::Column::Id.ne(d.id))
        .all(&app.db)
        .await
        .unwrap();
    let done: Vec<Option<i32>> =
        entity::survey::Entity::find().all(&app.db).await.unwrap().into_iter().map(|s| s.delivery_id).collect();
    let second = other.into_iter().find(|o| !done.contains(&Some(o.id))).expect("another unsurveyed delivery");
    let low = app.data(crm, record, json!({"d": gid("Delivery", second.id), "s": all(3), "r": 2})).await;
    assert_eq!(low["recordSurvey"]["index"], 300);
    assert_eq!(low["recordSurvey"]["complaint"], json!({"channel": "SURVEY", "status": "NEW", "severity": "HIGH"}));
}

#[tokio::test]
async fn three_converted_referrals_in_a_year_make_a_vip_and_losing_them_unmakes_one() {
    let app = TestApp::new().await;
    let base: Vec<i32> = customer_store::Entity::find()
        .filter(customer_store::Column::StoreId.eq(1))
        .order_by_asc(customer_store::Column::CustomerId)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.customer_id)
        .collect();
    let already: Vec<i32> = entity::customer_referral::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.customer_id)
        .collect();
    let mut free: Vec<i32> = base.into_iter().filter(|c| !already.contains(c)).collect();
    free.dedup();
    let (referrer, brought) = (free[0], &free[1..4]);
    let refer =
        "mutation($a: ID!, $b: ID!) { recordReferral(referrerId: $a, referredId: $b) { referrer { id } convertedOn } }";
    for b in brought {
        app.data(SALES_1, refer, json!({"a": gid("Customer", referrer), "b": gid("Customer", *b)})).await;
    }
    let twice =
        app.run(Some(SALES_1), refer, json!({"a": gid("Customer", referrer), "b": gid("Customer", brought[0])})).await;
    assert_eq!(error_codes(&twice), ["ALREADY_REFERRED"]);
    let own =
        app.run(Some(SALES_1), refer, json!({"a": gid("Customer", referrer), "b": gid("Customer", referrer)})).await;
    assert_eq!(error_codes(&own), ["BAD_USER_INPUT"]);
    let (_, vehicle) = customer_with_car(&app).await;
    let mut made = Vec::new();
    for b in brought {
        let row = delivery::ActiveModel {
            vehicle_id: Set(vehicle),
            customer_id: Set(*b),
            store_id: Set(1),
            consultant_id: Set(None),
            delivered_on: Set(local_day(Utc::now())),
            price_cents: Set(15_000_000),
            payment: Set(PaymentMethod::Loan),
            source_record_id: Set(None),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        made.push(row.id);
    }
    let tags = "query($c: ID!) { customer(id: $c) { tags } }";
    let report = run_jobs(&app.db, &CareSettings::default(), Utc::now()).await.unwrap();
    assert!(report.vip_given >= 1);
    let tagged = app.data(CRM, tags, json!({"c": gid("Customer", referrer)})).await;
    assert!(tagged["customer"]["tags"].as_array().unwrap().iter().any(|t| t == "VIP(转介绍)"), "{tagged}");
    let seen = app
        .data(
            CRM,
            "query($c: ID!) { customer(id: $c) { referredBy { referrer { id } convertedOn } } }",
            json!({"c": gid("Customer", brought[0])}),
        )
        .await;
    assert_eq!(seen["customer"]["referredBy"]["referrer"]["id"], gid("Customer", referrer));
    assert!(!seen["customer"]["referredBy"]["convertedOn"].is_null());
    // One delivery turns out to have been before the referral: no longer three.
    app.db.execute_unprepared(&format!("DELETE FROM delivery WHERE id = {}", made[0])).await.unwrap();
    run_jobs(&app.db, &CareSettings::default(), Utc::now()).await.unwrap();
    let untagged = app.data(CRM, tags, json!({"c": gid("Customer", referrer)})).await;
    assert!(!untagged["customer"]["tags"].as_array().unwrap().iter().any(|t| t == "VIP(转介绍)"), "{untagged}");
}

#[tokio::test]
async fn regular_maintenance_is_reminded_by_time_or_predicted_kilometres() {
    let app = TestApp::new().await;
    app.db.execute_unprepared("DELETE FROM care_task").await.unwrap();
    let (customer, vehicle) = customer_with_car(&app).await;
    let now = Utc::now();
    let service = |kind: RepairKind, days_ago: i64, km: i32| repair_order::ActiveModel {
        store_id: Set(1),
        vehicle_id: Set(vehicle),
        customer_id: Set(customer),
        advisor_id: Set(None),
        kind: Set(kind),
        mileage: Set(Some(km)),
        opened_at: Set(now - Duration::days(days_ago)),
        closed_at: Set(Some(now - Duration::days(days_ago) + Duration::hours(3))),
        amount_cents: Set(60_000),
        source_record_id: Set(None),
        ..Default::default()
    };
    // The car's own history only (the demo's visits would decide otherwise).
    app.db.execute_unprepared(&format!("DELETE FROM repair_order WHERE vehicle_id = {vehicle}")).await.unwrap();
    // Maintained 100 days ago at 30,000 km; 80 days ago a repair read 38,000 km: 100 km a
    // day, so 10,000 km come after 100 days — today, well before the 6 months.
    let last = service(RepairKind::Maintenance, 100, 30_000).insert(&app.db).await.unwrap();
    service(RepairKind::Repair, 20, 38_000).insert(&app.db).await.unwrap();
    run_jobs(&app.db, &CareSettings::default(), now).await.unwrap();
    let reminders: Vec<_> =
        tasks_of(&app, TaskKind::Maintenance).await.into_iter().filter(|t| t.vehicle_id == Some(vehicle)).collect();
    assert_eq!(reminders.len(), 1, "by kilometres");
    assert_eq!(reminders[0].dedupe_key, format!("maintenance:{vehicle}:{}", last.id));
    assert_eq!(reminders[0].assignee_id, Some(app.staff(SERVICE_1).await.id));
    // The car came for its maintenance: the reminder shows the visit.
    let visit = service(RepairKind::Maintenance, 0, 40_100).insert(&app.db).await.unwrap();
    let q = "query($b: TaskBucketArg!) { careTasks(bucket: $b, kind: MAINTENANCE) { tasks { visit { id } } } }";
    let mut shown = Vec::new();
    for bucket in ["OVERDUE", "DUE_TODAY", "UPCOMING"] {
        let page = app.data(SERVICE_1, q, json!({"b": bucket})).await;
        shown.extend(page["careTasks"]["tasks"].as_array().unwrap().iter().map(|t| t["visit"]["id"].clone()));
    }
    assert!(shown.contains(&json!(gid("RepairOrder", visit.id))), "{shown:?}");
}

#[tokio::test]
async fn the_360_and_its_timeline_show_complaints_surveys_and_care_done_within_scope() {
    let app = TestApp::new().await;
    let (customer, _) = customer_with_car(&app).await;
    let file = "mutation($c: ID!) { fileComplaint(input: { customerId: $c, department: SERVICE, category: \"WAITING_TIME\", severity: MEDIUM, channel: \"STORE\", description: \"取车等了两个小时\" }) { id } }";
    let filed = app.data(SERVICE_1, file, json!({"c": gid("Customer", customer)})).await;
    let q = "query($c: ID!) { customer(id: $c) { complaints { id } timeline(first: 50) { edges { node { kind summary complaint { id } } } } } }";
    let seen = app.data(MANAGER_1, q, json!({"c": gid("Customer", customer)})).await;
    assert_eq!(seen["customer"]["complaints"][0]["id"], filed["fileComplaint"]["id"]);
    let kinds: Vec<&str> = seen["customer"]["timeline"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"COMPLAINT"), "{kinds:?}");
    let first = &seen["customer"]["timeline"]["edges"][0]["node"];
    assert_eq!(first["complaint"]["id"], filed["fileComplaint"]["id"], "the newest touch point");
    // Another store's manager sees the customer only if related, and never this store's complaint.
    let other = app.run(Some(Persona::Manager(2)), q, json!({"c": gid("Customer", customer)})).await;
    let data = other.data.into_json().unwrap();
    if !data["customer"].is_null() {
        assert_eq!(data["customer"]["complaints"], json!([]));
    }
}
