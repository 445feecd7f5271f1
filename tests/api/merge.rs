//! Merging duplicates, the dry run, undoing a merge exactly, and the candidates queue.

use entity::{
    audit_log, contact_point, customer, customer_store, customer_tag, delivery, duplicate_candidate, insurance_policy,
    lead, merge_event, parts_order, repair_order, source_record, vehicle_ownership,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::common::{
    ADMIN, ANALYST, CRM, Dept, MANAGER_1, PARTNER, Persona, SALES_1, TestApp, error_codes, gid, store_number,
};

/// Everything that belongs to `ids`, in a comparable form (versions and timestamps of
/// changes aside).
async fn picture(app: &TestApp, ids: &[i32]) -> Value {
    let db = &app.db;
    let mut customers = Vec::new();
    for id in ids {
        let c = customer::Entity::find_by_id(*id).one(db).await.expect("q").expect("customer");
        customers.push(json!([
            c.id,
            c.name,
            c.gender,
            c.birthday,
            c.id_number,
            c.address,
            c.city,
            c.notes,
            c.lifecycle_stage,
            c.merged_into
        ]));
    }
    macro_rules! rows {
        ($module:ident, $map:expr) => {
            $module::Entity::find()
                .filter($module::Column::CustomerId.is_in(ids.iter().copied()))
                .order_by_asc($module::Column::Id)
                .all(db)
                .await
                .expect("q")
                .into_iter()
                .map($map)
                .collect::<Vec<Value>>()
        };
    }
    json!({
        "customers": customers,
        "contacts": rows!(contact_point, |r| json!([r.id, r.customer_id, r.kind, r.value, r.normalized, r.is_primary])),
        "tags": rows!(customer_tag, |r| json!([r.id, r.customer_id, r.tag])),
        "stores": rows!(customer_store, |r| json!([r.id, r.customer_id, r.store_id, r.status, r.manager_id])),
        "sources": rows!(source_record, |r| json!([r.id, r.customer_id])),
        "leads": rows!(lead, |r| json!([r.id, r.customer_id])),
        "deliveries": rows!(delivery, |r| json!([r.id, r.customer_id])),
        "repairs": rows!(repair_order, |r| json!([r.id, r.customer_id])),
        "policies": rows!(insurance_policy, |r| json!([r.id, r.customer_id])),
        "parts": rows!(parts_order, |r| json!([r.id, r.customer_id])),
        "ownerships": rows!(vehicle_ownership, |r| json!([r.id, r.customer_id])),
    })
}

/// Two demo customers of the same store, both with service history.
async fn pair(app: &TestApp) -> (i32, i32) {
    let orders = repair_order::Entity::find().order_by_asc(repair_order::Column::Id).all(&app.db).await.expect("q");
    let a = orders[0].customer_id;
    let b =
        orders.iter().find(|o| o.customer_id != a && o.store_id == orders[0].store_id).expect("another").customer_id;
    (a, b)
}

const MERGE: &str = "mutation($s: ID!, $m: [ID!]!, $d: Boolean) { mergeCustomers(survivorId: $s, mergedIds: $m, dryRun: $d) { mergeEventId dryRun survivor { id name repairOrders { id } } moved { table count } } }";

#[tokio::test]
async fn a_dry_run_shows_the_merge_and_writes_nothing() {
    let app = TestApp::new().await;
    let (a, b) = pair(&app).await;
    let before = picture(&app, &[a, b]).await;
    let data = app.data(CRM, MERGE, json!({"s": gid("Customer", a), "m": [gid("Customer", b)], "d": true})).await;
    let result = &data["mergeCustomers"];
    assert_eq!(result["dryRun"], true);
    assert!(result["mergeEventId"].is_null());
    let b_orders =
        repair_order::Entity::find().filter(repair_order::Column::CustomerId.eq(b)).count(&app.db).await.expect("q");
    let a_orders =
        repair_order::Entity::find().filter(repair_order::Column::CustomerId.eq(a)).count(&app.db).await.expect("q");
    assert_eq!(
        result["survivor"]["repairOrders"].as_array().expect("list").len() as u64,
        a_orders,
        "nothing moved yet"
    );
    let moved = result["moved"]
        .as_array()
        .expect("moved")
        .iter()
        .find(|m| m["table"] == "repair_order")
        .expect("repair orders");
    assert_eq!(moved["count"].as_u64(), Some(b_orders));
    assert_eq!(picture(&app, &[a, b]).await, before, "a dry run changes nothing");
    assert_eq!(merge_event::Entity::find().count(&app.db).await.expect("q"), 0);
}

#[tokio::test]
async fn a_merge_moves_everything_and_an_unmerge_restores_it_exactly() {
    let app = TestApp::new().await;
    let (a, b) = pair(&app).await;
    let before = picture(&app, &[a, b]).await;
    let data = app.data(CRM, MERGE, json!({"s": gid("Customer", a), "m": [gid("Customer", b)]})).await;
    assert!(data["mergeCustomers"]["mergeEventId"].is_string());
    for table in [
        repair_order::Entity::find().filter(repair_order::Column::CustomerId.eq(b)).count(&app.db).await.expect("q"),
        source_record::Entity::find().filter(source_record::Column::CustomerId.eq(b)).count(&app.db).await.expect("q"),
    ] {
        assert_eq!(table, 0, "nothing stays with the merged customer");
    }
    // The merged id keeps resolving to the survivor.
    let resolved = app
        .data(
            ADMIN,
            "query($id: ID!) { customer(id: $id) { id sourceRecords { externalId matchReason } } }",
            json!({"id": gid("Customer", b)}),
        )
        .await;
    assert_eq!(resolved["customer"]["id"], gid("Customer", a));
    // Also for store staff: the merged record's relationships moved to the survivor.
    let store_of_pair = repair_order::Entity::find()
        .filter(repair_order::Column::CustomerId.eq(a))
        .one(&app.db)
        .await
        .expect("q")
        .expect("order")
        .store_id;
    let manager = Persona::Manager(store_number(store_of_pair));
    let by_store =
        app.data(manager, "query($id: ID!) { customer(id: $id) { id } }", json!({"id": gid("Customer", b)})).await;
    assert_eq!(by_store["customer"]["id"], gid("Customer", a), "{manager}");
    assert!(resolved["customer"]["sourceRecords"].as_array().expect("list").len() >= 2);

    // A record arrives in between through the merged customer's own source identity.
    let b_source = source_record::Entity::find()
        .filter(source_record::Column::CustomerId.eq(a))
        .all(&app.db)
        .await
        .expect("q")
        .into_iter()
        .find(|s| before["sources"].as_array().expect("list").contains(&json!([s.id, b])))
        .expect("b's source record");
    let integration = Persona::Integration(store_number(b_source.store_id), Dept::Sales);
    let vin = {
        let draft = "LSVUA6T200N900001".to_owned();
        let check = customer_hub::domain::normalize::vin_check_digit(&draft).expect("vin");
        let mut c: Vec<char> = draft.chars().collect();
        c[8] = check;
        c.into_iter().collect::<String>()
    };
    // The same person (the survivor's name): a record naming someone else would be
    // resolved anew rather than stay with the survivor.
    let name = customer::Entity::find_by_id(a).one(&app.db).await.expect("q").expect("survivor").name;
    let arrived = app
        .data(
            integration,
            "mutation($r: DeliveryRecord!) { ingestDelivery(record: $r) { outcome customerId } }",
            json!({"r": {
                "externalId": b_source.external_id, "customerName": name, "phone": "13912345678", "vin": vin,
                "deliveryDate": "2026-11-01", "price": "200,000"
            }}),
        )
        .await;
    assert_eq!(arrived["ingestDelivery"]["outcome"], "UPDATED", "{arrived}");
    assert_eq!(arrived["ingestDelivery"]["customerId"], gid("Customer", a));

    let undone = app
        .data(CRM, "mutation($id: ID!) { unmergeCustomer(id: $id) { id } }", json!({"id": gid("Customer", b)}))
        .await;
    assert_eq!(undone["unmergeCustomer"].as_array().expect("list").len(), 2);
    // Exactly the state before, plus the record that arrived for b's identity, now b's.
    let after = picture(&app, &[a, b]).await;
    let strip = |mut v: Value| {
        for key in ["deliveries", "ownerships", "contacts", "stores"] {
            v[key] = Value::Null;
        }
        v
    };
    assert_eq!(strip(after.clone()), strip(before.clone()));
    let new_delivery = delivery::Entity::find()
        .filter(delivery::Column::SourceRecordId.eq(b_source.id))
        .one(&app.db)
        .await
        .expect("q")
        .expect("delivery");
    assert_eq!(new_delivery.customer_id, b, "the record that arrived in between follows its source identity");
    let before_deliveries = before["deliveries"].as_array().expect("list").clone();
    for d in &before_deliveries {
        assert!(after["deliveries"].as_array().expect("list").contains(d), "{d}");
    }
    let actions: Vec<String> =
        audit_log::Entity::find().all(&app.db).await.expect("q").into_iter().map(|e| e.action).collect();
    assert!(
        actions.contains(&"MERGE_CUSTOMERS".to_owned()) && actions.contains(&"UNMERGE_CUSTOMER".to_owned()),
        "{actions:?}"
    );
    // Undoing twice is refused.
    let again = app
        .run(Some(CRM), "mutation($id: ID!) { unmergeCustomer(id: $id) { id } }", json!({"id": gid("Customer", b)}))
        .await;
    assert_eq!(error_codes(&again), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn survivorship_takes_the_most_recent_non_empty_value() {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let app = TestApp::new().await;
    let (a, b) = pair(&app).await;
    let mut older = customer::Entity::find_by_id(a).one(&app.db).await.expect("q").expect("a").into_active_model();
    older.address = Set(None);
    older.updated_at = Set(chrono::Utc::now() - chrono::Duration::days(30));
    let _: customer::Model = older.update(&app.db).await.expect("update");
    let mut newer = customer::Entity::find_by_id(b).one(&app.db).await.expect("q").expect("b").into_active_model();
    newer.notes = Set(Some("最新备注".into()));
    newer.address = Set(Some("浙江省杭州市新地址1号".into()));
    newer.updated_at = Set(chrono::Utc::now());
    let _: customer::Model = newer.update(&app.db).await.expect("update");
    let b_name = customer::Entity::find_by_id(b).one(&app.db).await.expect("q").expect("b").name;
    app.data(CRM, MERGE, json!({"s": gid("Customer", a), "m": [gid("Customer", b)]})).await;
    let survivor = customer::Entity::find_by_id(a).one(&app.db).await.expect("q").expect("a");
    assert_eq!(survivor.address.as_deref(), Some("浙江省杭州市新地址1号"));
    assert_eq!(survivor.notes.as_deref(), Some("最新备注"));
    assert_eq!(survivor.name, b_name, "the most recently updated record's name wins");
}

#[tokio::test]
async fn the_queue_is_decided_once_and_for_good() {
    let app = TestApp::new().await;
    let (a, b) = pair(&app).await;
    let c = customer::Entity::find()
        .filter(customer::Column::Id.is_not_in([a, b]))
        .one(&app.db)
        .await
        .expect("q")
        .expect("c")
        .id;
    customer_hub::domain::duplicates::queue_candidate(&app.db, a, b, 60, &["test".into()]).await.expect("queue");
    customer_hub::domain::duplicates::queue_candidate(&app.db, a, c, 40, &["test".into()]).await.expect("queue");
    let q =
        "{ duplicateCandidates(first: 10) { edges { node { id score reasons customerA { id } customerB { id } } } } }";
    let data = app.data(CRM, q, json!({})).await;
    let edges = data["duplicateCandidates"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 2);
    assert_eq!(edges[0]["node"]["score"], 60, "most likely first");
    let first = edges[0]["node"]["id"].as_str().expect("id").to_owned();
    let second = edges[1]["node"]["id"].as_str().expect("id").to_owned();
    let resolve = "mutation($id: ID!, $same: Boolean!) { resolveDuplicate(id: $id, samePerson: $same) { status } }";
    let d = app.data(CRM, resolve, json!({"id": second, "same": false})).await;
    assert_eq!(d["resolveDuplicate"]["status"], "DISTINCT");
    let m = app.data(CRM, resolve, json!({"id": first, "same": true})).await;
    assert_eq!(m["resolveDuplicate"]["status"], "MERGED");
    assert_eq!(customer::Entity::find_by_id(b).one(&app.db).await.expect("q").expect("b").merged_into, Some(a));
    let data = app.data(CRM, q, json!({})).await;
    assert_eq!(data["duplicateCandidates"]["edges"], json!([]));
    // Queued again by a later record: stays decided.
    customer_hub::domain::duplicates::queue_candidate(&app.db, a, c, 70, &["again".into()]).await.expect("queue");
    assert_eq!(
        duplicate_candidate::Entity::find()
            .filter(duplicate_candidate::Column::Status.eq("OPEN"))
            .count(&app.db)
            .await
            .expect("q"),
        0
    );
    let twice = app.run(Some(CRM), resolve, json!({"id": first, "same": true})).await;
    assert_eq!(error_codes(&twice), ["NOT_FOUND"]);
}

#[tokio::test]
async fn only_data_stewards_merge() {
    let app = TestApp::new().await;
    let (a, b) = pair(&app).await;
    for who in [MANAGER_1, SALES_1, ANALYST, PARTNER] {
        let r = app.run(Some(who), MERGE, json!({"s": gid("Customer", a), "m": [gid("Customer", b)]})).await;
        assert_eq!(error_codes(&r), ["FORBIDDEN"], "{who}");
    }
    let bad = app.run(Some(ADMIN), MERGE, json!({"s": gid("Customer", a), "m": [gid("Customer", a)]})).await;
    assert_eq!(error_codes(&bad), ["BAD_USER_INPUT"]);
    let missing = app.run(Some(ADMIN), MERGE, json!({"s": gid("Customer", a), "m": [gid("Customer", 99_999)]})).await;
    assert_eq!(error_codes(&missing), ["NOT_FOUND"]);
}

#[tokio::test]
async fn a_form_of_address_never_becomes_the_survivors_name() {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let app = TestApp::new().await;
    let (a, b) = pair(&app).await;
    let mut older = customer::Entity::find_by_id(a).one(&app.db).await.expect("q").expect("a").into_active_model();
    older.name = Set("陈玉兰".into());
    older.kind = Set(entity::enums::CustomerKind::Individual);
    older.updated_at = Set(chrono::Utc::now() - chrono::Duration::days(30));
    let _: customer::Model = older.update(&app.db).await.expect("update");
    // The most recently updated record typed the name with 女士.
    let mut newer = customer::Entity::find_by_id(b).one(&app.db).await.expect("q").expect("b").into_active_model();
    newer.name = Set("陈玉兰 女士".into());
    newer.kind = Set(entity::enums::CustomerKind::Individual);
    newer.updated_at = Set(chrono::Utc::now());
    let _: customer::Model = newer.update(&app.db).await.expect("update");
    let data = app.data(CRM, MERGE, json!({"s": gid("Customer", a), "m": [gid("Customer", b)]})).await;
    assert_eq!(data["mergeCustomers"]["survivor"]["name"], "陈玉兰");
    let survivor = customer::Entity::find_by_id(a).one(&app.db).await.expect("q").expect("a");
    assert_eq!(survivor.name, "陈玉兰");
}

#[tokio::test]
async fn a_surname_alone_never_replaces_a_full_name() {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let app = TestApp::new().await;
    let (a, b) = pair(&app).await;
    let mut older = customer::Entity::find_by_id(a).one(&app.db).await.expect("q").expect("a").into_active_model();
    older.name = Set("王建国".into());
    older.kind = Set(entity::enums::CustomerKind::Individual);
    older.updated_at = Set(chrono::Utc::now() - chrono::Duration::days(30));
    let _: customer::Model = older.update(&app.db).await.expect("update");
    // The newer record came from a service desk: 王先生, kept as 王.
    let mut newer = customer::Entity::find_by_id(b).one(&app.db).await.expect("q").expect("b").into_active_model();
    newer.name = Set("王".into());
    newer.kind = Set(entity::enums::CustomerKind::Individual);
    newer.updated_at = Set(chrono::Utc::now());
    let _: customer::Model = newer.update(&app.db).await.expect("update");
    // Whichever survives, the full name stays.
    let data = app.data(CRM, MERGE, json!({"s": gid("Customer", b), "m": [gid("Customer", a)]})).await;
    assert_eq!(data["mergeCustomers"]["survivor"]["name"], "王建国");
}

const RESOLVE: &str = "mutation($id: ID!, $same: Boolean!) { resolveDuplicate(id: $id, samePerson: $same) { status } }";
const UNMERGE: &str = "mutation($id: ID!) { unmergeCustomer(id: $id) { id } }";

async fn candidate_status(app: &TestApp, a: i32, b: i32) -> String {
    let (a, b) = if a < b { (a, b) } else { (b, a) };
    duplicate_candidate::Entity::find()
        .filter(duplicate_candidate::Column::CustomerA.eq(a))
        .filter(duplicate_candidate::Column::CustomerB.eq(b))
        .one(&app.db)
        .await
        .expect("q")
        .expect("candidate")
        .status
        .as_str()
        .to_owned()
}

#[tokio::test]
async fn an_unmerged_pair_goes_back_to_the_queue_undecided() {
    let app = TestApp::new().await;
    let (a, b) = pair(&app).await;
    customer_hub::domain::duplicates::queue_candidate(&app.db, a, b, 60, &["test".into()]).await.expect("queue");
    let id = duplicate_candidate::Entity::find()
        .filter(duplicate_candidate::Column::CustomerA.eq(a.min(b)))
        .one(&app.db)
        .await
        .expect("q")
        .expect("candidate")
        .id;
    // Decided from the queue, then undone.
    let m = app.data(CRM, RESOLVE, json!({"id": gid("DuplicateCandidate", id), "same": true})).await;
    assert_eq!(m["resolveDuplicate"]["status"], "MERGED");
    let survivor = a.min(b);
    let merged = a.max(b);
    app.data(CRM, UNMERGE, json!({"id": gid("Customer", merged)})).await;
    assert_eq!(candidate_status(&app, a, b).await, "OPEN");
    let q = "{ duplicateCandidates(first: 10) { edges { node { id status resolvedAt } } } }";
    let open = app.data(CRM, q, json!({})).await;
    let edges = open["duplicateCandidates"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 1, "{open}");
    assert_eq!(edges[0]["node"]["id"], gid("DuplicateCandidate", id));
    assert!(edges[0]["node"]["resolvedAt"].is_null());
    // Merged directly (the queued pair is decided by the merge), then undone again.
    app.data(CRM, MERGE, json!({"s": gid("Customer", survivor), "m": [gid("Customer", merged)]})).await;
    assert_eq!(candidate_status(&app, a, b).await, "MERGED");
    app.data(CRM, UNMERGE, json!({"id": gid("Customer", merged)})).await;
    assert_eq!(candidate_status(&app, a, b).await, "OPEN");
    // And it can now be decided the other way.
    let d = app.data(CRM, RESOLVE, json!({"id": gid("DuplicateCandidate", id), "same": false})).await;
    assert_eq!(d["resolveDuplicate"]["status"], "DISTINCT");
}

#[tokio::test]
async fn unmerge_refuses_the_survivors_id_and_says_which_id_it_takes() {
    let app = TestApp::new().await;
    let (a, b) = pair(&app).await;
    app.data(CRM, MERGE, json!({"s": gid("Customer", a), "m": [gid("Customer", b)]})).await;
    let wrong = app.run(Some(CRM), UNMERGE, json!({"id": gid("Customer", a)})).await;
    assert_eq!(error_codes(&wrong), ["BAD_USER_INPUT"]);
    let error = &wrong.errors[0];
    assert!(error.message.contains("mergedIds") && error.message.contains("survivor"), "{}", error.message);
    assert!(error.message.contains(&gid("Customer", b)), "names the id to pass: {}", error.message);
    let field = error.extensions.as_ref().and_then(|x| x.get("field")).cloned();
    assert_eq!(field, Some(async_graphql::Value::String("id".into())));
    // The id it names works.
    let undone = app.data(CRM, UNMERGE, json!({"id": gid("Customer", b)})).await;
    assert_eq!(undone["unmergeCustomer"].as_array().expect("list").len(), 2);
    let schema = customer_hub::graphql::sdl();
    assert!(schema.contains("merge's `mergedIds`"), "the description says which id unmergeCustomer takes");
}

#[tokio::test]
async fn many_pairs_are_decided_at_once_and_one_that_cannot_be_does_not_stop_the_rest() {
    let app = TestApp::with_customers(400).await;
    let open = duplicate_candidate::Entity::find()
        .filter(duplicate_candidate::Column::Status.eq(entity::enums::CandidateStatus::Open))
        .all(&app.db)
        .await
        .expect("queue");
    assert!(open.len() >= 2, "the demo queues a few pairs");
    let ids: Vec<String> = open.iter().take(2).map(|c| gid("DuplicateCandidate", c.id)).collect();
    let q =
        "mutation($ids: [ID!]!) { resolveDuplicates(ids: $ids, samePerson: false) { id code candidate { status } } }";
    let mut with_bad = ids.clone();
    with_bad.push(gid("DuplicateCandidate", 999_999));
    let done = app.data(CRM, q, json!({"ids": with_bad})).await;
    let rows = done["resolveDuplicates"].as_array().expect("rows");
    assert_eq!(rows.len(), 3);
    for row in &rows[..2] {
        assert_eq!(row["candidate"]["status"], "DISTINCT", "{row}");
        assert!(row["code"].is_null());
    }
    assert_eq!(rows[2]["code"], "NOT_FOUND");
    // Decided pairs left the queue; deciding them again is refused per pair.
    let again = app.data(CRM, q, json!({"ids": ids})).await;
    for row in again["resolveDuplicates"].as_array().expect("rows") {
        assert!(row["candidate"].is_null() && !row["code"].is_null(), "{row}");
    }
    let forbidden = app.run(Some(SALES_1), q, json!({"ids": [gid("DuplicateCandidate", open[0].id)]})).await;
    let codes = error_codes(&forbidden);
    let data = forbidden.data.into_json().unwrap_or_default();
    assert!(codes == ["FORBIDDEN"] || data["resolveDuplicates"][0]["code"] == "FORBIDDEN", "{codes:?} {data}");
    let too_many: Vec<String> = (0..101).map(|i| gid("DuplicateCandidate", i + 1)).collect();
    assert_eq!(error_codes(&app.run(Some(CRM), q, json!({"ids": too_many})).await), ["BAD_USER_INPUT"]);
}
