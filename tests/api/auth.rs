use serde_json::json;

use crate::common::{ADMIN, Persona, SALES_1, TestApp, error_codes};

const LOGIN: &str = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token expiresAt staff { username role } } }";

#[tokio::test]
async fn login_returns_a_token_that_identifies_the_staff_member() {
    let app = TestApp::new().await;
    let response = app.run(None, LOGIN, json!({"u": ADMIN.username(), "p": "demo"})).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().expect("json");
    assert_eq!(data["login"]["staff"]["username"], ADMIN.username());
    assert_eq!(data["login"]["staff"]["role"], "GROUP_ADMIN");
    let token = data["login"]["token"].as_str().expect("token");
    let claims = app.keys.decode(token).expect("a valid token");
    assert_eq!(claims.role, "GROUP_ADMIN");
    assert_eq!(claims.store, None);
    let sales = app.run(None, LOGIN, json!({"u": Persona::Sales(2).username(), "p": "demo"})).await;
    let data = sales.data.into_json().expect("json");
    let claims = app.keys.decode(data["login"]["token"].as_str().expect("token")).expect("valid");
    assert_eq!(claims.role, "SALES_CONSULTANT");
    assert_eq!(claims.department, "SALES");
    assert_eq!(claims.store, Some(2));
    // The login payload names the staff member's store (no caller's loaders exist yet).
    let query = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { staff { store { code } } } }";
    let with_store = app.run(None, query, json!({"u": Persona::Sales(2).username(), "p": "demo"})).await;
    assert!(with_store.errors.is_empty(), "{:?}", with_store.errors);
    assert_eq!(with_store.data.into_json().expect("json")["login"]["staff"]["store"]["code"], "ZJ02");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_error() {
    let app = TestApp::new().await;
    let wrong = app.run(None, LOGIN, json!({"u": ADMIN.username(), "p": "nope"})).await;
    let unknown = app.run(None, LOGIN, json!({"u": "nobody", "p": "demo"})).await;
    assert_eq!(error_codes(&wrong), vec!["UNAUTHENTICATED"]);
    assert_eq!(error_codes(&unknown), vec!["UNAUTHENTICATED"]);
    assert_eq!(wrong.errors[0].message, unknown.errors[0].message);
}

#[tokio::test]
async fn every_field_but_login_needs_a_token() {
    let app = TestApp::new().await;
    for query in [
        "{ me { username } }",
        "{ stores { code } }",
        "{ customer(id: \"Q3VzdG9tZXI6MQ\") { name } }",
        "{ customerByPhone(phone: \"13800138000\") { name } }",
        "{ vehicle(vin: \"LSVAB2BM0R0000001\") { vin } }",
        "{ customers { edges { node { name } } } }",
    ] {
        let response = app.run(None, query, json!({})).await;
        assert_eq!(error_codes(&response), vec!["UNAUTHENTICATED"], "{query}");
        assert_eq!(response.data.into_json().expect("json"), serde_json::Value::Null, "{query}");
    }
}

#[tokio::test]
async fn me_describes_the_caller() {
    let app = TestApp::new().await;
    let data = app.data(Persona::Service(3), "{ me { username role department store { code } } }", json!({})).await;
    assert_eq!(data["me"]["username"], Persona::Service(3).username());
    assert_eq!(data["me"]["role"], "SERVICE_ADVISOR");
    assert_eq!(data["me"]["department"], "SERVICE");
    assert_eq!(data["me"]["store"]["code"], "ZJ03");
}

#[tokio::test]
async fn disabled_staff_cannot_log_in_or_use_old_tokens() {
    use entity::staff;
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

    let app = TestApp::new().await;
    let token = app.token(SALES_1).await;
    assert!(customer_hub::domain::auth::authenticate(&app.db, &app.keys, &token).await.is_ok());
    let mut account = app.staff(SALES_1).await.into_active_model();
    account.active = Set(false);
    let _: staff::Model = account.update(&app.db).await.expect("disable");
    assert!(customer_hub::domain::auth::authenticate(&app.db, &app.keys, &token).await.is_err());
    let response = app.run(None, LOGIN, json!({"u": SALES_1.username(), "p": "demo"})).await;
    assert_eq!(error_codes(&response), vec!["UNAUTHENTICATED"]);
}
