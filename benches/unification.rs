//! Unification benchmark: imports a generated, messy set of exports from the four
//! department systems (100,000 rows by default) and reports rows per second, then
//! scores the unification against the known truth with pairwise precision and recall
//! of "same customer" decisions.
//!
//! cargo bench --bench unification
//! BENCH_PEOPLE=2000 cargo bench --bench unification     # a quicker run
//!
//! Settings: BENCH_PEOPLE (20000; five rows each), BENCH_PG_URL
//! (postgres://postgres@127.0.0.1:5432/postgres; `none` skips PostgreSQL), BENCH_SET
//! (`tidy`, the default, or `messy`: the records as reception desks type them — see
//! `write_messy_exports`). BENCH_ESTIMATE=1 estimates the weights of identity
//! resolution from both sets (3,000 people each) and prints them as `linkage::ESTIMATED`;
//! BENCH_MISSES=1 prints the records of people the hub kept apart.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use customer_hub::config::DbConfig;
use customer_hub::demo::{self, DemoConfig};
use customer_hub::domain::ingest::{Incoming, Raw, RecordKind, parse};
use customer_hub::domain::linkage::{self, Comparison, Known, Tally};
use customer_hub::domain::normalize::{national_id_check, vin_check_digit};
use customer_hub::import::import_file;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗",
    "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "欧阳",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "建国",
    "志强", "海燕", "晓东", "丽华", "天宇", "梓涵", "子豪", "欣怡", "国平", "美玲",
];

struct Truth {
    name: String,
    phone: String,
    id: String,
    vin: String,
}

fn vin(n: usize) -> String {
    let draft = format!("LSGKB5S30R{:07}", n);
    let mut c: Vec<char> = draft.chars().collect();
    c[8] = vin_check_digit(&draft).expect("vin");
    c.into_iter().collect()
}

fn people(n: usize, rng: &mut ChaCha8Rng) -> Vec<Truth> {
    let mut out: Vec<Truth> = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!("{}{}", SURNAMES.choose(rng).expect("s"), GIVEN.choose(rng).expect("g"));
        // One in twenty shares the phone of the person before (a household).
        let phone = if i > 0 && rng.gen_bool(0.05) {
            out[i - 1].phone.clone()
        } else {
            format!("1{}{:09}", rng.gen_range(3..10), i * 7 + 100_000_000)
        };
        let first17 = format!(
            "3301{:02}19{:02}{:02}{:02}{:03}",
            rng.gen_range(1..99),
            rng.gen_range(60..99),
            rng.gen_range(1..13),
            rng.gen_range(1..29),
            i % 1000
        );
        let id = format!("{first17}{}", national_id_check(&first17).expect("id"));
        out.push(Truth { name, phone, id, vin: vin(i) });
    }
    out
}

/// A phone as some system typed it.
fn noisy_phone(p: &str, rng: &mut ChaCha8Rng) -> String {
    match rng.gen_range(0..4) {
        0 => p.to_owned(),
        1 => format!("{}-{}-{}", &p[..3], &p[3..7], &p[7..]),
        2 => format!("+86 {} {} {}", &p[..3], &p[3..7], &p[7..]),
        _ => format!("0086{p}"),
    }
}

fn noisy_name(n: &str, rng: &mut ChaCha8Rng) -> String {
    match rng.gen_range(0..6) {
        0 => format!(" {n} "),
        1 => format!("{n}先生"),
        _ => n.to_owned(),
    }
}

fn noisy_id(id: &str, rng: &mut ChaCha8Rng) -> String {
    if rng.gen_bool(0.3) { id.to_lowercase() } else { id.to_owned() }
}

/// Writes the four exports; returns their paths and, per external id, the true person.
fn write_exports(
    dir: &Path,
    truth: &[Truth],
    rng: &mut ChaCha8Rng,
) -> (Vec<(RecordKind, PathBuf)>, HashMap<String, usize>) {
    let mut who = HashMap::new();
    let mut sales = String::from(
        "store_code,external_id,customer_name,phone,national_id,gender,birthday,address,vin,plate,brand,model,model_year,delivery_date,price,consultant,payment_method\n",
    );
    let mut service = String::from(
        "store_code,external_id,customer_name,phone,vin,plate,mileage,service_type,opened_at,closed_at,amount,advisor\n",
    );
    let mut insurance = String::from(
        "store_code,external_id,customer_name,phone,national_id,vin,plate,insurer,coverage,premium,start_date,end_date\n",
    );
    let mut parts = String::from("store_code,external_id,customer_name,phone,vin,items,amount,ordered_at\n");
    for (i, p) in truth.iter().enumerate() {
        let store = format!("ZJ0{}", 1 + i % 6);
        let ext = format!("S{i}");
        who.insert(format!("SALES/{ext}"), i);
        sales.push_str(&format!(
            "{store},{ext},{},{},{},男,1980/1/1,浙江省杭州市,{},浙A{:05},Buick,GL8,2024,2024/3/{},\"329,900.00\",,贷款\n",
            noisy_name(&p.name, rng), noisy_phone(&p.phone, rng), noisy_id(&p.id, rng), p.vin, i % 100_000, 1 + i % 28
        ));
        for v in 0..2 {
            let ext = format!("R{i}-{v}");
            who.insert(format!("SERVICE/{ext}"), i);
            service.push_str(&format!(
                "{store},{ext},{},{},{},,{},保养,2024年{}月2日,,680.00,\n",
                noisy_name(&p.name, rng),
                noisy_phone(&p.phone, rng),
                if rng.gen_bool(0.5) { p.vin.to_lowercase() } else { p.vin.clone() },
                5000 * (v + 1),
                4 + v * 4
            ));
        }
        let ext = format!("P{i}");
        who.insert(format!("INSURANCE/{ext}"), i);
        insurance.push_str(&format!(
            "{store},{ext},{},,{},{},,平安保险,交强险,\"4,800\",2024-03-05,2025-03-04\n",
            noisy_name(&p.name, rng),
            noisy_id(&p.id, rng),
            p.vin
        ));
        let ext = format!("O{i}");
        who.insert(format!("PARTS/{ext}"), i);
        parts.push_str(&format!(
            "{store},{ext},{},{},,脚垫 x 1,680,2024-06-0{}\n",
            noisy_name(&p.name, rng),
            noisy_phone(&p.phone, rng),
            1 + i % 9
        ));
    }
    let files = [
        (RecordKind::Delivery, "sales.csv", sales),
        (RecordKind::RepairOrder, "service.csv", service),
        (RecordKind::InsurancePolicy, "insurance.csv", insurance),
        (RecordKind::PartsOrder, "parts.csv", parts),
    ];
    let paths = files
        .into_iter()
        .map(|(kind, name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("write");
            (kind, path)
        })
        .collect();
    (paths, who)
}

/// Traditional forms of common characters (a few desks type them).
const TRADITIONAL: &[(char, char)] = &[
    ('陈', '陳'),
    ('张', '張'),
    ('刘', '劉'),
    ('杨', '楊'),
    ('黄', '黃'),
    ('赵', '趙'),
    ('吴', '吳'),
    ('郑', '鄭'),
    ('罗', '羅'),
    ('谢', '謝'),
    ('韩', '韓'),
    ('冯', '馮'),
    ('邓', '鄧'),
    ('伟', '偉'),
    ('华', '華'),
    ('国', '國'),
    ('东', '東'),
    ('军', '軍'),
    ('涛', '濤'),
    ('强', '強'),
    ('丽', '麗'),
    ('艳', '艷'),
    ('静', '靜'),
    ('杰', '傑'),
];
/// Given-name characters typed as a homophone or a look-alike.
const SOUNDALIKE: &[(char, char)] = &[
    ('伟', '玮'),
    ('丽', '莉'),
    ('明', '铭'),
    ('军', '君'),
    ('杰', '洁'),
    ('磊', '雷'),
    ('涛', '韬'),
    ('超', '朝'),
    ('艳', '燕'),
    ('芳', '方'),
    ('勇', '永'),
    ('敏', '民'),
    ('娜', '那'),
    ('洋', '阳'),
];
/// Given-name characters mistaken for one that looks alike (and sounds otherwise).
const LOOKALIKE: &[(char, char)] = &[
    ('天', '夫'),
    ('宇', '字'),
    ('国', '围'),
    ('平', '乎'),
    ('东', '车'),
    ('子', '孑'),
    ('洋', '祥'),
    ('明', '朋'),
    ('超', '起'),
    ('海', '梅'),
    ('强', '弦'),
    ('敏', '繁'),
];
const FORMS: &[&str] = &["先生", "女士", "总", "师傅"];
const FLEETS: &[&str] = &["顺达物流", "鑫达运输", "华东快运", "恒通租赁", "远方出行"];

fn swap(name: &str, table: &[(char, char)], rng: &mut ChaCha8Rng) -> String {
    let chars: Vec<char> = name.chars().collect();
    let hits: Vec<usize> = (0..chars.len()).filter(|i| table.iter().any(|(a, _)| *a == chars[*i])).collect();
    let Some(&at) = hits.choose(rng) else { return name.to_owned() };
    let mut out = chars.clone();
    out[at] = table.iter().find(|(a, _)| *a == chars[at]).map(|(_, b)| *b).unwrap_or(chars[at]);
    out.into_iter().collect()
}

/// A person's name as a reception desk types it: the surname and a form of address, a
/// sound-alike or traditional character, a space inside.
fn desk_name(name: &str, surname: &str, female: bool, rng: &mut ChaCha8Rng) -> String {
    match rng.gen_range(0..10) {
        0..=2 => {
            let form = if female { "女士" } else { FORMS[rng.gen_range(0..FORMS.len())] };
            let form = if form == "女士" && !female { "先生" } else { form };
            format!("{surname}{form}")
        }
        3 if rng.gen_bool(0.2) => swap(name, LOOKALIKE, rng),
        3 => swap(name, SOUNDALIKE, rng),
        4 => swap(name, TRADITIONAL, rng),
        5 => name.chars().map(|c| c.to_string()).collect::<Vec<_>>().join(" "),
        _ => name.to_owned(),
    }
}

/// One digit of a phone typed wrong (never the leading 1).
fn mistyped(phone: &str, rng: &mut ChaCha8Rng) -> String {
    let mut digits: Vec<char> = phone.chars().collect();
    let at = rng.gen_range(3..digits.len());
    let old = digits[at].to_digit(10).unwrap_or(0);
    digits[at] = char::from_digit((old + rng.gen_range(1..10)) % 10, 10).unwrap_or('0');
    digits.into_iter().collect()
}

/// The messier set: the four exports as real desks fill them. Per person a sale, two
/// service visits, a policy and a parts order; on top of the tidy set's households
/// (one phone, two people) and same-name strangers: service and parts reception typing
/// 王先生 with the phone and the car; sound-alike and traditional characters and spaces;
/// one phone digit mistyped on a visit where car and name agree; national IDs missing on
/// a third of sales records; visits at another store of the group; changed numbers on
/// later records; fleet customers (company names shortened or with branch suffixes) whose
/// cars come to service with their drivers (the driver's own name and phone: a different
/// person, never the company).
fn write_messy_exports(
    dir: &Path,
    truth: &[Truth],
    rng: &mut ChaCha8Rng,
) -> (Vec<(RecordKind, PathBuf)>, HashMap<String, usize>) {
    let mut who = HashMap::new();
    let mut sales = String::from(
        "store_code,external_id,customer_name,phone,national_id,gender,birthday,address,vin,plate,brand,model,model_year,delivery_date,price,consultant,payment_method\n",
    );
    let mut service = String::from(
        "store_code,external_id,customer_name,phone,vin,plate,mileage,service_type,opened_at,closed_at,amount,advisor\n",
    );
    let mut insurance = String::from(
        "store_code,external_id,customer_name,phone,national_id,vin,plate,insurer,coverage,premium,start_date,end_date\n",
    );
    let mut parts = String::from("store_code,external_id,customer_name,phone,vin,items,amount,ordered_at\n");
    // Drivers of fleet cars are people of their own, after everyone else.
    let mut next_person = truth.len();
    for (i, p) in truth.iter().enumerate() {
        let home = 1 + i % 6;
        let store = format!("ZJ0{home}");
        let surname: String =
            SURNAMES.iter().find(|s| p.name.starts_with(**s)).map(|s| (*s).to_owned()).unwrap_or_default();
        let female =
            p.name.ends_with('芳') || p.name.ends_with('娜') || p.name.ends_with('静') || p.name.ends_with('艳');
        let fleet = i % 25 == 7;
        let legal = format!("杭州{}有限公司", FLEETS[i % FLEETS.len()]);
        let ext = format!("S{i}");
        who.insert(format!("SALES/{ext}"), i);
        let (sale_name, sale_id) = if fleet {
            (legal.clone(), String::new())
        } else {
            let name = if rng.gen_bool(0.15) { desk_name(&p.name, &surname, female, rng) } else { p.name.clone() };
            let name =
                if name.ends_with("先生") || name.ends_with("女士") || name.ends_with('总') || name.ends_with("师傅")
                {
                    p.name.clone()
                } else {
                    name
                };
            (name, if rng.gen_bool(1.0 / 3.0) { String::new() } else { noisy_id(&p.id, rng) })
        };
        sales.push_str(&format!(
            "{store},{ext},{sale_name},{},{sale_id},男,1980/1/1,浙江省杭州市,{},浙A{:05},Buick,GL8,2024,2024/3/{},\"329,900.00\",,贷款\n",
            noisy_phone(&p.phone, rng), p.vin, i % 100_000, 1 + i % 28
        ));
        // A changed number for the later records of one in twenty.
        let later_phone = if rng.gen_bool(0.05) { format!("1{}{:09}", 5, 800_000_000 + i) } else { p.phone.clone() };
        for v in 0..2 {
            let ext = format!("R{i}-{v}");
            let visit_store = if rng.gen_bool(0.3) { format!("ZJ0{}", 1 + (home + v) % 6) } else { store.clone() };
            let (person, name, phone) = if fleet {
                let driver = next_person;
                next_person += 1;
                let driver_name = format!("{}{}", SURNAMES[(i + v) % SURNAMES.len()], GIVEN[(i * 3 + v) % GIVEN.len()]);
                (
                    driver,
                    desk_name(&driver_name, SURNAMES[(i + v) % SURNAMES.len()], false, rng),
                    format!("1{}{:09}", 7, 700_000_000 + i * 2 + v),
                )
            } else {
                let phone = if v == 1 { later_phone.clone() } else { p.phone.clone() };
                let phone = if rng.gen_bool(0.1) { mistyped(&phone, rng) } else { phone };
                (i, desk_name(&p.name, &surname, female, rng), phone)
            };
            who.insert(format!("SERVICE/{ext}"), person);
            service.push_str(&format!(
                "{visit_store},{ext},{name},{},{},,{},保养,2024年{}月2日,,680.00,\n",
                noisy_phone(&phone, rng),
                if rng.gen_bool(0.5) { p.vin.to_lowercase() } else { p.vin.clone() },
                5000 * (v + 1),
                4 + v * 4
            ));
        }
        let ext = format!("P{i}");
        who.insert(format!("INSURANCE/{ext}"), i);
        let insured = if fleet {
            format!("{}{}", FLEETS[i % FLEETS.len()], if rng.gen_bool(0.5) { "杭州分公司" } else { "" })
        } else if rng.gen_bool(0.2) {
            swap(&p.name, TRADITIONAL, rng)
        } else {
            p.name.clone()
        };
        insurance.push_str(&format!(
            "{store},{ext},{insured},,{},{},,平安保险,交强险,\"4,800\",2024-03-05,2025-03-04\n",
            if fleet { String::new() } else { noisy_id(&p.id, rng) },
            p.vin
        ));
        let ext = format!("O{i}");
        who.insert(format!("PARTS/{ext}"), i);
        let buyer = if fleet { FLEETS[i % FLEETS.len()].to_owned() } else { desk_name(&p.name, &surname, female, rng) };
        parts.push_str(&format!(
            "{store},{ext},{buyer},{},,脚垫 x 1,680,2024-06-0{}\n",
            noisy_phone(&later_phone, rng),
            1 + i % 9
        ));
    }
    let files = [
        (RecordKind::Delivery, "sales.csv", sales),
        (RecordKind::RepairOrder, "service.csv", service),
        (RecordKind::InsurancePolicy, "insurance.csv", insurance),
        (RecordKind::PartsOrder, "parts.csv", parts),
    ];
    let paths = files
        .into_iter()
        .map(|(kind, name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("write");
            (kind, path)
        })
        .collect();
    (paths, who)
}

/// Splits one CSV line of the generated exports (quoted cells may hold commas).
fn csv_cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(String::new()),
            _ => cells.last_mut().expect("cell").push(c),
        }
    }
    cells
}

/// The records of generated exports, parsed as the hub parses them, with their people.
fn parsed(files: &[(RecordKind, PathBuf)], who: &HashMap<String, usize>) -> Vec<(usize, Incoming)> {
    let mut out = Vec::new();
    for (kind, path) in files {
        let text = std::fs::read_to_string(path).expect("read");
        let mut lines = text.lines();
        let header = csv_cells(lines.next().expect("header"));
        for line in lines {
            let raw: Raw = header.iter().cloned().zip(csv_cells(line)).filter(|(_, v)| !v.is_empty()).collect();
            let Ok(record) = parse(*kind, &raw) else { continue };
            if let Some(&person) = who.get(&format!("{}/{}", kind.system().as_str(), record.external_id)) {
                out.push((person, record));
            }
        }
    }
    out
}

/// Compares record `a` with record `b` as ingestion compares a record with a customer.
fn compare_records(a: &Incoming, b: &Incoming) -> Option<Comparison> {
    if a.person.corporate != b.person.corporate {
        return None; // never compared: a person is never a company
    }
    let vin = |r: &Incoming| r.vehicle.as_ref().map(|v| v.vin.clone());
    let known = Known {
        name: &b.person.name,
        corporate: b.person.corporate,
        id_number: b.person.id_number.as_deref(),
        phones: b.person.phones.iter().map(String::as_str).collect(),
        holds_vin: vin(a).is_some() && vin(a) == vin(b),
        address: b.person.address.as_deref(),
    };
    Some(linkage::compare(&a.person, vin(a).as_deref(), &known))
}

/// Estimates the m and u probabilities of every level from the tidy and the messy set
/// (their truth known): m from every pair of records of one person, u from a sample of
/// two million pairs of records of different people, the prior from the share of true
/// pairs. Prints the table and the Rust text of `linkage::ESTIMATED`.
fn estimate(dir: &Path, people_n: usize) {
    let mut tally = Tally::default();
    for messy in [false, true] {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let truth = people(people_n, &mut rng);
        let (files, who) =
            if messy { write_messy_exports(dir, &truth, &mut rng) } else { write_exports(dir, &truth, &mut rng) };
        let records = parsed(&files, &who);
        let mut by_person: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, (person, _)) in records.iter().enumerate() {
            by_person.entry(*person).or_default().push(i);
        }
        for members in by_person.values() {
            for (x, &a) in members.iter().enumerate() {
                for &b in &members[..x] {
                    if let Some(c) = compare_records(&records[a].1, &records[b].1) {
                        tally.add(&c, true);
                        tally.true_pairs += 1;
                    }
                }
            }
        }
        let n = records.len() as u64;
        tally.all_pairs += n * (n - 1) / 2;
        let mut sampled = 0;
        while sampled < 2_000_000 {
            let (a, b) = (rng.gen_range(0..records.len()), rng.gen_range(0..records.len()));
            if records[a].0 == records[b].0 {
                continue;
            }
            if let Some(c) = compare_records(&records[a].1, &records[b].1) {
                tally.add(&c, false);
            }
            sampled += 1;
        }
    }
    println!("{}", tally.report());
}

/// Prints the records of people the hub split (`BENCH_MISSES=1`), to see why.
async fn misses(db: &DatabaseConnection, who: &HashMap<String, usize>) {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT s.system, s.external_id, COALESCE(c.merged_into, c.id) AS customer, s.payload, s.match_reason FROM source_record s JOIN customer c ON c.id = s.customer_id ORDER BY s.id",
        ))
        .await
        .expect("sources");
    let mut of: HashMap<usize, Vec<(i64, String)>> = HashMap::new();
    for row in rows {
        let system: String = row.try_get("", "system").expect("system");
        let ext: String = row.try_get("", "external_id").expect("ext");
        let customer: i64 = row
            .try_get::<i64>("", "customer")
            .or_else(|_| row.try_get::<i32>("", "customer").map(i64::from))
            .expect("customer");
        let payload: serde_json::Value = row.try_get("", "payload").expect("payload");
        let reason: Option<String> = row.try_get("", "match_reason").expect("reason");
        let Some(&person) = who.get(&format!("{system}/{ext}")) else { continue };
        let line = format!(
            "  {system}/{ext} → {customer}: {} {} {} {} | {}",
            payload["customer_name"].as_str().unwrap_or(""),
            payload["phone"].as_str().unwrap_or(""),
            payload["vin"].as_str().unwrap_or(""),
            payload["national_id"].as_str().unwrap_or(""),
            reason.unwrap_or_default().chars().take(160).collect::<String>()
        );
        of.entry(person).or_default().push((customer, line));
    }
    let mut split: Vec<_> = of.into_iter().filter(|(_, r)| r.iter().any(|(c, _)| *c != r[0].0)).collect();
    split.sort_by_key(|(p, _)| *p);
    println!("{} people split; the first 25:", split.len());
    for (person, records) in split.iter().take(25) {
        println!("person {person}:");
        for (_, line) in records {
            println!("{line}");
        }
    }
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

async fn score(db: &DatabaseConnection, who: &HashMap<String, usize>) -> (f64, f64) {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT s.system, s.external_id, COALESCE(c.merged_into, c.id) AS customer FROM source_record s JOIN customer c ON c.id = s.customer_id",
        ))
        .await
        .expect("sources");
    let mut cells: HashMap<(usize, i64), u64> = HashMap::new();
    let mut predicted: HashMap<i64, u64> = HashMap::new();
    let mut actual: HashMap<usize, u64> = HashMap::new();
    for row in rows {
        let system: String = row.try_get("", "system").expect("system");
        let ext: String = row.try_get("", "external_id").expect("ext");
        let customer: i64 = row
            .try_get::<i64>("", "customer")
            .or_else(|_| row.try_get::<i32>("", "customer").map(i64::from))
            .expect("customer");
        let Some(&person) = who.get(&format!("{system}/{ext}")) else { continue };
        *cells.entry((person, customer)).or_default() += 1;
        *predicted.entry(customer).or_default() += 1;
        *actual.entry(person).or_default() += 1;
    }
    let tp: u64 = cells.values().map(|n| pairs(*n)).sum();
    let said_same: u64 = predicted.values().map(|n| pairs(*n)).sum();
    let truly_same: u64 = actual.values().map(|n| pairs(*n)).sum();
    (tp as f64 / said_same.max(1) as f64, tp as f64 / truly_same.max(1) as f64)
}

async fn run(name: &str, url: String, dir: &Path, people_n: usize) {
    let cfg = DbConfig { database_url: url, db_max_connections: 4, db_statement_timeout_ms: 600_000 };
    let db = customer_hub::db::connect(&cfg).await.expect("connect");
    customer_hub::db::migrate(&db).await.expect("migrate");
    demo::seed(&db, &DemoConfig { customers: 0, ..DemoConfig::default() }).await.expect("stores");
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let truth = people(people_n, &mut rng);
    let messy = std::env::var("BENCH_SET").is_ok_and(|v| v == "messy");
    let (files, who) =
        if messy { write_messy_exports(dir, &truth, &mut rng) } else { write_exports(dir, &truth, &mut rng) };
    let people_total = who.values().copied().collect::<std::collections::HashSet<usize>>().len();
    let started = Instant::now();
    let mut rows = 0;
    for (kind, path) in &files {
        let summary = import_file(&db, *kind, path, &path.with_extension("rejects.csv")).await.expect("import");
        rows += summary.read;
        println!("{name}: {} {summary}", path.file_name().and_then(|n| n.to_str()).unwrap_or(""));
    }
    let secs = started.elapsed().as_secs_f64();
    println!("{name}: imported {rows} rows in {secs:.1} s: {:.0} rows/s", rows as f64 / secs);
    let again = Instant::now();
    let mut unchanged = 0;
    for (kind, path) in &files {
        let summary = import_file(&db, *kind, path, &path.with_extension("rejects.csv")).await.expect("import");
        unchanged += summary.unchanged;
    }
    let secs = again.elapsed().as_secs_f64();
    println!(
        "{name}: the same files again in {secs:.1} s: {unchanged} of {rows} rows unchanged, {:.0} rows/s",
        rows as f64 / secs
    );
    let (precision, recall) = score(&db, &who).await;
    if std::env::var("BENCH_MISSES").is_ok_and(|v| v == "1") {
        misses(&db, &who).await;
    }
    let customers = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM customer WHERE merged_into IS NULL",
        ))
        .await
        .expect("count")
        .and_then(|r| r.try_get::<i64>("", "n").ok().or_else(|| r.try_get::<i32>("", "n").ok().map(i64::from)))
        .unwrap_or(0);
    let queued = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM duplicate_candidate WHERE status = 'OPEN'",
        ))
        .await
        .ok()
        .flatten()
        .and_then(|r| r.try_get::<i64>("", "n").ok().or_else(|| r.try_get::<i32>("", "n").ok().map(i64::from)))
        .unwrap_or(0);
    println!(
        "{name}: {} set: {people_total} people became {customers} customers; {queued} pairs wait in the duplicate queue",
        if messy { "messy" } else { "tidy" }
    );
    // Each queued pair is one record a person must place (goal: at most 1 % of them).
    println!(
        "{name}: {queued} of {rows} records needed a person: {:.2} % (goal ≤ 1 %)",
        100.0 * queued as f64 / rows.max(1) as f64
    );
    println!("{name}: pairwise precision {precision:.4}, recall {recall:.4} (goal ≥ 0.9995 and ≥ 0.99)");
    if messy {
        let (linked, visits) = drivers_linked(&db, &who, truth.len()).await;
        println!("{name}: {linked} of {visits} fleet-car visits by drivers link the driver to the car as DRIVER");
    }
}

/// Of the service visits the truth says a fleet car's driver made (people numbered after
/// the customers), how many left that driver's customer holding the car as DRIVER.
async fn drivers_linked(db: &DatabaseConnection, who: &HashMap<String, usize>, customers: usize) -> (usize, usize) {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT s.external_id AS ext, CASE WHEN EXISTS (SELECT 1 FROM vehicle_ownership o \
             WHERE o.customer_id = r.customer_id AND o.vehicle_id = r.vehicle_id AND o.role = 'DRIVER' \
             AND o.to_date IS NULL) THEN 1 ELSE 0 END AS linked \
             FROM repair_order r JOIN source_record s ON s.id = r.source_record_id",
        ))
        .await
        .expect("drivers");
    let mut visits = 0;
    let mut linked = 0;
    for row in rows {
        let ext: String = row.try_get("", "ext").expect("ext");
        let yes: i32 = row.try_get("", "linked").expect("linked");
        if who.get(&format!("SERVICE/{ext}")).is_some_and(|p| *p >= customers) {
            visits += 1;
            linked += usize::from(yes == 1);
        }
    }
    (linked, visits)
}

#[tokio::main]
async fn main() {
    let people_n: usize = std::env::var("BENCH_PEOPLE").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let dir = std::env::temp_dir().join(format!("hub-unification-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    if std::env::var("BENCH_ESTIMATE").is_ok_and(|v| v == "1") {
        estimate(&dir, people_n.min(3_000));
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let sqlite = dir.join("unification.db");
    if std::env::var("BENCH_SQLITE").map_or(true, |v| v != "none") {
        run("SQLite", format!("sqlite://{}?mode=rwc", sqlite.display()), &dir, people_n).await;
    }
    let pg_url = std::env::var("BENCH_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    if pg_url != "none" {
        match sea_orm::Database::connect(&pg_url).await {
            Ok(admin) => {
                let db_name = format!("hub_unification_{}", std::process::id());
                admin.execute_unprepared(&format!("CREATE DATABASE {db_name}")).await.expect("create");
                let base = pg_url.rsplit_once('/').map(|(b, _)| b.to_owned()).expect("URL");
                run("PostgreSQL", format!("{base}/{db_name}"), &dir, people_n).await;
                if std::env::var("BENCH_KEEP_DB").is_ok_and(|v| v == "1") {
                    println!("PostgreSQL database kept: {db_name}");
                    return;
                }
                let _ = admin
                    .execute_raw(Statement::from_string(
                        DbBackend::Postgres,
                        format!("DROP DATABASE {db_name} WITH (FORCE)"),
                    ))
                    .await;
            }
            Err(e) => println!("PostgreSQL not reachable ({e}); skipped"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
