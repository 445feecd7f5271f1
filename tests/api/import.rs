//! CSV import: four messy exports of one store become one golden record per person.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use customer_hub::domain::ingest::RecordKind;
use customer_hub::domain::normalize::national_id_check;
use customer_hub::import::{ImportError, Summary, import_file};
use entity::{customer, customer_link, delivery, insurance_policy, parts_order, repair_order, source_record};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::common::{SALES_1, SERVICE_1, ScratchDatabase, TestApp, scratch_database};

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
            "ZJ01,S{i:03},{},{},{},男,1980/1/{},\"浙江省杭州市西湖区文三路{i}号\",{},浙A·{:05},Volkswagen,帕萨特,2024,2024年3月{}日,\"189,900.00\",{SALES_1},贷款\n",
            p.name, phone_forms[i % 3], id.to_lowercase(), 1 + i % 28, p.vin, 10000 + i, 1 + i % 28
        ));
        for visit in 0..2 {
            let name = if visit == 1 { format!("{}先生", p.name) } else { format!(" {} ", p.name) };
            service.push_str(&format!(
                "ZJ01,RO{i:03}-{visit},{name},{},{},浙a {:05},\"{},000\",{},2024/{}/1 09:30,2024/{}/1 11:00,{},{SERVICE_1}\n",
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

/// A directory of a test's own for its files, removed when the test ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

fn temp_dir() -> TempDir {
    let dir = std::env::temp_dir().join(format!("hub-import-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    TempDir(dir)
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
    let rejects = read_rejects(&files[1].1.with_extension("rejects.csv"));
    assert!(rejects.starts_with("row,column,reason"));
    assert!(rejects.contains(",vin,"), "{rejects}");
    assert!(rejects.contains(",opened_at,"), "{rejects}");
    let rejects = read_rejects(&files[3].1.with_extension("rejects.csv"));
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

/// A reject file as text, without the byte-order mark written for Excel.
fn read_rejects(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("rejects");
    assert!(text.starts_with('\u{feff}'), "the reject file starts with a BOM for Excel");
    text.trim_start_matches('\u{feff}').to_owned()
}

/// The rows of a reject file: (row, column, reason).
fn reject_rows(path: &Path) -> Vec<(u64, String, String)> {
    let text = read_rejects(path);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.expect("reject row");
            (r[0].parse().expect("row number"), r[1].to_owned(), r[2].to_owned())
        })
        .collect()
}

const PARTS_HEADER: &str = "store_code,external_id,customer_name,phone,vin,items,amount,ordered_at\n";

fn parts_row(id: &str, name: &str, phone: &str) -> String {
    format!("ZJ01,{id},{name},{phone},,机油 x 1,300,2024-07-01\n")
}

async fn import_bytes(
    app: &TestApp,
    kind: RecordKind,
    name: &str,
    bytes: &[u8],
) -> (Result<Summary, ImportError>, PathBuf, TempDir) {
    let dir = temp_dir();
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    let rejects = path.with_extension("rejects.csv");
    (import_file(&app.db, kind, &path, &rejects).await, rejects, dir)
}

async fn source_ids(app: &TestApp) -> BTreeSet<String> {
    source_record::Entity::find().all(&app.db).await.expect("q").into_iter().map(|s| s.external_id).collect()
}

/// Chinese dealer systems export GBK/GB18030: the file is recognised and read like its
/// UTF-8 twin, not rejected row by row as invalid UTF-8.
#[tokio::test]
async fn a_gb18030_export_is_read_like_its_utf8_twin() {
    let dir = temp_dir();
    let files = write_files(&dir);
    let utf8 = std::fs::read_to_string(&files[0].1).expect("read");
    let utf8 = utf8.trim_start_matches('\u{feff}');
    let (gb, _, unmappable) = encoding_rs::GB18030.encode(utf8);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gb).is_err(), "the file really is not UTF-8");

    let app = TestApp::with_customers(0).await;
    let (summary, rejects, _dir) = import_bytes(&app, RecordKind::Delivery, "sales-gb18030.csv", &gb).await;
    let summary = summary.expect("a GB18030 file is imported");
    assert_eq!(
        summary,
        Summary { read: 12, created: 12, updated: 0, unchanged: 0, rejected: 0 },
        "{:?}",
        reject_rows(&rejects)
    );
    let names: BTreeSet<String> =
        customer::Entity::find().all(&app.db).await.expect("q").into_iter().map(|c| c.name).collect();
    let expected: BTreeSet<String> = people().into_iter().map(|p| p.name).collect();
    assert_eq!(names, expected, "names decoded from GB18030");
    let address = customer::Entity::find().one(&app.db).await.expect("q").and_then(|c| c.address);
    assert!(address.is_some_and(|a| a.starts_with("浙江省杭州市西湖区文三路")));

    // A short GBK file, a single row, is recognised too.
    let mut short = String::from(PARTS_HEADER);
    short.push_str(&parts_row("PO1", "欧阳娜娜", "13900002000"));
    let (gbk, _, _) = encoding_rs::GBK.encode(&short);
    let (summary, rejects, _dir) = import_bytes(&app, RecordKind::PartsOrder, "parts-gbk.csv", &gbk).await;
    assert_eq!(summary.expect("a GBK file").created, 1, "{:?}", reject_rows(&rejects));
    assert!(customer::Entity::find().all(&app.db).await.expect("q").iter().any(|c| c.name == "欧阳娜娜"));

    // The same file in UTF-8 afterwards is the same records, unchanged.
    let (again, ..) = import_bytes(&app, RecordKind::Delivery, "sales.csv", utf8.as_bytes()).await;
    assert_eq!(again.expect("utf-8").unchanged, 12);
}

/// A file that is neither UTF-8 nor GBK/GB18030 — or not a CSV at all — is refused at
/// once with what to do, before any row is read.
#[tokio::test]
async fn a_file_in_an_unreadable_encoding_is_refused_with_what_to_do() {
    let app = TestApp::with_customers(0).await;
    let mut latin = PARTS_HEADER.as_bytes().to_vec();
    // "Müller" and "Françoise" in windows-1252, as a European system would write them.
    latin.extend_from_slice(b"ZJ01,PO1,M\xfcller Fran\xe7oise,13900001000,,oil x 1,300,2024-07-01\n");
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(PARTS_HEADER.encode_utf16().flat_map(u16::to_le_bytes));
    let xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00".to_vec();
    for (name, bytes) in [("latin.csv", latin), ("utf16.csv", utf16), ("export.xlsx", xlsx)] {
        let (result, rejects, _dir) = import_bytes(&app, RecordKind::PartsOrder, name, &bytes).await;
        match result {
            Err(ImportError::Encoding(message)) => assert!(message.contains("CSV UTF-8"), "{name}: {message}"),
            other => panic!("{name}: {other:?}"),
        }
        assert!(!rejects.exists(), "{name}: no reject file for a refused file");
    }
    assert!(source_ids(&app).await.is_empty());
}

/// A row with more or fewer cells than the header is rejected; an unbalanced quote
/// rejects its own line, named by number, and the lines after it are read as rows.
#[tokio::test]
async fn rows_with_the_wrong_number_of_cells_or_an_open_quote_are_rejected_by_line() {
    let app = TestApp::with_customers(0).await;
    let mut text = String::from(PARTS_HEADER);
    text.push_str(&parts_row("PO1", "王建国", "13900001000")); // line 2
    text.push_str("ZJ01,PO2,李秀英,13900001001,,机油 x 1,1,080.00,2024-07-01\n"); // line 3: an unquoted comma
    text.push_str("ZJ01,PO3,\"张伟,13900001002,,机油 x 1,300,2024-07-01\n"); // line 4: an open quote
    text.push_str(&parts_row("PO4", "刘洋", "13900001003")); // line 5
    text.push('\n'); // line 6: blank, skipped
    text.push_str(&parts_row("PO5", "陈静", "13900001004").replace("\n", "\r\n")); // line 7, CRLF
    text.push_str("ZJ01,PO6,杨磊\n"); // line 8: too few cells
    text.push_str("ZJ01,PO7,\"赵敏\",13900001006,,\"机油 x 1; \"\"长效\"\" 防冻液 x 2\",300,2024-07-01\n"); // line 9
    text.push_str(&parts_row("PO8", "王\0五", "13900001007")); // line 10: a NUL byte
    let (summary, rejects, _dir) = import_bytes(&app, RecordKind::PartsOrder, "parts.csv", text.as_bytes()).await;
    let summary = summary.expect("import");
    assert_eq!(summary, Summary { read: 8, created: 4, updated: 0, unchanged: 0, rejected: 4 });
    let rows = reject_rows(&rejects);
    let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(lines, [3, 4, 8, 10], "{rows:?}");
    assert!(rows[0].2.contains("9 cells, more than the 8 columns"), "{rows:?}");
    assert_eq!(rows[1].1, "customer_name", "{rows:?}");
    assert!(rows[1].2.contains("quote"), "{rows:?}");
    assert!(rows[2].2.contains("3 cells, fewer than the 8 columns"), "{rows:?}");
    assert!(rows[3].2.contains("NUL"), "{rows:?}");
    assert_eq!(source_ids(&app).await, ["PO1", "PO4", "PO5", "PO7"].map(String::from).into());
    let items = parts_order::Entity::find().all(&app.db).await.expect("q");
    assert!(items.iter().any(|p| p.items.to_string().contains("\\\"长效\\\" 防冻液")), "quoted quotes kept");
}

/// `--source parts` given a sales export: refused at the header, naming the missing and
/// unexpected columns (and the layout it seems to be), before any row is stored.
#[tokio::test]
async fn a_file_of_another_layout_is_refused_at_the_header() {
    let dir = temp_dir();
    let files = write_files(&dir);
    let app = TestApp::with_customers(0).await;
    let rejects = dir.join("wrong.rejects.csv");
    let result = import_file(&app.db, RecordKind::PartsOrder, &files[0].1, &rejects).await;
    let Err(ImportError::Layout(message)) = result else { panic!("{result:?}") };
    for part in
        ["missing columns: items, amount, ordered_at", "unexpected columns: national_id, gender", "--source sales"]
    {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert!(!rejects.exists());
    assert!(source_ids(&app).await.is_empty());

    // A layout with optional columns left out is still the layout.
    let (ok, ..) = import_bytes(
        &app,
        RecordKind::PartsOrder,
        "parts-short.csv",
        "store_code,external_id,customer_name,phone,items,amount,ordered_at\nZJ01,PO1,王建国,13900001000,机油 x 1,300,2024-07-01\n"
            .as_bytes(),
    )
    .await;
    assert_eq!(ok.expect("import").created, 1);
}

/// Cells a spreadsheet would run are refused (never stored); a phone like `+86 …` is a
/// value. The reject file escapes every cell a spreadsheet would run.
#[tokio::test]
async fn formula_cells_are_refused_and_the_reject_file_is_escaped() {
    let app = TestApp::with_customers(0).await;
    let mut text = String::from(PARTS_HEADER);
    text.push_str(&parts_row("PO0", "王建国", "13900001000").replace("ZJ01", "XX99")); // no such store
    text.push_str(&parts_row("PO1", r#""=HYPERLINK(""http://evil.example"",""点我"")""#, "13900001000"));
    text.push_str(&parts_row("PO2", "@SUM(A1)", "13900001001"));
    text.push_str(&parts_row("PO3", " ＝1+1", "13900001002"));
    text.push_str(&parts_row("PO4", "\t-2+3", "13900001003"));
    text.push_str("ZJ01,PO5,黄勇,13900001004,,=cmd|' /C calc'!A0,300,2024-07-01\n");
    text.push_str(&parts_row("PO6", "周杰", "+86 139 0000 1005"));
    text.push_str(&parts_row("PO7", "吴芳", "-"));
    let (summary, rejects, _dir) = import_bytes(&app, RecordKind::PartsOrder, "parts.csv", text.as_bytes()).await;
    let summary = summary.expect("import");
    assert_eq!((summary.created, summary.rejected), (1, 7), "{:?}", reject_rows(&rejects));
    let rows = reject_rows(&rejects);
    for (row, column) in
        [(3, "customer_name"), (4, "customer_name"), (5, "customer_name"), (6, "customer_name"), (7, "items")]
    {
        let found = rows.iter().find(|r| r.0 == row).unwrap_or_else(|| panic!("row {row}: {rows:?}"));
        assert_eq!(found.1, column);
        assert!(found.2.contains("formula"), "{found:?}");
    }
    assert!(rows.iter().filter(|r| r.0 == 9).all(|r| !r.2.contains("formula")), "a dash is no formula: {rows:?}");
    assert_eq!(source_ids(&app).await, ["PO6"].map(String::from).into());
    let stored = customer::Entity::find().all(&app.db).await.expect("q");
    assert!(stored.iter().all(|c| !c.name.contains('=') && !c.name.contains('@')), "{stored:?}");

    // No cell of the reject file starts with what a spreadsheet would run.
    let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
    assert!(lines.is_sorted(), "rejects in file order: {lines:?}");
    let text = read_rejects(&rejects);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    for record in reader.records() {
        for cell in record.expect("record").iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{cell}");
        }
    }
}

/// A 1 MB cell — or any cell beyond its column's documented length — rejects its row,
/// with a reason, and nothing of it is stored; the rows after it go in.
#[tokio::test]
async fn an_oversized_cell_rejects_its_row_and_is_not_stored() {
    let app = TestApp::with_customers(0).await;
    let mut text = String::from(PARTS_HEADER);
    text.push_str(&parts_row("PO1", &"王".repeat(350_000), "13900001000")); // 1 MB in one cell
    text.push_str(&parts_row("PO2", &"李".repeat(101), "13900001001"));
    text.push_str(&format!("ZJ01,PO3,张伟,13900001002,,{},300,2024-07-01\n", "机油 x 1;".repeat(400)));
    text.push_str(&parts_row("PO4", "刘洋", "13900001003"));
    let (summary, rejects, _dir) = import_bytes(&app, RecordKind::PartsOrder, "parts.csv", text.as_bytes()).await;
    let summary = summary.expect("import");
    assert_eq!(summary, Summary { read: 4, created: 1, updated: 0, unchanged: 0, rejected: 3 });
    let rows = reject_rows(&rejects);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0].0, 2);
    assert!(rows[0].2.contains("bytes a row may have"), "{rows:?}");
    assert_eq!((rows[1].0, rows[1].1.as_str()), (3, "customer_name"));
    assert!(rows[1].2.contains("longer than 100 characters"), "{rows:?}");
    assert_eq!((rows[2].0, rows[2].1.as_str()), (4, "items"));
    assert!(rows[2].2.contains("longer than 2000 characters"), "{rows:?}");
    assert_eq!(source_ids(&app).await, ["PO4"].map(String::from).into());
}

/// A database failure on a row is reported with the database's own words — in the
/// reject file and the log — never just "internal error"; a failure of the import as a
/// whole ends it with the cause.
#[tokio::test]
async fn a_database_failure_names_its_real_cause() {
    use sea_orm::ConnectionTrait;

    let app = TestApp::with_customers(0).await;
    app.db.execute_unprepared("ALTER TABLE parts_order RENAME TO parts_order_gone").await.expect("rename");
    let mut text = String::from(PARTS_HEADER);
    text.push_str(&parts_row("PO1", "王建国", "13900001000"));
    let (summary, rejects, _dir) = import_bytes(&app, RecordKind::PartsOrder, "parts.csv", text.as_bytes()).await;
    assert_eq!(summary.expect("import").rejected, 1);
    let rows = reject_rows(&rejects);
    assert!(rows[0].2.starts_with("database error: "), "{rows:?}");
    assert!(rows[0].2.contains("parts_order"), "the database's words: {rows:?}");
    assert!(source_ids(&app).await.is_empty(), "the row's savepoint was rolled back");

    app.db.execute_unprepared("ALTER TABLE store RENAME TO store_gone").await.expect("rename");
    let (result, ..) = import_bytes(&app, RecordKind::PartsOrder, "parts.csv", text.as_bytes()).await;
    let Err(ImportError::Database(message)) = result else { panic!("{result:?}") };
    assert!(message.contains("store"), "{message}");
    assert!(!message.ends_with("internal error"), "{message}");
}

/// Text that made the normalisers panic (a multi-byte character across byte 17) rejects
/// its own row; the import goes on with the next rows instead of ending with exit 101.
#[tokio::test]
async fn a_row_that_once_panicked_is_rejected_and_the_import_goes_on() {
    let dir = temp_dir();
    let files = write_files(&dir);
    let mut text = std::fs::read_to_string(&files[0].1).expect("read");
    let first = text.lines().nth(1).expect("row").to_owned();
    let cells: Vec<&str> = first.split(',').collect();
    let broken = first.replacen(cells[4], "杭州新客科技", 1).replacen(cells[1], "S-BROKEN", 1).replacen(
        cells[3],
        "上海大众汽车",
        1,
    );
    let header_end = text.find('\n').expect("header") + 1;
    text.insert_str(header_end, &format!("{broken}\n"));
    let app = TestApp::with_customers(0).await;
    let (summary, rejects, _dir) = import_bytes(&app, RecordKind::Delivery, "sales.csv", text.as_bytes()).await;
    let summary = summary.expect("the import goes on");
    assert_eq!((summary.read, summary.created, summary.rejected), (13, 12, 1), "{:?}", reject_rows(&rejects));
    assert!(reject_rows(&rejects).iter().all(|r| r.0 == 2));
}

/// The database the command-line tests run the binary against, migrated and seeded: a
/// SQLite file, or a PostgreSQL database of its own when HUB_TEST_DATABASE_URL is set
/// (removed when dropped).
async fn binary_database() -> ScratchDatabase {
    let scratch = scratch_database().await;
    let cfg = customer_hub::config::DbConfig {
        database_url: scratch.url.clone(),
        db_max_connections: 2,
        db_statement_timeout_ms: 30_000,
    };
    let db = customer_hub::db::connect(&cfg).await.expect("connect");
    customer_hub::db::migrate(&db).await.expect("migrate");
    customer_hub::demo::seed(&db, &customer_hub::demo::DemoConfig { customers: 0, ..Default::default() })
        .await
        .expect("seed");
    db.close().await.ok();
    scratch
}

/// Exit status of `customer-hub import`: 0 all rows in, 2 some rows rejected (the
/// summary says how many), 1 the file could not be read.
#[tokio::test]
async fn the_import_command_tells_the_outcome_by_its_exit_status() {
    let dir = temp_dir();
    let database = binary_database().await;
    let url = database.url.as_str();
    let files = write_files(&dir);
    let run = |source: &str, file: &Path| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_customer-hub"))
            .args(["import", "--database-url", url, "--source", source])
            .arg(file)
            .env("HUB_LOG", "warn")
            .output()
            .expect("run customer-hub");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run("sales", &files[0].1);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("created 12") && stdout.contains("rejected 0"), "{stdout}");
    let (code, stdout, stderr) = run("service", &files[1].1);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stdout.contains("rejected 2") && stdout.contains("2 rows rejected"), "{stdout}");
    let (code, _, stderr) = run("parts", &dir.join("missing.csv"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cannot open") && stderr.contains("missing.csv"), "{stderr}");
    let (code, _, stderr) = run("parts", &files[0].1);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("missing columns"), "{stderr}");
    let gbk = dir.join("latin.csv");
    std::fs::write(&gbk, b"store_code,external_id,customer_name\nZJ01,1,M\xfcller\n").expect("write");
    let (code, _, stderr) = run("parts", &gbk);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("CSV UTF-8"), "{stderr}");
}

/// A chunk is written as one set; when the database refuses one of its rows (here a
/// trigger refuses one customer's name), the set is rolled back and the rows are stored
/// one by one: only that row is rejected, with the database's words, and every other row
/// of the chunk is stored as if the set had gone through.
#[tokio::test]
async fn a_row_the_database_refuses_is_rejected_alone_from_its_set() {
    let app = TestApp::with_customers(0).await;
    crate::common::refuse_customers_named(&app, "拒绝户").await;
    let mut text = String::from(PARTS_HEADER);
    for i in 0..20 {
        let name = if i == 7 { "拒绝户".to_owned() } else { format!("客户{i:02}") };
        text.push_str(&parts_row(&format!("PO{i}"), &name, &format!("139000{i:05}")));
    }
    // The same person twice in the chunk: still one customer after the one-by-one path.
    text.push_str(&parts_row("PO-AGAIN", "客户03", "13900000003"));
    let (summary, rejects, _dir) = import_bytes(&app, RecordKind::PartsOrder, "parts.csv", text.as_bytes()).await;
    let summary = summary.expect("import");
    assert_eq!((summary.read, summary.created, summary.rejected), (21, 20, 1), "{:?}", reject_rows(&rejects));
    let rows = reject_rows(&rejects);
    assert_eq!(rows[0].0, 9, "the refused row is line 9: {rows:?}");
    assert!(rows[0].2.contains("refused by trigger"), "{rows:?}");
    let ids = source_ids(&app).await;
    assert_eq!(ids.len(), 20);
    assert!(!ids.contains("PO7"));
    let customers = entity::customer::Entity::find().all(&app.db).await.expect("q");
    assert_eq!(customers.len(), 19, "one customer per person; 客户03 once");
}

/// A large first import into a young database: every row goes in and, on PostgreSQL,
/// the tables it more than doubled have fresh statistics (else each chunk's reads are
/// planned for empty tables and scan them whole).
#[tokio::test]
async fn a_large_first_import_refreshes_the_statistics_of_the_tables_it_grows() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = TestApp::new().await;
    let dir = temp_dir();
    let mut text = String::from("store_code,external_id,customer_name,phone,vin,items,amount,ordered_at\n");
    for i in 0..1_200 {
        text.push_str(&format!("ZJ01,PO-{i},顾客{i}号,1381{:07},,机油 x 1,300,2024-07-01\n", i));
    }
    let path = dir.join("parts.csv");
    std::fs::write(&path, text).expect("write");
    let summary = import_file(&app.db, RecordKind::PartsOrder, &path, &dir.join("rejects.csv")).await.expect("import");
    assert_eq!((summary.created, summary.rejected), (1_200, 0), "{summary}");
    if app.db.get_database_backend() == DbBackend::Postgres {
        let analysed = app
            .db
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT relname::text AS name FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL",
            ))
            .await
            .expect("statistics");
        let names: BTreeSet<String> = analysed.iter().filter_map(|r| r.try_get::<String>("", "name").ok()).collect();
        for table in ["customer", "contact_point", "source_record", "parts_order"] {
            assert!(names.contains(table), "{table} not analysed: {names:?}");
        }
    }
}
