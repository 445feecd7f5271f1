//! Step 6 — the house: every record links to its customer, lists share one mechanism
//! (issue 9).

use serde_json::json;

use crate::common::TestApp;

/// Every department record names its customer, scoped like everything else: the
/// insurance specialist's renewal list shows whom to call.
#[tokio::test]
async fn records_name_their_customer() {
    let app = TestApp::new().await;
    let q = "{ insurancePolicies(first: 5) { nodes { id customer { id name } } } }";
    let data = app.data("zj01.insurance", q, json!({})).await;
    let nodes = data["insurancePolicies"]["nodes"].as_array().expect("nodes");
    assert!(!nodes.is_empty(), "{data}");
    for node in nodes {
        assert!(node["customer"]["name"].is_string(), "{node}");
    }
    for (who, q, field) in [
        ("zj01.sales", "{ leads(first: 5) { nodes { customer { name } } } }", "leads"),
        ("zj01.service", "{ repairOrders(first: 5) { nodes { customer { name } } } }", "repairOrders"),
    ] {
        let data = app.data(who, q, json!({})).await;
        let nodes = data[field]["nodes"].as_array().expect("nodes");
        assert!(!nodes.is_empty() && nodes.iter().all(|n| n["customer"]["name"].is_string()), "{who}: {data}");
    }
    let q = "{ customers(first: 3) { nodes { deliveries { customer { id } } partsOrders { customer { id } } id } } }";
    let data = app.data("admin", q, json!({})).await;
    for node in data["customers"]["nodes"].as_array().expect("nodes") {
        for list in ["deliveries", "partsOrders"] {
            for record in node[list].as_array().expect("list") {
                assert_eq!(record["customer"]["id"], node["id"], "{list}: {node}");
            }
        }
    }
}
