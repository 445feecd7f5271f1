//! Lead work through the API: a consultant's day (new leads, follow-ups, a win, a
//! defeat), the manager's view of the team and the pool, 撞单 protection (also two
//! consultants at the same moment), and offers to partner and sister stores with the
//! customer's consent. Runs on SQLite, and on PostgreSQL with HUB_TEST_DATABASE_URL.

use async_graphql::{Request, Response, Variables};
use customer_hub::auth::Actor;
use customer_hub::domain::Scope;
use customer_hub::domain::audit::RequestMeta;
use customer_hub::graphql;
use entity::enums::{Department, LeadStatus, Role};
use entity::{audit_log, customer_store, delivery, lead, staff};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Value, json};

use crate::common::*;

const CREATE: &str = "mutation($c: ID!, $g: LeadGrade!, $o: ID) { createLead(input: { customerId: $c, grade: $g, \
intendedModel: \"途观L\", ownerId: $o }) { id status grade owner { username } firstResponseDueAt firstResponseAt \
firstResponseMet nextFollowUpAt protectedUntil inPool } }";

const FOLLOW_UP: &str = "mutation($l: ID!, $o: FollowUpOutcome!, $g: LeadGrade) { recordFollowUp(input: { leadId: $l, \
channel: CALL, outcome: $o, grade: $g, note: \"约了周六试驾\" }) { id grade nextFollowUpAt protectedUntil \
firstResponseAt followUps { outcome gradeBefore gradeAfter note by { username } dueAt } } }";

const WORK: &str = "query($o: ID) { leadWork(ownerId: $o) { overdue { total leads { id } } dueToday { total leads { id } } \
thisWeek { total } notContacted { total leads { id } } pool { total leads { id } } } }";

/// Customers of store `store` without an open lead there, lowest ids first.
async fn free_customers(app: &TestApp, store: i32, n: usize) -> Vec<i32> {
    let open: Vec<i32> = lead::Entity::find()
        .filter(lead::Column::StoreId.eq(store))
        .filter(lead::Column::Status.eq(LeadStatus::Open))
        .all(&app.db)
        .await
        .expect("leads")
        .into_iter()
        .map(|l| l.customer_id)
        .collect();
    let mut ids: Vec<i32> = customer_store::Entity::find()
        .filter(customer_store::Column::StoreId.eq(store))
        .order_by_asc(customer_store::Column::CustomerId)
        .all(&app.db)
        .await
        .expect("relations")
        .into_iter()
        .map(|r| r.customer_id)
        .filter(|c| !open.contains(c))
        .collect();
    ids.dedup();
    ids.truncate(n);
    assert_eq!(ids.len(), n, "the demo has {n} customers of store {store} without an open lead");
    ids
}

/// A second sales consultant at ZJ01 (the demo has one per store).
async fn second_consultant(app: &TestApp) -> Actor {
    let row = staff::ActiveModel {
        username: Set("zj01.sales2".into()),
        password_hash: Set("!".into()),
        display_name: Set("周晓(销售顾问)".into()),
        store_id: Set(Some(1)),
        department: Set(Department::Sales),
        role: Set(Role::SalesConsultant),
        active: Set(true),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("second consultant");
    Actor::from_staff(&row, "test-token".into(), None)
}

async fn run_as(app: &TestApp, actor: &Actor, query: &str, variables: Value) -> Response {
    let request = Request::new(query).variables(Variables::from_json(variables));
    let meta = RequestMeta { request_id: "test-request".into(), client_addr: None };
    graphql::execute(&app.schema, &app.db, request, Some(Scope::new(actor.clone())), meta).await
}

fn id_of(v: &Value) -> String {
    v.as_str().expect("an id").to_owned()
}

fn lead_key(gid_text: &str) -> i32 {
    let (_, key) = customer_hub::graphql::ids::decode(gid_text).expect("a global id");
    key as i32
}

async fn actions(app: &TestApp) -> Vec<String> {
    audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test]
async fn a_consultant_works_a_day_and_the_manager_sees_the_team_and_the_pool() {
    let app = TestApp::new().await;
    let customers = free_customers(&app, 1, 3).await;

    // A walk-in: the consultant opens the lead talking to the prospect.
    let walk_in = app.data(SALES_1, CREATE, json!({"c": gid("Customer", customers[0]), "g": "H"})).await;
    let walk_in = &walk_in["createLead"];
    assert_eq!(walk_in["owner"]["username"], "zj01.sales");
    assert!(walk_in["firstResponseDueAt"].is_null() && !walk_in["firstResponseAt"].is_null());
    assert!(!walk_in["protectedUntil"].is_null() && walk_in["inPool"] == false);
    let walk_in_id = id_of(&walk_in["id"]);

    // Reception (the manager) takes in a lead for nobody: the pool, a deadline.
    let reception = app.data(MANAGER_1, CREATE, json!({"c": gid("Customer", customers[1]), "g": "A"})).await;
    let reception = &reception["createLead"];
    assert!(reception["owner"].is_null() && reception["inPool"] == true);
    assert!(!reception["firstResponseDueAt"].is_null() && reception["firstResponseMet"].is_null());
    let reception_id = id_of(&reception["id"]);
    let team = app.data(MANAGER_1, WORK, json!({})).await;
    let not_contacted: Vec<&str> = team["leadWork"]["notContacted"]["leads"]
        .as_array()
        .expect("list")
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert!(not_contacted.contains(&reception_id.as_str()), "the manager sees the new lead nobody answered");
    assert!(team["leadWork"]["pool"]["leads"].as_array().unwrap().iter().any(|l| l["id"] == reception_id.as_str()));

    // The consultant may not work it before claiming it from the pool.
    let early = app.run(Some(SALES_1), FOLLOW_UP, json!({"l": reception_id, "o": "TALKED"})).await;
    assert_eq!(error_codes(&early), ["LEAD_IN_POOL"]);
    let claim = "mutation($l: ID!) { claimLead(leadId: $l) { owner { username } inPool protectedUntil } }";
    let claimed = app.data(SALES_1, claim, json!({"l": reception_id})).await;
    assert_eq!(claimed["claimLead"]["owner"]["username"], "zj01.sales");
    assert_eq!(claimed["claimLead"]["inPool"], false);
    let again = app.run(Some(SALES_1), claim, json!({"l": reception_id})).await;
    assert_eq!(error_codes(&again), ["LEAD_PROTECTED"]);

    // A follow-up: grade history kept, next follow-up by the cadence, first response met.
    let followed = app.data(SALES_1, FOLLOW_UP, json!({"l": reception_id, "o": "APPOINTMENT_MADE", "g": "H"})).await;
    let followed = &followed["recordFollowUp"];
    assert_eq!(followed["grade"], "H");
    assert_eq!(followed["followUps"][0]["gradeBefore"], "A");
    assert_eq!(followed["followUps"][0]["gradeAfter"], "H");
    assert_eq!(followed["followUps"][0]["by"]["username"], "zj01.sales");
    assert!(!followed["firstResponseAt"].is_null());
    let next: chrono::DateTime<chrono::Utc> = followed["nextFollowUpAt"].as_str().unwrap().parse().unwrap();
    let ahead = next - chrono::Utc::now();
    assert!(ahead > chrono::Duration::hours(12) && ahead < chrono::Duration::hours(48), "H: every day, got {ahead}");
    let met = app
        .data(
            SALES_1,
            "query($l: ID!) { node(id: $l) { ... on Lead { firstResponseMet } } }",
            json!({"l": reception_id}),
        )
        .await;
    assert_eq!(met["node"]["firstResponseMet"], true);

    // Worklists: a follow-up due yesterday is overdue, one due today is due today.
    let (a, b) = (lead_key(&walk_in_id), lead_key(&reception_id));
    let now = chrono::Utc::now();
    for (id, at) in [(a, now - chrono::Duration::days(2)), (b, now)] {
        lead::Entity::update_many()
            .col_expr(lead::Column::NextFollowUpAt, sea_orm::sea_query::Expr::value(at))
            .filter(lead::Column::Id.eq(id))
            .exec(&app.db)
            .await
            .expect("move the follow-up");
    }
    let mine = app.data(SALES_1, WORK, json!({})).await;
    let ids = |bucket: &str| -> Vec<String> {
        mine["leadWork"][bucket]["leads"].as_array().unwrap().iter().map(|l| id_of(&l["id"])).collect()
    };
    assert!(ids("overdue").contains(&walk_in_id));
    assert!(ids("dueToday").contains(&reception_id));
    let other = app.run(Some(SALES_1), WORK, json!({"o": gid("Staff", app.staff(MANAGER_1).await.id)})).await;
    assert_eq!(error_codes(&other), ["FORBIDDEN"], "a consultant sees their own work only");

    // A win needs the customer's own delivery at the store.
    let someone_elses = delivery::Entity::find()
        .filter(delivery::Column::CustomerId.ne(customers[0]))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a delivery");
    let win = "mutation($l: ID!, $d: ID) { winLead(leadId: $l, deliveryId: $d) { status closedAt delivery { id } } }";
    let wrong = app.run(Some(SALES_1), win, json!({"l": walk_in_id, "d": gid("Delivery", someone_elses.id)})).await;
    assert_eq!(error_codes(&wrong), ["WRONG_DELIVERY"]);
    let own = delivery::ActiveModel {
        vehicle_id: Set(someone_elses.vehicle_id),
        customer_id: Set(customers[0]),
        store_id: Set(1),
        consultant_id: Set(Some(app.staff(SALES_1).await.id)),
        delivered_on: Set(customer_hub::domain::time::local_day(chrono::Utc::now())),
        price_cents: Set(21_580_000),
        payment: Set(entity::enums::PaymentMethod::Loan),
        source_record_id: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("a delivery of the customer");
    let won = app.data(SALES_1, win, json!({"l": walk_in_id, "d": gid("Delivery", own.id)})).await;
    assert_eq!(won["winLead"]["status"], "WON");
    assert_eq!(won["winLead"]["delivery"]["id"], gid("Delivery", own.id));
    let relation = customer_store::Entity::find()
        .filter(customer_store::Column::CustomerId.eq(customers[0]))
        .filter(customer_store::Column::StoreId.eq(1))
        .one(&app.db)
        .await
        .unwrap()
        .expect("relation");
    assert_eq!(relation.status, entity::enums::RelationshipStatus::Base);
    let closed = app.run(Some(SALES_1), FOLLOW_UP, json!({"l": walk_in_id, "o": "TALKED"})).await;
    assert_eq!(error_codes(&closed), ["LEAD_CLOSED"]);

    // A defeat with a reason from the list; the manager reviews and reactivates it.
    let defeat = "mutation($l: ID!) { defeatLead(leadId: $l, reason: SAME_BRAND_OTHER_DEALER, note: \"隔壁店便宜八千\") { status defeatReason defeatNote } }";
    let lost = app.data(SALES_1, defeat, json!({"l": reception_id})).await;
    assert_eq!(lost["defeatLead"]["defeatReason"], "SAME_BRAND_OTHER_DEALER");
    let bad_reason = app
        .run(
            Some(SALES_1),
            "mutation($l: ID!) { defeatLead(leadId: $l, reason: CHEAPER) { id } }",
            json!({"l": walk_in_id}),
        )
        .await;
    assert!(!bad_reason.errors.is_empty());
    let reactivate = "mutation($l: ID!) { reactivateLead(leadId: $l, reason: \"客户回电，预算已批\") { status owner { username } inPool } }";
    let by_consultant = app.run(Some(SALES_1), reactivate, json!({"l": reception_id})).await;
    assert_eq!(error_codes(&by_consultant), ["FORBIDDEN"]);
    let reopened = app.data(MANAGER_1, reactivate, json!({"l": reception_id})).await;
    assert_eq!(reopened["reactivateLead"]["status"], "OPEN");
    assert_eq!(reopened["reactivateLead"]["inPool"], false);

    // Reassignment by the manager, with a reason; every change of owner is audited.
    let colleague = second_consultant(&app).await;
    let reassign = "mutation($l: ID!, $o: ID!) { reassignLead(leadId: $l, ownerId: $o, reason: \"休假交接\") { owner { username } } }";
    let moved = app.data(MANAGER_1, reassign, json!({"l": reception_id, "o": gid("Staff", colleague.staff_id)})).await;
    assert_eq!(moved["reassignLead"]["owner"]["username"], "zj01.sales2");
    let not_staff = app
        .run(Some(MANAGER_1), reassign, json!({"l": reception_id, "o": gid("Staff", app.staff(SERVICE_1).await.id)}))
        .await;
    assert_eq!(error_codes(&not_staff), ["BAD_USER_INPUT"]);
    // Now the first consultant is the colleague of a protected lead.
    let touch = app.run(Some(SALES_1), FOLLOW_UP, json!({"l": reception_id, "o": "TALKED"})).await;
    assert_eq!(error_codes(&touch), ["LEAD_PROTECTED"]);
    assert_eq!(
        touch.errors[0].extensions.as_ref().and_then(|e| e.get("owner")).map(|v| v.to_string()),
        Some("\"周晓(销售顾问)\"".into())
    );

    // 撞单: the first consultant tries to open a second lead for the same customer.
    let clash = app.run(Some(SALES_1), CREATE, json!({"c": gid("Customer", customers[1]), "g": "B"})).await;
    assert_eq!(error_codes(&clash), ["CONFLICT"]);
    let conflicts =
        app.data(MANAGER_1, "{ leadWork { conflicts { attemptedBy { username } lead { id } } } }", json!({})).await;
    assert_eq!(conflicts["leadWork"]["conflicts"][0]["attemptedBy"]["username"], "zj01.sales");
    assert_eq!(conflicts["leadWork"]["conflicts"][0]["lead"]["id"], reception_id.as_str());

    let log = actions(&app).await;
    for action in [
        "CREATE_LEAD",
        "CLAIM_LEAD",
        "FOLLOW_UP_LEAD",
        "WIN_LEAD",
        "DEFEAT_LEAD",
        "REACTIVATE_LEAD",
        "REASSIGN_LEAD",
        "LEAD_CONFLICT",
    ] {
        assert!(log.iter().any(|a| a == action), "{action} audited");
    }
    let leads_now = lead::Entity::find()
        .filter(lead::Column::CustomerId.eq(customers[1]))
        .filter(lead::Column::StoreId.eq(1))
        .filter(lead::Column::Status.eq(LeadStatus::Open))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(leads_now.len(), 1, "the refused lead was not written");
}

#[tokio::test]
async fn two_consultants_at_the_same_moment_get_one_lead_and_one_conflict() {
    let app = TestApp::new().await;
    let colleague = second_consultant(&app).await;
    let me = app.actor(SALES_1).await;
    let customers = free_customers(&app, 1, 4).await;
    for customer in customers.iter().take(3) {
        let vars = json!({"c": gid("Customer", *customer), "g": "A"});
        let (a, b) =
            tokio::join!(run_as(&app, &me, CREATE, vars.clone()), run_as(&app, &colleague, CREATE, vars.clone()));
        let mut codes: Vec<Vec<String>> = vec![error_codes(&a), error_codes(&b)];
        codes.sort();
        assert_eq!(codes, vec![vec![], vec!["CONFLICT".to_owned()]], "customer {customer}");
        let open = lead::Entity::find()
            .filter(lead::Column::CustomerId.eq(*customer))
            .filter(lead::Column::StoreId.eq(1))
            .filter(lead::Column::Status.eq(LeadStatus::Open))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(open.len(), 1);
    }
    // Two consultants claiming one pool lead: one gets it.
    let pooled = app.data(MANAGER_1, CREATE, json!({"c": gid("Customer", customers[3]), "g": "B"})).await;
    let id = id_of(&pooled["createLead"]["id"]);
    let claim = "mutation($l: ID!) { claimLead(leadId: $l) { owner { username } } }";
    let (a, b) =
        tokio::join!(run_as(&app, &me, claim, json!({"l": id})), run_as(&app, &colleague, claim, json!({"l": id})));
    let mut codes = vec![error_codes(&a), error_codes(&b)];
    codes.sort();
    assert_eq!(codes, vec![vec![], vec!["LEAD_PROTECTED".to_owned()]]);
    let claims = actions(&app).await.into_iter().filter(|a| a == "CLAIM_LEAD").count();
    assert_eq!(claims, 1);
}

#[tokio::test]
async fn offers_go_to_sister_stores_with_consent_expire_and_are_revoked() {
    let app = TestApp::new().await;
    let customers = free_customers(&app, 1, 3).await;
    let consent = "mutation($c: ID!) { recordConsent(input: { customerId: $c, givenOn: \"2026-03-01\", channel: \"app\", evidence: \"APP-7781\" }) { id valid } }";
    let offer =
        "mutation($l: ID!) { offerLead(leadId: $l, storeCode: \"ZJ02\", message: \"客户住鄞州\") { id status } }";
    let mut leads = Vec::new();
    let mut consents = Vec::new();
    for customer in &customers {
        let made = app.data(SALES_1, CREATE, json!({"c": gid("Customer", *customer), "g": "A"})).await;
        leads.push(id_of(&made["createLead"]["id"]));
        let given = app.data(SALES_1, consent, json!({"c": gid("Customer", *customer)})).await;
        consents.push(id_of(&given["recordConsent"]["id"]));
    }
    let manager_2 = Persona::Manager(2);
    let offers: Vec<String> = {
        let mut out = Vec::new();
        for l in &leads {
            out.push(id_of(&app.data(SALES_1, offer, json!({"l": l})).await["offerLead"]["id"]));
        }
        out
    };
    let twice = app.run(Some(SALES_1), offer, json!({"l": leads[0]})).await;
    assert_eq!(error_codes(&twice), ["CONFLICT"], "one pending offer per lead");

    // The sister store's inbox: masked; the customer out of its sight until it accepts.
    let inbox = app
        .data(
            manager_2,
            "{ leadOffers(direction: INBOX, status: OFFERED) { id preview { customerName grade intendedModel } } }",
            json!({}),
        )
        .await;
    assert_eq!(inbox["leadOffers"].as_array().unwrap().len(), 3);
    let hidden = app
        .data(manager_2, "query($c: ID!) { customer(id: $c) { id } }", json!({"c": gid("Customer", customers[0])}))
        .await;
    assert!(hidden["customer"].is_null());

    // 1: accepted by the sister store's manager: its pool, the customer now visible.
    let accept =
        "mutation($o: ID!) { acceptOffer(id: $o) { offer { status } lead { id store { code } inPool status } } }";
    let accepted = app.data(manager_2, accept, json!({"o": offers[0]})).await;
    assert_eq!(accepted["acceptOffer"]["lead"]["store"]["code"], "ZJ02");
    assert_eq!(accepted["acceptOffer"]["lead"]["inPool"], true);
    let seen = app
        .data(manager_2, "query($c: ID!) { customer(id: $c) { id } }", json!({"c": gid("Customer", customers[0])}))
        .await;
    assert_eq!(seen["customer"]["id"], gid("Customer", customers[0]));
    let origin = app
        .data(SALES_1, "query($l: ID!) { node(id: $l) { ... on Lead { status closedAt } } }", json!({"l": leads[0]}))
        .await;
    assert_eq!(origin["node"]["status"], "REFERRED");
    let twice = app.run(Some(manager_2), accept, json!({"o": offers[0]})).await;
    assert_eq!(error_codes(&twice), ["OFFER_ANSWERED"]);
    let not_receiver = app.run(Some(MANAGER_1), accept, json!({"o": offers[1]})).await;
    assert_eq!(error_codes(&not_receiver), ["NOT_YOUR_OFFER"]);

    // 2: the customer withdraws consent; the offer can no longer be accepted. Then it
    // expires.
    let held = app
        .data(
            SALES_1,
            "query($c: ID!) { customer(id: $c) { consents { id valid } } }",
            json!({"c": gid("Customer", customers[1])}),
        )
        .await;
    let valid: Vec<String> = held["customer"]["consents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["valid"] == true)
        .map(|c| id_of(&c["id"]))
        .collect();
    assert!(valid.contains(&consents[1]));
    for consent in valid {
        app.data(SALES_1, "mutation($c: ID!) { withdrawConsent(id: $c) { valid } }", json!({"c": consent})).await;
    }
    let withdrawn = app.run(Some(manager_2), accept, json!({"o": offers[1]})).await;
    assert_eq!(error_codes(&withdrawn), ["CONSENT_REQUIRED"]);
    let key = |text: &str| customer_hub::graphql::ids::decode(text).expect("id").1 as i32;
    app.db
        .execute_unprepared(&format!("UPDATE lead_offer SET expires_at = created_at WHERE id = {}", key(&offers[1])))
        .await
        .expect("expire");
    let expired = app.run(Some(manager_2), accept, json!({"o": offers[1]})).await;
    assert_eq!(error_codes(&expired), ["OFFER_EXPIRED"]);
    let listed = app.data(SALES_1, "{ leadOffers(direction: OUTBOX, status: EXPIRED) { id } }", json!({})).await;
    let expired: Vec<&Value> = listed["leadOffers"].as_array().unwrap().iter().map(|o| &o["id"]).collect();
    assert!(expired.contains(&&json!(offers[1])) && !expired.contains(&&json!(offers[2])), "{expired:?}");

    // 3: revoked by the origin; then neither accepted nor declined.
    let revoke = "mutation($o: ID!) { revokeOffer(id: $o) { status } }";
    assert_eq!(app.data(SALES_1, revoke, json!({"o": offers[2]})).await["revokeOffer"]["status"], "REVOKED");
    let late = app.run(Some(manager_2), accept, json!({"o": offers[2]})).await;
    assert_eq!(error_codes(&late), ["OFFER_REVOKED"]);
    let decline = "mutation($o: ID!) { declineOffer(id: $o, reason: \"无现车\") { status } }";
    assert_eq!(error_codes(&app.run(Some(manager_2), decline, json!({"o": offers[2]})).await), ["OFFER_REVOKED"]);

    // Other stores see none of it.
    let outsider = app.data(Persona::Manager(3), "{ leadOffers(direction: ALL, first: 200) { id } }", json!({})).await;
    for offer in &offers {
        assert!(!outsider["leadOffers"].as_array().unwrap().iter().any(|o| o["id"] == offer.as_str()), "{offer}");
    }
    let by_id = app.run(Some(Persona::Manager(3)), decline, json!({"o": offers[0]})).await;
    assert_eq!(error_codes(&by_id), ["NOT_FOUND"]);

    // The origin follows the accepted lead read-only.
    let progress = app
        .data(
            SALES_1,
            "{ leadOffers(direction: OUTBOX, status: ACCEPTED) { progress { status followUps } acceptedLead { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(progress["leadOffers"][0]["progress"]["status"], "OPEN");
    assert!(progress["leadOffers"][0]["acceptedLead"].is_null());
}

#[tokio::test]
async fn a_store_sets_its_lead_rules_within_bounds() {
    let app = TestApp::new().await;
    let set = "mutation($s: ID!, $o: String!) { setLeadPolicy(storeId: $s, policy: { firstResponseMinutes: 30, protectionDays: 14, cadenceHDays: 1, cadenceADays: 2, cadenceBDays: 5, cadenceCDays: 10, opensAt: $o, closesAt: \"20:00\" }) { firstResponseMinutes opensAt closesAt } }";
    let ok = app.data(MANAGER_1, set, json!({"s": gid("Store", 1), "o": "08:30"})).await;
    assert_eq!(ok["setLeadPolicy"]["opensAt"], "08:30");
    let read = app.data(SALES_1, "{ leadPolicy { protectionDays cadenceADays } }", json!({})).await;
    assert_eq!(read["leadPolicy"], json!({"protectionDays": 14, "cadenceADays": 2}));
    for (who, store, opens, code) in [
        (MANAGER_1, 2, "08:30", "NOT_FOUND"),
        (SALES_1, 1, "08:30", "FORBIDDEN"),
        (MANAGER_1, 1, "21:00", "BAD_USER_INPUT"),
        (MANAGER_1, 1, "8h", "BAD_USER_INPUT"),
        (MANAGER_1, 1, "２３:００", "BAD_USER_INPUT"),
    ] {
        let r = app.run(Some(who), set, json!({"s": gid("Store", store), "o": opens})).await;
        assert_eq!(error_codes(&r), [code], "{who:?} {store} {opens}");
    }
    // A lead reception takes in now gets the store's own deadline.
    let customer = free_customers(&app, 1, 1).await[0];
    let made = app.data(MANAGER_1, CREATE, json!({"c": gid("Customer", customer), "g": "A"})).await;
    let due: chrono::DateTime<chrono::Utc> =
        made["createLead"]["firstResponseDueAt"].as_str().unwrap().parse().unwrap();
    assert!(due - chrono::Utc::now() <= chrono::Duration::hours(13), "30 working minutes from now");
}
