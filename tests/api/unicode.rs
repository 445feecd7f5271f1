//! Ordinary Chinese text where identifiers are expected: 18 bytes with a multi-byte
//! character across byte 17 once panicked in normalisation. Every such value is answered:
//! a name search, no customer, or a record rejected by field.

use entity::customer;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::common::{ADMIN, INTEGRATION_1, TestApp};

const EIGHTEEN_BYTES: [&str; 4] = ["杭州新客科技", "上海大众汽车", "12345678901234567杭", "1234567890123456é1"];

#[tokio::test]
async fn search_takes_chinese_text_of_id_length_as_a_name() {
    let app = TestApp::new().await;
    let q = "query($t: String!) { search(text: $t, first: 10) { edges { node { matchedBy customer { id } } } } }";
    for text in EIGHTEEN_BYTES {
        let data = app.data(ADMIN, q, json!({"t": text})).await;
        for edge in data["search"]["edges"].as_array().expect("edges") {
            assert_eq!(edge["node"]["matchedBy"], "NAME", "{text}: {edge}");
        }
    }
}

#[tokio::test]
async fn customer_by_id_number_answers_no_customer_for_chinese_text() {
    let app = TestApp::new().await;
    let q = "query($n: String!) { customerByIdNumber(idNumber: $n) { id } }";
    for text in EIGHTEEN_BYTES {
        let data = app.data(ADMIN, q, json!({"n": text})).await;
        assert!(data["customerByIdNumber"].is_null(), "{text}: {data}");
    }
}

#[tokio::test]
async fn a_delivery_with_chinese_text_as_national_id_is_rejected_by_field() {
    let app = TestApp::new().await;
    let before = customer::Entity::find().count(&app.db).await.expect("count");
    let q = "mutation($r: DeliveryRecord!) { ingestDelivery(record: $r) { outcome errors { field reason } } }";
    for (i, text) in EIGHTEEN_BYTES.iter().enumerate() {
        let record = json!({
            "externalId": format!("U-{i}"), "customerName": "王伟", "phone": "13800001111", "nationalId": text,
            "vin": "LSVCA4C37RN123456", "deliveryDate": "2024-03-05", "price": "99999999999999999999"
        });
        let data = app.data(INTEGRATION_1, q, json!({"r": record})).await;
        let result = &data["ingestDelivery"];
        assert_eq!(result["outcome"], "REJECTED", "{text}: {result}");
        let fields: Vec<&str> =
            result["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
        assert!(fields.contains(&"national_id") && fields.contains(&"price"), "{text}: {fields:?}");
    }
    assert_eq!(customer::Entity::find().count(&app.db).await.expect("count"), before);
}
