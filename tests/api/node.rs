//! Relay object identification (issue 9): opaque ids unique across types, `node` and
//! `nodes` within the caller's scope, and one id parser for every argument.

use std::collections::{BTreeSet, HashMap, HashSet};

use entity::{customer_store, repair_order};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::common::{
    ADMIN, ANALYST, CRM, INTEGRATION_1, MANAGER_1, Persona, SERVICE_1, TestApp, error_codes, gid, row_id,
};

const NODES: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }";
const NODE: &str = "query($id: ID!) { node(id: $id) { id __typename } }";

/// Every (type, id) pair of objects anywhere in `value`.
fn objects(value: &Value, into: &mut Vec<(String, String)>) {
    match value {
        Value::Object(fields) => {
            if let (Some(Value::String(kind)), Some(Value::String(id))) = (fields.get("__typename"), fields.get("id")) {
                into.push((kind.clone(), id.clone()));
            }
            fields.values().for_each(|v| objects(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| objects(v, into)),
        _ => {}
    }
}

/// Objects of every kind the admin and the data steward can see, by type.
async fn one_of_each(app: &TestApp) -> HashMap<String, String> {
    app.data(
        ADMIN,
        "mutation($id: ID!) { revealCustomer(id: $id, purpose: \"node test\") { customerId } }",
        json!({"id": gid("Customer", 1)}),
    )
    .await;
    let admin = app
        .data(
            ADMIN,
            "{ customers(first: 100) { nodes { __typename id sourceRecords { __typename id } deliveries { __typename id } partsOrders { __typename id } stores { store { __typename id } manager { __typename id } } } }
               leads(first: 1) { nodes { __typename id } } repairOrders(first: 1) { nodes { __typename id } }
               insurancePolicies(first: 1) { nodes { __typename id } } vehicles(first: 1) { nodes { __typename id } }
               auditLog(first: 1) { edges { node { __typename id } } } me { __typename id } }",
            json!({}),
        )
        .await;
    customer_hub::domain::duplicates::queue_candidate(&app.db, 1, 2, 60, &["node test".into()]).await.expect("queue");
    let crm = app.data(CRM, "{ duplicateCandidates(first: 1) { nodes { __typename id } } }", json!({})).await;
    let mut found = Vec::new();
    objects(&admin, &mut found);
    objects(&crm, &mut found);
    let mut one = HashMap::new();
    for (kind, id) in found {
        one.entry(kind).or_insert(id);
    }
    for kind in [
        "Customer",
        "SourceRecord",
        "Delivery",
        "PartsOrder",
        "Store",
        "Staff",
        "Lead",
        "RepairOrder",
        "InsurancePolicy",
        "Vehicle",
        "AuditEntry",
        "DuplicateCandidate",
    ] {
        assert!(one.contains_key(kind), "the demo shows no {kind}: {one:?}");
    }
    one
}

#[tokio::test]
async fn node_finds_every_kind_of_object_by_its_id() {
    let app = TestApp::new().await;
    let one = one_of_each(&app).await;
    for (kind, id) in &one {
        let who = if kind == "DuplicateCandidate" { CRM } else { ADMIN };
        let data = app.data(who, NODE, json!({"id": id})).await;
        assert_eq!(data["node"], json!({"id": id, "__typename": kind}), "{kind}");
    }
    // A batch: in the order asked, repeats kept, one answer per id.
    let mut ids: Vec<&String> = one.iter().filter(|(k, _)| *k != "DuplicateCandidate").map(|(_, id)| id).collect();
    ids.sort();
    ids.push(ids[0]);
    let data = app.data(ADMIN, NODES, json!({"ids": ids})).await;
    let answered: Vec<&str> =
        data["nodes"].as_array().expect("list").iter().map(|n| n["id"].as_str().expect("id")).collect();
    assert_eq!(answered, ids.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    // Fields of the concrete type through fragments.
    let q = "query($id: ID!) { node(id: $id) { ... on Customer { name vehicles { vin } } } }";
    let data = app.data(ADMIN, q, json!({"id": gid("Customer", 1)})).await;
    assert!(data["node"]["name"].is_string(), "{data}");
    // At most 100 ids at once.
    let many: Vec<String> = (1..=101).map(|i| gid("Customer", i)).collect();
    let refused = app.run(Some(ADMIN), NODES, json!({"ids": many})).await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn ids_of_different_types_never_collide() {
    let app = TestApp::new().await;
    // Row 1 of every kind exists in the demo; their ids all differ and each names its own.
    let kinds = ["Customer", "Vehicle", "Store", "Staff", "Lead", "RepairOrder", "InsurancePolicy", "SourceRecord"];
    let ids: Vec<String> = kinds.iter().map(|k| gid(k, 1)).collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    let data = app.data(ADMIN, NODES, json!({"ids": ids})).await;
    for (i, kind) in kinds.iter().enumerate() {
        assert_eq!(data["nodes"][i], json!({"id": ids[i], "__typename": kind}), "{kind} 1");
    }
    // And every id the API shows is unique across the whole answer.
    let one = one_of_each(&app).await;
    let distinct: HashSet<&String> = one.values().collect();
    assert_eq!(distinct.len(), one.len());
    for (kind, id) in &one {
        assert!(!id.chars().all(|c| c.is_ascii_digit()), "{kind} id {id} is a bare number");
    }
}

#[tokio::test]
async fn an_id_of_another_type_or_no_id_names_nothing() {
    let app = TestApp::new().await;
    let customer = gid("Customer", 1);
    let not_customer = [gid("Lead", 1), gid("Store", 1), "1".to_owned(), "Q3VzdG9tZXI6MQ==".to_owned(), "".to_owned()];
    for id in &not_customer {
        // Lookups answer null …
        let data = app.data(ADMIN, "query($id: ID!) { customer(id: $id) { id } }", json!({"id": id})).await;
        assert!(data["customer"].is_null(), "customer({id:?})");
        // … mutations NOT_FOUND …
        let r = app
            .run(
                Some(ADMIN),
                "mutation($id: ID!) { revealCustomer(id: $id, purpose: \"node test\") { phones } }",
                json!({"id": id}),
            )
            .await;
        assert_eq!(error_codes(&r), ["NOT_FOUND"], "revealCustomer({id:?})");
        let r = app
            .run(
                Some(MANAGER_1),
                "mutation($id: ID!) { createLead(input: { customerId: $id, grade: A }) { id } }",
                json!({"id": id}),
            )
            .await;
        assert_eq!(error_codes(&r), ["NOT_FOUND"], "createLead({id:?})");
    }
    let r = app
        .run(
            Some(ADMIN),
            "mutation($id: ID!) { updateLead(id: $id, input: { intendedModel: \"途观L\" }) { id } }",
            json!({"id": customer}),
        )
        .await;
    assert_eq!(error_codes(&r), ["NOT_FOUND"], "updateLead(customer's id)");
    let r = app
        .run(Some(ADMIN), "mutation($id: ID!) { revokeApiKey(id: $id) { id } }", json!({"id": gid("Staff", 1)}))
        .await;
    assert_eq!(error_codes(&r), ["NOT_FOUND"], "revokeApiKey(staff id)");
    // … filters BAD_USER_INPUT naming the field.
    for (root, filter, field) in [
        ("customers", json!({"storeId": customer}), "storeId"),
        ("customers", json!({"managerId": gid("Store", 1)}), "managerId"),
        ("leads", json!({"ownerId": "1"}), "ownerId"),
        ("vehicles", json!({"sellingStoreId": customer}), "sellingStoreId"),
    ] {
        let ty = match root {
            "customers" => "CustomerFilter",
            "leads" => "LeadFilter",
            _ => "VehicleFilter",
        };
        let q = format!("query($f: {ty}) {{ {root}(first: 1, filter: $f) {{ edges {{ cursor }} }} }}");
        let r = app.run(Some(ADMIN), &q, json!({"f": filter})).await;
        assert_eq!(error_codes(&r), ["BAD_USER_INPUT"], "{root} {filter}");
        let named = r.errors[0].extensions.as_ref().and_then(|x| x.get("field")).cloned();
        assert_eq!(named, Some(async_graphql::Value::String(field.into())), "{root} {filter}");
    }
    // The right type in a filter works.
    let data = app
        .data(
            ADMIN,
            "query($s: ID) { customers(first: 1, filter: { storeId: $s }) { edges { cursor } } }",
            json!({"s": gid("Store", 1)}),
        )
        .await;
    assert_eq!(data["customers"]["edges"].as_array().map(Vec::len), Some(1));
    // node: malformed or unknown answers null, not an error.
    let data = app.data(ADMIN, NODES, json!({"ids": ["1", "", "bm9wZToxNQ", gid("Customer", 99_999_999)]})).await;
    assert_eq!(data["nodes"], json!([null, null, null, null]));
    // The audit filter takes the id of any audited object, and only its kind matches.
    app.data(
        ADMIN,
        "mutation($id: ID!) { revealCustomer(id: $id, purpose: \"node test\") { customerId } }",
        json!({"id": customer}),
    )
    .await;
    let q = "query($r: ID) { auditLog(first: 10, filter: { action: \"REVEAL\", recordId: $r }) { edges { node { recordIds } } } }";
    let data = app.data(ADMIN, q, json!({"r": customer})).await;
    assert_eq!(data["auditLog"]["edges"][0]["node"]["recordIds"], json!([customer]));
    let data = app.data(ADMIN, q, json!({"r": gid("Lead", 1)})).await;
    assert_eq!(data["auditLog"]["edges"], json!([]));
    let r = app.run(Some(ADMIN), q, json!({"r": "1"})).await;
    assert_eq!(error_codes(&r), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn out_of_scope_objects_answer_null_like_missing_ones() {
    let app = TestApp::with_customers(150).await;
    // A customer and a repair order of store 2 only.
    let orders =
        repair_order::Entity::find().filter(repair_order::Column::StoreId.eq(2)).order_by_asc(repair_order::Column::Id);
    let mut theirs = None;
    for order in orders.all(&app.db).await.expect("orders") {
        let stores: BTreeSet<i32> = customer_store::Entity::find()
            .filter(customer_store::Column::CustomerId.eq(order.customer_id))
            .all(&app.db)
            .await
            .expect("q")
            .into_iter()
            .map(|r| r.store_id)
            .collect();
        if stores == BTreeSet::from([2]) {
            theirs = Some(order);
            break;
        }
    }
    let order = theirs.expect("a customer served only by store 2");
    let customer = gid("Customer", order.customer_id);
    let repair = gid("RepairOrder", order.id);
    let one = one_of_each(&app).await;
    let (audit, candidate) = (one["AuditEntry"].clone(), one["DuplicateCandidate"].clone());
    // Their own store's staff see them.
    let data = app.data(Persona::Service(2), NODES, json!({"ids": [customer, repair]})).await;
    assert_eq!(data["nodes"][0]["id"], customer);
    assert_eq!(data["nodes"][1]["id"], repair);
    // Another store's staff get null, as for an id of nothing.
    for persona in [SERVICE_1, MANAGER_1] {
        let data = app.data(persona, NODES, json!({"ids": [customer, repair, audit, candidate]})).await;
        assert_eq!(data["nodes"], json!([null, null, null, null]), "{persona}");
    }
    // The same store's sales consultant: repair orders are not theirs to read.
    let data = app.data(Persona::Sales(2), NODE, json!({"id": repair})).await;
    assert!(data["node"].is_null());
    // Roles without a resource at all: null too, never FORBIDDEN.
    let data = app.data(ANALYST, NODES, json!({"ids": [customer, repair, audit]})).await;
    assert_eq!(data["nodes"], json!([null, null, null]));
    let data = app.data(INTEGRATION_1, NODE, json!({"id": gid("Store", 1)})).await;
    assert!(data["node"].is_null());
    // Anonymous callers get nothing at all.
    let r = app.run(None, NODE, json!({"id": customer})).await;
    assert_eq!(error_codes(&r), ["UNAUTHENTICATED"]);
    // And the key inside an id is the row's key.
    assert_eq!(row_id("Customer", &json!(customer)), order.customer_id);
}
