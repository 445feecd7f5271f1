//! Insurance: a policy from the delivery of a car, renewed at the store most years (a
//! lost customer renews no more).

use chrono::Duration;
use entity::insurance_policy;
use rand::Rng;
use sea_orm::IntoActiveModel;

use super::customers::Profile;
use super::generator::Generator;
use super::sales::Car;

const INSURERS: &[&str] = &["中国人保", "平安保险", "太平洋保险", "国寿财险", "大地保险"];
const COVERAGES: &[&str] = &["交强险+商业险(三者100万)", "交强险+商业险(三者200万)+车损", "交强险+全险"];

/// The car's policies and their renewals. Returns whether there was any.
pub(super) fn policies(g: &mut Generator, p: &Profile, car: &Car) -> bool {
    let (id, store_id, lost) = (p.id, p.store_id, p.lost());
    let (vehicle_id, delivered) = (car.vehicle_id, car.delivered);
    let mut insured = false;
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
    insured
}
