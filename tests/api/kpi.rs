//! KPIs: every KPI of the catalogue on a tiny hand-built group whose figures are worked
//! out here; suppression of small cells; reach per role; the `bi` views and the CSV
//! download give the GraphQL figures.

use async_graphql::{Request, Variables};
use axum::body::Body;
use axum::http::{Request as HttpRequest, StatusCode, header};
use customer_hub::config::Environment;
use customer_hub::domain::Scope;
use customer_hub::domain::audit::RequestMeta;
use customer_hub::domain::kpi::{self, CATALOGUE, Settings};
use customer_hub::graphql::{self, HubSchema, SchemaOptions};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::{ADMIN, ANALYST, CRM, MANAGER_1, Persona, SALES_1, TestApp, error_codes};

const KPI: &str = "query($name: String!, $groupBy: [KpiDimension!], $period: KpiPeriod, $from: NaiveDate!, \
$to: NaiveDate!, $filter: KpiFilter) { kpi(name: $name, groupBy: $groupBy, period: $period, from: $from, to: $to, \
filter: $filter) { cells { ...c } totals { ...c } } } fragment c on KpiCell { periodStart dimensions { value } \
numerator denominator value customers suppressed previousValue yearEarlierValue }";

/// A demo group without records: its stores and accounts, and the records each test adds.
async fn empty_group() -> TestApp {
    let app = TestApp::with_customers(0).await;
    for table in [
        "lead_offer",
        "customer_consent",
        "lead_follow_up",
        "lead_conflict",
        "lead",
        "delivery",
        "repair_order",
        "insurance_policy",
        "parts_order",
        "duplicate_candidate",
        "merge_event",
    ] {
        app.db.execute_unprepared(&format!("DELETE FROM {table}")).await.expect("empty the records");
    }
    app
}

fn schema_with(app: &TestApp, settings: Settings) -> HubSchema {
    graphql::build_schema(app.db.clone(), app.keys.clone(), &SchemaOptions { kpi: settings, ..Default::default() })
}

async fn ask(app: &TestApp, schema: &HubSchema, who: Persona, vars: Value) -> async_graphql::Response {
    let request = Request::new(KPI).variables(Variables::from_json(vars));
    let meta = RequestMeta { request_id: "kpi-test".into(), client_addr: None };
    graphql::execute(schema, &app.db, request, Some(Scope::new(app.actor(who).await)), meta).await
}

async fn answer(app: &TestApp, schema: &HubSchema, who: Persona, vars: Value) -> Value {
    let response = ask(app, schema, who, vars.clone()).await;
    assert!(response.errors.is_empty(), "{vars}: {:?}", response.errors);
    response.data.into_json().expect("json")["kpi"].clone()
}

/// The cell of `period` (its first day) with these dimension values.
fn cell<'a>(answer: &'a Value, period: &str, dims: &[&str]) -> &'a Value {
    answer["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| {
            c["periodStart"] == period
                && c["dimensions"].as_array().expect("dims").iter().map(|d| d["value"].as_str()).collect::<Vec<_>>()
                    == dims.iter().map(|d| Some(*d)).collect::<Vec<_>>()
        })
        .unwrap_or_else(|| panic!("no cell {period} {dims:?} in {answer}"))
}

fn total<'a>(answer: &'a Value, period: &str) -> &'a Value {
    answer["totals"]
        .as_array()
        .expect("totals")
        .iter()
        .find(|c| c["periodStart"] == period)
        .unwrap_or_else(|| panic!("no total {period} in {answer}"))
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

/// The hand-built group (see the comments for the worked figures). ZJ01 is store 1, ZJ02
/// store 2.
async fn fixture(app: &TestApp) {
    let rows = [
        // Customers c1..c6 and vehicles v1..v4.
        "INSERT INTO customer (id, kind, name, lifecycle_stage, created_at, updated_at, version) VALUES \
         (9001, 'INDIVIDUAL', 'KPI 一', 'BASE', '2023-01-01T00:00:00+00:00', '2023-01-01T00:00:00+00:00', 1), \
         (9002, 'INDIVIDUAL', 'KPI 二', 'BASE', '2023-01-01T00:00:00+00:00', '2023-01-01T00:00:00+00:00', 1), \
         (9003, 'INDIVIDUAL', 'KPI 三', 'BASE', '2023-01-01T00:00:00+00:00', '2023-01-01T00:00:00+00:00', 1), \
         (9004, 'INDIVIDUAL', 'KPI 四', 'BASE', '2023-01-01T00:00:00+00:00', '2023-01-01T00:00:00+00:00', 1), \
         (9005, 'INDIVIDUAL', 'KPI 五', 'PROSPECT', '2023-01-01T00:00:00+00:00', '2023-01-01T00:00:00+00:00', 1), \
         (9006, 'INDIVIDUAL', 'KPI 六', 'PROSPECT', '2023-01-01T00:00:00+00:00', '2023-01-01T00:00:00+00:00', 1)",
        "INSERT INTO vehicle (id, vin, brand, model) VALUES (9101, 'LKPI0000000000001', '大众', '帕萨特'), \
         (9102, 'LKPI0000000000002', '大众', '途观L'), (9103, 'LKPI0000000000003', '大众', '朗逸'), \
         (9104, 'LKPI0000000000004', '丰田', '凯美瑞')",
        // Leads, all created on 1 Feb 2024. Closed in March (Asia/Shanghai): ZJ01 L1 won,
        // L2 defeated; ZJ02 L4 defeated, L5 won. L3 closes at 17:00 UTC on 31 March: 1
        // April in Shanghai. L6 is open.
        "INSERT INTO lead (id, store_id, customer_id, grade, channel, status, defeat_reason, created_at, closed_at, \
         created_grade) VALUES \
         (9201, 1, 9001, 'O', '展厅到店', 'WON', NULL, '2024-02-01T02:00:00+00:00', '2024-03-05T10:00:00+00:00', 'H'), \
         (9202, 1, 9002, 'A', '汽车之家', 'DEFEATED', '价格高于竞品店', '2024-02-01T02:00:00+00:00', \
         '2024-03-10T10:00:00+00:00', 'A'), \
         (9203, 1, 9003, 'O', '汽车之家', 'WON', NULL, '2024-02-01T02:00:00+00:00', '2024-03-31T17:00:00+00:00', 'A'), \
         (9204, 2, 9004, 'H', '车展', 'DEFEATED', '暂缓购车', '2024-02-01T02:00:00+00:00', \
         '2024-03-15T10:00:00+00:00', 'H'), \
         (9205, 2, 9005, 'O', '车展', 'WON', NULL, '2024-02-01T02:00:00+00:00', '2024-03-20T10:00:00+00:00', 'H'), \
         (9206, 1, 9006, 'B', '车展', 'OPEN', NULL, '2024-02-01T02:00:00+00:00', NULL, 'B')",
        // Deliveries: v1, v2 in January by ZJ01; v3 on 29 Feb 2024 by ZJ01; v4 on 31 Aug
        // 2023 by ZJ02 (its window ends 29 Feb 2024, clamped).
        "INSERT INTO delivery (id, vehicle_id, customer_id, store_id, delivered_on, price_cents, payment) VALUES \
         (9301, 9101, 9001, 1, '2024-01-10', 15000000, 'CASH'), (9302, 9102, 9002, 1, '2024-01-20', 20000000, 'LOAN'), \
         (9303, 9103, 9003, 1, '2024-02-29', 10000000, 'CASH'), (9304, 9104, 9004, 2, '2023-08-31', 18000000, 'CASH')",
        // Repair orders: v1 first maintenance at ZJ02 on 1 May 2024 (in its window), its
        // second at ZJ01 on 15 Oct 2024; v2 on 1 Aug 2024 (after its window); v4 at 20:00
        // UTC on 29 Feb 2024, 1 March in Shanghai (one day after its window), still open.
        "INSERT INTO repair_order (id, store_id, vehicle_id, customer_id, kind, opened_at, closed_at, amount_cents) \
         VALUES (9401, 2, 9101, 9001, 'FIRST_MAINTENANCE', '2024-05-01T02:00:00+00:00', \
         '2024-05-01T06:00:00+00:00', 90000), \
         (9402, 1, 9102, 9002, 'MAINTENANCE', '2024-08-01T02:00:00+00:00', '2024-08-01T06:00:00+00:00', 120000), \
         (9403, 1, 9101, 9001, 'MAINTENANCE', '2024-10-15T02:00:00+00:00', '2024-10-15T06:00:00+00:00', 60000), \
         (9404, 2, 9104, 9004, 'FIRST_MAINTENANCE', '2024-02-29T20:00:00+00:00', NULL, 100000)",
        // Policies: P1 (v1, ZJ01) renewed by P2 at ZJ02; P3 (v2, ZJ01) not renewed.
        "INSERT INTO insurance_policy (id, store_id, vehicle_id, customer_id, insurer, coverage, premium_cents, \
         starts_on, ends_on, renewal_of) VALUES \
         (9501, 1, 9101, 9001, '平安', '全险', 500000, '2024-01-10', '2025-01-09', NULL), \
         (9502, 2, 9101, 9001, '平安', '全险', 480000, '2025-01-10', '2026-01-09', 9501), \
         (9503, 1, 9102, 9002, '人保', '全险', 400000, '2024-01-20', '2025-01-19', NULL)",
        "INSERT INTO parts_order (id, store_id, customer_id, items, amount_cents, ordered_on) VALUES \
         (9601, 1, 9001, '[]', 100000, '2024-01-15')",
        "INSERT INTO duplicate_candidate (id, customer_a, customer_b, score, reasons, status, created_at) VALUES \
         (9701, 9005, 9006, 80, '[]', 'OPEN', '2024-06-01T02:00:00+00:00')",
        "INSERT INTO merge_event (id, survivor_id, merged_ids, snapshot, merged_at, undone_at) VALUES \
         (9801, 9003, '[9005, 9006]', '{}', '2024-06-02T02:00:00+00:00', NULL), \
         (9802, 9004, '[9002]', '{}', '2024-06-03T02:00:00+00:00', '2024-06-04T02:00:00+00:00')",
    ];
    for sql in rows {
        app.db.execute_unprepared(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

fn vars(name: &str, group_by: &[&str], period: &str, from: &str, to: &str) -> Value {
    json!({ "name": name, "groupBy": group_by, "period": period, "from": from, "to": to })
}

#[tokio::test]
async fn every_kpi_gives_the_hand_worked_figures() {
    let app = empty_group().await;
    fixture(&app).await;
    // Threshold 1: the figures, not their suppression, are under test here.
    let schema = schema_with(&app, Settings { min_customers: 1, ..Settings::default() });
    let q = |name: &str, group_by: &[&str], period: &str, from: &str, to: &str| {
        let v = vars(name, group_by, period, from, to);
        let (app, schema) = (&app, &schema);
        async move { answer(app, schema, ANALYST, v).await }
    };

    // Lead conversion: March ZJ01 1 of 2, ZJ02 1 of 2; L3 counts in April (Shanghai day).
    let a = q("lead_conversion_rate", &["STORE"], "MONTH", "2024-03-01", "2024-04-30").await;
    assert!(close(&cell(&a, "2024-03-01", &["ZJ01"])["value"], 0.5));
    assert!(close(&cell(&a, "2024-03-01", &["ZJ02"])["denominator"], 2.0));
    assert!(close(&total(&a, "2024-03-01")["value"], 0.5));
    assert!(close(&cell(&a, "2024-04-01", &["ZJ01"])["value"], 1.0));
    assert!(close(&cell(&a, "2024-04-01", &["ZJ01"])["previousValue"], 0.5));
    // ISO weeks: 5 March (Tuesday) and 10 March (Sunday, 18:00 in Shanghai) share the
    // week of Monday 4 March.
    let a = q("lead_conversion_rate", &["STORE"], "WEEK", "2024-03-04", "2024-03-10").await;
    assert!(close(&cell(&a, "2024-03-04", &["ZJ01"])["value"], 0.5));
    assert!(close(&cell(&a, "2024-03-04", &["ZJ01"])["denominator"], 2.0));
    // By grade at creation: H 2 of 3 (L1, L4, L5), A 0 of 1 (L2).
    let a = q("lead_conversion_rate", &["GRADE"], "MONTH", "2024-03-01", "2024-03-31").await;
    assert!(close(&cell(&a, "2024-03-01", &["H"])["value"], 2.0 / 3.0));
    assert!(close(&cell(&a, "2024-03-01", &["A"])["value"], 0.0));
    let a = q("lead_conversion_rate", &["CHANNEL"], "QUARTER", "2024-01-01", "2024-06-30").await;
    assert!(close(&cell(&a, "2024-01-01", &["车展"])["value"], 0.5));
    assert!(close(&cell(&a, "2024-04-01", &["汽车之家"])["value"], 1.0));

    // Defeat reasons in March: one each, half each.
    let a = q("lead_defeat_reasons", &["REASON"], "MONTH", "2024-03-01", "2024-03-31").await;
    assert!(close(&cell(&a, "2024-03-01", &["价格高于竞品店"])["value"], 0.5));
    assert!(close(&cell(&a, "2024-03-01", &["暂缓购车"])["denominator"], 2.0));

    // First maintenance: windows of v1, v2 end in July (v1 came, v2 did not); v3's in
    // August (did not); v4's on 29 Feb (its visit was on 1 March, Shanghai).
    let a = q("first_maintenance_return_rate", &["STORE"], "MONTH", "2024-02-01", "2024-08-31").await;
    assert!(close(&cell(&a, "2024-07-01", &["ZJ01"])["value"], 0.5));
    assert!(close(&cell(&a, "2024-08-01", &["ZJ01"])["value"], 0.0));
    assert!(close(&cell(&a, "2024-02-01", &["ZJ02"])["value"], 0.0));
    assert!(close(&cell(&a, "2024-02-01", &["ZJ02"])["denominator"], 1.0));
    // Second maintenance: only v1 is in the cohort; its window ends 1 Nov 2024.
    let a = q("second_maintenance_return_rate", &[], "YEAR", "2024-01-01", "2024-12-31").await;
    assert!(close(&total(&a, "2024-01-01")["value"], 1.0));
    assert!(close(&total(&a, "2024-01-01")["denominator"], 1.0));

    // Renewal: of the policies ending in January 2025 (ZJ01: P1, P3) P1 was renewed.
    let a = q("insurance_renewal_rate", &["STORE"], "MONTH", "2025-01-01", "2026-01-31").await;
    assert!(close(&cell(&a, "2025-01-01", &["ZJ01"])["value"], 0.5));
    assert!(close(&cell(&a, "2026-01-01", &["ZJ02"])["value"], 0.0));

    // Churn at the end of March 2025: ZJ01 c3 (last visit 29 Feb 2024, lapsed 28 Feb
    // 2025) of c1, c2, c3; ZJ02 c4 (last 1 Mar 2024) of c1, c4. At the end of February
    // ZJ02's c4 is not lapsed yet.
    let a = q("churn_rate", &["STORE"], "MONTH", "2025-02-01", "2025-03-31").await;
    assert!(close(&cell(&a, "2025-03-01", &["ZJ01"])["value"], 1.0 / 3.0));
    assert!(close(&cell(&a, "2025-03-01", &["ZJ02"])["value"], 0.5));
    assert!(close(&cell(&a, "2025-02-01", &["ZJ01"])["numerator"], 1.0));
    assert!(close(&cell(&a, "2025-02-01", &["ZJ02"])["numerator"], 0.0));
    assert!(close(&total(&a, "2025-03-01")["value"], 0.4));
    let a = q("churned_customers", &["STORE"], "MONTH", "2025-03-01", "2025-03-31").await;
    assert!(close(&cell(&a, "2025-03-01", &["ZJ02"])["value"], 1.0));
    let a = q("active_base", &["STORE"], "MONTH", "2025-03-01", "2025-03-31").await;
    assert!(close(&cell(&a, "2025-03-01", &["ZJ01"])["value"], 2.0));
    assert!(close(&cell(&a, "2025-03-01", &["ZJ02"])["value"], 1.0));
    let a = q("new_customers", &["STORE"], "MONTH", "2024-01-01", "2024-05-31").await;
    assert!(close(&cell(&a, "2024-01-01", &["ZJ01"])["value"], 2.0));
    assert!(close(&cell(&a, "2024-02-01", &["ZJ01"])["value"], 1.0));
    assert!(close(&cell(&a, "2024-05-01", &["ZJ02"])["value"], 1.0));

    // Revenue of ZJ01 in January 2024: cars 350,000, insurance 9,000, parts 1,000.
    let a = q("revenue", &["STORE", "DEPARTMENT"], "MONTH", "2024-01-01", "2024-01-31").await;
    assert!(close(&cell(&a, "2024-01-01", &["ZJ01", "SALES"])["value"], 350_000.0));
    assert!(close(&cell(&a, "2024-01-01", &["ZJ01", "INSURANCE"])["value"], 9_000.0));
    let a = q("revenue_mix", &["DEPARTMENT"], "MONTH", "2024-01-01", "2024-01-31").await;
    assert!(close(&cell(&a, "2024-01-01", &["SALES"])["value"], 350_000.0 / 360_000.0));
    assert!(close(&cell(&a, "2024-01-01", &["PARTS"])["value"], 1_000.0 / 360_000.0));
    // Average repair order of 2024: ZJ01 (1,200 + 600) / 2, ZJ02 (900 + 1,000) / 2.
    let a = q("average_repair_order_value", &["STORE"], "YEAR", "2024-01-01", "2024-12-31").await;
    assert!(close(&cell(&a, "2024-01-01", &["ZJ01"])["value"], 900.0));
    assert!(close(&cell(&a, "2024-01-01", &["ZJ02"])["value"], 950.0));

    // Known to more than one store or department: at the end of February 2024 ZJ01 has
    // c1 (sales + insurance), c2 (the same), c3 (sales only), c6 (a lead): 2 of 4; ZJ02
    // has c4 (sales, service from 1 March) and c5 (a lead): 0 of 2, then 1 of 2.
    let a = q("multi_touch_rate", &["STORE"], "MONTH", "2024-02-01", "2024-03-31").await;
    assert!(close(&cell(&a, "2024-02-01", &["ZJ01"])["value"], 0.5));
    assert!(close(&cell(&a, "2024-02-01", &["ZJ02"])["value"], 0.0));
    assert!(close(&cell(&a, "2024-03-01", &["ZJ02"])["value"], 0.5));

    // Unification: one pair found on 1 June, two records merged on 2 June (the undone
    // merge does not count).
    let a = q("duplicates_found", &[], "MONTH", "2024-06-01", "2024-06-30").await;
    assert!(close(&total(&a, "2024-06-01")["value"], 1.0));
    let a = q("duplicates_merged", &[], "MONTH", "2024-06-01", "2024-06-30").await;
    assert!(close(&total(&a, "2024-06-01")["value"], 2.0));

    // Filters: ZJ02's brand only.
    let mut v = vars("lead_conversion_rate", &["STORE"], "MONTH", "2024-03-01", "2024-03-31");
    v["filter"] = json!({ "stores": ["ZJ02"] });
    let a = answer(&app, &schema, ANALYST, v).await;
    assert_eq!(a["cells"].as_array().map(Vec::len), Some(1));
    assert!(close(&total(&a, "2024-03-01")["value"], 0.5));
}

/// Won leads closed on 5 March 2024: `counts` customers per store (ZJ01, ZJ02, ZJ03).
async fn won_leads(app: &TestApp, counts: [i32; 3]) {
    let mut id = 20_000;
    for (store, count) in (1..=3).zip(counts) {
        for _ in 0..count {
            id += 1;
            let sql = format!(
                "INSERT INTO customer (id, kind, name, lifecycle_stage, created_at, updated_at, version) VALUES \
                 ({id}, 'INDIVIDUAL', 'K{id}', 'BASE', '2023-01-01T00:00:00+00:00', '2023-01-01T00:00:00+00:00', 1)"
            );
            app.db.execute_unprepared(&sql).await.expect("customer");
            let sql = format!(
                "INSERT INTO lead (id, store_id, customer_id, grade, status, created_at, closed_at, created_grade) \
                 VALUES ({id}, {store}, {id}, 'O', 'WON', '2024-03-01T02:00:00+00:00', '2024-03-05T02:00:00+00:00', 'O')"
            );
            app.db.execute_unprepared(&sql).await.expect("lead");
        }
    }
}

#[tokio::test]
async fn small_cells_are_suppressed_with_a_complementary_cell() {
    let app = empty_group().await;
    // ZJ02 has 2 customers (< 5): hidden; ZJ01 (6) is then the smallest visible sibling
    // and is hidden too, or ZJ02 = total - ZJ01 - ZJ03.
    won_leads(&app, [6, 2, 7]).await;
    let a = answer(
        &app,
        &app.schema,
        ANALYST,
        vars("lead_conversion_rate", &["STORE"], "MONTH", "2024-03-01", "2024-03-31"),
    )
    .await;
    for store in ["ZJ01", "ZJ02"] {
        let c = cell(&a, "2024-03-01", &[store]);
        assert_eq!(c["suppressed"], true, "{store}");
        assert!(c["value"].is_null() && c["numerator"].is_null() && c["customers"].is_null(), "{c}");
    }
    let c = cell(&a, "2024-03-01", &["ZJ03"]);
    assert_eq!(c["suppressed"], false);
    assert!(close(&c["numerator"], 7.0));
    assert!(close(&total(&a, "2024-03-01")["numerator"], 15.0));

    // ZJ02's manager sees only his store, and his total is as small: suppressed too.
    let a = answer(
        &app,
        &app.schema,
        Persona::Manager(2),
        vars("lead_conversion_rate", &["STORE"], "MONTH", "2024-03-01", "2024-03-31"),
    )
    .await;
    assert_eq!(a["cells"].as_array().map(Vec::len), Some(1));
    assert_eq!(cell(&a, "2024-03-01", &["ZJ02"])["suppressed"], true);
    assert_eq!(total(&a, "2024-03-01")["suppressed"], true);

    // The view hides the same two cells.
    kpi::views::install(&app.db, &Settings::default()).await.expect("views");
    let view = view_rows(&app, "lead_conversion_rate", Some("store_code")).await;
    let hidden: Vec<&str> = view.iter().filter(|r| r.suppressed).map(|r| r.key.as_str()).collect();
    assert_eq!(hidden, vec!["ZJ01", "ZJ02"]);
}

#[tokio::test]
async fn a_store_manager_reads_his_store_only_and_no_role_without_aggregates_reads_any() {
    let app = empty_group().await;
    fixture(&app).await;
    let schema = schema_with(&app, Settings { min_customers: 1, ..Settings::default() });
    let v = vars("lead_conversion_rate", &["STORE"], "MONTH", "2024-03-01", "2024-03-31");
    let a = answer(&app, &schema, MANAGER_1, v.clone()).await;
    let stores: Vec<&str> =
        a["cells"].as_array().unwrap().iter().map(|c| c["dimensions"][0]["value"].as_str().unwrap()).collect();
    assert_eq!(stores, vec!["ZJ01"]);
    // His total is his store's, not the group's (1 of 2, not 2 of 4).
    assert!(close(&total(&a, "2024-03-01")["denominator"], 2.0));
    // Asking for another store's figures finds nothing.
    let mut other = v.clone();
    other["filter"] = json!({ "stores": ["ZJ02"] });
    let a = answer(&app, &schema, MANAGER_1, other).await;
    assert_eq!(a["cells"], json!([]));
    // Group-wide KPIs are not his.
    let r = ask(&app, &schema, MANAGER_1, vars("duplicates_merged", &[], "MONTH", "2024-06-01", "2024-06-30")).await;
    assert_eq!(error_codes(&r), vec!["FORBIDDEN"]);
    // Group roles read every store.
    for who in [ANALYST, ADMIN, CRM] {
        let a = answer(&app, &schema, who, v.clone()).await;
        assert_eq!(a["cells"].as_array().map(Vec::len), Some(2), "{who}");
    }
    // A sales consultant has no aggregates.
    let r = ask(&app, &schema, SALES_1, v.clone()).await;
    assert_eq!(error_codes(&r), vec!["FORBIDDEN"]);
    // Bad input is refused with a code and changes nothing.
    for bad in [
        vars("no_such_kpi", &[], "MONTH", "2024-03-01", "2024-03-31"),
        vars("lead_conversion_rate", &["DEPARTMENT"], "MONTH", "2024-03-01", "2024-03-31"),
        vars("lead_conversion_rate", &[], "DAY", "2020-01-01", "2024-03-31"),
        vars("lead_conversion_rate", &[], "MONTH", "2024-03-31", "2024-03-01"),
        vars("lead_conversion_rate", &[], "MONTH", "0001-01-01", "2024-03-01"),
    ] {
        let r = ask(&app, &schema, ANALYST, bad.clone()).await;
        assert_eq!(error_codes(&r), vec!["BAD_USER_INPUT"], "{bad}");
    }
}

#[tokio::test]
async fn the_analyst_reaches_no_customer_field() {
    let app = TestApp::new().await;
    let r = app.run(Some(ANALYST), "{ customers(first: 1) { edges { node { id } } } }", json!({})).await;
    assert_eq!(error_codes(&r), vec!["FORBIDDEN"]);
    let data =
        app.data(ANALYST, "{ kpiCatalogue { name zh en definition unit dimensions higherIsBetter } }", json!({})).await;
    assert_eq!(data["kpiCatalogue"].as_array().map(Vec::len), Some(CATALOGUE.len()));
}

/// A row of a `bi` view.
#[derive(Debug, PartialEq)]
struct ViewRow {
    month: String,
    key: String,
    numerator: Option<f64>,
    denominator: Option<f64>,
    value: Option<f64>,
    customers: Option<i64>,
    suppressed: bool,
}

async fn view_rows(app: &TestApp, name: &str, key: Option<&str>) -> Vec<ViewRow> {
    let backend = app.backend();
    let view = kpi::views::view_name(backend, name);
    let key = key.map_or("''".to_owned(), str::to_owned);
    let sql = format!(
        "SELECT CAST(month AS TEXT) AS m, CAST({key} AS TEXT) AS k, numerator, denominator, value, customers, \
         suppressed FROM {view} ORDER BY m, k"
    );
    let rows = app.db.query_all_raw(Statement::from_string(backend, sql)).await.expect("view");
    rows.iter()
        .map(|r| ViewRow {
            month: r.try_get("", "m").expect("m"),
            key: r.try_get("", "k").expect("k"),
            numerator: r.try_get("", "numerator").expect("numerator"),
            denominator: r.try_get("", "denominator").expect("denominator"),
            value: r.try_get("", "value").expect("value"),
            customers: r.try_get("", "customers").expect("customers"),
            suppressed: r.try_get::<i32>("", "suppressed").expect("suppressed") == 1,
        })
        .collect()
}

fn same(a: Option<f64>, b: &Value) -> bool {
    match (a, b.as_f64()) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
        _ => false,
    }
}

fn last_day(month: &str) -> String {
    let first = chrono::NaiveDate::parse_from_str(month, "%Y-%m-%d").expect("month");
    let next = first + chrono::Months::new(1);
    (next - chrono::Days::new(1)).to_string()
}

/// Checks a view against the GraphQL cells (or totals) of the same months.
fn compare(name: &str, view: &[ViewRow], cells: &[Value]) {
    assert_eq!(view.len(), cells.len(), "{name}: {} view rows, {} cells", view.len(), cells.len());
    for (row, c) in view.iter().zip(cells) {
        let key = c["dimensions"].get(0).and_then(|d| d["value"].as_str()).unwrap_or("");
        assert_eq!((row.month.as_str(), row.key.as_str()), (c["periodStart"].as_str().unwrap(), key), "{name}");
        assert_eq!(row.suppressed, c["suppressed"] == true, "{name} {row:?} {c}");
        assert!(same(row.numerator, &c["numerator"]), "{name} {row:?} {c}");
        assert!(same(row.denominator, &c["denominator"]), "{name} {row:?} {c}");
        assert!(same(row.value, &c["value"]), "{name} {row:?} {c}");
        assert_eq!(row.customers, c["customers"].as_i64(), "{name} {row:?} {c}");
    }
}

#[tokio::test]
async fn the_bi_views_give_the_graphql_figures_for_every_kpi() {
    let app = TestApp::with_customers(400).await;
    kpi::views::install(&app.db, &Settings::default()).await.expect("views");
    let mut checked = 0;
    let mut empty = Vec::new();
    for k in CATALOGUE {
        let dim = kpi::views::view_dimension(k);
        let key = dim.map(|d| if d == kpi::Dimension::Store { "store_code".to_owned() } else { d.name().to_owned() });
        let view = view_rows(&app, k.name, key.as_deref()).await;
        let Some(first) = view.first() else {
            empty.push(k.name);
            continue;
        };
        let last = view.last().map(|r| r.month.clone()).unwrap_or_default();
        let group_by: Vec<String> = dim.map(|d| format!("{d:?}").to_ascii_uppercase()).into_iter().collect();
        let group_by: Vec<&str> = group_by.iter().map(String::as_str).collect();
        let a =
            answer(&app, &app.schema, ANALYST, vars(k.name, &group_by, "MONTH", &first.month, &last_day(&last))).await;
        let mut cells = a["cells"].as_array().cloned().unwrap_or_default();
        cells.sort_by(|x, y| {
            let kx = (x["periodStart"].as_str(), x["dimensions"].get(0).and_then(|d| d["value"].as_str()));
            let ky = (y["periodStart"].as_str(), y["dimensions"].get(0).and_then(|d| d["value"].as_str()));
            kx.cmp(&ky)
        });
        if dim.is_some() {
            compare(k.name, &view, &cells);
            let totals = view_rows(&app, &format!("{}_total", k.name), None).await;
            compare(k.name, &totals, a["totals"].as_array().unwrap());
        } else {
            compare(k.name, &view, a["totals"].as_array().unwrap());
        }
        checked += 1;
    }
    // At 400 customers all but the rarest have rows (today: referrals won by the
    // receiving store, reminders that came due and led to a visit, merges).
    assert!(checked >= CATALOGUE.len() - 3, "only {checked} KPIs had rows; none: {empty:?}");
}

#[tokio::test]
async fn a_bi_role_reads_the_views_and_nothing_else() {
    let app = TestApp::new().await;
    if app.backend() != DbBackend::Postgres {
        // SQLite has no users: `bi grant` refuses with a clear error.
        let e = kpi::views::grant(&app.db, "metabase", "a long password").await.expect_err("no roles on SQLite");
        assert_eq!(e.code(), "BAD_USER_INPUT");
        return;
    }
    kpi::views::install(&app.db, &Settings::default()).await.expect("views");
    let role = format!("hub_bi_{}", uuid::Uuid::new_v4().simple().to_string().get(..8).unwrap_or("x"));
    assert!(kpi::views::grant(&app.db, "Robert'); DROP", "a long password").await.is_err());
    kpi::views::grant(&app.db, &role, "a long password!").await.expect("grant");
    let database: String = app
        .db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT current_database() AS d"))
        .await
        .expect("db")
        .expect("row")
        .try_get("", "d")
        .expect("name");
    let url = format!("postgres://{role}:a%20long%20password!@127.0.0.1:5432/{database}");
    let bi = sea_orm::Database::connect(&url).await.expect("connect as the bi role");
    let count = |sql: &str| Statement::from_string(DbBackend::Postgres, sql.to_owned());
    assert!(bi.query_all_raw(count("SELECT * FROM bi.revenue LIMIT 5")).await.is_ok());
    assert!(bi.query_all_raw(count("SELECT * FROM bi.kpi_catalogue")).await.is_ok());
    for table in ["customer", "contact_point", "lead", "staff", "audit_log"] {
        assert!(bi.query_all_raw(count(&format!("SELECT * FROM {table} LIMIT 1"))).await.is_err(), "{table}");
    }
    assert!(bi.execute_unprepared("CREATE VIEW bi.mine AS SELECT 1").await.is_err());
    bi.close().await.ok();
    app.db.execute_unprepared(&format!("DROP OWNED BY {role}")).await.expect("drop owned");
    app.db.execute_unprepared(&format!("DROP ROLE {role}")).await.expect("drop role");
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, String) {
    let router = customer_hub::http::router(app.state(Environment::Development));
    let mut request = HttpRequest::get(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = router.oneshot(request.body(Body::empty()).expect("request")).await.expect("response");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn the_csv_download_gives_the_graphql_cells() {
    let app = TestApp::with_customers(300).await;
    let token = app.token(ANALYST).await;
    let path = "/bi/kpi/churn_rate.csv?from=2026-01-01&to=2026-03-31&groupBy=STORE";
    let (status, body) = get(&app, path, Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let a =
        answer(&app, &app.schema, ANALYST, vars("churn_rate", &["STORE"], "MONTH", "2026-01-01", "2026-03-31")).await;
    let lines: Vec<&str> = body.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("level,period_start,period_end,store,store_name,numerator"), "{}", lines[0]);
    let cells = a["cells"].as_array().unwrap();
    assert_eq!(lines.len(), 1 + cells.len() + a["totals"].as_array().unwrap().len());
    for (line, c) in lines[1..].iter().zip(cells) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields[3], c["dimensions"][0]["value"].as_str().unwrap());
        let value: Option<f64> = fields[7].parse().ok();
        assert!(same(value, &c["value"]), "{line} {c}");
    }
    // Refusals are the JSON error with a code and a request id.
    for (path, token, status, code) in [
        (path, None, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
        ("/bi/kpi/churn_rate.csv?from=2026-01-01", Some(token.as_str()), StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
        (
            "/bi/kpi/nope.csv?from=2026-01-01&to=2026-01-31",
            Some(token.as_str()),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        ("/bi/kpi/churn_rate?from=2026-01-01&to=2026-01-31", Some(token.as_str()), StatusCode::NOT_FOUND, "NOT_FOUND"),
    ] {
        let (got, body) = get(&app, path, token).await;
        assert_eq!(got, status, "{path}: {body}");
        let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        assert_eq!(json["errors"][0]["extensions"]["code"], code, "{path}: {body}");
        assert!(json["errors"][0]["extensions"]["requestId"].is_string(), "{body}");
    }
    let sales = app.token(SALES_1).await;
    let (got, _) = get(&app, path, Some(&sales)).await;
    assert_eq!(got, StatusCode::FORBIDDEN);
}

#[test]
fn readme_shows_the_kpi_catalogue_of_the_code() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let start =
        readme.find("<!-- kpi-catalogue:start -->").expect("start marker") + "<!-- kpi-catalogue:start -->".len();
    let end = readme.find("<!-- kpi-catalogue:end -->").expect("end marker");
    let table = kpi::catalogue::markdown_table();
    assert_eq!(
        readme[start..end].trim(),
        table.trim(),
        "README.md's KPI table differs from src/domain/kpi/catalogue.rs"
    );
}

#[tokio::test]
async fn hostile_filters_are_refused_or_match_nothing() {
    let app = empty_group().await;
    fixture(&app).await;
    let schema = schema_with(&app, Settings { min_customers: 1, ..Settings::default() });
    let base = vars("lead_conversion_rate", &["CHANNEL"], "MONTH", "2024-03-01", "2024-03-31");
    let with = |filter: Value| {
        let mut v = base.clone();
        v["filter"] = filter;
        v
    };
    // Too many values, too long a value: refused with a code.
    let many: Vec<String> = (0..101).map(|i| format!("S{i}")).collect();
    for filter in
        [json!({ "stores": many }), json!({ "channels": ["长".repeat(5_000)] }), json!({ "channels": ["a\u{0}b"] })]
    {
        let r = ask(&app, &schema, ANALYST, with(filter.clone())).await;
        assert_eq!(error_codes(&r), vec!["BAD_USER_INPUT"], "{filter}");
    }
    // Values are bound, never spliced: SQL in a value matches nothing and changes nothing.
    for channel in ["'; DELETE FROM lead; --", "车展' OR '1'='1", "%", "🚗"] {
        let a = answer(&app, &schema, ANALYST, with(json!({ "channels": [channel] }))).await;
        assert_eq!(a["cells"], json!([]), "{channel}");
    }
    let a = answer(&app, &schema, ANALYST, with(json!({ "channels": ["车展"] }))).await;
    assert!(close(&cell(&a, "2024-03-01", &["车展"])["value"], 0.5));
}

/// The KPIs of lead work and care work on a hand-built group of six customers at ZJ01 in
/// May 2024 (threshold 1: the figures are under test).
#[tokio::test]
async fn the_lead_and_care_kpis_give_the_hand_worked_figures() {
    let app = empty_group().await;
    for table in ["care_task", "survey", "customer_referral"] {
        app.db.execute_unprepared(&format!("DELETE FROM {table}")).await.expect("empty");
    }
    let staff = app.staff(SALES_1).await.id;
    let rows = vec![
        "INSERT INTO customer (id, kind, name, lifecycle_stage, created_at, updated_at, version) VALUES \
         (9501, 'INDIVIDUAL', '甲', 'BASE', '2023-01-01T00:00:00+00:00', '2023-01-01T00:00:00+00:00', 1), \
         (9502, 'INDIVIDUAL', '乙', 'BASE', '2023-01-01T00:00:00+00:00', '2023-01-01T00:00:00+00:00', 1), \
         (9503, 'INDIVIDUAL', '丙', 'BASE', '2023-01-01T00:00:00+00:00', '2023-01-01T00:00:00+00:00', 1), \
         (9504, 'INDIVIDUAL', '丁', 'PROSPECT', '2023-01-01T00:00:00+00:00', '2023-01-01T00:00:00+00:00', 1)"
            .to_owned(),
        "INSERT INTO vehicle (id, vin, brand, model) VALUES (9601, 'LKPI0000000009601', '大众', '帕萨特')".to_owned(),
        // First response: 9701 answered 30 minutes early, 9702 two hours late, 9703 due at
        // 00:30 on 16 May in Shanghai (16:30 UTC on the 15th), never answered: late.
        "INSERT INTO lead (id, store_id, customer_id, grade, channel, status, created_at, created_grade, \
         first_response_due_at, first_contacted_at) VALUES \
         (9701, 1, 9501, 'A', '汽车之家', 'OPEN', '2024-05-10T02:00:00+00:00', 'A', '2024-05-10T03:00:00+00:00', '2024-05-10T02:30:00+00:00'), \
         (9702, 1, 9502, 'A', '汽车之家', 'OPEN', '2024-05-10T02:00:00+00:00', 'A', '2024-05-10T03:00:00+00:00', '2024-05-10T05:00:00+00:00'), \
         (9703, 1, 9503, 'B', '懂车帝', 'OPEN', '2024-05-15T15:30:00+00:00', 'B', '2024-05-15T16:30:00+00:00', NULL)"
            .to_owned(),
        // Follow-ups of 9701: due 20 May, done 17:00 the same Shanghai day (on time); due
        // 21 May, done on the 22nd (late).
        format!(
            "INSERT INTO lead_follow_up (id, lead_id, store_id, staff_id, channel, outcome, grade_before, grade_after, \
             due_at, next_follow_up_at, created_at) VALUES \
             (9801, 9701, 1, {staff}, 'CALL', 'TALKED', 'A', 'A', '2024-05-20T02:00:00+00:00', NULL, '2024-05-20T09:00:00+00:00'), \
             (9802, 9701, 1, {staff}, 'CALL', 'TALKED', 'A', 'A', '2024-05-21T02:00:00+00:00', NULL, '2024-05-22T03:00:00+00:00')"
        ),
        // Two 撞单 attempts in June.
        format!(
            "INSERT INTO lead_conflict (id, store_id, lead_id, attempted_by, created_at) VALUES \
             (9811, 1, 9701, {staff}, '2024-06-03T02:00:00+00:00'), (9812, 1, 9702, {staff}, '2024-06-04T02:00:00+00:00')"
        ),
        // Offers in May: one accepted, one declined.
        format!(
            "INSERT INTO lead_offer (id, lead_id, from_store_id, to_store_id, offered_by, status, expires_at, created_at) VALUES \
             (9821, 9701, 1, 2, {staff}, 'ACCEPTED', '2024-05-12T02:00:00+00:00', '2024-05-05T02:00:00+00:00'), \
             (9822, 9702, 1, 2, {staff}, 'DECLINED', '2024-05-12T02:00:00+00:00', '2024-05-05T02:00:00+00:00')"
        ),
        // Complaints in May: 9501's resolved by its deadline, 9502's late and escalated.
        "INSERT INTO complaint (id, store_id, customer_id, department, category, severity, channel, description, status, \
         filed_at, acknowledge_due_at, resolve_due_at, acknowledged_at, resolved_at, closed_at, escalated_at, version) VALUES \
         (9831, 1, 9501, 'SERVICE', 'WAITING_TIME', 'MEDIUM', 'STORE', '等太久', 'RESOLVED', '2024-05-03T02:00:00+00:00', \
          '2024-05-03T10:00:00+00:00', '2024-05-10T10:00:00+00:00', '2024-05-03T03:00:00+00:00', '2024-05-08T02:00:00+00:00', NULL, NULL, 3), \
         (9832, 1, 9502, 'SERVICE', 'REPAIR_QUALITY', 'MEDIUM', 'STORE', '异响', 'RESOLVED', '2024-05-04T02:00:00+00:00', \
          '2024-05-04T10:00:00+00:00', '2024-05-11T10:00:00+00:00', '2024-05-04T03:00:00+00:00', '2024-05-20T02:00:00+00:00', NULL, \
          '2024-05-12T02:00:00+00:00', 3)"
            .to_owned(),
        // Surveys in May: SSI 800 (recommend 10) and 600 (5); CSI 900 (8).
        format!(
            "INSERT INTO survey (id, kind, store_id, customer_id, subject_key, scores, index_points, recommend, surveyed_by, surveyed_at) VALUES \
             (9841, 'SSI', 1, 9501, 'SSI:delivery:1', '{{}}', 800, 10, {staff}, '2024-05-06T02:00:00+00:00'), \
             (9842, 'SSI', 1, 9502, 'SSI:delivery:2', '{{}}', 600, 5, {staff}, '2024-05-07T02:00:00+00:00'), \
             (9843, 'CSI', 1, 9503, 'CSI:repair_order:3', '{{}}', 900, 8, {staff}, '2024-05-08T02:00:00+00:00')"
        ),
        // Care calls in May: a delivery call done in time, a relations call never done.
        format!(
            "INSERT INTO care_task (id, kind, store_id, customer_id, department, start_at, due_at, status, done_by, done_at, \
             source_kind, source_id, dedupe_key, created_at) VALUES \
             (9851, 'DELIVERY_CALL', 1, 9501, 'SALES', '2024-05-05T00:00:00+00:00', '2024-05-06T10:00:00+00:00', 'DONE', {staff}, \
              '2024-05-06T08:00:00+00:00', 'delivery', 1, 'k1', '2024-05-05T00:00:00+00:00'), \
             (9852, 'SERVICE_RELATIONS_CALL', 1, 9502, 'CRM', '2024-05-07T00:00:00+00:00', '2024-05-07T10:00:00+00:00', 'EXPIRED', NULL, \
              NULL, 'repair_order', 1, 'k2', '2024-05-05T00:00:00+00:00')"
        ),
        // 9504 was referred by 9501 on 1 April and took delivery on 15 May.
        "INSERT INTO customer_referral (id, referrer_id, customer_id, store_id, recorded_at) VALUES \
         (9861, 9501, 9504, 1, '2024-04-01T02:00:00+00:00')"
            .to_owned(),
        "INSERT INTO delivery (id, vehicle_id, customer_id, store_id, delivered_on, price_cents, payment) VALUES \
         (9871, 9601, 9504, 1, '2024-05-15', 20000000, 'CASH')"
            .to_owned(),
    ];
    for sql in rows {
        app.db.execute_unprepared(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let schema = schema_with(&app, Settings { min_customers: 1, ..Settings::default() });
    let zj01 = |name: &'static str, month: &'static str| {
        let (app, schema) = (&app, &schema);
        async move {
            let a = answer(
                app,
                schema,
                ANALYST,
                vars(name, &["STORE"], "MONTH", month, month.replace("-01", "-28").as_str()),
            )
            .await;
            cell(&a, month, &["ZJ01"]).clone()
        }
    };
    let may = "2024-05-01";
    assert!(close(&zj01("first_response_on_time_rate", may).await["value"], 1.0 / 3.0));
    assert!(close(&zj01("follow_up_on_time_rate", may).await["value"], 0.5));
    assert!(close(&zj01("lead_conflict_attempts", "2024-06-01").await["value"], 2.0));
    assert!(close(&zj01("referral_acceptance_rate", may).await["value"], 0.5));
    assert!(close(&zj01("complaints_filed", may).await["value"], 2.0));
    assert!(close(&zj01("complaints_resolved_on_time_rate", may).await["value"], 0.5));
    assert!(close(&zj01("complaint_escalations", may).await["value"], 1.0));
    assert!(close(&zj01("ssi_index", may).await["value"], 0.7));
    assert!(close(&zj01("csi_index", may).await["value"], 0.9));
    // One promoter, one detractor, one passive.
    assert!(close(&zj01("net_promoter_score", may).await["value"], 0.0));
    assert!(close(&zj01("care_calls_on_time_rate", may).await["value"], 0.5));
    assert!(close(&zj01("referrals_converted", may).await["value"], 1.0));
}
