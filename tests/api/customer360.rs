//! Customer 360: lookups as people type, connections with filters, the timeline, and a
//! fixed number of SQL statements per page whatever its size.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use customer_hub::domain::Scope;
use entity::enums::{ContactKind, LeadStatus};
use entity::{
    contact_point, customer, customer_store, customer_tag, insurance_policy, lead, repair_order, vehicle,
    vehicle_ownership,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::common::{ADMIN, PARTS_1, Persona, SALES_1, SERVICE_1, TestApp, error_codes, gid, row_id, store_number};

/// A customer holding a plated vehicle and a national ID, with phone, plate, VIN and ID.
async fn identified_customer(app: &TestApp) -> (i32, String, String, String, String, String) {
    for own in
        vehicle_ownership::Entity::find().order_by_asc(vehicle_ownership::Column::Id).all(&app.db).await.expect("q")
    {
        let c = customer::Entity::find_by_id(own.customer_id).one(&app.db).await.expect("q").expect("customer");
        let Some(id_number) = c.id_number.clone() else { continue };
        let v = vehicle::Entity::find_by_id(own.vehicle_id).one(&app.db).await.expect("q").expect("vehicle");
        let phone = contact_point::Entity::find()
            .filter(contact_point::Column::CustomerId.eq(c.id))
            .filter(contact_point::Column::Kind.eq(ContactKind::Phone))
            .one(&app.db)
            .await
            .expect("q")
            .expect("phone")
            .value;
        return (c.id, c.name, phone, v.plate.expect("plate"), v.vin, id_number);
    }
    panic!("no identified customer in the demo");
}

#[tokio::test]
async fn every_lookup_form_finds_the_same_customer() {
    let app = TestApp::new().await;
    let (id, name, phone, plate, vin, id_number) = identified_customer(&app).await;
    let id = gid("Customer", id);
    let bare_plate = plate.replace('·', "");
    let phone_forms = [
        phone.clone(),
        format!("{}-{}-{}", &phone[..3], &phone[3..7], &phone[7..]),
        format!("+86 {} {} {}", &phone[..3], &phone[3..7], &phone[7..]),
        format!("0086{phone}"),
    ];
    let plate_forms = [
        plate.clone(),
        bare_plate.to_lowercase(),
        format!("{} {}", &bare_plate[..4], &bare_plate[4..]),
        bare_plate.clone(),
    ];
    let vin_forms = [vin.clone(), vin.to_lowercase()];
    let id_forms = [id_number.clone(), id_number.to_lowercase()];
    let search =
        "query($t: String!) { search(text: $t, first: 10) { edges { node { matchedBy rank customer { id } } } } }";
    let expect_first = |data: &Value, by: &str, form: &str| {
        let first = &data["search"]["edges"][0]["node"];
        assert_eq!(first["customer"]["id"], id, "search `{form}`");
        assert_eq!(first["matchedBy"], by, "search `{form}`");
        assert_eq!(first["rank"], 0, "search `{form}`");
    };
    for form in &phone_forms {
        expect_first(&app.data(ADMIN, search, json!({"t": form})).await, "PHONE", form);
        let data =
            app.data(ADMIN, "query($p: String!) { customerByPhone(phone: $p) { id } }", json!({"p": form})).await;
        assert_eq!(data["customerByPhone"]["id"], id, "{form}");
    }
    for form in &plate_forms {
        expect_first(&app.data(ADMIN, search, json!({"t": form})).await, "PLATE", form);
        let data = app
            .data(
                ADMIN,
                "query($p: String!) { vehicleByPlate(plate: $p) { vin ownershipHistory { customer { id } } } }",
                json!({"p": form}),
            )
            .await;
        assert_eq!(data["vehicleByPlate"]["vin"], vin, "{form}");
    }
    for form in &vin_forms {
        expect_first(&app.data(ADMIN, search, json!({"t": form})).await, "VIN", form);
        let data = app.data(ADMIN, "query($v: String!) { vehicle(vin: $v) { vin } }", json!({"v": form})).await;
        assert_eq!(data["vehicle"]["vin"], vin, "{form}");
    }
    for form in &id_forms {
        expect_first(&app.data(ADMIN, search, json!({"t": form})).await, "ID_NUMBER", form);
        let data =
            app.data(ADMIN, "query($n: String!) { customerByIdNumber(idNumber: $n) { id } }", json!({"n": form})).await;
        assert_eq!(data["customerByIdNumber"]["id"], id, "{form}");
    }
    // A name fragment finds them too, the exact name ranking above fragments.
    let data = app.data(ADMIN, "query($t: String!) { search(text: $t, first: 100) { edges { node { rank matchedBy customer { id name } } } } }", json!({"t": name})).await;
    let hits = data["search"]["edges"].as_array().expect("edges");
    assert!(hits.iter().any(|h| h["node"]["customer"]["id"] == id), "{name}");
    let ranks: Vec<i64> = hits.iter().map(|h| h["node"]["rank"].as_i64().expect("rank")).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "ranked: {ranks:?}");
    let surname: String = name.chars().take(1).collect();
    let data = app
        .data(
            ADMIN,
            "query($t: String!) { search(text: $t, first: 100) { edges { node { rank customer { id name } } } } }",
            json!({"t": surname}),
        )
        .await;
    for hit in data["search"]["edges"].as_array().expect("edges") {
        assert!(hit["node"]["customer"]["name"].as_str().expect("name").contains(&surname));
    }
}

#[tokio::test]
async fn search_pages_through_ranked_hits_exactly_once_and_stays_in_scope() {
    let app = TestApp::with_customers(150).await;
    let q = "query($t: String!, $a: String) { search(text: $t, first: 7, after: $a) { edges { node { customer { id } } } pageInfo { hasNextPage endCursor } } }";
    // A frequent surname fragment: "王" or whatever the first customer's is.
    let first = customer::Entity::find().one(&app.db).await.expect("q").expect("customer");
    let fragment: String = first.name.chars().take(1).collect();
    let expected_all: BTreeSet<String> = customer::Entity::find()
        .all(&app.db)
        .await
        .expect("q")
        .into_iter()
        .filter(|c| c.name.contains(&fragment))
        .map(|c| gid("Customer", c.id))
        .collect();
    for persona in [ADMIN, Persona::Sales(2)] {
        let visible: HashSet<String> = if persona == ADMIN {
            expected_all.iter().cloned().collect()
        } else {
            customer_store::Entity::find()
                .filter(customer_store::Column::StoreId.eq(2))
                .all(&app.db)
                .await
                .expect("q")
                .into_iter()
                .map(|r| gid("Customer", r.customer_id))
                .filter(|id| expected_all.contains(id))
                .collect()
        };
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let data = app.data(persona, q, json!({"t": fragment, "a": after})).await;
            for edge in data["search"]["edges"].as_array().expect("edges") {
                seen.push(edge["node"]["customer"]["id"].as_str().expect("id").to_owned());
            }
            if !data["search"]["pageInfo"]["hasNextPage"].as_bool().expect("bool") {
                break;
            }
            after = data["search"]["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
        let unique: HashSet<String> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "{persona}: duplicates in {seen:?}");
        assert_eq!(unique, visible, "{persona}");
    }
    let empty = app.run(Some(ADMIN), "{ search(text: \"  \") { edges { cursor } } }", json!({})).await;
    assert_eq!(error_codes(&empty), ["BAD_USER_INPUT"]);
    let wildcard = app.data(ADMIN, "{ search(text: \"%\") { edges { cursor } } }", json!({})).await;
    assert_eq!(wildcard["search"]["edges"], json!([]), "LIKE wildcards in the text are matched literally");
}

const STORE_PAGE: &str = "query($f: CustomerFilter, $s: CustomerSort, $d: Boolean, $first: Int, $after: String, $last: Int, $before: String) { customers(filter: $f, sort: $s, descending: $d, first: $first, after: $after, last: $last, before: $before) { edges { cursor node { id name createdAt } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

async fn ids(app: &TestApp, persona: Persona, vars: Value) -> (Vec<String>, Value) {
    let data = app.data(persona, STORE_PAGE, vars).await;
    let conn = data["customers"].clone();
    let ids = conn["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
        .collect();
    (ids, conn["pageInfo"].clone())
}

#[tokio::test]
async fn paging_a_stores_customers_forward_and_backward_in_every_sort() {
    let app = TestApp::with_customers(120).await;
    let store_customers: BTreeSet<String> = customer_store::Entity::find()
        .filter(customer_store::Column::StoreId.eq(3))
        .all(&app.db)
        .await
        .expect("q")
        .into_iter()
        .map(|r| gid("Customer", r.customer_id))
        .collect();
    for (sort, descending) in
        [("ID", false), ("NAME", false), ("NAME", true), ("CREATED_AT", true), ("UPDATED_AT", false)]
    {
        let filter = json!({"storeId": gid("Store", 3)});
        let mut forward = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let (page, info) =
                ids(&app, ADMIN, json!({"f": filter, "s": sort, "d": descending, "first": 6, "after": after})).await;
            forward.extend(page);
            if !info["hasNextPage"].as_bool().expect("bool") {
                break;
            }
            after = info["endCursor"].as_str().map(str::to_owned);
        }
        let unique: BTreeSet<String> = forward.iter().cloned().collect();
        assert_eq!(unique.len(), forward.len(), "{sort}: each exactly once");
        assert_eq!(unique, store_customers, "{sort}");
        // Backward from the end gives the same order reversed.
        let mut backward = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let (mut page, info) =
                ids(&app, ADMIN, json!({"f": filter, "s": sort, "d": descending, "last": 5, "before": before})).await;
            page.reverse();
            backward.extend(page);
            if !info["hasPreviousPage"].as_bool().expect("bool") {
                break;
            }
            before = info["startCursor"].as_str().map(str::to_owned);
        }
        backward.reverse();
        assert_eq!(backward, forward, "{sort} desc={descending}: backward paging");
    }
    // The store's own staff page through the same set.
    let mut seen = BTreeSet::new();
    let mut after: Option<String> = None;
    loop {
        let (page, info) = ids(&app, Persona::Service(3), json!({"first": 100, "after": after})).await;
        seen.extend(page);
        if !info["hasNextPage"].as_bool().expect("bool") {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, store_customers);
    // A cursor of one sort is refused by another; both first and last are refused.
    let (_, info) = ids(&app, ADMIN, json!({"s": "NAME", "first": 2})).await;
    let mixed = app.run(Some(ADMIN), STORE_PAGE, json!({"s": "ID", "first": 2, "after": info["endCursor"]})).await;
    assert_eq!(error_codes(&mixed), ["BAD_USER_INPUT"]);
    let both = app.run(Some(ADMIN), STORE_PAGE, json!({"first": 2, "last": 2})).await;
    assert_eq!(error_codes(&both), ["BAD_USER_INPUT"]);
}

/// All customer ids a filter returns to the admin.
async fn filtered(app: &TestApp, filter: Value) -> BTreeSet<i32> {
    let mut all = BTreeSet::new();
    let mut after: Option<String> = None;
    loop {
        let (page, info) = ids(app, ADMIN, json!({"f": filter, "first": 100, "after": after})).await;
        all.extend(page.into_iter().map(|id| row_id("Customer", &json!(id))));
        if !info["hasNextPage"].as_bool().expect("bool") {
            return all;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
}

#[tokio::test]
async fn customer_filters_select_exactly_the_matching_customers() {
    let app = TestApp::with_customers(150).await;
    let db = &app.db;
    let customers = customer::Entity::find().all(db).await.expect("q");
    let rels = customer_store::Entity::find().all(db).await.expect("q");
    let leads = lead::Entity::find().all(db).await.expect("q");
    let orders = repair_order::Entity::find().all(db).await.expect("q");
    let policies = insurance_policy::Entity::find().all(db).await.expect("q");
    let tags = customer_tag::Entity::find().all(db).await.expect("q");
    let owns = vehicle_ownership::Entity::find().all(db).await.expect("q");
    let cars = vehicle::Entity::find().all(db).await.expect("q");

    let base: BTreeSet<i32> = rels
        .iter()
        .filter(|r| r.status == entity::enums::RelationshipStatus::Base && r.store_id == 1)
        .map(|r| r.customer_id)
        .collect();
    assert_eq!(filtered(&app, json!({"storeId": gid("Store", 1), "relationshipStatus": "BASE"})).await, base);

    let grade_a: BTreeSet<i32> = leads
        .iter()
        .filter(|l| l.grade == entity::enums::LeadGrade::A && l.status == LeadStatus::Open)
        .map(|l| l.customer_id)
        .collect();
    assert!(!grade_a.is_empty());
    assert_eq!(filtered(&app, json!({"leadGrade": "A"})).await, grade_a);

    let vip: BTreeSet<i32> =
        customers.iter().filter(|c| c.lifecycle_stage == entity::enums::LifecycleStage::Vip).map(|c| c.id).collect();
    assert_eq!(filtered(&app, json!({"lifecycleStage": "VIP"})).await, vip);

    let tag = tags.first().expect("a tag").tag.clone();
    let tagged: BTreeSet<i32> = tags.iter().filter(|t| t.tag == tag).map(|t| t.customer_id).collect();
    assert_eq!(filtered(&app, json!({"tags": [tag]})).await, tagged);

    let manager = rels.iter().find_map(|r| r.manager_id).expect("a manager");
    let managed: BTreeSet<i32> = rels.iter().filter(|r| r.manager_id == Some(manager)).map(|r| r.customer_id).collect();
    assert_eq!(filtered(&app, json!({"managerId": gid("Staff", manager)})).await, managed);

    let model = cars.first().expect("a car").model.clone();
    let holders: BTreeSet<i32> = owns
        .iter()
        .filter(|o| o.to_date.is_none() && cars.iter().any(|c| c.id == o.vehicle_id && c.model == model))
        .map(|o| o.customer_id)
        .collect();
    assert_eq!(filtered(&app, json!({"vehicleModel": model})).await, holders);

    // Churn list: latest service more than a year before the demo's "today".
    let cutoff = Utc
        .from_utc_datetime(&NaiveDate::from_ymd_opt(2025, 11, 20).expect("date").and_hms_opt(0, 0, 0).expect("time"));
    let mut latest: std::collections::HashMap<i32, chrono::DateTime<Utc>> = Default::default();
    for o in &orders {
        let e = latest.entry(o.customer_id).or_insert(o.opened_at);
        *e = (*e).max(o.opened_at);
    }
    let churned: BTreeSet<i32> = latest.iter().filter(|(_, at)| **at < cutoff).map(|(id, _)| *id).collect();
    assert!(!churned.is_empty(), "the demo has lost customers");
    assert_eq!(filtered(&app, json!({"lastServiceBefore": cutoff.to_rfc3339()})).await, churned);
    let recent: BTreeSet<i32> = latest.iter().filter(|(_, at)| **at >= cutoff).map(|(id, _)| *id).collect();
    assert_eq!(filtered(&app, json!({"lastServiceAfter": cutoff.to_rfc3339()})).await, recent);

    // Renewal list: policies ending within the next 60 days.
    let (from, to) =
        (NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"), NaiveDate::from_ymd_opt(2027, 1, 19).expect("date"));
    let renewals: BTreeSet<i32> =
        policies.iter().filter(|p| p.ends_on >= from && p.ends_on <= to).map(|p| p.customer_id).collect();
    assert!(!renewals.is_empty());
    assert_eq!(
        filtered(&app, json!({"insuranceEndsFrom": from.to_string(), "insuranceEndsTo": to.to_string()})).await,
        renewals
    );

    let created_from = customers.iter().map(|c| c.created_at).min().expect("min") + Duration::days(365);
    let created: BTreeSet<i32> = customers.iter().filter(|c| c.created_at >= created_from).map(|c| c.id).collect();
    assert_eq!(filtered(&app, json!({"createdFrom": created_from.to_rfc3339()})).await, created);

    // Filters combine.
    let both: BTreeSet<i32> = base.intersection(&churned).copied().collect();
    assert_eq!(
        filtered(
            &app,
            json!({"storeId": gid("Store", 1), "relationshipStatus": "BASE", "lastServiceBefore": cutoff.to_rfc3339()})
        )
        .await,
        both
    );
}

#[tokio::test]
async fn record_filters_only_see_records_in_scope() {
    let app = TestApp::with_customers(150).await;
    // A store's parts clerk filtering by lead grade sees nobody: leads are not theirs.
    let data = app.data(PARTS_1, STORE_PAGE, json!({"f": {"leadGrade": "A"}, "first": 100})).await;
    assert_eq!(data["customers"]["edges"], json!([]));
    let data =
        app.data(SALES_1, STORE_PAGE, json!({"f": {"lastServiceBefore": "2030-01-01T00:00:00Z"}, "first": 100})).await;
    assert_eq!(
        data["customers"]["edges"],
        json!([]),
        "sales consultants cannot filter by service history they cannot read"
    );
    let data = app
        .data(SERVICE_1, STORE_PAGE, json!({"f": {"lastServiceBefore": "2030-01-01T00:00:00Z"}, "first": 100}))
        .await;
    assert!(!data["customers"]["edges"].as_array().expect("edges").is_empty());
}

#[tokio::test]
async fn record_connections_page_within_scope() {
    let app = TestApp::with_customers(120).await;
    let q = "query($a: String) { repairOrders(first: 25, after: $a) { edges { node { id openedAt store { id } } } pageInfo { hasNextPage endCursor } } }";
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app.data(Persona::Service(2), q, json!({"a": after})).await;
        for e in data["repairOrders"]["edges"].as_array().expect("edges") {
            assert_eq!(e["node"]["store"]["id"], gid("Store", 2));
            seen.push((
                e["node"]["openedAt"].as_str().expect("at").to_owned(),
                e["node"]["id"].as_str().expect("id").to_owned(),
            ));
        }
        if !data["repairOrders"]["pageInfo"]["hasNextPage"].as_bool().expect("bool") {
            break;
        }
        after = data["repairOrders"]["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    let expected =
        repair_order::Entity::find().filter(repair_order::Column::StoreId.eq(2)).all(&app.db).await.expect("q").len();
    assert_eq!(seen.len(), expected);
    assert!(seen.windows(2).all(|w| w[0].0 >= w[1].0), "newest first");
    let denied = app.run(Some(Persona::Sales(2)), q, json!({})).await;
    assert_eq!(error_codes(&denied), ["FORBIDDEN"]);
    let leads = app
        .data(
            Persona::Sales(2),
            "{ leads(first: 100, filter: { status: OPEN }) { edges { node { status store { id } } } } }",
            json!({}),
        )
        .await;
    for e in leads["leads"]["edges"].as_array().expect("edges") {
        assert_eq!(e["node"]["status"], "OPEN");
        assert_eq!(e["node"]["store"]["id"], gid("Store", 2));
    }
    let renewals = app
        .data(
            Persona::Insurance(2),
            "{ insurancePolicies(first: 10, filter: { endsFrom: \"2026-11-20\" }) { edges { node { endsOn } } } }",
            json!({}),
        )
        .await;
    let ends: Vec<&str> = renewals["insurancePolicies"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["endsOn"].as_str().expect("date"))
        .collect();
    assert!(ends.windows(2).all(|w| w[0] <= w[1]), "soonest first: {ends:?}");
    assert!(ends.iter().all(|d| *d >= "2026-11-20"));
    let cars = app.data(Persona::Sales(2), "{ vehicles(first: 100) { edges { node { vin } } } }", json!({})).await;
    assert!(!cars["vehicles"]["edges"].as_array().expect("edges").is_empty());
}

#[tokio::test]
async fn the_timeline_merges_every_department_newest_first() {
    let app = TestApp::with_customers(80).await;
    // A customer with a delivery, service and insurance.
    let order = repair_order::Entity::find().one(&app.db).await.expect("q").expect("order");
    let q = "query($id: ID!, $a: String) { customer(id: $id) { timeline(first: 4, after: $a) { edges { node { at kind department store { code } summary repairOrder { id } delivery { id } } } pageInfo { hasNextPage endCursor } } } }";
    let mut entries = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app.data(ADMIN, q, json!({"id": gid("Customer", order.customer_id), "a": after})).await;
        let tl = &data["customer"]["timeline"];
        entries.extend(tl["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()));
        if !tl["pageInfo"]["hasNextPage"].as_bool().expect("bool") {
            break;
        }
        after = tl["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    let kinds: BTreeSet<&str> = entries.iter().map(|e| e["kind"].as_str().expect("kind")).collect();
    assert!(
        kinds.contains("REPAIR_ORDER") && kinds.contains("DELIVERY") && kinds.contains("INSURANCE_POLICY"),
        "{kinds:?}"
    );
    let ats: Vec<&str> = entries.iter().map(|e| e["at"].as_str().expect("at")).collect();
    assert!(ats.windows(2).all(|w| w[0] >= w[1]), "newest first: {ats:?}");
    for e in &entries {
        let department = e["department"].as_str().expect("department");
        let expected = match e["kind"].as_str().expect("kind") {
            "REPAIR_ORDER" => "SERVICE",
            "INSURANCE_POLICY" => "INSURANCE",
            "PARTS_ORDER" => "PARTS",
            // Care work, complaints and surveys carry their own department.
            "CARE_TASK" | "COMPLAINT" | "SURVEY" => department,
            _ => "SALES",
        };
        assert_eq!(department, expected);
        assert!(e["store"]["code"].is_string());
    }
    // The service advisor's timeline holds only what they may read.
    let store = order.store_id;
    let persona = Persona::Service(store_number(store));
    let data = app.data(persona, q, json!({"id": gid("Customer", order.customer_id)})).await;
    if !data["customer"].is_null() {
        // Repair orders, and the care work, complaints and surveys of the store: never
        // another department's records.
        for e in data["customer"]["timeline"]["edges"].as_array().expect("edges") {
            let kind = e["node"]["kind"].as_str().expect("kind");
            assert!(["REPAIR_ORDER", "CARE_TASK", "COMPLAINT", "SURVEY"].contains(&kind), "{kind}");
        }
    }
}

/// A schema whose database connection counts the statements it runs.
fn counting(app: &TestApp) -> (customer_hub::graphql::HubSchema, sea_orm::DatabaseConnection, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let mut db = app.db.clone();
    let counter = count.clone();
    db.set_metric_callback(move |info| {
        counter.fetch_add(1, Ordering::SeqCst);
        if std::env::var("SHOW_SQL").is_ok() {
            eprintln!("SQL {}", info.statement.sql.chars().take(110).collect::<String>());
        }
    });
    let schema = customer_hub::graphql::build_schema(db.clone(), app.keys.clone(), &Default::default());
    (schema, db, count)
}

#[tokio::test]
async fn a_page_costs_the_same_number_of_statements_whatever_its_size() {
    let app = TestApp::with_customers(150).await;
    let (schema, db, count) = counting(&app);
    let actor = app.actor(ADMIN).await;
    let q = "query($n: Int!) { customers(first: $n) { edges { node { id name phones { number } vehicles { vin plate brand model } latestRepairOrder { openedAt store { code } advisor { username } } leads(status: OPEN) { grade owner { username } } stores { store { code } manager { username } } } } } }";
    let mut costs = Vec::new();
    for n in [5, 30, 100] {
        let request = async_graphql::Request::new(q).variables(async_graphql::Variables::from_json(json!({"n": n})));
        count.store(0, Ordering::SeqCst);
        let response =
            customer_hub::graphql::execute(&schema, &db, request, Some(Scope::new(actor.clone())), Default::default())
                .await;
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        let data = response.data.into_json().expect("json");
        assert_eq!(data["customers"]["edges"].as_array().expect("edges").len(), n);
        costs.push(count.load(Ordering::SeqCst));
    }
    assert!(costs[0] > 0);
    assert!(costs.iter().all(|c| *c == costs[0]), "statements per page size 5, 30, 100: {costs:?}");
    assert!(costs[0] <= 12, "a handful of batched statements, got {}", costs[0]);
}
