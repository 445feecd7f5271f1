//! CSV import: four messy exports of one store become one golden record per person.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use customer_hub::domain::ingest::RecordKind;
use customer_hub::domain::normalize::national_id_check;
use customer_hub::import::{Summary, import_file};
use entity::{customer, customer_link, delivery, insurance_policy, parts_order, repair_order, source_record};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::common::TestApp;

struct Person {
    name: String,
    phone: String,
    id17: String,
    vin: String,
}

fn vin(i: usize) -> String {
    let draft = format!("LSVAB2BM0R{:07}", 100 + i);
    let check = customer_hub::domain::normalize::vin_check_digit(&draft).expect("vin");
    let mut chars: Vec<char> = draft.chars().collect();
    chars[8] = check;
    chars.into_iter().collect()
}

fn people() -> Vec<Person> {
    let names = ["王建国", "李秀英", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴芳", "徐强", "孙丽"];
    names
        .iter()
        .enumerate()
        .map(|(i, name)| Person {
            name: (*name).to_owned(),
            phone: format!("1390000{:04}", 1000 + i),
            id17: format!("3301061980{:02}{:02}{:03}", 1 + i % 12, 10 + i, 100 + i),
            vin: vin(i),
        })
        .collect()
}

fn full_id(p: &Person) -> String {
    format!("{}{}", p.id17, national_id_check(&p.id17).expect("id"))
}

/// The four exports, each with format noise; every person appears in all of them.
fn write_files(dir: &Path) -> [(RecordKind, PathBuf); 4] {
    let ps = people();
    let mut sales = String::from(
        "\u{feff}store_code,external_id,customer_name,phone,national_id,gender,birthday,address,vin,plate,brand,model,model_year,delivery_date,price,consultant,payment_method\n",
    );
    let mut service = String::from(
        "store_code,external_id,customer_name,phone,vin,plate,mileage,service_type,opened_at,closed_at,amount,advisor\n",
    );
    let mut insurance = String::from(
        "store_code,external_id,customer_name,phone,national_id,vin,plate,insurer,coverage,premium,start_date,end_date\n",
    );
    let mut parts = String::from("store_code,external_id,customer_name,phone,vin,items,amount,ordered_at\n");
    for (i, p) in ps.iter().enumerate() {
        let phone_forms = [
            p.phone.clone(),
            format!("+86 {} {} {}", &p.phone[..3], &p.phone[3..7], &p.phone[7..]),
            format!("{}-{}-{}", &p.phone[..3], &p.phone[3..7], &p.phone[7..]),
        ];
        let id = full_id(p);
        sales.push_str(&format!(
            "ZJ01,S{i:03},{},{},{},男,1980/1/{},\"浙江省杭州市西湖区文三路{i}号\",{},浙A·{:05},Volkswagen,帕萨特,2024,2024年3月{}日,\"189,900.00\",zj01.sales,贷款\n",
            p.name, phone_forms[i % 3], id.to_lowercase(), 1 + i % 28, p.vin, 10000 + i, 1 + i % 28
        ));
        for visit in 0..2 {
            let name = if visit == 1 { format!("{}先生", p.name) } else { format!(" {} ", p.name) };
            service.push_str(&format!(
                "ZJ01,RO{i:03}-{visit},{name},{},{},浙a {:05},\"{},000\",{},2024/{}/1 09:30,2024/{}/1 11:00,{},zj01.service\n",
                phone_forms[(i + visit + 1) % 3], p.vin.to_lowercase(), 10000 + i, 5 + visit * 5, if visit == 0 { "首保" } else { "保养" }, 6 + visit, 6 + visit, if visit == 0 { "0" } else { "680.50" }
            ));
        }
        // Insurance systems often lack the phone; the national ID carries the match.
        insurance.push_str(&format!(
            "ZJ01,P{i:03},{},,{},{},浙A{:05},平安保险,交强险+商业险,\"4,500.00\",2024-03-10,2025-03-09\n",
            p.name,
            id,
            p.vin,
            10000 + i
        ));
        parts.push_str(&format!(
            "ZJ01,PO{i:03},{},{},,脚垫 x 1; 雨刮片 x 2,\"1,080.00\",2024/5/{}\n",
            p.name,
            p.phone,
            1 + i % 28
        ));
    }
    // A family member sharing 王建国's phone, with her own ID: a second customer.
    let wife_id17 = "33010619820505124";
    let wife_id = format!("{wife_id17}{}", national_id_check(wife_id17).expect("id"));
    parts.push_str(&format!("ZJ01,PO900,李梅,{},,机油 x 1,300,2024-07-01\n", ps[0].phone));
    insurance.push_str(&format!(
        "ZJ01,P900,李梅,{},{},{},浙A99999,人保,交强险,\"3,000\",2024-07-01,2025-06-30\n",
        ps[0].phone,
        wife_id,
        vin(900)
    ));
    // Broken rows: a bad VIN, an impossible date, an unknown store, a short row.
    service.push_str("ZJ01,RO-BAD1,王建国,13900001000,LSVAB2BM0R000010I,,100,保养,2024/6/1,,100,\n");
    service.push_str("ZJ01,RO-BAD2,王建国,13900001000,LSVAB2BM0R0000100,,100,保养,2024/2/30,,100,\n");
    parts.push_str("XX99,PO-BAD3,王建国,13900001000,,机油 x 1,300,2024-07-01\n");
    parts.push_str("ZJ01,PO-BAD4\n");
    let files = [
        (RecordKind::Delivery, "sales.csv", sales),
        (RecordKind::RepairOrder, "service.csv", service),
        (RecordKind::InsurancePolicy, "insurance.csv", insurance),
        (RecordKind::PartsOrder, "parts.csv", parts),
    ];
    files.map(|(kind, name, text)| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write csv");
        (kind, path)
    })
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hub-import-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

async fn import_all(app: &TestApp, files: &[(RecordKind, PathBuf)]) -> Vec<Summary> {
    let mut out = Vec::new();
    for (kind, path) in files {
        let rejects = path.with_extension("rejects.csv");
        out.push(import_file(&app.db, *kind, path, &rejects).await.expect("import"));
    }
    out
}

/// Everything the import produced, for comparing two databases.
async fn state(app: &TestApp) -> BTreeMap<String, (String, usize)> {
    let sources = source_record::Entity::find()
        .filter(source_record::Column::ExternalId.not_like("%-C%"))
        .all(&app.db)
        .await
        .expect("q");
    let mut out = BTreeMap::new();
    for s in sources {
        let c = customer::Entity::find_by_id(s.customer_id).one(&app.db).await.expect("q").expect("customer");
        out.insert(s.external_id.clone(), (c.name.clone(), c.id_number.map(|i| i.len()).unwrap_or(0)));
    }
    out
}

#[tokio::test]
async fn four_messy_exports_become_one_golden_record_per_person() {
    let app = TestApp::with_customers(0).await;
    let dir = temp_dir();
    let files = write_files(&dir);
    let summaries = import_all(&app, &files).await;
    let people = people();
    assert_eq!(summaries[0], Summary { read: 12, created: 12, updated: 0, unchanged: 0, rejected: 0 });
    assert_eq!(summaries[1], Summary { read: 26, created: 24, updated: 0, unchanged: 0, rejected: 2 });
    assert_eq!(summaries[2], Summary { read: 13, created: 13, updated: 0, unchanged: 0, rejected: 0 });
    assert_eq!(summaries[3], Summary { read: 15, created: 13, updated: 0, unchanged: 0, rejected: 2 });

    // One customer per real person (12 + the wife), each holding all of their records.
    let customers =
        customer::Entity::find().filter(customer::Column::MergedInto.is_null()).all(&app.db).await.expect("q");
    assert_eq!(customers.len(), people.len() + 1, "{:?}", customers.iter().map(|c| &c.name).collect::<Vec<_>>());
    for (i, p) in people.iter().enumerate() {
        let c = customers.iter().find(|c| c.name == p.name).unwrap_or_else(|| panic!("{}", p.name));
        assert_eq!(c.id_number.as_deref(), Some(full_id(p).as_str()), "{}", p.name);
        let sources: BTreeSet<String> = source_record::Entity::find()
            .filter(source_record::Column::CustomerId.eq(c.id))
            .all(&app.db)
            .await
            .expect("q")
            .into_iter()
            .map(|s| s.external_id)
            .collect();
        let expected: BTreeSet<String> =
            [format!("S{i:03}"), format!("RO{i:03}-0"), format!("RO{i:03}-1"), format!("P{i:03}"), format!("PO{i:03}")]
                .into();
        assert_eq!(sources, expected, "{}", p.name);
        for (count, what) in [
            (
                delivery::Entity::find().filter(delivery::Column::CustomerId.eq(c.id)).count(&app.db).await.expect("q"),
                "delivery",
            ),
            (
                repair_order::Entity::find()
                    .filter(repair_order::Column::CustomerId.eq(c.id))
                    .count(&app.db)
                    .await
                    .expect("q"),
                "repair orders",
            ),
            (
                insurance_policy::Entity::find()
                    .filter(insurance_policy::Column::CustomerId.eq(c.id))
                    .count(&app.db)
                    .await
                    .expect("q"),
                "policy",
            ),
            (
                parts_order::Entity::find()
                    .filter(parts_order::Column::CustomerId.eq(c.id))
                    .count(&app.db)
                    .await
                    .expect("q"),
                "parts",
            ),
        ] {
            assert_eq!(count, if what == "repair orders" { 2 } else { 1 }, "{} {what}", p.name);
        }
    }
    assert_eq!(customer_link::Entity::find().count(&app.db).await.expect("q"), 1, "the shared phone makes a household");

    // The reject files name row, column and reason.
    let rejects = std::fs::read_to_string(files[1].1.with_extension("rejects.csv")).expect("rejects");
    assert!(rejects.starts_with("row,column,reason"));
    assert!(rejects.contains(",vin,"), "{rejects}");
    assert!(rejects.contains(",opened_at,"), "{rejects}");
    let rejects = std::fs::read_to_string(files[3].1.with_extension("rejects.csv")).expect("rejects");
    assert!(rejects.contains("store_code,no store `XX99`"), "{rejects}");

    // A second run changes nothing.
    let before = state(&app).await;
    let again = import_all(&app, &files).await;
    for s in &again {
        assert_eq!((s.created, s.updated), (0, 0), "{s}");
    }
    assert_eq!(again[0].unchanged, 12);
    assert_eq!(state(&app).await, before);
}

#[tokio::test]
async fn an_interrupted_import_run_again_ends_as_one_uninterrupted_run() {
    let dir = temp_dir();
    let files = write_files(&dir);
    let whole = TestApp::with_customers(0).await;
    import_all(&whole, &files).await;

    let interrupted = TestApp::with_customers(0).await;
    // The first run stops half-way through each file.
    let mut halves = Vec::new();
    for (kind, path) in &files {
        let text = std::fs::read_to_string(path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        let half = path.with_extension("half.csv");
        std::fs::write(&half, lines[..lines.len() / 2].join("\n")).expect("write");
        halves.push((*kind, half));
    }
    import_all(&interrupted, &halves).await;
    import_all(&interrupted, &files).await;
    assert_eq!(state(&interrupted).await, state(&whole).await);
    let count = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            (
                customer::Entity::find().count(&db).await.expect("q"),
                repair_order::Entity::find().count(&db).await.expect("q"),
            )
        }
    };
    assert_eq!(count(&interrupted).await, count(&whole).await);
}
