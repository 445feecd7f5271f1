//! Vehicles: the models each brand sells, a car registered to its buyer (VIN, plate,
//! mileage, colour, ownership) and its service history at the group's stores.

use chrono::{Datelike, Duration, NaiveDate};
use entity::enums::{OwnershipRole, RelationshipStatus, RepairKind};
use entity::{repair_order, vehicle, vehicle_ownership};
use rand::Rng;
use sea_orm::IntoActiveModel;

use super::customers::{Profile, relationship};
use super::generator::{Generator, at};
use super::sales::Car;
use crate::domain::normalize;

pub(super) struct ModelSpec {
    pub(super) brand: &'static str,
    pub(super) model: &'static str,
    pub(super) wmi: &'static str,
    pub(super) vds: &'static str,
    pub(super) price_yuan: i64,
}

pub(super) const MODELS: &[ModelSpec] = &[
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
const COLOURS: &[&str] = &["白色", "黑色", "银色", "灰色", "蓝色", "红色", "棕色"];

/// Registers a car delivered on `delivered` to the customer: the vehicle and its ownership.
pub(super) fn register(g: &mut Generator, p: &Profile, model: &ModelSpec, delivered: NaiveDate) -> i32 {
    let (id, store_id) = (p.id, p.store_id);
    let vehicle_id = g.next_id("vehicles");
    let electric = model.model.starts_with("ID.");
    let vin = g.vin(model, delivered.year());
    let plate = g.plate(p.spec().plate_prefix, electric);
    let years = (g.today - delivered).num_days() as f64 / 365.0;
    let mileage = (years * g.rng.gen_range(8_000.0..22_000.0)) as i32;
    let colour = (*g.pick(COLOURS)).to_owned();
    let role = if p.corporate && g.chance(0.3) { OwnershipRole::Lessee } else { OwnershipRole::Owner };
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
        vehicle_ownership::Model { id: row_id, vehicle_id, customer_id: id, role, from_date: delivered, to_date: None }
            .into_active_model(),
    );
    vehicle_id
}

/// The car's service visits. Returns whether there was any.
pub(super) fn service_history(g: &mut Generator, p: &Profile, car: &Car) -> bool {
    let (id, home, lost) = (p.id, p.home, p.lost());
    let (vehicle_id, delivered) = (car.vehicle_id, car.delivered);
    let mut serviced = false;
    // Service: first maintenance after ~3 months, then roughly twice a year; a lost
    // customer stops coming after the first year.
    let last_visit = if lost { (delivered + Duration::days(365)).min(g.today - Duration::days(400)) } else { g.today };
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
        let service_store = if g.chance(0.1) { *g.pick(p.own_stores) } else { home };
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
        let service_staff = p.store_staff[service_store].as_ref().expect("own store");
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
    serviced
}
