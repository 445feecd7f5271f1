//! A realistic, deterministic demo dealer group: stores of three brands and a partner,
//! staff for every role, and customers with cars, sales, service, insurance and parts.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use entity::enums::*;
use entity::{
    contact_point, customer, customer_link, customer_store, customer_tag, delivery, duplicate_candidate,
    insurance_policy, lead, lead_share, parts_order, repair_order, source_record, staff, store, vehicle,
    vehicle_ownership,
};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, Statement, TransactionTrait,
};
use serde_json::json;

use crate::auth::password;
use crate::domain::normalize;

pub const DEMO_PASSWORD: &str = "demo";

#[derive(Debug, Clone)]
pub struct DemoConfig {
    pub customers: usize,
    pub seed: u64,
    /// The demo's "today": history runs three years back from here.
    pub today: NaiveDate,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self { customers: 2000, seed: 4_2024, today: NaiveDate::from_ymd_opt(2026, 11, 20).expect("valid date") }
    }
}

struct StoreSpec {
    code: &'static str,
    name: &'static str,
    brands: &'static [&'static str],
    city: &'static str,
    plate_prefix: &'static str,
    area_code: &'static str,
    kind: StoreKind,
}

const STORES: &[StoreSpec] = &[
    StoreSpec {
        code: "ZJ01",
        name: "杭州西湖大众4S店",
        brands: &["Volkswagen"],
        city: "杭州",
        plate_prefix: "浙A",
        area_code: "330106",
        kind: StoreKind::Own,
    },
    StoreSpec {
        code: "ZJ02",
        name: "杭州滨江丰田4S店",
        brands: &["Toyota"],
        city: "杭州",
        plate_prefix: "浙A",
        area_code: "330108",
        kind: StoreKind::Own,
    },
    StoreSpec {
        code: "ZJ03",
        name: "宁波鄞州别克4S店",
        brands: &["Buick"],
        city: "宁波",
        plate_prefix: "浙B",
        area_code: "330212",
        kind: StoreKind::Own,
    },
    StoreSpec {
        code: "ZJ04",
        name: "宁波北仑大众4S店",
        brands: &["Volkswagen"],
        city: "宁波",
        plate_prefix: "浙B",
        area_code: "330206",
        kind: StoreKind::Own,
    },
    StoreSpec {
        code: "ZJ05",
        name: "温州鹿城丰田4S店",
        brands: &["Toyota"],
        city: "温州",
        plate_prefix: "浙C",
        area_code: "330302",
        kind: StoreKind::Own,
    },
    StoreSpec {
        code: "ZJ06",
        name: "绍兴越城别克4S店",
        brands: &["Buick"],
        city: "绍兴",
        plate_prefix: "浙D",
        area_code: "330602",
        kind: StoreKind::Own,
    },
    StoreSpec {
        code: "PT01",
        name: "嘉兴伙伴汽车销售服务有限公司",
        brands: &["Volkswagen", "Toyota"],
        city: "嘉兴",
        plate_prefix: "浙F",
        area_code: "330402",
        kind: StoreKind::Partner,
    },
];

/// Per own store, one account per store role: `<code>.<suffix>`.
const STORE_ROLES: &[(&str, Role, Department, &str)] = &[
    ("manager", Role::StoreManager, Department::Management, "店总"),
    ("sales", Role::SalesConsultant, Department::Sales, "销售顾问"),
    ("service", Role::ServiceAdvisor, Department::Service, "服务顾问"),
    ("insurance", Role::InsuranceSpecialist, Department::Insurance, "保险专员"),
    ("parts", Role::PartsClerk, Department::Parts, "配件专员"),
    ("crm", Role::StoreManager, Department::Crm, "客服经理"),
    ("integration", Role::Integration, Department::Sales, "DMS接口"),
];

/// Per own store, the integration accounts of the other departments' source systems:
/// `<code>.<suffix>` (the sales system's account is `<code>.integration` above). They
/// are added after every other account so the ids of the others stay as they were.
const DEPARTMENT_INTEGRATIONS: &[(&str, Department, &str)] = &[
    ("integration.service", Department::Service, "售后系统接口"),
    ("integration.insurance", Department::Insurance, "保险系统接口"),
    ("integration.parts", Department::Parts, "配件系统接口"),
];

struct ModelSpec {
    brand: &'static str,
    model: &'static str,
    wmi: &'static str,
    vds: &'static str,
    price_yuan: i64,
}

const MODELS: &[ModelSpec] = &[
    ModelSpec { brand: "Volkswagen", model: "朗逸", wmi: "LSV", vds: "AB2BM", price_yuan: 119_900 },
    ModelSpec { brand: "Volkswagen", model: "帕萨特", wmi: "LSV", vds: "CA4C3", price_yuan: 189_900 },
    ModelSpec { brand: "Volkswagen", model: "途观L", wmi: "LSV", vds: "UA6T2", price_yuan: 215_800 },
    ModelSpec { brand: "Volkswagen", model: "ID.4 X", wmi: "LSV", vds: "UE4E1", price_yuan: 179_900 },
    ModelSpec { brand: "Toyota", model: "凯美瑞", wmi: "LVG", vds: "BA3FK", price_yuan: 179_800 },
    ModelSpec { brand: "Toyota", model: "卡罗拉", wmi: "LFM", vds: "A1BE2", price_yuan: 115_800 },
    ModelSpec { brand: "Toyota", model: "RAV4荣放", wmi: "LFM", vds: "KA4BV", price_yuan: 195_800 },
    ModelSpec { brand: "Toyota", model: "汉兰达", wmi: "LVG", vds: "GC7HW", price_yuan: 269_800 },
    ModelSpec { brand: "Buick", model: "英朗", wmi: "LSG", vds: "ZC5E4", price_yuan: 109_900 },
    ModelSpec { brand: "Buick", model: "君越", wmi: "LSG", vds: "KB5S3", price_yuan: 229_900 },
    ModelSpec { brand: "Buick", model: "昂科威Plus", wmi: "LSG", vds: "UL8E2", price_yuan: 219_900 },
    ModelSpec { brand: "Buick", model: "GL8", wmi: "LSG", vds: "HA3R9", price_yuan: 329_900 },
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗",
    "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "潘", "袁", "蒋",
    "沈", "余", "叶", "欧阳", "诸葛",
];
const GIVEN_MALE: &[&str] = &[
    "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "浩", "鹏", "俊", "斌", "宇", "建国", "志强", "海涛",
    "文博", "子豪", "晓东", "国平", "建华", "家豪", "天宇",
];
const GIVEN_FEMALE: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "婷", "雪", "慧", "颖", "琳", "晶", "秀英", "丽华", "雨涵", "梓涵",
    "欣怡", "佳怡", "晓燕", "美玲", "思琪", "海燕", "玉兰",
];
const COMPANY_WORDS: &[&str] = &["鑫达", "恒通", "远航", "华鼎", "顺丰源", "金桥", "宏图", "天成", "众联", "信诚"];
const COMPANY_KINDS: &[&str] = &["物流有限公司", "建设工程有限公司", "贸易有限公司", "科技有限公司", "租赁有限公司"];
const STREETS: &[&str] =
    &["解放路", "人民路", "中山路", "文三路", "钱江路", "学院路", "江南大道", "世纪大道", "新华路"];
const COLOURS: &[&str] = &["白色", "黑色", "银色", "灰色", "蓝色", "红色", "棕色"];
const CHANNELS: &[&str] = &["展厅到店", "汽车之家", "懂车帝", "老客户转介绍", "车展", "电话邀约", "抖音直播"];
const DEFEAT_REASONS: &[&str] = &["价格高于竞品店", "购买了竞品品牌", "贷款未获批", "暂缓购车", "提车周期太长"];
const INSURERS: &[&str] = &["中国人保", "平安保险", "太平洋保险", "国寿财险", "大地保险"];
const COVERAGES: &[&str] = &["交强险+商业险(三者100万)", "交强险+商业险(三者200万)+车损", "交强险+全险"];
const PARTS: &[(&str, &str, i64)] = &[
    ("ACC-MAT-01", "全包围脚垫", 68_000),
    ("ACC-FILM-02", "隔热膜", 180_000),
    ("ACC-DVR-03", "行车记录仪", 89_900),
    ("PRT-WIPER-04", "雨刮片", 12_800),
    ("PRT-TYRE-05", "轮胎", 98_000),
    ("PRT-BATT-06", "蓄电池", 75_000),
    ("ACC-CHG-07", "家用充电桩", 259_900),
];
const TAGS: &[&str] = &["老客户转介绍", "价格敏感", "家庭用车", "商务用车", "二胎家庭", "新能源意向", "VIP"];

fn at(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(hour, 0, 0).expect("valid time"))
}

/// Everything the generator produces, inserted table by table afterwards.
#[derive(Default)]
struct Rows {
    stores: Vec<store::ActiveModel>,
    staff: Vec<staff::ActiveModel>,
    customers: Vec<customer::ActiveModel>,
    tags: Vec<customer_tag::ActiveModel>,
    contacts: Vec<contact_point::ActiveModel>,
    relationships: Vec<customer_store::ActiveModel>,
    sources: Vec<source_record::ActiveModel>,
    vehicles: Vec<vehicle::ActiveModel>,
    ownerships: Vec<vehicle_ownership::ActiveModel>,
    leads: Vec<lead::ActiveModel>,
    shares: Vec<lead_share::ActiveModel>,
    deliveries: Vec<delivery::ActiveModel>,
    repairs: Vec<repair_order::ActiveModel>,
    policies: Vec<insurance_policy::ActiveModel>,
    parts: Vec<parts_order::ActiveModel>,
    links: Vec<customer_link::ActiveModel>,
    candidates: Vec<duplicate_candidate::ActiveModel>,
}

/// The staff a customer's records name: their sales consultant and service advisor.
struct StaffIds {
    sales: i32,
    service: i32,
}

struct Generator {
    /// The last id handed out per table (the `Rows` field name).
    ids: std::collections::HashMap<&'static str, i32>,
    rng: ChaCha8Rng,
    today: NaiveDate,
    now: DateTime<Utc>,
    rows: Rows,
    used_phones: std::collections::HashSet<String>,
    vin_serial: u32,
    /// A few customers the unification examples refer back to.
    remembered: Vec<Remembered>,
}

/// What the unification examples need of an earlier customer.
struct Remembered {
    id: i32,
    name: String,
    phone: String,
    store: usize,
    male: bool,
}

impl Generator {
    fn next_id(&mut self, table: &'static str) -> i32 {
        let id = self.ids.entry(table).or_insert(0);
        *id += 1;
        *id
    }

    fn last_id(&self, table: &'static str) -> i32 {
        self.ids.get(table).copied().unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        items.choose(&mut self.rng).expect("non-empty list")
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    fn date_between(&mut self, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let days = (to - from).num_days().max(1);
        from + Duration::days(self.rng.gen_range(0..days))
    }

    fn mobile(&mut self) -> String {
        const PREFIXES: &[&str] =
            &["138", "139", "137", "136", "150", "151", "158", "159", "186", "187", "188", "177", "199"];
        loop {
            let number = format!("{}{:08}", self.pick(PREFIXES), self.rng.gen_range(0..100_000_000u32));
            if self.used_phones.insert(number.clone()) {
                return number;
            }
        }
    }

    fn national_id(&mut self, area: &str, birthday: NaiveDate, male: bool) -> String {
        let seq = self.rng.gen_range(0..50u32) * 2 + u32::from(male);
        let first17 = format!("{area}{}{:03}", birthday.format("%Y%m%d"), seq.min(999));
        let check = normalize::national_id_check(&first17).expect("17 digits");
        format!("{first17}{check}")
    }

    fn vin(&mut self, spec: &ModelSpec, year: i32) -> String {
        const YEAR_CODES: &[(i32, char)] =
            &[(2020, 'L'), (2021, 'M'), (2022, 'N'), (2023, 'P'), (2024, 'R'), (2025, 'S'), (2026, 'T')];
        let year_code = YEAR_CODES.iter().find(|(y, _)| *y == year).map(|(_, c)| *c).unwrap_or('T');
        self.vin_serial += 1;
        let draft = format!("{}{}0{}{}{:06}", spec.wmi, spec.vds, year_code, "G", self.vin_serial);
        let check = normalize::vin_check_digit(&draft).expect("VIN alphabet");
        let mut vin: Vec<char> = draft.chars().collect();
        vin[8] = check;
        vin.into_iter().collect()
    }

    fn plate(&mut self, prefix: &str, electric: bool) -> String {
        const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
        let mut tail = String::new();
        let len = if electric { 6 } else { 5 };
        if electric {
            tail.push(if self.chance(0.5) { 'D' } else { 'F' });
        }
        while tail.len() < len {
            if self.chance(0.2) {
                tail.push(LETTERS[self.rng.gen_range(0..LETTERS.len())] as char);
            } else {
                tail.push(char::from(b'0' + self.rng.gen_range(0..10u8)));
            }
        }
        format!("{prefix}·{tail}")
    }
}

/// Seeds the demo group unless the database already holds stores. Returns whether it seeded.
pub async fn seed(db: &DatabaseConnection, cfg: &DemoConfig) -> Result<bool, DbErr> {
    if store::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let txn = db.begin().await?;
    let mut g = Generator::new(cfg);
    let store_staff = organisation(&mut g);
    flush(&txn, &mut g.rows).await?;
    // Customers are generated and written a few thousand at a time, so a large group
    // (the benchmarks seed 200,000) never sits in memory whole.
    for start in (0..cfg.customers).step_by(CHUNK) {
        for n in start..(start + CHUNK).min(cfg.customers) {
            customer_history(&mut g, n as i32 + 1, &store_staff);
        }
        flush(&txn, &mut g.rows).await?;
    }
    unification_examples(&mut g, cfg.customers as i32, &store_staff);
    flush(&txn, &mut g.rows).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        for table in TABLES {
            txn.execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"),
            ))
            .await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}

/// Customers generated per write.
const CHUNK: usize = 2_000;

/// Tables the generator fills with explicit ids (PostgreSQL sequences are moved past them).
const TABLES: [&str; 17] = [
    "store",
    "staff",
    "customer",
    "customer_tag",
    "contact_point",
    "customer_store",
    "source_record",
    "vehicle",
    "vehicle_ownership",
    "lead",
    "lead_share",
    "delivery",
    "repair_order",
    "insurance_policy",
    "parts_order",
    "customer_link",
    "duplicate_candidate",
];

/// Writes and empties the generated rows, parents before children.
async fn flush(txn: &DatabaseTransaction, rows: &mut Rows) -> Result<(), DbErr> {
    let rows = std::mem::take(rows);
    macro_rules! insert_all {
        ($($field:ident => $entity:ty),+ $(,)?) => {$(
            for chunk in rows.$field.chunks(400) {
                <$entity>::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
            }
        )+};
    }
    insert_all!(
        stores => store::Entity,
        staff => staff::Entity,
        customers => customer::Entity,
        tags => customer_tag::Entity,
        contacts => contact_point::Entity,
        relationships => customer_store::Entity,
        sources => source_record::Entity,
        vehicles => vehicle::Entity,
        ownerships => vehicle_ownership::Entity,
        leads => lead::Entity,
        shares => lead_share::Entity,
        deliveries => delivery::Entity,
        repairs => repair_order::Entity,
        policies => insurance_policy::Entity,
        parts => parts_order::Entity,
        links => customer_link::Entity,
        candidates => duplicate_candidate::Entity,
    );
    Ok(())
}

impl Generator {
    fn new(cfg: &DemoConfig) -> Self {
        Generator {
            ids: Default::default(),
            rng: ChaCha8Rng::seed_from_u64(cfg.seed),
            today: cfg.today,
            now: at(cfg.today, 9),
            rows: Rows::default(),
            used_phones: Default::default(),
            vin_serial: 0,
            remembered: Vec::new(),
        }
    }
}

/// The stores and their staff; per store, the ids of its department staff.
fn organisation(g: &mut Generator) -> Vec<Option<StaffIds>> {
    let password_hash = password::hash(DEMO_PASSWORD);
    let add_staff = |g: &mut Generator, username: String, display: String, store: Option<i32>, dept, role| {
        let id = g.next_id("staff");
        g.rows.staff.push(
            staff::Model {
                id,
                username,
                password_hash: password_hash.clone(),
                display_name: display,
                store_id: store,
                department: dept,
                role,
                active: true,
                created_at: g.now,
                tokens_not_before: None,
            }
            .into_active_model(),
        );
        id
    };
    add_staff(g, "admin".into(), "集团管理员".into(), None, Department::Management, Role::GroupAdmin);
    add_staff(g, "crm".into(), "集团客服中心".into(), None, Department::Crm, Role::GroupCrm);
    add_staff(g, "analyst".into(), "集团数据分析".into(), None, Department::Management, Role::GroupAnalyst);

    let mut store_staff = Vec::new();
    for (i, spec) in STORES.iter().enumerate() {
        let store_id = i as i32 + 1;
        g.rows.stores.push(
            store::Model {
                id: store_id,
                code: spec.code.into(),
                name: spec.name.into(),
                brands: json!(spec.brands),
                city: spec.city.into(),
                kind: spec.kind,
                created_at: g.now,
            }
            .into_active_model(),
        );
        let prefix = spec.code.to_lowercase();
        if spec.kind == StoreKind::Partner {
            add_staff(
                g,
                format!("{prefix}.partner"),
                format!("{}·合作伙伴", spec.name),
                Some(store_id),
                Department::Sales,
                Role::Partner,
            );
            store_staff.push(None);
            continue;
        }
        let mut ids = StaffIds { sales: 0, service: 0 };
        for (suffix, role, dept, title) in STORE_ROLES {
            let surname = *g.pick(SURNAMES);
            let given = *g.pick(GIVEN_MALE);
            let id = add_staff(
                g,
                format!("{prefix}.{suffix}"),
                format!("{surname}{given}({title})"),
                Some(store_id),
                *dept,
                *role,
            );
            match role {
                Role::SalesConsultant => ids.sales = id,
                Role::ServiceAdvisor => ids.service = id,
                _ => {}
            }
        }
        store_staff.push(Some(ids));
    }
    // Drawn from no random numbers, so the rest of the group stays as it was.
    for (i, spec) in STORES.iter().enumerate() {
        if spec.kind == StoreKind::Partner {
            continue;
        }
        let prefix = spec.code.to_lowercase();
        for (suffix, dept, title) in DEPARTMENT_INTEGRATIONS {
            add_staff(
                g,
                format!("{prefix}.{suffix}"),
                format!("{}·{title}", spec.code),
                Some(i as i32 + 1),
                *dept,
                Role::Integration,
            );
        }
    }

    store_staff
}

/// What the information islands leave behind, for the unification features to show:
/// the same person known to a second store under a separate record (queued as a likely
/// duplicate), and a spouse sharing a phone (linked as a household).
fn unification_examples(g: &mut Generator, last_id: i32, store_staff: &[Option<StaffIds>]) {
    let remembered = std::mem::take(&mut g.remembered);
    for (k, r) in remembered.iter().enumerate() {
        let id = last_id + k as i32 + 1;
        let masked = format!("{}****{}", &r.phone[..3], &r.phone[7..]);
        let typed = format!("{}-{}-{}", &r.phone[..3], &r.phone[3..7], &r.phone[7..]);
        let first = g.today - Duration::days(g.rng.gen_range(20..200));
        let (name, store, stage, id_number, male) = if k % 2 == 0 {
            // The same person, typed differently at another store.
            let other = (r.store + 1 + g.rng.gen_range(0..5)) % 6;
            (
                format!("{}{}", r.name, if r.male { "先生" } else { "女士" }),
                other,
                LifecycleStage::Prospect,
                None,
                r.male,
            )
        } else {
            // The spouse: same phone, own name and national ID.
            let surname: String = r.name.chars().take(1).collect();
            let given = if r.male { *g.pick(GIVEN_FEMALE) } else { *g.pick(GIVEN_MALE) };
            let birthday =
                NaiveDate::from_ymd_opt(g.rng.gen_range(1965..1998), g.rng.gen_range(1..13), g.rng.gen_range(1..29))
                    .expect("valid date");
            let national_id = g.national_id(STORES[r.store].area_code, birthday, !r.male);
            (format!("{surname}{given}"), r.store, LifecycleStage::Base, Some(national_id), !r.male)
        };
        let store_id = store as i32 + 1;
        g.rows.customers.push(
            customer::Model {
                id,
                kind: CustomerKind::Individual,
                // The reception desk typed 陈玉兰女士; the golden record keeps the name.
                name: crate::domain::identity::record_name(&name, false),
                gender: Some(if male { Gender::Male } else { Gender::Female }),
                birthday: None,
                id_number_hash: id_number.as_deref().map(normalize::id_hash),
                id_number,
                address: None,
                city: Some(STORES[store].city.into()),
                notes: None,
                lifecycle_stage: stage,
                created_at: at(first, 10),
                updated_at: at(first, 10),
                version: 1,
                merged_into: None,
            }
            .into_active_model(),
        );
        g.rows.contacts.push(contact(id, ContactKind::Phone, &typed, true));
        let manager = store_staff[store].as_ref().map(|s| s.sales);
        let status = if k % 2 == 0 { RelationshipStatus::Prospect } else { RelationshipStatus::Base };
        relationship(g, id, store_id, status, manager, first, Some("到店登记".into()));
        let external = format!("{}-X{id:06}", STORES[store].code);
        let reason =
            if k % 2 == 0 { "no existing customer matched at this store" } else { "no existing customer matched" };
        source(g, SourceSystem::Crm, store_id, external, id, json!({"name": name, "tel": typed}), first, reason);
        if k % 2 == 0 {
            let row_id = g.next_id("candidates");
            g.rows.candidates.push(
                duplicate_candidate::Model {
                    id: row_id,
                    customer_a: r.id,
                    customer_b: id,
                    score: 90,
                    reasons: json!([format!("same phone {masked} and name"), "recorded separately at two stores"]),
                    status: entity::enums::CandidateStatus::Open,
                    created_at: g.now,
                    resolved_at: None,
                    resolved_by: None,
                }
                .into_active_model(),
            );
        } else {
            let row_id = g.next_id("links");
            g.rows.links.push(
                customer_link::Model {
                    id: row_id,
                    customer_a: r.id,
                    customer_b: id,
                    kind: "HOUSEHOLD".into(),
                    reason: format!("shares phone {masked}, different national ID"),
                    created_at: g.now,
                }
                .into_active_model(),
            );
        }
    }
}

/// One customer with everything that happened to them.
fn customer_history(g: &mut Generator, id: i32, store_staff: &[Option<StaffIds>]) {
    let own_stores: Vec<usize> = (0..STORES.len()).filter(|i| store_staff[*i].is_some()).collect();
    let home = *g.pick(&own_stores);
    let store_id = home as i32 + 1;
    let spec = &STORES[home];
    let staff = store_staff[home].as_ref().expect("own store has staff");
    let corporate = g.chance(0.07);
    let male = g.chance(0.6);
    let birthday = NaiveDate::from_ymd_opt(g.rng.gen_range(1960..2002), g.rng.gen_range(1..13), g.rng.gen_range(1..29))
        .expect("valid date");
    let name = if corporate {
        format!("{}{}{}", spec.city, g.pick(COMPANY_WORDS), g.pick(COMPANY_KINDS))
    } else {
        format!("{}{}", g.pick(SURNAMES), if male { g.pick(GIVEN_MALE) } else { g.pick(GIVEN_FEMALE) })
    };
    let id_number = (!corporate && g.chance(0.85)).then(|| g.national_id(spec.area_code, birthday, male));
    let first_contact = g.date_between(g.today - Duration::days(3 * 365), g.today - Duration::days(10));
    let roll: f64 = g.rng.r#gen();
    let stage = match roll {
        r if r < 0.62 => LifecycleStage::Base,
        r if r < 0.66 => LifecycleStage::Vip,
        r if r < 0.70 => LifecycleStage::Lost,
        r if r < 0.76 => LifecycleStage::Defeated,
        _ => LifecycleStage::Prospect,
    };
    let bought = matches!(stage, LifecycleStage::Base | LifecycleStage::Vip | LifecycleStage::Lost);
    let street = *g.pick(STREETS);
    let address = format!("浙江省{}市{}{}号", spec.city, street, g.rng.gen_range(1..400));
    let notes = g.chance(0.2).then(|| "偏好周末到店，电话联系请避开午休".to_owned());
    g.rows.customers.push(
        customer::Model {
            id,
            kind: if corporate { CustomerKind::Corporate } else { CustomerKind::Individual },
            name: name.clone(),
            gender: (!corporate).then_some(if male { Gender::Male } else { Gender::Female }),
            birthday: (!corporate).then_some(birthday),
            id_number_hash: id_number.as_deref().map(normalize::id_hash),
            id_number,
            address: Some(address),
            city: Some(spec.city.into()),
            notes,
            lifecycle_stage: stage,
            created_at: at(first_contact, 10),
            updated_at: at(first_contact, 10),
            version: 1,
            merged_into: None,
        }
        .into_active_model(),
    );
    let phone = g.mobile();
    g.rows.contacts.push(contact(id, ContactKind::Phone, &phone, true));
    if id % 97 == 0 && !corporate {
        g.remembered.push(Remembered { id, name: name.clone(), phone: phone.clone(), store: home, male });
    }
    if g.chance(0.1) {
        let second = g.mobile();
        g.rows.contacts.push(contact(id, ContactKind::Phone, &second, false));
    }
    if g.chance(0.3) {
        let mail = format!("user{id}@example.cn");
        g.rows.contacts.push(contact(id, ContactKind::Email, &mail, false));
    }
    if g.chance(0.4) {
        let wechat = format!("wx_{:x}", g.rng.gen_range(0x10_0000..0xff_ffffu32));
        g.rows.contacts.push(contact(id, ContactKind::Wechat, &wechat, false));
    }
    for tag in TAGS {
        if g.chance(0.06) {
            let row_id = g.next_id("tags");
            g.rows
                .tags
                .push(customer_tag::Model { id: row_id, customer_id: id, tag: (*tag).into() }.into_active_model());
        }
    }
    let channel = (*g.pick(CHANNELS)).to_owned();
    let status = match stage {
        LifecycleStage::Prospect => RelationshipStatus::Prospect,
        LifecycleStage::Defeated => RelationshipStatus::Defeated,
        LifecycleStage::Lost => RelationshipStatus::Lost,
        _ => RelationshipStatus::Base,
    };
    relationship(g, id, store_id, status, Some(staff.sales), first_contact, Some(channel.clone()));
    source(
        g,
        SourceSystem::Sales,
        store_id,
        format!("{}-C{:06}", spec.code, id),
        id,
        json!({"name": name, "mobile": phone, "channel": channel}),
        first_contact,
        "demo data",
    );

    let models: Vec<&ModelSpec> = MODELS.iter().filter(|m| spec.brands.contains(&m.brand)).collect();
    let wanted = *g.pick(&models);
    if !bought {
        let grade = match stage {
            LifecycleStage::Defeated => *g.pick(&[LeadGrade::A, LeadGrade::B, LeadGrade::C]),
            _ => *g.pick(&[
                LeadGrade::O,
                LeadGrade::H,
                LeadGrade::A,
                LeadGrade::A,
                LeadGrade::B,
                LeadGrade::B,
                LeadGrade::C,
            ]),
        };
        let defeated = stage == LifecycleStage::Defeated;
        let created = at(first_contact, 11);
        let follow_up = (!defeated).then(|| g.now + Duration::days(g.rng.gen_range(1..20)));
        let reason = defeated.then(|| (*g.pick(DEFEAT_REASONS)).to_owned());
        add_lead(
            g,
            store_id,
            id,
            grade,
            wanted,
            if defeated { LeadStatus::Defeated } else { LeadStatus::Open },
            reason,
            staff.sales,
            follow_up,
            created,
            &channel,
        );
        // Some open leads of a brand the partner store also sells are shared with it.
        let partner = STORES.iter().position(|s| s.kind == StoreKind::Partner);
        if let Some(partner) = partner
            && !defeated
            && STORES[partner].brands.contains(&wanted.brand)
            && g.chance(0.25)
        {
            let lead_id = g.last_id("leads");
            let row_id = g.next_id("shares");
            g.rows.shares.push(
                lead_share::Model {
                    id: row_id,
                    lead_id,
                    store_id: partner as i32 + 1,
                    shared_by: staff.sales,
                    shared_at: created,
                }
                .into_active_model(),
            );
        }
        return;
    }

    let cars = if corporate {
        g.rng.gen_range(2..4)
    } else if g.chance(0.12) {
        2
    } else {
        1
    };
    let lost = stage == LifecycleStage::Lost;
    let mut serviced = false;
    let mut insured = false;
    for _ in 0..cars {
        let model = *g.pick(&models);
        let delivered =
            g.date_between(first_contact, (first_contact + Duration::days(60)).min(g.today - Duration::days(5)));
        add_lead(
            g,
            store_id,
            id,
            LeadGrade::O,
            model,
            LeadStatus::Won,
            None,
            staff.sales,
            None,
            at(first_contact, 11),
            &channel,
        );
        let vehicle_id = g.next_id("vehicles");
        let electric = model.model.starts_with("ID.");
        let vin = g.vin(model, delivered.year());
        let plate = g.plate(spec.plate_prefix, electric);
        let years = (g.today - delivered).num_days() as f64 / 365.0;
        let mileage = (years * g.rng.gen_range(8_000.0..22_000.0)) as i32;
        let colour = (*g.pick(COLOURS)).to_owned();
        let role = if corporate && g.chance(0.3) { OwnershipRole::Lessee } else { OwnershipRole::Owner };
        let payment =
            *g.pick(&[PaymentMethod::Cash, PaymentMethod::Loan, PaymentMethod::Loan, PaymentMethod::Installment]);
        g.rows.vehicles.push(
            vehicle::Model {
                id: vehicle_id,
                vin,
                plate_normalized: Some(normalize::plate(&plate)),
                plate: Some(plate),
                brand: model.brand.into(),
                model: model.model.into(),
                model_year: Some(delivered.year()),
                colour: Some(colour),
                purchase_date: Some(delivered),
                selling_store_id: Some(store_id),
                last_mileage: Some(mileage),
            }
            .into_active_model(),
        );
        let row_id = g.next_id("ownerships");
        g.rows.ownerships.push(
            vehicle_ownership::Model {
                id: row_id,
                vehicle_id,
                customer_id: id,
                role,
                from_date: delivered,
                to_date: None,
            }
            .into_active_model(),
        );
        let price = model.price_yuan * 100 - g.rng.gen_range(0..15) * 100_000;
        let row_id = g.next_id("deliveries");
        g.rows.deliveries.push(
            delivery::Model {
                id: row_id,
                vehicle_id,
                customer_id: id,
                store_id,
                consultant_id: Some(staff.sales),
                delivered_on: delivered,
                price_cents: price,
                payment,
                source_record_id: None,
            }
            .into_active_model(),
        );

        // Service: first maintenance after ~3 months, then roughly twice a year; a lost
        // customer stops coming after the first year.
        let last_visit =
            if lost { (delivered + Duration::days(365)).min(g.today - Duration::days(400)) } else { g.today };
        let mut visit = delivered + Duration::days(g.rng.gen_range(75..110));
        let mut first = true;
        let mut km = 0;
        while visit < last_visit {
            if first && g.chance(0.12) {
                first = false;
                visit += Duration::days(180);
                continue;
            }
            // One in ten visits goes to another store of the group (the customer moved or travels).
            let service_store = if g.chance(0.1) { *g.pick(&own_stores) } else { home };
            let kind = if first {
                RepairKind::FirstMaintenance
            } else {
                *g.pick(&[
                    RepairKind::Maintenance,
                    RepairKind::Maintenance,
                    RepairKind::Maintenance,
                    RepairKind::Repair,
                    RepairKind::Warranty,
                    RepairKind::Accident,
                    RepairKind::Inspection,
                ])
            };
            km += g.rng.gen_range(4_000..9_000);
            let amount = match kind {
                RepairKind::FirstMaintenance | RepairKind::Warranty => 0,
                RepairKind::Maintenance | RepairKind::Inspection => g.rng.gen_range(40_000..160_000),
                RepairKind::Repair => g.rng.gen_range(80_000..800_000),
                RepairKind::Accident => g.rng.gen_range(200_000..3_000_000),
            };
            let service_staff = store_staff[service_store].as_ref().expect("own store");
            let opened = at(visit, 9);
            let row_id = g.next_id("repairs");
            g.rows.repairs.push(
                repair_order::Model {
                    id: row_id,
                    store_id: service_store as i32 + 1,
                    vehicle_id,
                    customer_id: id,
                    advisor_id: Some(service_staff.service),
                    kind,
                    mileage: Some(km),
                    opened_at: opened,
                    closed_at: Some(opened + Duration::hours(g.rng.gen_range(2..72))),
                    amount_cents: amount,
                    source_record_id: None,
                }
                .into_active_model(),
            );
            if service_store != home {
                relationship(
                    g,
                    id,
                    service_store as i32 + 1,
                    RelationshipStatus::Base,
                    Some(service_staff.service),
                    visit,
                    Some("跨店维修".into()),
                );
            }
            serviced = true;
            first = false;
            visit += Duration::days(g.rng.gen_range(150..240));
        }

        // Insurance: a policy from delivery, renewed at the store most years.
        let mut start = delivered;
        let mut previous: Option<i32> = None;
        while start <= g.today {
            let policy_id = g.next_id("policies");
            let insurer = (*g.pick(INSURERS)).to_owned();
            let coverage = (*g.pick(COVERAGES)).to_owned();
            let premium_cents = g.rng.gen_range(350_000..1_200_000);
            g.rows.policies.push(
                insurance_policy::Model {
                    id: policy_id,
                    store_id,
                    vehicle_id,
                    customer_id: id,
                    insurer,
                    coverage,
                    premium_cents,
                    starts_on: start,
                    ends_on: start + Duration::days(365) - Duration::days(1),
                    renewal_of: previous,
                    source_record_id: None,
                }
                .into_active_model(),
            );
            insured = true;
            previous = Some(policy_id);
            start += Duration::days(365);
            if lost || !g.chance(0.68) {
                break;
            }
        }

        // Parts and accessories.
        for _ in 0..g.rng.gen_range(0..3) {
            let count = g.rng.gen_range(1..3);
            let items: Vec<_> = PARTS
                .choose_multiple(&mut g.rng, count)
                .map(|(sku, name, price)| json!({"sku": sku, "name": name, "quantity": 1, "unitPriceCents": price}))
                .collect();
            let amount: i64 = items.iter().map(|i| i["unitPriceCents"].as_i64().unwrap_or(0)).sum();
            let ordered = g.date_between(delivered, g.today);
            let row_id = g.next_id("parts");
            g.rows.parts.push(
                parts_order::Model {
                    id: row_id,
                    store_id,
                    customer_id: id,
                    vehicle_id: Some(vehicle_id),
                    items: json!(items),
                    amount_cents: amount,
                    ordered_on: ordered,
                    source_record_id: None,
                }
                .into_active_model(),
            );
        }
    }
    if serviced {
        source(
            g,
            SourceSystem::Service,
            store_id,
            format!("{}-S{:06}", spec.code, id),
            id,
            json!({"owner": name, "tel": phone}),
            first_contact,
            "demo data",
        );
    }
    if insured {
        source(
            g,
            SourceSystem::Insurance,
            store_id,
            format!("{}-I{:06}", spec.code, id),
            id,
            json!({"insured": name, "phone": phone}),
            first_contact,
            "demo data",
        );
    }
}

fn contact(customer_id: i32, kind: ContactKind, value: &str, primary: bool) -> contact_point::ActiveModel {
    let normalized = match kind {
        ContactKind::Phone => normalize::mobile(value).unwrap_or_else(|_| value.to_owned()),
        _ => value.to_lowercase(),
    };
    contact_point::ActiveModel {
        customer_id: sea_orm::Set(customer_id),
        kind: sea_orm::Set(kind),
        value: sea_orm::Set(value.to_owned()),
        normalized: sea_orm::Set(normalized),
        is_primary: sea_orm::Set(primary),
        ..Default::default()
    }
}

fn relationship(
    g: &mut Generator,
    customer_id: i32,
    store_id: i32,
    status: RelationshipStatus,
    manager: Option<i32>,
    first: NaiveDate,
    channel: Option<String>,
) {
    // A customer's relationships are generated together, so they are the last rows.
    let exists = g
        .rows
        .relationships
        .iter()
        .rev()
        .take_while(|r| r.customer_id.as_ref() == &customer_id)
        .any(|r| r.store_id.as_ref() == &store_id);
    if exists {
        return;
    }
    let row_id = g.next_id("relationships");
    g.rows.relationships.push(
        customer_store::Model {
            id: row_id,
            customer_id,
            store_id,
            status,
            manager_id: manager,
            first_contact_on: first,
            source_channel: channel,
        }
        .into_active_model(),
    );
}

#[allow(clippy::too_many_arguments)]
fn source(
    g: &mut Generator,
    system: SourceSystem,
    store_id: i32,
    external_id: String,
    customer_id: i32,
    payload: serde_json::Value,
    first: NaiveDate,
    match_reason: &str,
) {
    let row_id = g.next_id("sources");
    g.rows.sources.push(
        source_record::Model {
            id: row_id,
            system,
            store_id,
            external_id,
            customer_id,
            payload,
            first_seen_at: at(first, 10),
            last_seen_at: g.now,
            kind: Some("CUSTOMER".into()),
            payload_hash: None,
            match_reason: Some(match_reason.into()),
        }
        .into_active_model(),
    );
}

#[allow(clippy::too_many_arguments)]
fn add_lead(
    g: &mut Generator,
    store_id: i32,
    customer_id: i32,
    grade: LeadGrade,
    model: &ModelSpec,
    status: LeadStatus,
    defeat_reason: Option<String>,
    owner: i32,
    next_follow_up_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    channel: &str,
) {
    let row_id = g.next_id("leads");
    g.rows.leads.push(
        lead::Model {
            id: row_id,
            store_id,
            customer_id,
            grade,
            intended_model: Some(model.model.into()),
            budget_cents: Some(model.price_yuan * 100),
            channel: Some(channel.into()),
            status,
            defeat_reason,
            owner_id: Some(owner),
            next_follow_up_at,
            created_at,
            source_record_id: None,
        }
        .into_active_model(),
    );
}

/// The demo accounts, as printed by `serve --demo` and listed in README.md.
pub fn accounts_banner() -> String {
    let mut out = String::from(
        "Demo accounts (password for all: demo):\n  admin      group administrator\n  crm        group CRM / call center\n  analyst    group analyst (BI)\n",
    );
    for spec in STORES {
        let prefix = spec.code.to_lowercase();
        if spec.kind == StoreKind::Partner {
            out.push_str(&format!("  {prefix}.partner  partner store {} {}\n", spec.code, spec.name));
            continue;
        }
        let roles: Vec<String> = STORE_ROLES.iter().map(|(suffix, ..)| format!("{prefix}.{suffix}")).collect();
        out.push_str(&format!("  {}  {} {}\n", roles.join(" "), spec.code, spec.name));
    }
    out.push_str(
        "Integration accounts (API keys from createApiKey, one per department of each own store):\n  \
         zjNN.integration (SALES)  zjNN.integration.service (SERVICE)  zjNN.integration.insurance (INSURANCE)  \
         zjNN.integration.parts (PARTS)\n",
    );
    out
}
