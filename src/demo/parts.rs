//! Parts: orders of parts and accessories for a car after its delivery.

use entity::parts_order;
use rand::Rng;
use rand::seq::SliceRandom;
use sea_orm::IntoActiveModel;
use serde_json::json;

use super::customers::Profile;
use super::generator::Generator;
use super::sales::Car;

const PARTS: &[(&str, &str, i64)] = &[
    ("ACC-MAT-01", "全包围脚垫", 68_000),
    ("ACC-FILM-02", "隔热膜", 180_000),
    ("ACC-DVR-03", "行车记录仪", 89_900),
    ("PRT-WIPER-04", "雨刮片", 12_800),
    ("PRT-TYRE-05", "轮胎", 98_000),
    ("PRT-BATT-06", "蓄电池", 75_000),
    ("ACC-CHG-07", "家用充电桩", 259_900),
];

/// None to two orders for the car, between its delivery and today.
pub(super) fn orders(g: &mut Generator, p: &Profile, car: &Car) {
    let (id, store_id) = (p.id, p.store_id);
    let (vehicle_id, delivered) = (car.vehicle_id, car.delivered);
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
