//! The organisation: the stores of the group and the partner store, and their staff (one
//! account per group role, per store role and per department's source system), with
//! the accounts banner that lists them.

use entity::enums::{Department, Role, StoreKind};
use entity::{staff, store};
use sea_orm::IntoActiveModel;
use serde_json::json;

use super::DEMO_PASSWORD;
use super::customers::{GIVEN_MALE, SURNAMES};
use super::generator::Generator;
use crate::auth::password;

pub(super) struct StoreSpec {
    pub(super) code: &'static str,
    pub(super) name: &'static str,
    pub(super) brands: &'static [&'static str],
    pub(super) city: &'static str,
    pub(super) plate_prefix: &'static str,
    pub(super) area_code: &'static str,
    pub(super) kind: StoreKind,
}

pub(super) const STORES: &[StoreSpec] = &[
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
pub(super) const STORE_ROLES: &[(&str, Role, Department, &str)] = &[
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
pub(super) const DEPARTMENT_INTEGRATIONS: &[(&str, Department, &str)] = &[
    ("integration.service", Department::Service, "售后系统接口"),
    ("integration.insurance", Department::Insurance, "保险系统接口"),
    ("integration.parts", Department::Parts, "配件系统接口"),
];

/// The staff a customer's records name: their sales consultant and service advisor.
pub(super) struct StaffIds {
    pub(super) sales: i32,
    pub(super) service: i32,
    /// The store's customer-relations manager (`zjNN.crm`), who also takes in leads.
    pub(super) relations: i32,
}

/// The stores and their staff; per store, the ids of its department staff.
pub(super) fn organisation(g: &mut Generator) -> Vec<Option<StaffIds>> {
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
            g.partner_staff = Some(add_staff(
                g,
                format!("{prefix}.partner"),
                format!("{}·合作伙伴", spec.name),
                Some(store_id),
                Department::Sales,
                Role::Partner,
            ));
            store_staff.push(None);
            continue;
        }
        let mut ids = StaffIds { sales: 0, service: 0, relations: 0 };
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
                Role::StoreManager if *dept == Department::Crm => ids.relations = id,
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
