use crate::common::{CRM, Persona, TestApp};
use sea_orm::DbBackend;

#[test]
fn committed_schema_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).expect("schema.graphql");
    let generated = customer_hub::graphql::sdl();
    assert!(
        committed == generated,
        "schema.graphql is stale: run `cargo run -- export-schema > schema.graphql` and commit it"
    );
}

/// CI sets HUB_TEST_REQUIRE_POSTGRES=1 on its PostgreSQL run, so a run that silently fell
/// back to SQLite fails here.
#[tokio::test]
async fn suite_runs_on_the_requested_database() {
    let app = TestApp::new().await;
    let want_pg = std::env::var("HUB_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    if want_pg {
        assert_eq!(
            app.backend(),
            DbBackend::Postgres,
            "PostgreSQL was required but the suite ran on {:?}",
            app.backend()
        );
    } else if std::env::var("HUB_TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        assert_eq!(app.backend(), DbBackend::Postgres);
    } else {
        assert_eq!(app.backend(), DbBackend::Sqlite);
    }
}

#[tokio::test]
async fn demo_seed_is_deterministic_and_runs_once() {
    use customer_hub::demo::{self, DemoConfig};
    use entity::customer;
    use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};

    let a = TestApp::with_customers(25).await;
    let b = TestApp::with_customers(25).await;
    let names = |db: sea_orm::DatabaseConnection| async move {
        customer::Entity::find()
            .order_by_asc(customer::Column::Id)
            .all(&db)
            .await
            .expect("customers")
            .into_iter()
            .map(|c| (c.name, c.id_number))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(a.db.clone()).await, names(b.db.clone()).await);
    let seeded_again = demo::seed(&a.db, &DemoConfig { customers: 25, ..DemoConfig::default() }).await.expect("seed");
    assert!(!seeded_again, "a second seed must be a no-op");
    assert_eq!(customer::Entity::find().count(&a.db).await.expect("count"), 25);
}

#[tokio::test]
async fn demo_group_has_every_role_and_valid_identifiers() {
    use customer_hub::domain::normalize;
    use entity::{store, vehicle};
    use sea_orm::EntityTrait;

    let app = TestApp::new().await;
    let stores = store::Entity::find().all(&app.db).await.expect("stores");
    assert!(stores.len() >= 6);
    assert!(stores.iter().any(|s| s.kind == entity::enums::StoreKind::Partner));
    let brands: std::collections::BTreeSet<String> = stores
        .iter()
        .flat_map(|s| serde_json::from_value::<Vec<String>>(s.brands.clone()).unwrap_or_default())
        .collect();
    assert!(brands.len() >= 3, "{brands:?}");
    // Every demo account is a persona, and every persona a demo account.
    let accounts = entity::staff::Entity::find().all(&app.db).await.expect("staff");
    let personas = Persona::all();
    assert_eq!(accounts.len(), personas.len(), "a demo account without a persona");
    for persona in personas {
        app.staff(persona).await;
    }
    for v in vehicle::Entity::find().all(&app.db).await.expect("vehicles") {
        assert!(normalize::vin_is_valid(&v.vin), "invalid VIN {}", v.vin);
        let plate = v.plate.expect("plate");
        assert!(plate.contains('·'), "{plate}");
    }
}

#[tokio::test]
async fn demo_group_shows_duplicates_and_households() {
    use entity::{customer_link, duplicate_candidate};
    use sea_orm::{EntityTrait, PaginatorTrait};
    let app = TestApp::with_customers(200).await;
    assert_eq!(duplicate_candidate::Entity::find().count(&app.db).await.expect("q"), 1);
    assert_eq!(customer_link::Entity::find().count(&app.db).await.expect("q"), 1);
    let data = app
        .data(
            CRM,
            "{ duplicateCandidates { edges { node { score customerA { name } customerB { name } } } } }",
            serde_json::json!({}),
        )
        .await;
    let pair = &data["duplicateCandidates"]["edges"][0]["node"];
    let (a, b) = (pair["customerA"]["name"].as_str().expect("a"), pair["customerB"]["name"].as_str().expect("b"));
    assert!(b.starts_with(a), "{a} / {b}");
}
