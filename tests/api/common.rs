//! Test harness: a fresh database with a small demo group, persona helpers, and
//! in-process execution of GraphQL requests as any staff member.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use async_graphql::{Request, Response, Variables};
use customer_hub::auth::{Actor, TokenKeys};
use customer_hub::config::{Environment, HttpConfig};
use customer_hub::demo::{self, DemoConfig};
use customer_hub::domain::Scope;
use customer_hub::domain::audit::RequestMeta;
use customer_hub::graphql::{self, HubSchema, SchemaOptions};
use customer_hub::http::AppState;
use entity::staff;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, Statement,
};
use serde_json::Value;

pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

pub struct TestApp {
    pub db: DatabaseConnection,
    pub schema: HubSchema,
    pub keys: TokenKeys,
    /// Removes the test's database when the app goes (declared last: dropped last).
    _database: TestDatabase,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);
static SWEPT: AtomicBool = AtomicBool::new(false);

/// Prefix of every test database (PostgreSQL) and file (SQLite): `hub_t_<pid>_<n>_<random>`.
const PREFIX: &str = "hub_t_";

/// A test's own database, removed when dropped — also when the test panics.
enum TestDatabase {
    /// Dropped with `DROP DATABASE … WITH (FORCE)` over a fresh admin connection.
    Postgres { admin_url: String, name: String },
    /// The SQLite file and its WAL and shared-memory files, deleted.
    Sqlite { path: PathBuf },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self {
            TestDatabase::Postgres { admin_url, name } => {
                // Drop may run inside the test's runtime, which cannot be blocked on: the
                // database is dropped from a thread with its own runtime, waited for here.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let dropped = std::thread::spawn(move || drop_postgres_database(&admin_url, &name)).join();
                if !matches!(dropped, Ok(Ok(()))) {
                    eprintln!("could not drop test database {}: {dropped:?}", self.name());
                }
            }
            TestDatabase::Sqlite { path } => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    std::fs::remove_file(file).ok();
                }
            }
        }
    }
}

impl TestDatabase {
    fn name(&self) -> String {
        match self {
            TestDatabase::Postgres { name, .. } => name.clone(),
            TestDatabase::Sqlite { path } => path.display().to_string(),
        }
    }
}

/// Drops one database on its own runtime (blocking; called from a plain thread).
fn drop_postgres_database(admin_url: &str, name: &str) -> Result<(), String> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("runtime: {e}"))?;
    runtime.block_on(async {
        let admin = Database::connect(admin_url).await.map_err(|e| format!("connect: {e}"))?;
        let dropped = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        admin.close().await.ok();
        dropped.map(|_| ()).map_err(|e| format!("drop: {e}"))
    })
}

/// Whether a test database or file of this name belongs to a test process that no
/// longer runs (killed before it could remove it). Only checked on Linux.
fn abandoned(name: &str) -> bool {
    let pid = name.strip_prefix(PREFIX).and_then(|rest| rest.split('_').next()).and_then(|p| p.parse::<u32>().ok());
    pid.is_some_and(|pid| pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists())
}

/// True the first time in a process, on Linux: abandoned databases are swept once.
fn first_sweep() -> bool {
    !SWEPT.swap(true, Ordering::SeqCst) && cfg!(target_os = "linux")
}

/// Drops the test databases left by test processes that no longer run. Databases of
/// running processes are left alone.
async fn sweep_abandoned_databases(admin: &DatabaseConnection) {
    if !first_sweep() {
        return;
    }
    let Ok(rows) = admin
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%'"),
        ))
        .await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else { continue };
        if abandoned(&name) {
            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok();
        }
    }
}

/// Deletes the SQLite files (and their WAL and shared-memory files) left in `dir` by
/// test processes that no longer run.
fn sweep_abandoned_files(dir: &std::path::Path) {
    if !first_sweep() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_str().is_some_and(abandoned) {
            std::fs::remove_file(entry.path()).ok();
        }
    }
}

/// A fresh, empty database of the kind the tests run on (PostgreSQL when
/// HUB_TEST_DATABASE_URL is set, else a SQLite file), removed when dropped — also when
/// the test panics. For tests that connect to a database of their own.
pub struct ScratchDatabase {
    pub url: String,
    _database: TestDatabase,
}

pub async fn scratch_database() -> ScratchDatabase {
    let unique = format!(
        "{PREFIX}{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        uuid::Uuid::new_v4().simple().to_string().get(..8).unwrap_or("x")
    );
    match std::env::var("HUB_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let admin = Database::connect(&admin_url).await.expect("HUB_TEST_DATABASE_URL is set but unreachable");
            sweep_abandoned_databases(&admin).await;
            admin.execute_unprepared(&format!("CREATE DATABASE {unique}")).await.expect("create test database");
            admin.close().await.ok();
            // From here on the database is dropped again, whatever happens next.
            let base = admin_url.rsplit_once('/').map(|(base, _)| base.to_owned()).expect("URL with a database name");
            ScratchDatabase {
                url: format!("{base}/{unique}"),
                _database: TestDatabase::Postgres { admin_url, name: unique },
            }
        }
        _ => {
            let dir = std::env::temp_dir().join("customer-hub-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            sweep_abandoned_files(&dir);
            let path = dir.join(format!("{unique}.db"));
            ScratchDatabase {
                url: format!("sqlite://{}?mode=rwc", path.display()),
                _database: TestDatabase::Sqlite { path },
            }
        }
    }
}

/// A fresh database for a test app, connected with the pool the app uses.
async fn fresh_database() -> (DatabaseConnection, TestDatabase) {
    let scratch = scratch_database().await;
    let cfg = customer_hub::config::DbConfig {
        database_url: scratch.url,
        db_max_connections: 5,
        db_statement_timeout_ms: 30_000,
    };
    (customer_hub::db::connect(&cfg).await.expect("connect to test database"), scratch._database)
}

impl TestApp {
    /// A fresh database holding a small demo group (40 customers).
    pub async fn new() -> Self {
        Self::with_customers(40).await
    }

    pub async fn with_customers(customers: usize) -> Self {
        let (db, database) = fresh_database().await;
        customer_hub::db::migrate(&db).await.expect("migrate");
        demo::seed(&db, &DemoConfig { customers, ..DemoConfig::default() }).await.expect("seed");
        let keys = TokenKeys::new(SECRET, 3600);
        let schema = graphql::build_schema(db.clone(), keys.clone(), &SchemaOptions::default());
        Self { db, schema, keys, _database: database }
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

    /// The staff row of a demo account.
    pub async fn staff(&self, who: Persona) -> staff::Model {
        let username = who.username();
        staff::Entity::find()
            .filter(staff::Column::Username.eq(&username))
            .one(&self.db)
            .await
            .expect("query staff")
            .unwrap_or_else(|| panic!("no demo account {username}"))
    }

    pub async fn actor(&self, who: Persona) -> Actor {
        Actor::from_staff(&self.staff(who).await, "test-token".into(), None)
    }

    /// A bearer token of a demo account, issued now.
    pub async fn token(&self, who: Persona) -> String {
        self.keys.issue(&self.staff(who).await, chrono::Utc::now()).0
    }

    /// Runs a query as `who` (or anonymously with `None`).
    pub async fn run(&self, who: Option<Persona>, query: &str, variables: Value) -> Response {
        let scope = match who {
            Some(who) => Some(Scope::new(self.actor(who).await)),
            None => None,
        };
        let request = Request::new(query).variables(Variables::from_json(variables));
        let meta = RequestMeta { request_id: "test-request".into(), client_addr: Some("127.0.0.1".into()) };
        graphql::execute(&self.schema, &self.db, request, scope, meta).await
    }

    /// Runs a query as `who` that must succeed and returns its data as JSON.
    pub async fn data(&self, who: Persona, query: &str, variables: Value) -> Value {
        let response = self.run(Some(who), query, variables).await;
        assert!(response.errors.is_empty(), "unexpected errors as {who}: {:?}", response.errors);
        response.data.into_json().expect("JSON data")
    }
}

/// A demo account (`src/demo/organisation.rs`). Store accounts carry the number of their
/// own store, 1..=6 for ZJ01..ZJ06; the partner store PT01 has one account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persona {
    /// `admin`: group administrator.
    Admin,
    /// `crm`: the group's CRM / call center.
    Crm,
    /// `analyst`: group analyst (BI).
    Analyst,
    /// `zjNN.manager`: store manager.
    Manager(u8),
    /// `zjNN.sales`: sales consultant.
    Sales(u8),
    /// `zjNN.service`: service advisor.
    Service(u8),
    /// `zjNN.insurance`: insurance specialist.
    Insurance(u8),
    /// `zjNN.parts`: parts clerk.
    Parts(u8),
    /// `zjNN.crm`: the store's customer-service manager.
    StoreCrm(u8),
    /// `zjNN.integration[.service|.insurance|.parts]`: a department's source system.
    Integration(u8, Dept),
    /// `pt01.partner`: the partner store.
    Partner,
}

/// The department of an integration account's source system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dept {
    Sales,
    Service,
    Insurance,
    Parts,
}

pub const ADMIN: Persona = Persona::Admin;
pub const CRM: Persona = Persona::Crm;
pub const ANALYST: Persona = Persona::Analyst;
pub const PARTNER: Persona = Persona::Partner;
pub const MANAGER_1: Persona = Persona::Manager(1);
pub const SALES_1: Persona = Persona::Sales(1);
pub const SERVICE_1: Persona = Persona::Service(1);
pub const INSURANCE_1: Persona = Persona::Insurance(1);
pub const PARTS_1: Persona = Persona::Parts(1);
/// The sales system of ZJ01 (`zj01.integration`).
pub const INTEGRATION_1: Persona = Persona::Integration(1, Dept::Sales);

impl Persona {
    /// One account of each kind (store accounts of ZJ01), as the access tests walk them.
    pub const EACH_KIND: [Persona; 10] =
        [ADMIN, CRM, ANALYST, MANAGER_1, SALES_1, SERVICE_1, INSURANCE_1, PARTS_1, PARTNER, INTEGRATION_1];

    /// Every demo account: the group's, each own store's (its roles and its departments'
    /// source systems) and the partner's.
    pub fn all() -> Vec<Persona> {
        let mut all = vec![ADMIN, CRM, ANALYST, PARTNER];
        for store in 1..=6 {
            all.extend([
                Persona::Manager(store),
                Persona::Sales(store),
                Persona::Service(store),
                Persona::Insurance(store),
                Persona::Parts(store),
                Persona::StoreCrm(store),
            ]);
            all.extend(
                [Dept::Sales, Dept::Service, Dept::Insurance, Dept::Parts].map(|d| Persona::Integration(store, d)),
            );
        }
        all
    }

    /// The account's username, as the demo creates it.
    pub fn username(self) -> String {
        let at = |store: u8, suffix: &str| {
            assert!((1..=6).contains(&store), "no own store ZJ{store:02} in the demo");
            format!("zj{store:02}.{suffix}")
        };
        match self {
            Persona::Admin => "admin".into(),
            Persona::Crm => "crm".into(),
            Persona::Analyst => "analyst".into(),
            Persona::Manager(store) => at(store, "manager"),
            Persona::Sales(store) => at(store, "sales"),
            Persona::Service(store) => at(store, "service"),
            Persona::Insurance(store) => at(store, "insurance"),
            Persona::Parts(store) => at(store, "parts"),
            Persona::StoreCrm(store) => at(store, "crm"),
            Persona::Integration(store, Dept::Sales) => at(store, "integration"),
            Persona::Integration(store, Dept::Service) => at(store, "integration.service"),
            Persona::Integration(store, Dept::Insurance) => at(store, "integration.insurance"),
            Persona::Integration(store, Dept::Parts) => at(store, "integration.parts"),
            Persona::Partner => "pt01.partner".into(),
        }
    }
}

/// The number of an own store (ZJ01..ZJ06 are 1..=6) from its row id.
pub fn store_number(store_id: i32) -> u8 {
    u8::try_from(store_id)
        .ok()
        .filter(|n| (1..=6).contains(n))
        .unwrap_or_else(|| panic!("store {store_id} is no own store"))
}

impl std::fmt::Display for Persona {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.username())
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

/// The global id the API gives row `id` of the GraphQL type `kind` (e.g. "Customer").
pub fn gid(kind: &str, id: i32) -> String {
    let kind = graphql::ids::Kind::from_name(kind).unwrap_or_else(|| panic!("no object type {kind}"));
    graphql::ids::text(kind, id.into())
}

/// The row key inside a global id of `kind` that the API answered.
pub fn row_id(kind: &str, id: &Value) -> i32 {
    let kind = graphql::ids::Kind::from_name(kind).unwrap_or_else(|| panic!("no object type {kind}"));
    let text = id.as_str().unwrap_or_else(|| panic!("not an id: {id}"));
    graphql::ids::parse(kind, text).unwrap_or_else(|| panic!("not the id of a {}: {text}", kind.name()))
}

/// Makes the database refuse (by a trigger) every customer row inserted with `name`: a
/// failure inside a set of rows that only the database sees, for the ingestion tests.
pub async fn refuse_customers_named(app: &TestApp, name: &str) {
    let statements = match app.backend() {
        DbBackend::Postgres => vec![
            format!(
                "CREATE FUNCTION refuse_name() RETURNS trigger AS $$ BEGIN IF NEW.name = '{name}' THEN RAISE EXCEPTION 'name refused by trigger'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER refuse_name BEFORE INSERT ON customer FOR EACH ROW EXECUTE FUNCTION refuse_name()"
                .to_owned(),
        ],
        _ => vec![format!(
            "CREATE TRIGGER refuse_name BEFORE INSERT ON customer WHEN NEW.name = '{name}' BEGIN SELECT RAISE(ABORT, 'name refused by trigger'); END"
        )],
    };
    for statement in statements {
        app.db.execute_unprepared(&statement).await.expect("trigger");
    }
}
