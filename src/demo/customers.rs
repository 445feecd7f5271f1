//! Customers: people and companies with their names, addresses, contact points and tags,
//! their relation to each store and the source records that brought them, and one
//! customer's whole history, which hands each department's part to its generator.

use chrono::{Duration, NaiveDate};
use entity::enums::{ContactKind, CustomerKind, Gender, LifecycleStage, RelationshipStatus, SourceSystem};
use entity::{contact_point, customer, customer_store, customer_tag, source_record};
use rand::Rng;
use sea_orm::IntoActiveModel;
use serde_json::json;

use super::generator::{Generator, Remembered, at};
use super::organisation::{STORES, StaffIds, StoreSpec};
use super::sales::CHANNELS;
use super::vehicles::{MODELS, ModelSpec};
use super::{insurance, parts, sales, vehicles};
use crate::domain::normalize;

pub(super) const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗",
    "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "潘", "袁", "蒋",
    "沈", "余", "叶", "欧阳", "诸葛",
];
pub(super) const GIVEN_MALE: &[&str] = &[
    "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "浩", "鹏", "俊", "斌", "宇", "建国", "志强", "海涛",
    "文博", "子豪", "晓东", "国平", "建华", "家豪", "天宇",
];
pub(super) const GIVEN_FEMALE: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "婷", "雪", "慧", "颖", "琳", "晶", "秀英", "丽华", "雨涵", "梓涵",
    "欣怡", "佳怡", "晓燕", "美玲", "思琪", "海燕", "玉兰",
];
pub(super) const COMPANY_WORDS: &[&str] =
    &["鑫达", "恒通", "远航", "华鼎", "顺丰源", "金桥", "宏图", "天成", "众联", "信诚"];
pub(super) const COMPANY_KINDS: &[&str] =
    &["物流有限公司", "建设工程有限公司", "贸易有限公司", "科技有限公司", "租赁有限公司"];
pub(super) const STREETS: &[&str] =
    &["解放路", "人民路", "中山路", "文三路", "钱江路", "学院路", "江南大道", "世纪大道", "新华路"];
pub(super) const TAGS: &[&str] = &["老客户转介绍", "价格敏感", "家庭用车", "商务用车", "二胎家庭", "新能源意向", "VIP"];

/// What the department generators need of the customer being generated.
pub(super) struct Profile<'a> {
    pub(super) id: i32,
    /// The home store, as an index into `STORES`, and its id.
    pub(super) home: usize,
    pub(super) store_id: i32,
    pub(super) corporate: bool,
    pub(super) stage: LifecycleStage,
    pub(super) first_contact: NaiveDate,
    pub(super) channel: &'a str,
    /// The group's own stores, as indexes into `STORES`.
    pub(super) own_stores: &'a [usize],
    /// Per store, the ids of its department staff.
    pub(super) store_staff: &'a [Option<StaffIds>],
}

impl Profile<'_> {
    pub(super) fn spec(&self) -> &'static StoreSpec {
        &STORES[self.home]
    }

    /// The sales consultant of the home store.
    pub(super) fn relations(&self) -> i32 {
        self.store_staff[self.home].as_ref().expect("own store has staff").relations
    }

    pub(super) fn sales(&self) -> i32 {
        self.store_staff[self.home].as_ref().expect("own store has staff").sales
    }

    /// A lost customer stops coming to service and renewing insurance.
    pub(super) fn lost(&self) -> bool {
        self.stage == LifecycleStage::Lost
    }
}

/// One customer with everything that happened to them.
pub(super) fn customer_history(g: &mut Generator, id: i32, store_staff: &[Option<StaffIds>]) {
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

    let p = Profile {
        id,
        home,
        store_id,
        corporate,
        stage,
        first_contact,
        channel: &channel,
        own_stores: &own_stores,
        store_staff,
    };
    let models: Vec<&ModelSpec> = MODELS.iter().filter(|m| spec.brands.contains(&m.brand)).collect();
    let wanted = *g.pick(&models);
    if !bought {
        sales::prospect(g, &p, wanted);
        return;
    }

    let cars = if corporate {
        g.rng.gen_range(2..4)
    } else if g.chance(0.12) {
        2
    } else {
        1
    };
    let mut serviced = false;
    let mut insured = false;
    for _ in 0..cars {
        let model = *g.pick(&models);
        let car = sales::sell_car(g, &p, model);
        serviced |= vehicles::service_history(g, &p, &car);
        insured |= insurance::policies(g, &p, &car);
        parts::orders(g, &p, &car);
    }
    super::care::complaints(g, &p);
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

pub(super) fn contact(customer_id: i32, kind: ContactKind, value: &str, primary: bool) -> contact_point::ActiveModel {
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

pub(super) fn relationship(
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
pub(super) fn source(
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
