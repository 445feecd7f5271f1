//! Ingestion by integration accounts: validation, idempotency, identity resolution,
//! households and the duplicate queue.

use entity::{
    audit_log, customer, customer_link, duplicate_candidate, repair_order, source_record, source_record_history,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::common::{
    ADMIN, ANALYST, Dept, INTEGRATION_1, Persona, SALES_1, SERVICE_1, TestApp, error_codes, gid, row_id,
};

const DELIVERY: &str = "mutation($r: DeliveryRecord!) { ingestDelivery(record: $r) { externalId outcome customerId sourceRecordId matchReason errors { field reason } } }";
const SERVICE: &str = "mutation($r: RepairOrderRecord!) { ingestRepairOrder(record: $r) { externalId outcome customerId matchReason errors { field reason } } }";
const INSURANCE: &str = "mutation($r: InsurancePolicyRecord!) { ingestInsurancePolicy(record: $r) { outcome customerId matchReason errors { field reason } } }";

/// A valid national ID from its first 17 digits.
fn national_id(first17: &str) -> String {
    format!("{first17}{}", customer_hub::domain::normalize::national_id_check(first17).expect("17 digits"))
}

fn sale(external_id: &str, name: &str, phone: &str, national_id: &str, vin: &str) -> Value {
    json!({
        "externalId": external_id, "customerName": name, "phone": phone, "nationalId": national_id,
        "gender": "男", "birthday": "1985/6/1", "address": "浙江省杭州市西湖区文三路100号",
        "vin": vin, "plate": "浙A·9X123", "brand": "Volkswagen", "model": "帕萨特", "modelYear": "2024",
        "deliveryDate": "2024年3月5日", "price": "189,900.00", "consultant": SALES_1.username(), "paymentMethod": "贷款"
    })
}

async fn ingest(app: &TestApp, who: Persona, query: &str, record: Value, field: &str) -> Value {
    let data = app.data(who, query, json!({"r": record})).await;
    data[field].clone()
}

#[tokio::test]
async fn a_delivery_creates_customer_vehicle_and_sale_and_a_resend_changes_nothing() {
    let app = TestApp::new().await;
    let who = INTEGRATION_1;
    let record = sale("S-1001", "陈 建国", "138-1111-2222", &national_id("11010519491231002"), "LSVCA4C37RN123456");
    let first = ingest(&app, who, DELIVERY, record.clone(), "ingestDelivery").await;
    assert_eq!(first["outcome"], "CREATED", "{first}");
    let id = row_id("Customer", &first["customerId"]);
    let c = customer::Entity::find_by_id(id).one(&app.db).await.expect("q").expect("customer");
    assert_eq!(c.name, "陈 建国");
    assert_eq!(c.id_number, Some(national_id("11010519491231002")));
    let view = app
        .data(ADMIN, "query($id: ID!) { customer(id: $id) { phones { number } vehicles { vin plate model } deliveries { price payment deliveredOn consultant { username } store { code } } stores { store { code } status } } }", json!({"id": gid("Customer", id)}))
        .await;
    assert_eq!(view["customer"]["vehicles"][0]["vin"], "LSVCA4C37RN123456");
    assert_eq!(view["customer"]["vehicles"][0]["plate"], "浙A9X123");
    assert_eq!(view["customer"]["deliveries"][0]["price"], "189900.00");
    assert_eq!(view["customer"]["deliveries"][0]["payment"], "LOAN");
    assert_eq!(view["customer"]["deliveries"][0]["deliveredOn"], "2024-03-05");
    assert_eq!(view["customer"]["deliveries"][0]["consultant"]["username"], SALES_1.username());
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
    let again = ingest(&app, who, DELIVERY, record.clone(), "ingestDelivery").await;
    assert_eq!(again["outcome"], "UNCHANGED");
    assert_eq!(again["customerId"], first["customerId"]);
    assert_eq!(counts(&app).await, before);
    // The same content typed differently is the same record.
    let mut retyped = record.clone();
    retyped["deliveryDate"] = json!("2024-03-05");
    retyped["price"] = json!("189900");
    assert_eq!(ingest(&app, who, DELIVERY, retyped, "ingestDelivery").await["outcome"], "UNCHANGED");

    // A changed record updates its facts and keeps the previous payload.
    let mut changed = record.clone();
    changed["price"] = json!("185,000.00");
    let updated = ingest(&app, who, DELIVERY, changed, "ingestDelivery").await;
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
    let sales = INTEGRATION_1;
    let service = Persona::Integration(1, Dept::Service);
    let insurance = Persona::Integration(1, Dept::Insurance);
    let created = ingest(
        &app,
        sales,
        DELIVERY,
        sale("S-2001", "林晓燕", "13911112222", &national_id("33010619900101123"), "LFMKA4BV0R0000777"),
        "ingestDelivery",
    )
    .await;
    let id = created["customerId"].clone();
    // Service: same phone typed differently, same name with an honorific.
    let ro = ingest(&app, service, SERVICE, json!({
        "externalId": "RO-9", "customerName": "林晓燕女士", "phone": "+86 139 1111 2222", "vin": "lfmka4bv0r0000777",
        "mileage": "5,012", "serviceType": "首保", "openedAt": "2024/6/1 09:30", "closedAt": "2024/6/1 11:00", "amount": "0", "advisor": SERVICE_1.username()
    }), "ingestRepairOrder").await;
    assert_eq!(ro["outcome"], "CREATED", "{ro}");
    assert_eq!(ro["customerId"], id);
    assert!(ro["matchReason"].as_str().expect("reason").contains("same phone"), "{ro}");
    // Insurance: by national ID alone (no phone).
    let policy = ingest(&app, insurance, INSURANCE, json!({
        "externalId": "P-77", "customerName": "林晓燕", "nationalId": &national_id("33010619900101123"), "vin": "LFMKA4BV0R0000777",
        "insurer": "平安保险", "premium": "4,500.00", "startDate": "2024-03-05", "endDate": "2025-03-04"
    }), "ingestInsurancePolicy").await;
    assert_eq!(policy["customerId"], id);
    assert!(policy["matchReason"].as_str().expect("reason").starts_with("same national ID"), "{policy}");
    // A service record by VIN only, under the same name.
    let by_vin = ingest(&app, service, SERVICE, json!({
        "externalId": "RO-10", "customerName": "林晓燕", "vin": "LFMKA4BV0R0000777", "serviceType": "保养", "openedAt": "2024-12-01", "amount": "680"
    }), "ingestRepairOrder").await;
    assert_eq!(by_vin["customerId"], id);
    assert!(by_vin["matchReason"].as_str().expect("reason").contains("VIN"));
    let orders = repair_order::Entity::find()
        .filter(repair_order::Column::CustomerId.eq(row_id("Customer", &id)))
        .count(&app.db)
        .await
        .expect("q");
    assert_eq!(orders, 2);
}

#[tokio::test]
async fn a_family_sharing_a_phone_is_linked_not_merged_and_unsure_matches_are_queued() {
    let app = TestApp::new().await;
    let sales = INTEGRATION_1;
    let husband = ingest(
        &app,
        sales,
        DELIVERY,
        sale("S-3001", "张伟", "13733334444", &national_id("33010619800101123"), "LSGKB5S36RG000901"),
        "ingestDelivery",
    )
    .await;
    // The wife: same phone, different national ID and name.
    let wife = ingest(
        &app,
        sales,
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
            ADMIN,
            "query($id: ID!) { customer(id: $id) { household { reason customer { id name } } } }",
            json!({"id": husband["customerId"]}),
        )
        .await;
    assert_eq!(view["customer"]["household"][0]["customer"]["id"], wife["customerId"]);
    assert_eq!(view["customer"]["household"][0]["customer"]["name"], "李娜");
    // The husband's name typed with a character that sounds alike (张玮 for 张伟) on the
    // same phone: the same person, and the reason shows the evidence with its weights.
    let sounds = ingest(
        &app,
        sales,
        DELIVERY,
        json!({
            "externalId": "S-3003", "customerName": "张玮", "phone": "137 3333 4444", "vin": "LSGKB5S36RG000903",
            "deliveryDate": "2024-05-01", "price": "100000"
        }),
        "ingestDelivery",
    )
    .await;
    assert_eq!(sounds["customerId"], husband["customerId"], "{sounds}");
    let reason = sounds["matchReason"].as_str().expect("reason");
    assert!(reason.starts_with("same phone 137****4444, name sounds alike (张伟 / 张玮); score"), "{reason}");
    assert!(reason.contains("name (张伟 / 张玮) sounds alike (+"), "{reason}");
    // A character that only looks alike (张伍): queued for a person, not merged.
    let typo = ingest(
        &app,
        sales,
        DELIVERY,
        json!({
            "externalId": "S-3004", "customerName": "张伍", "phone": "137 3333 4444", "vin": "LSGKB5S36RG000904",
            "deliveryDate": "2024-05-01", "price": "100000"
        }),
        "ingestDelivery",
    )
    .await;
    assert_ne!(typo["customerId"], husband["customerId"]);
    let queued = duplicate_candidate::Entity::find().all(&app.db).await.expect("q");
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].status, entity::enums::CandidateStatus::Open);
    assert!(queued[0].reasons.to_string().contains("name one character apart (张伟 / 张伍)"), "{}", queued[0].reasons);
    assert!((50..100).contains(&queued[0].score), "{}", queued[0].score);
}

#[tokio::test]
async fn invalid_records_are_rejected_field_by_field_and_write_nothing() {
    let app = TestApp::new().await;
    let sales = INTEGRATION_1;
    let before = customer::Entity::find().count(&app.db).await.expect("q");
    let bad = ingest(
        &app,
        sales,
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
    let refused = ingest(&app, sales, DELIVERY, other, "ingestDelivery").await;
    assert_eq!(refused["outcome"], "REJECTED");
    assert_eq!(refused["errors"][0]["field"], "store_code");
}

#[tokio::test]
async fn only_integration_accounts_of_the_right_department_ingest() {
    let app = TestApp::new().await;
    let record =
        json!({"r": sale("S-5001", "赵敏", "13600002222", &national_id("11010519491231002"), "LSVCA4C37RN777777")});
    for who in [SALES_1, ADMIN, ANALYST] {
        let response = app.run(Some(who), DELIVERY, record.clone()).await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{who}");
    }
    let service = Persona::Integration(1, Dept::Service);
    let response = app.run(Some(service), DELIVERY, record).await;
    assert_eq!(error_codes(&response), ["FORBIDDEN"], "a service system cannot send sales");
}

#[tokio::test]
async fn a_batch_answers_per_record_in_order() {
    let app = TestApp::new().await;
    let sales = INTEGRATION_1;
    let q =
        "mutation($rs: [SourceRecordInput!]!) { ingestBatch(records: $rs) { externalId outcome errors { field } } }";
    let records = json!([
        {"delivery": sale("B-1", "周杰", "13800001111", &national_id("11010519491231002"), "LSVCA4C37RN000001")},
        {"lead": {"externalId": "L-1", "customerName": "吴磊", "phone": "13800002222", "grade": "H", "intendedModel": "途观L", "budget": "200,000"}},
        {"delivery": {"externalId": "B-2", "customerName": "x", "vin": "bad", "deliveryDate": "x", "price": "x"}},
        {"repairOrder": {"externalId": "R-1", "customerName": "周杰", "vin": "LSVCA4C37RN000001", "serviceType": "保养", "openedAt": "2024-01-01", "amount": "1"}},
    ]);
    let data = app.data(sales, q, json!({"rs": records})).await;
    let outcomes: Vec<(&str, &str)> = data["ingestBatch"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| (r["externalId"].as_str().expect("id"), r["outcome"].as_str().expect("outcome")))
        .collect();
    assert_eq!(outcomes, [("B-1", "CREATED"), ("L-1", "CREATED"), ("B-2", "REJECTED"), ("R-1", "REJECTED")]);
    let too_many: Vec<Value> = (0..1001).map(|i| json!({"lead": {"externalId": format!("L{i}"), "customerName": "x", "phone": "13800002222", "grade": "C"}})).collect();
    let response = app.run(Some(sales), q, json!({"rs": too_many})).await;
    assert!(!response.errors.is_empty());
}

#[tokio::test]
async fn a_form_of_address_is_kept_out_of_the_customers_name() {
    let app = TestApp::new().await;
    let sales = INTEGRATION_1;
    let lead = "mutation($r: LeadRecord!) { ingestLead(record: $r) { outcome customerId } }";
    let first = app
        .data(
            sales,
            lead,
            json!({"r": {"externalId": "L-H1", "customerName": "陈玉兰女士", "phone": "13822223333", "grade": "H"}}),
        )
        .await;
    let id = row_id("Customer", &first["ingestLead"]["customerId"]);
    assert_eq!(customer::Entity::find_by_id(id).one(&app.db).await.expect("q").expect("c").name, "陈玉兰");
    // The same person typed with another form of address is still matched by name and phone.
    let again = app
        .data(
            sales,
            lead,
            json!({"r": {"externalId": "L-H2", "customerName": "陈玉兰 小姐", "phone": "138 2222 3333", "grade": "A"}}),
        )
        .await;
    assert_eq!(again["ingestLead"]["customerId"], first["ingestLead"]["customerId"]);
    assert_eq!(customer::Entity::find_by_id(id).one(&app.db).await.expect("q").expect("c").name, "陈玉兰");
}

#[tokio::test]
async fn a_resent_record_with_another_persons_identity_is_resolved_again() {
    let app = TestApp::new().await;
    let sales = INTEGRATION_1;
    let husband_id = national_id("33010619800101123");
    let wife_id = national_id("33010619820202124");
    let husband = ingest(
        &app,
        sales,
        DELIVERY,
        sale("S-6001", "张伟", "13744445555", &husband_id, "LSGKB5S36RG000911"),
        "ingestDelivery",
    )
    .await;
    let wife = ingest(
        &app,
        sales,
        DELIVERY,
        sale("S-6002", "李娜", "13766667777", &wife_id, "LSGKB5S36RG000912"),
        "ingestDelivery",
    )
    .await;
    assert_ne!(husband["customerId"], wife["customerId"]);
    // The sales system corrects S-6001: the car was bought by the wife (her ID and phone).
    let corrected = ingest(
        &app,
        sales,
        DELIVERY,
        sale("S-6001", "李娜", "13766667777", &wife_id, "LSGKB5S36RG000911"),
        "ingestDelivery",
    )
    .await;
    assert_eq!(corrected["outcome"], "UPDATED", "{corrected}");
    assert_eq!(corrected["customerId"], wife["customerId"], "{corrected}");
    assert!(corrected["matchReason"].as_str().expect("reason").starts_with("same national ID"), "{corrected}");
    let wife_id_number = row_id("Customer", &wife["customerId"]);
    let source = source_record::Entity::find_by_id(row_id("SourceRecord", &corrected["sourceRecordId"]))
        .one(&app.db)
        .await
        .expect("q")
        .expect("source");
    assert_eq!(source.customer_id, wife_id_number);
    let deliveries = entity::delivery::Entity::find()
        .filter(entity::delivery::Column::SourceRecordId.eq(source.id))
        .all(&app.db)
        .await
        .expect("q");
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].customer_id, wife_id_number, "the fact follows its record");
}

#[tokio::test]
async fn a_resent_record_with_a_new_phone_of_the_same_person_stays_and_adds_it() {
    let app = TestApp::new().await;
    let sales = INTEGRATION_1;
    let lead = "mutation($r: LeadRecord!) { ingestLead(record: $r) { outcome customerId } }";
    let first = app
        .data(
            sales,
            lead,
            json!({"r": {"externalId": "L-P1", "customerName": "王芳", "phone": "13900001111", "grade": "H"}}),
        )
        .await;
    let changed = app
        .data(
            sales,
            lead,
            json!({"r": {"externalId": "L-P1", "customerName": "王芳", "phone": "13900002222", "grade": "H"}}),
        )
        .await;
    assert_eq!(changed["ingestLead"]["outcome"], "UPDATED");
    assert_eq!(changed["ingestLead"]["customerId"], first["ingestLead"]["customerId"]);
    let id = row_id("Customer", &first["ingestLead"]["customerId"]);
    let phones: Vec<String> = entity::contact_point::Entity::find()
        .filter(entity::contact_point::Column::CustomerId.eq(id))
        .all(&app.db)
        .await
        .expect("q")
        .into_iter()
        .map(|c| c.normalized)
        .collect();
    assert!(phones.contains(&"+8613900002222".to_owned()), "{phones:?}");
    // Another name on the resent record: someone else, a customer of their own.
    let other = app
        .data(
            sales,
            lead,
            json!({"r": {"externalId": "L-P1", "customerName": "赵敏", "phone": "13900003333", "grade": "H"}}),
        )
        .await;
    assert_eq!(other["ingestLead"]["outcome"], "UPDATED");
    assert_ne!(other["ingestLead"]["customerId"], first["ingestLead"]["customerId"]);
}

#[tokio::test]
async fn an_overlong_field_is_refused_by_name_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let sales = INTEGRATION_1;
    let counts = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            (
                customer::Entity::find().count(&db).await.expect("q"),
                source_record::Entity::find().count(&db).await.expect("q"),
                audit_log::Entity::find().filter(audit_log::Column::Action.eq("INGEST")).count(&db).await.expect("q"),
            )
        }
    };
    let before = counts(&app).await;
    let mut record = sale("S-7001", "王伟", "13500002222", &national_id("11010519491231002"), "LSVCA4C37RN100001");
    record["customerName"] = json!("王".repeat(100_000));
    let response = app.run(Some(sales), DELIVERY, json!({"r": record})).await;
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"]);
    let field = response.errors[0].extensions.as_ref().and_then(|x| x.get("field")).cloned();
    assert_eq!(field, Some(async_graphql::Value::String("customerName".into())));
    assert!(response.errors[0].message.len() < 200, "the value is not echoed");
    // A megabyte in a field with the general limit, in a batch with a valid record.
    let q = "mutation($rs: [SourceRecordInput!]!) { ingestBatch(records: $rs) { outcome } }";
    let valid = sale("S-7002", "王伟", "13500002222", &national_id("11010519491231002"), "LSVCA4C37RN100002");
    let mut huge = sale("S-7003", "李强", "13500003333", &national_id("11010519491231002"), "LSVCA4C37RN100003");
    huge["brand"] = json!("x".repeat(1_000_000));
    let started = std::time::Instant::now();
    let response = app.run(Some(sales), q, json!({"rs": [{"delivery": valid}, {"delivery": huge}]})).await;
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"]);
    let field = response.errors[0].extensions.as_ref().and_then(|x| x.get("field")).cloned();
    assert_eq!(field, Some(async_graphql::Value::String("brand".into())));
    assert!(response.errors[0].message.contains("record 2"), "{}", response.errors[0].message);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "refused cheaply: {:?}", started.elapsed());
    assert_eq!(counts(&app).await, before, "nothing stored, nothing audited");
    // At the limit is fine.
    let mut at_limit = sale("S-7004", "王伟", "13500002222", &national_id("11010519491231002"), "LSVCA4C37RN100004");
    at_limit["address"] = json!("浙".repeat(customer_hub::domain::limits::ADDRESS));
    let ok = ingest(&app, sales, DELIVERY, at_limit, "ingestDelivery").await;
    assert_eq!(ok["outcome"], "CREATED", "{ok}");
}

/// A batch goes in as one set; when the database refuses one of its records (a trigger
/// refuses one name), the set is rolled back and the records are stored one by one: that
/// record alone is REJECTED with the database's refusal hidden behind the request id, the
/// others are CREATED, each answer in its place.
#[tokio::test]
async fn a_record_the_database_refuses_is_rejected_alone_from_its_batch() {
    let app = TestApp::new().await;
    crate::common::refuse_customers_named(&app, "拒绝户").await;
    let q =
        "mutation($rs: [SourceRecordInput!]!) { ingestBatch(records: $rs) { externalId outcome errors { reason } } }";
    let lead = |id: &str, name: &str, phone: &str| json!({"lead": {"externalId": id, "customerName": name, "phone": phone, "grade": "A"}});
    let records = json!([
        lead("F-1", "钱多多", "13811110001"),
        lead("F-2", "拒绝户", "13811110002"),
        lead("F-3", "孙小美", "13811110003"),
        lead("F-1", "钱多多", "13811110001"),
    ]);
    let data = app.data(INTEGRATION_1, q, json!({"rs": records})).await;
    let results = data["ingestBatch"].as_array().expect("results");
    let outcomes: Vec<(&str, &str)> = results
        .iter()
        .map(|r| (r["externalId"].as_str().expect("id"), r["outcome"].as_str().expect("outcome")))
        .collect();
    assert_eq!(outcomes, [("F-1", "CREATED"), ("F-2", "REJECTED"), ("F-3", "CREATED"), ("F-1", "UNCHANGED")]);
    let reason = results[1]["errors"][0]["reason"].as_str().expect("reason");
    assert!(reason.contains("request id") && !reason.contains("trigger"), "{reason}");
}

#[tokio::test]
async fn a_company_car_brought_in_by_its_driver_links_the_driver_as_driver() {
    let app = TestApp::new().await;
    let vin = "LFMKA4BV0R0000888";
    let company = ingest(
        &app,
        INTEGRATION_1,
        DELIVERY,
        sale("S-3001", "杭州顺达物流有限公司", "057188886666", "", vin),
        "ingestDelivery",
    )
    .await;
    assert_eq!(company["outcome"], "CREATED", "{company}");
    let service = Persona::Integration(1, Dept::Service);
    let visit = |ext: &str, day: &str| {
        json!({
            "externalId": ext, "customerName": "王建国", "phone": "13800001111", "vin": vin,
            "mileage": "12,000", "serviceType": "保养", "openedAt": day, "amount": "680", "advisor": SERVICE_1.username()
        })
    };
    let driver = ingest(&app, service, SERVICE, visit("RO-31", "2024/9/1 09:30"), "ingestRepairOrder").await;
    assert_eq!(driver["outcome"], "CREATED", "{driver}");
    assert_ne!(driver["customerId"], company["customerId"], "a driver is never merged into the company");
    // A second visit by the same driver adds no second link.
    let again = ingest(&app, service, SERVICE, visit("RO-32", "2025/3/1 10:00"), "ingestRepairOrder").await;
    assert_eq!(again["customerId"], driver["customerId"]);
    let current: Vec<(i32, entity::enums::OwnershipRole)> = entity::vehicle_ownership::Entity::find()
        .filter(entity::vehicle_ownership::Column::ToDate.is_null())
        .all(&app.db)
        .await
        .expect("q")
        .into_iter()
        .filter(|o| {
            [row_id("Customer", &company["customerId"]), row_id("Customer", &driver["customerId"])]
                .contains(&o.customer_id)
        })
        .map(|o| (o.customer_id, o.role))
        .collect();
    assert_eq!(
        current,
        vec![
            (row_id("Customer", &company["customerId"]), entity::enums::OwnershipRole::Owner),
            (row_id("Customer", &driver["customerId"]), entity::enums::OwnershipRole::Driver),
        ]
    );
    // Another driver of the same car is a person of his own, not a candidate for the first.
    let second = ingest(
        &app,
        service,
        SERVICE,
        json!({
            "externalId": "RO-34", "customerName": "李强", "phone": "13800002222", "vin": vin,
            "serviceType": "保养", "openedAt": "2025/5/1 10:00", "amount": "680"
        }),
        "ingestRepairOrder",
    )
    .await;
    assert_ne!(second["customerId"], driver["customerId"]);
    assert_ne!(second["customerId"], company["customerId"]);
    let queued = duplicate_candidate::Entity::find().all(&app.db).await.expect("q");
    let second_id = row_id("Customer", &second["customerId"]);
    let first_id = row_id("Customer", &driver["customerId"]);
    assert!(
        !queued
            .iter()
            .any(|c| [c.customer_a, c.customer_b].contains(&second_id)
                && [c.customer_a, c.customer_b].contains(&first_id)),
        "two drivers of one car are not queued as one person"
    );
    let company_id = row_id("Customer", &company["customerId"]);
    assert!(
        !queued.iter().any(|c| [c.customer_a, c.customer_b].contains(&company_id)),
        "a driver is no candidate for being the company: {queued:?}"
    );
    // The driver's 360 shows the car he drives, with its history.
    let seen = app
        .data(
            ADMIN,
            "query($c: ID!) { customer(id: $c) { vehicles { vin ownershipHistory { role } } } }",
            json!({"c": driver["customerId"]}),
        )
        .await;
    assert_eq!(seen["customer"]["vehicles"][0]["vin"], vin, "{seen}");
    // A private owner's car serviced by someone else stays as it was (a resold car is
    // handed over by its delivery, not by a workshop visit).
    let private = ingest(
        &app,
        INTEGRATION_1,
        DELIVERY,
        sale("S-3002", "林晓燕", "13911113333", "", "LFMKA4BV0R0000999"),
        "ingestDelivery",
    )
    .await;
    let other = ingest(
        &app,
        service,
        SERVICE,
        json!({
            "externalId": "RO-33", "customerName": "陈志强", "phone": "13700002222", "vin": "LFMKA4BV0R0000999",
            "serviceType": "保养", "openedAt": "2024/10/1 09:00", "amount": "500"
        }),
        "ingestRepairOrder",
    )
    .await;
    let drivers = entity::vehicle_ownership::Entity::find()
        .filter(entity::vehicle_ownership::Column::CustomerId.eq(row_id("Customer", &other["customerId"])))
        .count(&app.db)
        .await
        .expect("q");
    assert_eq!(drivers, 0, "{private} {other}");
}

#[tokio::test]
async fn a_customer_known_only_as_wang_xiansheng_takes_the_full_name_and_never_loses_it() {
    let app = TestApp::new().await;
    let service = Persona::Integration(1, Dept::Service);
    let desk = ingest(
        &app,
        service,
        SERVICE,
        json!({
            "externalId": "RO-W1", "customerName": "王先生", "phone": "13955556666", "vin": "LSGKB5S36RG000921",
            "serviceType": "保养", "openedAt": "2024-06-01 09:30", "amount": "680"
        }),
        "ingestRepairOrder",
    )
    .await;
    let id = row_id("Customer", &desk["customerId"]);
    let name = |app: &TestApp| {
        let db = app.db.clone();
        async move { customer::Entity::find_by_id(id).one(&db).await.expect("q").expect("c").name }
    };
    assert_eq!(name(&app).await, "王", "the form of address is not kept as the name");
    // The sale brings the full name on the same phone and car: the same customer, named.
    let sale = ingest(
        &app,
        INTEGRATION_1,
        DELIVERY,
        sale("S-W1", "王伟", "139 5555 6666", &national_id("33010619800101123"), "LSGKB5S36RG000921"),
        "ingestDelivery",
    )
    .await;
    assert_eq!(sale["customerId"], desk["customerId"], "{sale}");
    assert_eq!(name(&app).await, "王伟");
    // The desk's 王总 later changes nothing of the name.
    let again = ingest(
        &app,
        service,
        SERVICE,
        json!({
            "externalId": "RO-W2", "customerName": "王总", "phone": "13955556666", "vin": "LSGKB5S36RG000921",
            "serviceType": "保养", "openedAt": "2024-12-01 09:30", "amount": "680"
        }),
        "ingestRepairOrder",
    )
    .await;
    assert_eq!(again["customerId"], desk["customerId"], "{again}");
    assert_eq!(name(&app).await, "王伟");
}
