//! Step 7 — fewer round trips (issue 10, first part): statements per request counted on a
//! connection that counts what it runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use customer_hub::domain::Scope;
use entity::{contact_point, enums::ContactKind};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;

use crate::common::{ADMIN, MANAGER_1, TestApp};

fn counting(app: &TestApp) -> (DatabaseConnection, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let mut db = app.db.clone();
    let counter = count.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    (db, count)
}

/// Authenticating an access token is one statement (the account, active, and the token
/// not revoked), and still refuses a revoked token and a disabled account.
#[tokio::test]
async fn authentication_costs_one_statement() {
    let app = TestApp::new().await;
    let (db, count) = counting(&app);
    let token = app.token(MANAGER_1).await;
    count.store(0, Ordering::SeqCst);
    let actor = customer_hub::domain::auth::authenticate(&db, &app.keys, &token).await;
    assert!(actor.is_ok());
    assert_eq!(count.load(Ordering::SeqCst), 1, "statements to authenticate");
    // Revoked: the same token is refused at once.
    let claims = app.keys.decode(&token).expect("claims");
    let now = chrono::Utc::now();
    entity::revoked_token::Entity::insert(entity::revoked_token::ActiveModel {
        jti: sea_orm::Set(claims.jti.clone()),
        staff_id: sea_orm::Set(claims.sub.parse().expect("id")),
        expires_at: sea_orm::Set(now + chrono::Duration::hours(1)),
        revoked_at: sea_orm::Set(now),
    })
    .exec_without_returning(&app.db)
    .await
    .expect("revoke");
    let refused = customer_hub::domain::auth::authenticate(&db, &app.keys, &token).await;
    assert_eq!(refused.err().map(|e| e.code()), Some("UNAUTHENTICATED"), "a revoked token");
    let other = app.token(crate::common::SALES_1).await;
    let q = "mutation($u: String!) { setStaffActive(username: $u, active: false) { active } }";
    app.data(ADMIN, q, json!({"u": crate::common::SALES_1.username()})).await;
    let disabled = customer_hub::domain::auth::authenticate(&db, &app.keys, &other).await;
    assert_eq!(disabled.err().map(|e| e.code()), Some("UNAUTHENTICATED"), "a disabled account");
}

/// `customerByPhone` finds its customer in two statements (the phone's holders in scope,
/// then the live customer), not one look-up per holder.
#[tokio::test]
async fn customer_by_phone_reads_the_customer_once() {
    let app = TestApp::new().await;
    let (db, count) = counting(&app);
    let phone = contact_point::Entity::find()
        .filter(contact_point::Column::Kind.eq(ContactKind::Phone))
        .filter(contact_point::Column::IsPrimary.eq(true))
        .one(&app.db)
        .await
        .expect("q")
        .expect("a phone");
    let schema = customer_hub::graphql::build_schema(db.clone(), app.keys.clone(), &Default::default());
    let request = async_graphql::Request::new("query($p: String!) { customerByPhone(phone: $p) { id name } }")
        .variables(async_graphql::Variables::from_json(json!({"p": phone.value})));
    count.store(0, Ordering::SeqCst);
    let response = customer_hub::graphql::execute(
        &schema,
        &db,
        request,
        Some(Scope::new(app.actor(ADMIN).await)),
        Default::default(),
    )
    .await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().expect("json");
    assert!(data["customerByPhone"]["name"].is_string(), "{data}");
    assert_eq!(count.load(Ordering::SeqCst), 2, "statements for customerByPhone {{ id name }}");
}
