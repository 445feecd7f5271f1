//! Token lifecycle, API keys and login throttling.

use customer_hub::domain::auth::authenticate;
use entity::enums::Role;
use entity::{audit_log, login_throttle};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::common::{ADMIN, CRM, INTEGRATION_1, MANAGER_1, Persona, SALES_1, TestApp, error_codes};

/// Runs `query` as the holder of `token`, the way the HTTP layer does.
async fn run_with_token(app: &TestApp, token: &str, query: &str) -> async_graphql::Response {
    let actor = authenticate(&app.db, &app.keys, token).await.expect("a valid credential");
    let scope = customer_hub::domain::Scope::new(actor);
    customer_hub::graphql::execute(
        &app.schema,
        &app.db,
        async_graphql::Request::new(query),
        Some(scope),
        Default::default(),
    )
    .await
}

#[tokio::test]
async fn refresh_issues_a_new_token_and_revokes_the_old_one() {
    let app = TestApp::new().await;
    let old = app.token(SALES_1).await;
    let response = run_with_token(&app, &old, "mutation { refreshToken { token expiresAt } }").await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().expect("json");
    let new = data["refreshToken"]["token"].as_str().expect("token").to_owned();
    assert_ne!(new, old);
    assert!(authenticate(&app.db, &app.keys, &old).await.is_err(), "the old token must be revoked");
    assert!(authenticate(&app.db, &app.keys, &new).await.is_ok());
}

#[tokio::test]
async fn logout_revokes_the_token_at_once() {
    let app = TestApp::new().await;
    let token = app.token(CRM).await;
    let response = run_with_token(&app, &token, "mutation { logout }").await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    assert!(authenticate(&app.db, &app.keys, &token).await.is_err());
    let logged =
        audit_log::Entity::find().filter(audit_log::Column::Action.eq("LOGOUT")).all(&app.db).await.expect("q");
    assert_eq!(logged.len(), 1);
}

#[tokio::test]
async fn api_keys_act_for_one_integration_account_until_revoked() {
    let app = TestApp::new().await;
    let create =
        "mutation($u: String!) { createApiKey(username: $u, name: \"ZJ01 DMS\") { key apiKey { id prefix } } }";
    let data = app.data(ADMIN, create, json!({"u": INTEGRATION_1.username()})).await;
    let key = data["createApiKey"]["key"].as_str().expect("key").to_owned();
    assert!(key.starts_with(data["createApiKey"]["apiKey"]["prefix"].as_str().expect("prefix")));
    let actor = authenticate(&app.db, &app.keys, &key).await.expect("key works");
    assert_eq!(actor.role, Role::Integration);
    assert_eq!(actor.store_id, Some(1));
    // Only integration accounts get keys, and only the admin hands them out.
    let wrong_account = app.run(Some(ADMIN), create, json!({"u": SALES_1.username()})).await;
    assert_eq!(error_codes(&wrong_account), ["BAD_USER_INPUT"]);
    let not_admin = app.run(Some(MANAGER_1), create, json!({"u": INTEGRATION_1.username()})).await;
    assert_eq!(error_codes(&not_admin), ["FORBIDDEN"]);
    // An integration key reads no customers.
    let read = run_with_token(&app, &key, "{ customers(first: 1) { edges { cursor } } }").await;
    assert_eq!(error_codes(&read), ["FORBIDDEN"]);
    let id = data["createApiKey"]["apiKey"]["id"].as_str().expect("id");
    app.data(ADMIN, &format!("mutation {{ revokeApiKey(id: \"{id}\") {{ revokedAt }} }}"), json!({})).await;
    assert!(authenticate(&app.db, &app.keys, &key).await.is_err(), "a revoked key must stop working");
    assert!(authenticate(&app.db, &app.keys, "hubk_not-a-key").await.is_err());
}

#[tokio::test]
async fn disabling_staff_through_the_api_stops_their_tokens_and_is_audited() {
    let app = TestApp::new().await;
    let token = app.token(Persona::Service(2)).await;
    let disable =
        |who: Persona| format!("mutation {{ setStaffActive(username: \"{who}\", active: false) {{ active }} }}");
    app.data(ADMIN, &disable(Persona::Service(2)), json!({})).await;
    assert!(authenticate(&app.db, &app.keys, &token).await.is_err());
    let own = app.run(Some(ADMIN), &disable(ADMIN), json!({})).await;
    assert_eq!(error_codes(&own), ["BAD_USER_INPUT"]);
    let entries =
        audit_log::Entity::find().filter(audit_log::Column::Action.eq("DISABLE_STAFF")).all(&app.db).await.expect("q");
    assert_eq!(entries.len(), 1);
}

#[tokio::test]
async fn repeated_failures_lock_a_username_known_or_not() {
    let app = TestApp::new().await;
    let login = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }";
    for user in [Persona::Sales(3).username(), "no.such.user".to_owned()] {
        for _ in 0..5 {
            let r = app.run(None, login, json!({"u": user, "p": "wrong"})).await;
            assert_eq!(error_codes(&r), ["UNAUTHENTICATED"], "{user}");
        }
        let locked = app.run(None, login, json!({"u": user, "p": "demo"})).await;
        assert_eq!(error_codes(&locked), ["TOO_MANY_ATTEMPTS"], "{user}");
    }
    // Others are unaffected, and a success clears the counter.
    let ok = app.run(None, login, json!({"u": Persona::Manager(3).username(), "p": "demo"})).await;
    assert!(ok.errors.is_empty());
    app.run(None, login, json!({"u": Persona::Sales(4).username(), "p": "wrong"})).await;
    app.run(None, login, json!({"u": Persona::Sales(4).username(), "p": "demo"})).await;
    assert!(login_throttle::Entity::find_by_id(Persona::Sales(4).username()).one(&app.db).await.expect("q").is_none());
    let failed =
        audit_log::Entity::find().filter(audit_log::Column::Action.eq("LOGIN_FAILED")).all(&app.db).await.expect("q");
    assert_eq!(failed.len(), 11);
}

#[test]
fn tokens_carry_every_claim_and_refuse_tokens_missing_one() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let keys = customer_hub::auth::TokenKeys::new(crate::common::SECRET, 3600);
    let now = chrono::Utc::now().timestamp();
    let full = json!({"sub": "1", "role": "GROUP_ADMIN", "store": null, "department": "MANAGEMENT", "iss": "customer-hub", "aud": "customer-hub-api", "exp": now + 600, "iat": now, "jti": "x"});
    let encode = |claims: &serde_json::Value| {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(crate::common::SECRET))
            .expect("encode")
    };
    assert!(keys.decode(&encode(&full)).is_some());
    for claim in ["sub", "role", "store", "department", "iss", "aud", "exp", "iat", "jti"] {
        let mut partial = full.clone();
        partial.as_object_mut().expect("object").remove(claim);
        assert!(keys.decode(&encode(&partial)).is_none(), "a token without `{claim}` must be refused");
    }
    let mut too_long = full.clone();
    too_long["exp"] = json!(now + 7200);
    too_long["iat"] = json!(now);
    assert!(keys.decode(&encode(&too_long)).is_none(), "a token living longer than an hour must be refused");
    let hs512 =
        jsonwebtoken::encode(&Header::new(Algorithm::HS512), &full, &EncodingKey::from_secret(crate::common::SECRET))
            .expect("encode");
    assert!(keys.decode(&hs512).is_none(), "the algorithm is pinned to HS256");
}
