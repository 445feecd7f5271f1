//! Step 6 — the house: every record links to its customer, lists share one mechanism
//! (issue 9).

use serde_json::json;

use crate::common::{ADMIN, INSURANCE_1, SALES_1, SERVICE_1, TestApp};

/// Every department record names its customer, scoped like everything else: the
/// insurance specialist's renewal list shows whom to call.
#[tokio::test]
async fn records_name_their_customer() {
    let app = TestApp::new().await;
    let q = "{ insurancePolicies(first: 5) { nodes { id customer { id name } } } }";
    let data = app.data(INSURANCE_1, q, json!({})).await;
    let nodes = data["insurancePolicies"]["nodes"].as_array().expect("nodes");
    assert!(!nodes.is_empty(), "{data}");
    for node in nodes {
        assert!(node["customer"]["name"].is_string(), "{node}");
    }
    for (who, q, field) in [
        (SALES_1, "{ leads(first: 5) { nodes { customer { name } } } }", "leads"),
        (SERVICE_1, "{ repairOrders(first: 5) { nodes { customer { name } } } }", "repairOrders"),
    ] {
        let data = app.data(who, q, json!({})).await;
        let nodes = data[field]["nodes"].as_array().expect("nodes");
        assert!(!nodes.is_empty() && nodes.iter().all(|n| n["customer"]["name"].is_string()), "{who}: {data}");
    }
    let q = "{ customers(first: 3) { nodes { deliveries { customer { id } } partsOrders { customer { id } } id } } }";
    let data = app.data(ADMIN, q, json!({})).await;
    for node in data["customers"]["nodes"].as_array().expect("nodes") {
        for list in ["deliveries", "partsOrders"] {
            for record in node[list].as_array().expect("list") {
                assert_eq!(record["customer"]["id"], node["id"], "{list}: {node}");
            }
        }
    }
}

/// Every table holding a `customer_id` is in the registry of customer-owned records, so
/// merges, un-merges and the 360's loaders cannot forget a kind.
#[tokio::test]
async fn every_customer_owned_table_is_in_the_registry() {
    use customer_hub::domain::owned::OwnedKind;
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = TestApp::new().await;
    let sql = match app.backend() {
        DbBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.columns WHERE column_name = 'customer_id' AND table_schema = current_schema()"
        }
        _ => {
            "SELECT m.name AS name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'customer_id'"
        }
    };
    let rows = app.db.query_all_raw(Statement::from_string(app.backend(), sql)).await.expect("tables");
    let mut tables: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "name").expect("name")).collect();
    tables.sort();
    let mut registry: Vec<String> = OwnedKind::ALL.iter().map(|k| k.table().to_owned()).collect();
    registry.sort();
    assert_eq!(
        tables, registry,
        "a table with customer_id is missing from domain::owned (or the registry names a table that has none)"
    );
}

/// Household links (`customer_link`, two customers per row) follow a merge to the
/// survivor and come back with an un-merge.
#[tokio::test]
async fn household_links_follow_a_merge_and_come_back() {
    use crate::common::{CRM, gid};
    let app = TestApp::new().await;
    let data = app.data(ADMIN, "{ customers(first: 3) { nodes { id } } }", json!({})).await;
    let ids: Vec<String> = data["customers"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["id"].as_str().expect("id").to_owned())
        .collect();
    let key = |id: &str| crate::common::row_id("Customer", &json!(id));
    let (survivor, merged, other) = (key(&ids[0]), key(&ids[1]), key(&ids[2]));
    customer_hub::domain::identity::link_household(&app.db, merged, other, "same phone").await.expect("link");
    let household = |id: i32| {
        let app = &app;
        async move {
            let q = "query($id: ID!) { customer(id: $id) { household { customer { id } } } }";
            let data = app.data(ADMIN, q, json!({ "id": gid("Customer", id) })).await;
            data["customer"]["household"]
                .as_array()
                .expect("household")
                .iter()
                .map(|m| m["customer"]["id"].as_str().expect("id").to_owned())
                .collect::<Vec<_>>()
        }
    };
    let merge = "mutation($s: ID!, $m: [ID!]!) { mergeCustomers(survivorId: $s, mergedIds: $m) { mergeEventId } }";
    app.data(CRM, merge, json!({ "s": gid("Customer", survivor), "m": [gid("Customer", merged)] })).await;
    assert!(household(survivor).await.contains(&gid("Customer", other)), "the survivor takes the link over");
    let unmerge = "mutation($id: ID!) { unmergeCustomer(id: $id) { id } }";
    app.data(CRM, unmerge, json!({ "id": gid("Customer", merged) })).await;
    assert!(!household(survivor).await.contains(&gid("Customer", other)), "the borrowed link goes");
    assert!(household(merged).await.contains(&gid("Customer", other)), "the link comes back");
}
