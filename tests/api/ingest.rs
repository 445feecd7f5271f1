//! Ingestion by integration accounts: validation, idempotency, identity resolution,
//! households and the duplicate queue.

use entity::{
    audit_log, customer, customer_link, duplicate_candidate, repair_order, source_record, source_record_history,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::common::{TestApp, error_codes};

const DELIVERY: &str = "mutation($r: DeliveryRecord!) { ingestDelivery(record: $r) { externalId outcome customerId sourceRecordId matchReason errors { field reason } } }";
const SERVICE: &str = "mutation($r: RepairOrderRecord!) { ingestRepairOrder(record: $r) { externalId outcome customerId matchReason errors { field reason } } }";
const INSURANCE: &str = "mutation($r: InsurancePolicyRecord!) { ingestInsurancePolicy(record: $r) { outcome customerId matchReason errors { field reason } } }";

/// An integration account of store ZJ01 for the given department.
async fn integration(app: &TestApp, department: &str) -> String {
    use entity::enums::Department;
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let name = format!("zj01.dms-{}", department.to_lowercase());
    if department == "SALES" {
        return "zj01.integration".into();
    }
    let mut account = app.staff("zj01.integration").await.into_active_model();
    account.id = sea_orm::ActiveValue::NotSet;
    account.username = Set(name.clone());
    account.department = Set(match department {
        "SERVICE" => Department::Service,
        "INSURANCE" => Department::Insurance,
        _ => Department::Parts,
    });
    let _: entity::staff::Model = account.insert(&app.db).await.expect("integration account");
    name
}

/// A valid national ID from its first 17 digits.
fn national_id(first17: &str) -> String {
    format!("{first17}{}", customer_hub::domain::normalize::national_id_check(first17).expect("17 digits"))
}

fn sale(external_id: &str, name: &str, phone: &str, national_id: &str, vin: &str) -> Value {
    json!({
        "externalId": external_id, "customerName": name, "phone": phone, "nationalId": national_id,
        "gender": "男", "birthday": "1985/6/1", "address": "浙江省杭州市西湖区文三路100号",
        "vin": vin, "plate": "浙A·9X123", "brand": "Volkswagen", "model": "帕萨特", "modelYear": "2024",
        "deliveryDate": "2024年3月5日", "price": "189,900.00", "consultant": "zj01.sales", "paymentMethod": "贷款"
    })
}

async fn ingest(app: &TestApp, who: &str, query: &str, record: Value, field: &str) -> Value {
    let data = app.data(who, query, json!({"r": record})).await;
    data[field].clone()
}

#[tokio::test]
async fn a_delivery_creates_customer_vehicle_and_sale_and_a_resend_changes_nothing() {
    let app = TestApp::new().await;
    let who = integration(&app, "SALES").await;
    let record = sale("S-1001", "陈 建国", "138-1111-2222", &national_id("11010519491231002"), "LSVCA4C37RN123456");
    let first = ingest(&app, &who, DELIVERY, record.clone(), "ingestDelivery").await;
    assert_eq!(first["outcome"], "CREATED", "{first}");
    let id: i32 = first["customerId"].as_str().expect("id").parse().expect("number");
    let c = customer::Entity::find_by_id(id).one(&app.db).await.expect("q").expect("customer");
    assert_eq!(c.name, "陈 建国");
    assert_eq!(c.id_number, Some(national_id("11010519491231002")));
    let view = app
        .data("admin", "query($id: ID!) { customer(id: $id) { phones { number } vehicles { vin plate model } deliveries { price payment deliveredOn consultant { username } store { code } } stores { store { code } status } } }", json!({"id": id.to_string()}))
        .await;
    assert_eq!(view["customer"]["vehicles"][0]["vin"], "LSVCA4C37RN123456");
    assert_eq!(view["customer"]["vehicles"][0]["plate"], "浙A9X123");
    assert_eq!(view["customer"]["deliveries"][0]["price"], "189900.00");
    assert_eq!(view["customer"]["deliveries"][0]["payment"], "LOAN");
    assert_eq!(view["customer"]["deliveries"][0]["deliveredOn"], "2024-03-05");
    assert_eq!(view["customer"]["deliveries"][0]["consultant"]["username"], "zj01.sales");
    assert_eq!(view["customer"]["stores"][0]["store"]["code"], "ZJ01");

    let counts = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            (
                customer::Entity::find().count(&db).await.expect("q"),
                source_record::Entity::find().count(&db).await.expect("q"),
                entity::delivery::Entity::find().count(&db).await.expect("q"),
                entity::vehicle::Entity::find().count(&db).await.expect("q"),
            )
        }
    };
    let before = counts(&app).await;
    let again = ingest(&app, &who, DELIVERY, record.clone(), "ingestDelivery").await;
    assert_eq!(again["outcome"], "UNCHANGED");
    assert_eq!(again["customerId"], first["customerId"]);
    assert_eq!(counts(&app).await, before);
    // The same content typed differently is the same record.
    let mut retyped = record.clone();
    retyped["deliveryDate"] = json!("2024-03-05");
    retyped["price"] = json!("189900");
    assert_eq!(ingest(&app, &who, DELIVERY, retyped, "ingestDelivery").await["outcome"], "UNCHANGED");

    // A changed record updates its facts and keeps the previous payload.
    let mut changed = record.clone();
    changed["price"] = json!("185,000.00");
    let updated = ingest(&app, &who, DELIVERY, changed, "ingestDelivery").await;
    assert_eq!(updated["outcome"], "UPDATED");
    assert_eq!(counts(&app).await, before);
    let price = entity::delivery::Entity::find()
        .filter(entity::delivery::Column::CustomerId.eq(id))
        .one(&app.db)
        .await
        .expect("q")
        .expect("delivery")
        .price_cents;
    assert_eq!(price, 18_500_000);
    assert_eq!(source_record_history::Entity::find().count(&app.db).await.expect("q"), 1);
    let audits =
        audit_log::Entity::find().filter(audit_log::Column::Action.eq("INGEST")).count(&app.db).await.expect("q");
    assert_eq!(audits, 4);
}

#[tokio::test]
async fn records_from_other_departments_find_the_same_customer() {
    let app = TestApp::new().await;
    let sales = integration(&app, "SALES").await;
    let service = integration(&app, "SERVICE").await;
    let insurance = integration(&app, "INSURANCE").await;
    let created = ingest(
        &app,
        &sales,
        DELIVERY,
        sale("S-2001", "林晓燕", "13911112222", &national_id("33010619900101123"), "LFMKA4BV0R0000777"),
        "ingestDelivery",
    )
    .await;
    let id = created["customerId"].clone();
    // Service: same phone typed differently, same name with an honorific.
    let ro = ingest(&app, &service, SERVICE, json!({
        "externalId": "RO-9", "customerName": "林晓燕女士", "phone": "+86 139 1111 2222", "vin": "lfmka4bv0r0000777",
        "mileage": "5,012", "serviceType": "首保", "openedAt": "2024/6/1 09:30", "closedAt": "2024/6/1 11:00", "amount": "0", "advisor": "zj01.service"
    }), "ingestRepairOrder").await;
    assert_eq!(ro["outcome"], "CREATED", "{ro}");
    assert_eq!(ro["customerId"], id);
    assert!(ro["matchReason"].as_str().expect("reason").contains("same phone"), "{ro}");
    // Insurance: by national ID alone (no phone).
    let policy = ingest(&app, &insurance, INSURANCE, json!({
        "externalId": "P-77", "customerName": "林晓燕", "nationalId": &national_id("33010619900101123"), "vin": "LFMKA4BV0R0000777",
        "insurer": "平安保险", "premium": "4,500.00", "startDate": "2024-03-05", "endDate": "2025-03-04"
    }), "ingestInsurancePolicy").await;
    assert_eq!(policy["customerId"], id);
    assert_eq!(policy["matchReason"], "same national ID");
    // A service record by VIN only, under the same name.
    let by_vin = ingest(&app, &service, SERVICE, json!({
        "externalId": "RO-10", "customerName": "林晓燕", "vin": "LFMKA4BV0R0000777", "serviceType": "保养", "openedAt": "2024-12-01", "amount": "680"
    }), "ingestRepairOrder").await;
    assert_eq!(by_vin["customerId"], id);
    assert!(by_vin["matchReason"].as_str().expect("reason").contains("VIN"));
    let orders = repair_order::Entity::find()
        .filter(repair_order::Column::CustomerId.eq(id.as_str().expect("id").parse::<i32>().expect("n")))
        .count(&app.db)
        .await
        .expect("q");
    assert_eq!(orders, 2);
}

#[tokio::test]
async fn a_family_sharing_a_phone_is_linked_not_merged_and_unsure_matches_are_queued() {
    let app = TestApp::new().await;
    let sales = integration(&app, "SALES").await;
    let husband = ingest(
        &app,
        &sales,
        DELIVERY,
        sale("S-3001", "张伟", "13733334444", &national_id("33010619800101123"), "LSGKB5S36RG000901"),
        "ingestDelivery",
    )
    .await;
    // The wife: same phone, different national ID and name.
    let wife = ingest(
        &app,
        &sales,
        DELIVERY,
        sale("S-3002", "李娜", "13733334444", &national_id("33010619820202124"), "LSGKB5S36RG000902"),
        "ingestDelivery",
    )
    .await;
    assert_ne!(husband["customerId"], wife["customerId"]);
    let links = customer_link::Entity::find().all(&app.db).await.expect("q");
    assert_eq!(links.len(), 1);
    assert!(links[0].reason.contains("different national ID"), "{}", links[0].reason);
    let view = app
        .data(
            "admin",
            "query($id: ID!) { customer(id: $id) { household { reason customer { id name } } } }",
            json!({"id": husband["customerId"]}),
        )
        .await;
    assert_eq!(view["customer"]["household"][0]["customer"]["id"], wife["customerId"]);
    assert_eq!(view["customer"]["household"][0]["customer"]["name"], "李娜");
    // A typo of the husband's name on the same phone: queued, not merged.
    let typo = ingest(
        &app,
        &sales,
        DELIVERY,
        json!({
            "externalId": "S-3003", "customerName": "张玮", "phone": "137 3333 4444", "vin": "LSGKB5S36RG000903",
            "deliveryDate": "2024-05-01", "price": "100000"
        }),
        "ingestDelivery",
    )
    .await;
    assert_ne!(typo["customerId"], husband["customerId"]);
    let queued = duplicate_candidate::Entity::find().all(&app.db).await.expect("q");
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].status, "OPEN");
    assert!(queued[0].reasons.to_string().contains("similar name"), "{}", queued[0].reasons);
}

#[tokio::test]
async fn invalid_records_are_rejected_field_by_field_and_write_nothing() {
    let app = TestApp::new().await;
    let sales = integration(&app, "SALES").await;
    let before = customer::Entity::find().count(&app.db).await.expect("q");
    let bad = ingest(
        &app,
        &sales,
        DELIVERY,
        json!({
            "externalId": "S-4001", "customerName": "  ", "phone": "12345", "nationalId": "110105194912310020",
            "vin": "LSVCA4C37RN12345I", "deliveryDate": "2024-02-30", "price": "12.345"
        }),
        "ingestDelivery",
    )
    .await;
    assert_eq!(bad["outcome"], "REJECTED");
    let fields: Vec<&str> =
        bad["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("f")).collect();
    for field in ["customer_name", "phone", "national_id", "vin", "delivery_date", "price"] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    assert_eq!(customer::Entity::find().count(&app.db).await.expect("q"), before);
    // Another store's code in the record is refused: the store comes from the account.
    let mut other = sale("S-4002", "王强", "13500001111", &national_id("11010519491231002"), "LSVCA4C37RN654321");
    other["storeCode"] = json!("ZJ02");
    let refused = ingest(&app, &sales, DELIVERY, other, "ingestDelivery").await;
    assert_eq!(refused["outcome"], "REJECTED");
    assert_eq!(refused["errors"][0]["field"], "store_code");
}

#[tokio::test]
async fn only_integration_accounts_of_the_right_department_ingest() {
    let app = TestApp::new().await;
    let record =
        json!({"r": sale("S-5001", "赵敏", "13600002222", &national_id("11010519491231002"), "LSVCA4C37RN777777")});
    for who in ["zj01.sales", "admin", "analyst"] {
        let response = app.run(Some(who), DELIVERY, record.clone()).await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{who}");
    }
    let service = integration(&app, "SERVICE").await;
    let response = app.run(Some(&service), DELIVERY, record).await;
    assert_eq!(error_codes(&response), ["FORBIDDEN"], "a service system cannot send sales");
}

#[tokio::test]
async fn a_batch_answers_per_record_in_order() {
    let app = TestApp::new().await;
    let sales = integration(&app, "SALES").await;
    let q =
        "mutation($rs: [SourceRecordInput!]!) { ingestBatch(records: $rs) { externalId outcome errors { field } } }";
    let records = json!([
        {"delivery": sale("B-1", "周杰", "13800001111", &national_id("11010519491231002"), "LSVCA4C37RN000001")},
        {"lead": {"externalId": "L-1", "customerName": "吴磊", "phone": "13800002222", "grade": "H", "intendedModel": "途观L", "budget": "200,000"}},
        {"delivery": {"externalId": "B-2", "customerName": "x", "vin": "bad", "deliveryDate": "x", "price": "x"}},
        {"repairOrder": {"externalId": "R-1", "customerName": "周杰", "vin": "LSVCA4C37RN000001", "serviceType": "保养", "openedAt": "2024-01-01", "amount": "1"}},
    ]);
    let data = app.data(&sales, q, json!({"rs": records})).await;
    let outcomes: Vec<(&str, &str)> = data["ingestBatch"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| (r["externalId"].as_str().expect("id"), r["outcome"].as_str().expect("outcome")))
        .collect();
    assert_eq!(outcomes, [("B-1", "CREATED"), ("L-1", "CREATED"), ("B-2", "REJECTED"), ("R-1", "REJECTED")]);
    let too_many: Vec<Value> = (0..1001).map(|i| json!({"lead": {"externalId": format!("L{i}"), "customerName": "x", "phone": "13800002222", "grade": "C"}})).collect();
    let response = app.run(Some(&sales), q, json!({"rs": too_many})).await;
    assert!(!response.errors.is_empty());
}
