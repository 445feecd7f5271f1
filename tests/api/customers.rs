use std::collections::HashSet;

use entity::{contact_point, customer, enums::ContactKind, repair_order, vehicle, vehicle_ownership};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::common::{ADMIN, CRM, TestApp, error_codes, gid};

/// A demo customer who has a vehicle and service history, with their primary phone.
async fn serviced_customer(app: &TestApp) -> (i32, String) {
    let order = repair_order::Entity::find()
        .order_by_asc(repair_order::Column::Id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("demo has repair orders");
    let phone = contact_point::Entity::find()
        .filter(contact_point::Column::CustomerId.eq(order.customer_id))
        .filter(contact_point::Column::Kind.eq(ContactKind::Phone))
        .filter(contact_point::Column::IsPrimary.eq(true))
        .one(&app.db)
        .await
        .expect("query")
        .expect("primary phone");
    (order.customer_id, phone.value)
}

const BY_PHONE: &str = "query($p: String!) { customerByPhone(phone: $p) { id name phones { number } vehicles { vin plate brand model } repairOrders { kind amount store { code } } insurancePolicies { insurer } deliveries { price } leads { grade status } partsOrders { amount } stores { status store { code } manager { username } } } }";

#[tokio::test]
async fn customer_by_phone_finds_the_customer_however_the_number_is_typed() {
    let app = TestApp::new().await;
    let (id, phone) = serviced_customer(&app).await;
    let digits = &phone;
    let forms = [
        digits.clone(),
        format!("{}-{}-{}", &digits[..3], &digits[3..7], &digits[7..]),
        format!("+86 {} {} {}", &digits[..3], &digits[3..7], &digits[7..]),
        format!("0086{digits}"),
    ];
    for form in forms {
        let data = app.data(ADMIN, BY_PHONE, json!({"p": form})).await;
        let found = &data["customerByPhone"];
        assert_eq!(found["id"], gid("Customer", id), "typed as {form}");
        assert!(!found["vehicles"].as_array().expect("list").is_empty());
        assert!(!found["repairOrders"].as_array().expect("list").is_empty());
        assert_eq!(found["phones"][0]["number"], format!("{}****{}", &digits[..3], &digits[7..]));
        assert!(found["stores"][0]["manager"]["username"].is_string());
    }
    let data = app.data(ADMIN, BY_PHONE, json!({"p": "13000000000"})).await;
    assert!(data["customerByPhone"].is_null());
}

#[tokio::test]
async fn customer_by_id_returns_linked_records_and_null_for_unknown_ids() {
    let app = TestApp::new().await;
    let (id, _) = serviced_customer(&app).await;
    let expected_orders = repair_order::Entity::find()
        .filter(repair_order::Column::CustomerId.eq(id))
        .count(&app.db)
        .await
        .expect("count");
    let data = app
        .data(
            ADMIN,
            "query($id: ID!) { customer(id: $id) { id repairOrders { id mileage } } }",
            json!({"id": gid("Customer", id)}),
        )
        .await;
    assert_eq!(data["customer"]["repairOrders"].as_array().expect("list").len() as u64, expected_orders);
    // Missing, malformed, plain decimal (ids are opaque) or of another type: no customer.
    for missing in
        [gid("Customer", 999_999), "abc".into(), "-1".into(), id.to_string(), gid("Vehicle", id), gid("Lead", id)]
    {
        let data = app.data(ADMIN, "query($id: ID!) { customer(id: $id) { id } }", json!({"id": missing})).await;
        assert!(data["customer"].is_null(), "{missing}");
    }
}

#[tokio::test]
async fn merged_customer_ids_resolve_to_the_survivor() {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let app = TestApp::new().await;
    let mut loser =
        customer::Entity::find_by_id(2).one(&app.db).await.expect("q").expect("customer 2").into_active_model();
    loser.merged_into = Set(Some(1));
    let _: customer::Model = loser.update(&app.db).await.expect("merge");
    let data = app.data(ADMIN, "query($id: ID!) { customer(id: $id) { id } }", json!({"id": gid("Customer", 2)})).await;
    assert_eq!(data["customer"]["id"], gid("Customer", 1));
}

#[tokio::test]
async fn vehicle_by_vin_ignores_case_and_shows_history() {
    let app = TestApp::new().await;
    let car = vehicle::Entity::find().one(&app.db).await.expect("q").expect("vehicle");
    let owner = vehicle_ownership::Entity::find()
        .filter(vehicle_ownership::Column::VehicleId.eq(car.id))
        .one(&app.db)
        .await
        .expect("q")
        .expect("owner");
    let data = app
        .data(
            CRM,
            "query($v: String!) { vehicle(vin: $v) { vin plate ownershipHistory { role customer { id } } repairOrders { kind } } }",
            json!({"v": car.vin.to_lowercase()}),
        )
        .await;
    assert_eq!(data["vehicle"]["vin"], car.vin);
    assert_eq!(data["vehicle"]["ownershipHistory"][0]["customer"]["id"], gid("Customer", owner.customer_id));
    let none = app.data(CRM, "{ vehicle(vin: \"LSVAAAAAAAAAAAAAA\") { vin } }", json!({})).await;
    assert!(none["vehicle"].is_null());
}

const PAGE: &str = "query($first: Int, $after: String) { customers(first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";

#[tokio::test]
async fn paging_through_customers_returns_each_exactly_once() {
    let app = TestApp::new().await;
    let total = customer::Entity::find().count(&app.db).await.expect("count");
    let mut seen = HashSet::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let data = app.data(ADMIN, PAGE, json!({"first": 7, "after": after})).await;
        let conn = &data["customers"];
        for edge in conn["edges"].as_array().expect("edges") {
            assert!(seen.insert(edge["node"]["id"].as_str().expect("id").to_owned()), "duplicate {edge}");
        }
        pages += 1;
        if !conn["pageInfo"]["hasNextPage"].as_bool().expect("bool") {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(pages < 100, "runaway paging");
    }
    assert_eq!(seen.len() as u64, total);
    assert_eq!(pages, total.div_ceil(7));
}

#[tokio::test]
async fn bad_page_arguments_are_refused_with_a_code() {
    let app = TestApp::new().await;
    for (first, after) in [(json!(0), json!(null)), (json!(101), json!(null)), (json!(10), json!("not-a-cursor"))] {
        let response = app.run(Some(ADMIN), PAGE, json!({"first": first, "after": after})).await;
        assert_eq!(error_codes(&response), vec!["BAD_USER_INPUT"], "first={first} after={after}");
    }
}
