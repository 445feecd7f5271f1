//! Test harness: a fresh database with a small demo group, persona helpers, and
//! in-process execution of GraphQL requests as any staff member.

use std::sync::atomic::{AtomicU32, Ordering};

use async_graphql::{Request, Response, Variables};
use customer_hub::auth::{Actor, TokenKeys};
use customer_hub::config::{Environment, HttpConfig};
use customer_hub::demo::{self, DemoConfig};
use customer_hub::domain::Scope;
use customer_hub::domain::audit::RequestMeta;
use customer_hub::graphql::{self, HubSchema, SchemaOptions};
use customer_hub::http::AppState;
use entity::staff;
use sea_orm::{ColumnTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait, QueryFilter};
use serde_json::Value;

pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

pub struct TestApp {
    pub db: DatabaseConnection,
    pub schema: HubSchema,
    pub keys: TokenKeys,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

async fn fresh_database() -> DatabaseConnection {
    let unique = format!(
        "hub_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        uuid::Uuid::new_v4().simple().to_string().get(..8).unwrap_or("x")
    );
    match std::env::var("HUB_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let admin = Database::connect(&admin_url).await.expect("HUB_TEST_DATABASE_URL is set but unreachable");
            admin.execute_unprepared(&format!("CREATE DATABASE {unique}")).await.expect("create test database");
            admin.close().await.ok();
            let base = admin_url.rsplit_once('/').map(|(base, _)| base).expect("URL with a database name");
            let cfg = customer_hub::config::DbConfig {
                database_url: format!("{base}/{unique}"),
                db_max_connections: 5,
                db_statement_timeout_ms: 30_000,
            };
            customer_hub::db::connect(&cfg).await.expect("connect to test database")
        }
        _ => {
            let dir = std::env::temp_dir().join("customer-hub-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join(format!("{unique}.db"));
            let cfg = customer_hub::config::DbConfig {
                database_url: format!("sqlite://{}?mode=rwc", path.display()),
                db_max_connections: 5,
                db_statement_timeout_ms: 30_000,
            };
            customer_hub::db::connect(&cfg).await.expect("open SQLite test database")
        }
    }
}

impl TestApp {
    /// A fresh database holding a small demo group (40 customers).
    pub async fn new() -> Self {
        Self::with_customers(40).await
    }

    pub async fn with_customers(customers: usize) -> Self {
        let db = fresh_database().await;
        customer_hub::db::migrate(&db).await.expect("migrate");
        demo::seed(&db, &DemoConfig { customers, ..DemoConfig::default() }).await.expect("seed");
        let keys = TokenKeys::new(SECRET, 3600);
        let schema = graphql::build_schema(db.clone(), keys.clone(), &SchemaOptions::default());
        Self { db, schema, keys }
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    pub fn state(&self, environment: Environment) -> AppState {
        AppState {
            db: self.db.clone(),
            schema: self.schema.clone(),
            keys: self.keys.clone(),
            environment,
            http: HttpConfig::default(),
        }
    }

    pub async fn staff(&self, username: &str) -> staff::Model {
        staff::Entity::find()
            .filter(staff::Column::Username.eq(username))
            .one(&self.db)
            .await
            .expect("query staff")
            .unwrap_or_else(|| panic!("no demo account {username}"))
    }

    pub async fn actor(&self, username: &str) -> Actor {
        Actor::from_staff(&self.staff(username).await, "test-token".into(), None)
    }

    pub async fn token(&self, username: &str) -> String {
        self.keys.issue(&self.staff(username).await, chrono::Utc::now()).0
    }

    /// Runs a query as `username` (or anonymously with `None`).
    pub async fn run(&self, username: Option<&str>, query: &str, variables: Value) -> Response {
        let scope = match username {
            Some(name) => Some(Scope::new(self.actor(name).await)),
            None => None,
        };
        let request = Request::new(query).variables(Variables::from_json(variables));
        let meta = RequestMeta { request_id: "test-request".into(), client_addr: Some("127.0.0.1".into()) };
        graphql::execute(&self.schema, &self.db, request, scope, meta).await
    }

    /// Runs a query that must succeed and returns its data as JSON.
    pub async fn data(&self, username: &str, query: &str, variables: Value) -> Value {
        let response = self.run(Some(username), query, variables).await;
        assert!(response.errors.is_empty(), "unexpected errors: {:?}", response.errors);
        response.data.into_json().expect("JSON data")
    }
}

/// The `code` extension of each error of a response.
pub fn error_codes(response: &Response) -> Vec<String> {
    response
        .errors
        .iter()
        .map(|e| match e.extensions.as_ref().and_then(|x| x.get("code")) {
            Some(async_graphql::Value::String(code)) => code.clone(),
            other => format!("<no code: {other:?}>"),
        })
        .collect()
}
