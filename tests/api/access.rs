//! Access control per role: root fields, nested fields, loaders and mutations, with
//! out-of-scope records looking exactly like missing ones.

use std::collections::{BTreeSet, HashSet};

use entity::enums::ContactKind;
use entity::{audit_log, contact_point, customer, customer_store, repair_order, vehicle, vehicle_ownership};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::common::{
    ADMIN, ANALYST, CRM, INSURANCE_1, INTEGRATION_1, MANAGER_1, PARTNER, PARTS_1, Persona, SALES_1, SERVICE_1, TestApp,
    error_codes, gid, row_id, store_number,
};

struct Fixture {
    app: TestApp,
    /// A customer known only to store 1 (ZJ01), with service and insurance history.
    ours: i32,
    /// A customer known only to store 2 (ZJ02).
    theirs: i32,
    theirs_phone: String,
    theirs_vin: String,
}

async fn stores_of(app: &TestApp, customer: i32) -> BTreeSet<i32> {
    customer_store::Entity::find()
        .filter(customer_store::Column::CustomerId.eq(customer))
        .all(&app.db)
        .await
        .expect("relationships")
        .into_iter()
        .map(|r| r.store_id)
        .collect()
}

async fn only_at_store_with_service(app: &TestApp, store: i32) -> i32 {
    let orders = repair_order::Entity::find()
        .filter(repair_order::Column::StoreId.eq(store))
        .order_by_asc(repair_order::Column::Id)
        .all(&app.db)
        .await
        .expect("orders");
    for order in orders {
        if stores_of(app, order.customer_id).await == BTreeSet::from([store]) {
            return order.customer_id;
        }
    }
    panic!("no customer served only by store {store}");
}

async fn fixture() -> Fixture {
    let app = TestApp::with_customers(150).await;
    let ours = only_at_store_with_service(&app, 1).await;
    let theirs = only_at_store_with_service(&app, 2).await;
    let theirs_phone = contact_point::Entity::find()
        .filter(contact_point::Column::CustomerId.eq(theirs))
        .filter(contact_point::Column::Kind.eq(ContactKind::Phone))
        .one(&app.db)
        .await
        .expect("q")
        .expect("phone")
        .value;
    let ownership = vehicle_ownership::Entity::find()
        .filter(vehicle_ownership::Column::CustomerId.eq(theirs))
        .one(&app.db)
        .await
        .expect("q")
        .expect("vehicle");
    let theirs_vin =
        vehicle::Entity::find_by_id(ownership.vehicle_id).one(&app.db).await.expect("q").expect("vehicle").vin;
    Fixture { app, ours, theirs, theirs_phone, theirs_vin }
}

const CUSTOMER_360: &str = "query($id: ID!) { customer(id: $id) { id name idNumber address birthday phones { number } vehicles { vin } leads { id } deliveries { id } repairOrders { id } insurancePolicies { id } partsOrders { id } stores { store { code } } } }";

/// What one persona gets for one root field.
#[derive(Debug, PartialEq)]
enum Outcome {
    Found,
    Missing,
    Forbidden,
}

async fn outcome(app: &TestApp, persona: Persona, query: &str, vars: Value, field: &str) -> Outcome {
    let response = app.run(Some(persona), query, vars).await;
    let codes = error_codes(&response);
    if codes == ["FORBIDDEN"] {
        assert_eq!(response.data.into_json().expect("json"), Value::Null, "{persona}: forbidden must carry no data");
        return Outcome::Forbidden;
    }
    assert!(codes.is_empty(), "{persona} {query}: {codes:?} {:?}", response.errors);
    let data = response.data.into_json().expect("json");
    if data[field].is_null() { Outcome::Missing } else { Outcome::Found }
}

#[tokio::test]
async fn root_fields_per_role() {
    use Outcome::*;
    let f = fixture().await;
    let ours = json!({"id": gid("Customer", f.ours)});
    let theirs = json!({"id": gid("Customer", f.theirs)});
    let nobody = json!({"id": gid("Customer", 99_999_999)});
    // persona, own-store customer, other-store customer, other-store vehicle, stores, audit log
    let table = [
        (ADMIN, Found, Found, Found, Found, Found),
        (CRM, Found, Found, Found, Found, Forbidden),
        (ANALYST, Forbidden, Forbidden, Forbidden, Found, Forbidden),
        (MANAGER_1, Found, Missing, Missing, Found, Forbidden),
        (SALES_1, Found, Missing, Missing, Found, Forbidden),
        (SERVICE_1, Found, Missing, Missing, Found, Forbidden),
        (INSURANCE_1, Found, Missing, Missing, Found, Forbidden),
        (PARTS_1, Found, Missing, Missing, Found, Forbidden),
        (PARTNER, Missing, Missing, Forbidden, Found, Forbidden),
        (INTEGRATION_1, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden),
    ];
    assert_eq!(table.each_ref().map(|row| row.0), Persona::EACH_KIND);
    let q = "query($id: ID!) { customer(id: $id) { id } }";
    for (persona, own, other, car, stores, audit) in table {
        assert_eq!(outcome(&f.app, persona, q, ours.clone(), "customer").await, own, "{persona}: own-store customer");
        assert_eq!(
            outcome(&f.app, persona, q, theirs.clone(), "customer").await,
            other,
            "{persona}: other-store customer"
        );
        let nonexistent = outcome(&f.app, persona, q, nobody.clone(), "customer").await;
        assert_eq!(nonexistent, if own == Forbidden { Forbidden } else { Missing }, "{persona}: nonexistent");
        let v = outcome(
            &f.app,
            persona,
            "query($v: String!) { vehicle(vin: $v) { vin } }",
            json!({"v": f.theirs_vin}),
            "vehicle",
        )
        .await;
        assert_eq!(v, car, "{persona}: other-store vehicle");
        assert_eq!(
            outcome(&f.app, persona, "{ stores { code } }", json!({}), "stores").await,
            stores,
            "{persona}: stores"
        );
        let a = outcome(&f.app, persona, "{ auditLog(first: 5) { edges { node { action } } } }", json!({}), "auditLog")
            .await;
        assert_eq!(a, audit, "{persona}: audit log");
    }
}

#[tokio::test]
async fn nested_records_follow_store_and_department() {
    let f = fixture().await;
    let vars = json!({"id": gid("Customer", f.ours)});
    let admin = f.app.data(ADMIN, CUSTOMER_360, vars.clone()).await;
    let count = |data: &Value, field: &str| data["customer"][field].as_array().map(Vec::len).unwrap_or(0);
    for field in ["repairOrders", "insurancePolicies", "vehicles"] {
        assert!(count(&admin, field) > 0, "fixture customer needs {field}");
    }
    // persona → the nested lists it may see (others must be empty).
    let table: &[(Persona, &[&str])] = &[
        (CRM, &["vehicles", "leads", "deliveries", "repairOrders", "insurancePolicies", "partsOrders"]),
        (MANAGER_1, &["vehicles", "leads", "deliveries", "repairOrders", "insurancePolicies", "partsOrders"]),
        (SALES_1, &["vehicles", "leads", "deliveries"]),
        (SERVICE_1, &["vehicles", "repairOrders"]),
        (INSURANCE_1, &["vehicles", "insurancePolicies"]),
        (PARTS_1, &["vehicles", "partsOrders"]),
    ];
    for (persona, visible) in table {
        let data = f.app.data(*persona, CUSTOMER_360, vars.clone()).await;
        for field in ["vehicles", "leads", "deliveries", "repairOrders", "insurancePolicies", "partsOrders"] {
            let expected = if visible.contains(&field) { count(&admin, field) } else { 0 };
            assert_eq!(count(&data, field), expected, "{persona}: {field}");
        }
        // Personal data is masked for everyone in queries, and absent (null) for roles
        // without personal-data access.
        if *persona == PARTS_1 {
            for field in ["phones", "contactPoints", "idNumber", "address", "birthday"] {
                assert!(data["customer"][field].is_null(), "{persona}: {field} must be null");
            }
            continue;
        }
        let phone = data["customer"]["phones"][0]["number"].as_str().expect("phone");
        assert!(phone.contains("****"), "{persona}: {phone}");
        if let Some(id) = data["customer"]["idNumber"].as_str() {
            assert!(id.contains("********"), "{persona}: {id}");
        }
        if let Some(birthday) = data["customer"]["birthday"].as_str() {
            assert!(birthday.ends_with("-**-**"), "{persona}: {birthday}");
        }
    }
}

#[tokio::test]
async fn a_store_sees_only_its_own_repair_orders_of_a_shared_customer() {
    let app = TestApp::with_customers(300).await;
    // A customer served by two stores.
    let orders = repair_order::Entity::find().all(&app.db).await.expect("orders");
    let mut by_customer: std::collections::HashMap<i32, BTreeSet<i32>> = Default::default();
    for o in &orders {
        by_customer.entry(o.customer_id).or_default().insert(o.store_id);
    }
    let (customer, stores) =
        by_customer.into_iter().find(|(_, s)| s.len() > 1).expect("a customer served by two stores");
    for store in stores {
        let persona = Persona::Service(store_number(store));
        let data = app
            .data(
                persona,
                "query($id: ID!) { customer(id: $id) { repairOrders { id store { id } } } }",
                json!({"id": gid("Customer", customer)}),
            )
            .await;
        let seen: Vec<&Value> = data["customer"]["repairOrders"].as_array().expect("list").iter().collect();
        let expected = orders.iter().filter(|o| o.customer_id == customer && o.store_id == store).count();
        assert_eq!(seen.len(), expected, "{persona}");
        let store_id = gid("Store", store);
        assert!(seen.iter().all(|o| o["store"]["id"].as_str() == Some(store_id.as_str())), "{persona}: {seen:?}");
    }
}

#[tokio::test]
async fn another_stores_customer_is_unreachable_by_every_path() {
    let f = fixture().await;
    let persona = SALES_1;
    // By phone.
    let by_phone = f
        .app
        .data(persona, "query($p: String!) { customerByPhone(phone: $p) { id } }", json!({"p": f.theirs_phone}))
        .await;
    assert!(by_phone["customerByPhone"].is_null());
    // Through the connection: every customer listed has a relationship with store 1.
    let mut after: Option<String> = None;
    let mut listed = HashSet::new();
    loop {
        let data = f
            .app
            .data(persona, "query($a: String) { customers(first: 100, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } }", json!({"a": after}))
            .await;
        for edge in data["customers"]["edges"].as_array().expect("edges") {
            listed.insert(row_id("Customer", &edge["node"]["id"]));
        }
        if !data["customers"]["pageInfo"]["hasNextPage"].as_bool().expect("bool") {
            break;
        }
        after = data["customers"]["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    let store_customers: HashSet<i32> = customer_store::Entity::find()
        .filter(customer_store::Column::StoreId.eq(1))
        .all(&f.app.db)
        .await
        .expect("q")
        .into_iter()
        .map(|r| r.customer_id)
        .collect();
    assert_eq!(listed, store_customers);
    assert!(!listed.contains(&f.theirs));
    // Through a nested edge: the other store's vehicle does not lead to its owner.
    let through_vehicle = f
        .app
        .data(
            persona,
            "query($v: String!) { vehicle(vin: $v) { ownershipHistory { customer { id } } } }",
            json!({"v": f.theirs_vin}),
        )
        .await;
    assert!(through_vehicle["vehicle"].is_null());
    // Through mutations: the same NOT_FOUND as for an id that does not exist.
    let mut messages = Vec::new();
    for id in [gid("Customer", f.theirs), gid("Customer", 99_999_999)] {
        let reveal = f
            .app
            .run(
                Some(persona),
                "mutation($id: ID!) { revealCustomer(id: $id, purpose: \"call back\") { phones } }",
                json!({"id": id}),
            )
            .await;
        assert_eq!(error_codes(&reveal), ["NOT_FOUND"], "reveal {id}");
        let update = f
            .app
            .run(Some(persona), "mutation($id: ID!) { updateCustomerProfile(id: $id, input: { expectedVersion: 1, notes: \"x\" }) { id } }", json!({"id": id}))
            .await;
        assert_eq!(error_codes(&update), ["NOT_FOUND"], "update {id}");
        let lead = f
            .app
            .run(
                Some(persona),
                "mutation($id: ID!) { createLead(input: { customerId: $id, grade: A }) { id } }",
                json!({"id": id}),
            )
            .await;
        assert_eq!(error_codes(&lead), ["NOT_FOUND"], "lead {id}");
        messages.push((
            reveal.errors[0].message.clone(),
            update.errors[0].message.clone(),
            lead.errors[0].message.clone(),
        ));
    }
    assert_eq!(messages[0], messages[1], "out of scope must read exactly like nonexistent");
    let untouched = customer::Entity::find_by_id(f.theirs).one(&f.app.db).await.expect("q").expect("customer");
    assert_eq!(untouched.version, 1);
    assert_eq!(
        audit_log::Entity::find().filter(audit_log::Column::Action.eq("REVEAL")).all(&f.app.db).await.expect("q").len(),
        0
    );
}

#[tokio::test]
async fn source_records_follow_the_store_too() {
    let app = TestApp::with_customers(300).await;
    // A customer of store 1 who is also known to store 2's service system.
    use sea_orm::{ActiveModelTrait, Set};
    let sources = entity::source_record::Entity::find().all(&app.db).await.expect("q");
    let home = sources.iter().find(|s| s.store_id == 1).expect("a store-1 record").clone();
    let customer = home.customer_id;
    let now = chrono::Utc::now();
    let extra = entity::source_record::ActiveModel {
        system: Set(entity::enums::SourceSystem::Service),
        store_id: Set(2),
        external_id: Set("ZJ02-RO-TEST".into()),
        customer_id: Set(customer),
        payload: Set(json!({})),
        first_seen_at: Set(now),
        last_seen_at: Set(now),
        ..Default::default()
    };
    let _: entity::source_record::Model = extra.insert(&app.db).await.expect("insert");
    if customer_store::Entity::find()
        .filter(customer_store::Column::CustomerId.eq(customer))
        .filter(customer_store::Column::StoreId.eq(2))
        .one(&app.db)
        .await
        .expect("q")
        .is_none()
    {
        let rel = customer_store::ActiveModel {
            customer_id: Set(customer),
            store_id: Set(2),
            status: Set(entity::enums::RelationshipStatus::Base),
            first_contact_on: Set(now.date_naive()),
            ..Default::default()
        };
        let _: customer_store::Model = rel.insert(&app.db).await.expect("insert");
    }
    let sources = entity::source_record::Entity::find().all(&app.db).await.expect("q");
    let stores: [u8; 2] = [1, 2];
    let q = "query($id: ID!) { customer(id: $id) { sourceRecords { store { id } } } }";
    let all = app.data(CRM, q, json!({"id": gid("Customer", customer)})).await;
    assert_eq!(
        all["customer"]["sourceRecords"].as_array().expect("list").len(),
        sources.iter().filter(|s| s.customer_id == customer).count()
    );
    for store in stores {
        let persona = Persona::Manager(store);
        let data = app.data(persona, q, json!({"id": gid("Customer", customer)})).await;
        if data["customer"].is_null() {
            continue;
        }
        for r in data["customer"]["sourceRecords"].as_array().expect("list") {
            assert_eq!(r["store"]["id"], gid("Store", store.into()), "{persona}");
        }
    }
}

#[tokio::test]
async fn the_analyst_never_gets_a_name_or_a_phone() {
    let f = fixture().await;
    for query in [
        format!("{{ customer(id: \"{}\") {{ name }} }}", gid("Customer", f.ours)),
        format!("{{ customerByPhone(phone: \"{}\") {{ name phones {{ number }} }} }}", f.theirs_phone),
        "{ customers(first: 5) { edges { node { name } } } }".to_owned(),
        format!("{{ vehicle(vin: \"{}\") {{ ownershipHistory {{ customer {{ name }} }} }} }}", f.theirs_vin),
        format!(
            "mutation {{ revealCustomer(id: \"{}\", purpose: \"analysis\") {{ phones }} }}",
            gid("Customer", f.ours)
        ),
    ] {
        let response = f.app.run(Some(ANALYST), &query, json!({})).await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{query}");
        assert_eq!(response.data.into_json().expect("json"), Value::Null, "{query}");
    }
}

#[tokio::test]
async fn reveal_is_explicit_and_audited() {
    let f = fixture().await;
    let q = "mutation($id: ID!, $p: String!) { revealCustomer(id: $id, purpose: $p) { customerId phones idNumber address birthday } }";
    let vars = json!({"id": gid("Customer", f.ours), "p": "回访: 首保提醒"});
    let data = f.app.data(SERVICE_1, q, vars.clone()).await;
    let phones = data["revealCustomer"]["phones"].as_array().expect("phones");
    assert!(phones[0].as_str().expect("phone").starts_with("+86"));
    assert!(!phones[0].as_str().expect("phone").contains('*'));
    let entries =
        audit_log::Entity::find().filter(audit_log::Column::Action.eq("REVEAL")).all(&f.app.db).await.expect("q");
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.username.as_deref(), Some(SERVICE_1.username().as_str()));
    assert_eq!(entry.role.as_deref(), Some("SERVICE_ADVISOR"));
    assert_eq!(entry.store_id, Some(1));
    assert_eq!(entry.record_kind, "customer");
    assert_eq!(customer_hub::domain::audit::record_ids(entry), vec![i64::from(f.ours)]);
    assert_eq!(entry.purpose.as_deref(), Some("回访: 首保提醒"));
    assert_eq!(entry.request_id.as_deref(), Some("test-request"));
    assert_eq!(entry.client_addr.as_deref(), Some("127.0.0.1"));
    // Roles without the right, and reveals without a purpose, change nothing.
    let parts = f.app.run(Some(PARTS_1), q, vars.clone()).await;
    assert_eq!(error_codes(&parts), ["FORBIDDEN"]);
    let no_purpose = f.app.run(Some(SERVICE_1), q, json!({"id": gid("Customer", f.ours), "p": " "})).await;
    assert_eq!(error_codes(&no_purpose), ["BAD_USER_INPUT"]);
    let entries =
        audit_log::Entity::find().filter(audit_log::Column::Action.eq("REVEAL")).all(&f.app.db).await.expect("q");
    assert_eq!(entries.len(), 1);
}

#[tokio::test]
async fn profile_updates_are_locked_optimistically_and_audited() {
    let f = fixture().await;
    let q = "mutation($id: ID!, $v: Int!, $tags: [String!]) { updateCustomerProfile(id: $id, input: { expectedVersion: $v, notes: \"prefers WeChat\", tags: $tags }) { version notes tags } }";
    let data = f
        .app
        .data(SALES_1, q, json!({"id": gid("Customer", f.ours), "v": 1, "tags": ["家庭用车", " VIP ", "VIP"]}))
        .await;
    assert_eq!(data["updateCustomerProfile"]["version"], 2);
    assert_eq!(data["updateCustomerProfile"]["tags"], json!(["VIP", "家庭用车"]));
    let stale = f.app.run(Some(SALES_1), q, json!({"id": gid("Customer", f.ours), "v": 1, "tags": []})).await;
    assert_eq!(error_codes(&stale), ["CONFLICT"]);
    let row = customer::Entity::find_by_id(f.ours).one(&f.app.db).await.expect("q").expect("customer");
    assert_eq!(row.version, 2);
    let entries = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("UPDATE_CUSTOMER"))
        .all(&f.app.db)
        .await
        .expect("q");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].fields, json!(["tags", "notes"]));
    // Insurance specialists read customers but may not change them.
    let denied = f.app.run(Some(INSURANCE_1), q, json!({"id": gid("Customer", f.ours), "v": 2, "tags": []})).await;
    assert_eq!(error_codes(&denied), ["FORBIDDEN"]);
}

#[tokio::test]
async fn leads_take_store_from_the_token_and_reach_a_partner_only_through_an_accepted_offer() {
    let f = fixture().await;
    let create = "mutation($id: ID!) { createLead(input: { customerId: $id, grade: H, intendedModel: \"途观L\", budget: \"215800.00\" }) { id grade status budget store { code } owner { username } } }";
    let lead = f.app.data(MANAGER_1, create, json!({"id": gid("Customer", f.ours)})).await;
    assert_eq!(lead["createLead"]["store"]["code"], "ZJ01");
    assert!(lead["createLead"]["owner"].is_null(), "reception's lead waits in the pool");
    assert_eq!(lead["createLead"]["budget"], "215800.00");
    let lead_id = lead["createLead"]["id"].as_str().expect("id").to_owned();

    // A sales consultant may only work their own leads; this one is the manager's
    // (created by reception for nobody: in the pool, so: claim it first).
    let update = "mutation($id: ID!) { defeatLead(leadId: $id, reason: OTHER_BRAND) { status defeatReason } }";
    let not_own = f.app.run(Some(SALES_1), update, json!({"id": lead_id})).await;
    assert_eq!(error_codes(&not_own), ["LEAD_IN_POOL"]);

    // The partner sees nothing until it accepted an offer of the lead, then its own
    // lead and the customer; offering needs the customer's consent naming the partner.
    let partner_view = "query($id: ID!) { customer(id: $id) { id name phones { number } leads { id store { code } } vehicles { vin } repairOrders { id } } }";
    let before = f.app.data(PARTNER, partner_view, json!({"id": gid("Customer", f.ours)})).await;
    assert!(before["customer"].is_null());
    let offer = "mutation($id: ID!, $to: String!) { offerLead(leadId: $id, storeCode: $to) { id status preview { customerName } } }";
    let own_store = f.app.run(Some(MANAGER_1), offer, json!({"id": lead_id, "to": "ZJ01"})).await;
    assert_eq!(error_codes(&own_store), ["BAD_USER_INPUT"]);
    let unknown = f.app.run(Some(MANAGER_1), offer, json!({"id": lead_id, "to": "XX99"})).await;
    assert_eq!(error_codes(&unknown), ["BAD_USER_INPUT"]);
    let no_consent = f.app.run(Some(MANAGER_1), offer, json!({"id": lead_id, "to": "PT01"})).await;
    assert_eq!(error_codes(&no_consent), ["CONSENT_REQUIRED"]);
    let consent = "mutation($c: ID!, $to: String) { recordConsent(input: { customerId: $c, recipientStoreCode: $to, givenOn: \"2026-01-05\", channel: \"paper\", evidence: \"ZJ01-2026-0001\" }) { id channel } }";
    // A group-wide consent does not reach a partner store.
    f.app.data(MANAGER_1, consent, json!({"c": gid("Customer", f.ours), "to": null})).await;
    let still_none = f.app.run(Some(MANAGER_1), offer, json!({"id": lead_id, "to": "PT01"})).await;
    assert_eq!(error_codes(&still_none), ["CONSENT_REQUIRED"]);
    f.app.data(MANAGER_1, consent, json!({"c": gid("Customer", f.ours), "to": "PT01"})).await;
    let offered = f.app.data(MANAGER_1, offer, json!({"id": lead_id, "to": "PT01"})).await;
    let offer_id = offered["offerLead"]["id"].as_str().expect("offer id").to_owned();
    let inbox = "{ leadOffers(direction: INBOX) { id status preview { customerName customerPhone } lead { id } } }";
    let waiting = f.app.data(PARTNER, inbox, json!({})).await;
    assert_eq!(waiting["leadOffers"][0]["id"], offer_id.as_str());
    let masked = waiting["leadOffers"][0]["preview"]["customerName"].as_str().expect("name");
    assert!(masked.ends_with('*'), "masked until accepted: {masked}");
    assert!(waiting["leadOffers"][0]["lead"].is_null(), "the origin's lead stays the origin's");
    let still_hidden = f.app.data(PARTNER, partner_view, json!({"id": gid("Customer", f.ours)})).await;
    assert!(still_hidden["customer"].is_null());
    let accept = "mutation($id: ID!) { acceptOffer(id: $id) { offer { status } lead { id store { code } owner { username } } } }";
    let accepted = f.app.data(PARTNER, accept, json!({"id": offer_id})).await;
    assert_eq!(accepted["acceptOffer"]["offer"]["status"], "ACCEPTED");
    assert_eq!(accepted["acceptOffer"]["lead"]["store"]["code"], "PT01");
    let partner_lead = accepted["acceptOffer"]["lead"]["id"].as_str().expect("lead").to_owned();
    let after = f.app.data(PARTNER, partner_view, json!({"id": gid("Customer", f.ours)})).await;
    assert_eq!(after["customer"]["id"], gid("Customer", f.ours));
    assert_eq!(after["customer"]["leads"], json!([{"id": partner_lead, "store": {"code": "PT01"}}]));
    assert_eq!(after["customer"]["vehicles"], json!([]));
    assert_eq!(after["customer"]["repairOrders"], json!([]));
    let partner_update = f.app.data(PARTNER, update, json!({"id": partner_lead})).await;
    assert_eq!(partner_update["defeatLead"]["status"], "DEFEATED");
    let reoffer = f.app.run(Some(PARTNER), offer, json!({"id": partner_lead, "to": "ZJ01"})).await;
    assert_eq!(error_codes(&reoffer), ["FORBIDDEN"]);
    // The origin follows what became of it, read-only.
    let outbox = "{ leadOffers(direction: OUTBOX) { status progress { status } acceptedLead { id } } }";
    let origin = f.app.data(MANAGER_1, outbox, json!({})).await;
    assert_eq!(origin["leadOffers"][0]["progress"]["status"], "DEFEATED");
    assert!(origin["leadOffers"][0]["acceptedLead"].is_null());
    let actions: Vec<String> = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(&f.app.db)
        .await
        .expect("q")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        ["CREATE_LEAD", "RECORD_CONSENT", "RECORD_CONSENT", "OFFER_LEAD", "ACCEPT_OFFER", "DEFEAT_LEAD"]
    );
}

#[tokio::test]
async fn the_audit_log_is_append_only_and_queryable_by_the_admin() {
    let f = fixture().await;
    let reveal = "mutation($id: ID!) { revealCustomer(id: $id, purpose: \"renewal call\") { customerId } }";
    for _ in 0..3 {
        f.app.data(INSURANCE_1, reveal, json!({"id": gid("Customer", f.ours)})).await;
    }
    for sql in ["UPDATE audit_log SET action = 'X'", "DELETE FROM audit_log"] {
        assert!(f.app.db.execute_unprepared(sql).await.is_err(), "{sql} must be refused");
    }
    let q = "query($a: String) { auditLog(first: 2, after: $a, filter: { action: \"REVEAL\", recordId: \"%ID%\" }) { edges { node { action username purpose recordIds } } pageInfo { hasNextPage endCursor } } }"
        .replace("%ID%", &gid("Customer", f.ours));
    let page1 = f.app.data(ADMIN, &q, json!({})).await;
    assert_eq!(page1["auditLog"]["edges"].as_array().expect("edges").len(), 2);
    assert_eq!(page1["auditLog"]["edges"][0]["node"]["username"], INSURANCE_1.username());
    assert_eq!(page1["auditLog"]["edges"][0]["node"]["recordIds"], json!([gid("Customer", f.ours)]));
    let page2 = f.app.data(ADMIN, &q, json!({"a": page1["auditLog"]["pageInfo"]["endCursor"]})).await;
    assert_eq!(page2["auditLog"]["edges"].as_array().expect("edges").len(), 1);
    assert_eq!(page2["auditLog"]["pageInfo"]["hasNextPage"], false);
}

#[test]
fn readme_shows_the_permission_matrix_of_the_code() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let start = readme.find("<!-- permission-matrix:start -->").expect("start marker")
        + "<!-- permission-matrix:start -->".len();
    let end = readme.find("<!-- permission-matrix:end -->").expect("end marker");
    let table = customer_hub::domain::access::markdown_table();
    assert_eq!(
        readme[start..end].trim(),
        table.trim(),
        "README.md's permission matrix differs from src/domain/access.rs"
    );
}
