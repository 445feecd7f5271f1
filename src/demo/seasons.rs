//! What makes the demo's KPIs tell a story: ZJ05 温州鹿城丰田 loses service customers to
//! independent garages over the last fifteen months (its churn rises, its return rates
//! fall), ZJ06 绍兴越城别克 lets a third of its insurance renewals go to other insurers'
//! agents. Applied to each generated chunk before it is written, with the generator's
//! `shape` stream, so every other value of the demo stays as it was.

use std::collections::HashSet;

use chrono::{Duration, NaiveDate};
use rand::Rng;

use super::generator::Generator;

/// The store losing service customers, and from when.
const CHURNING_STORE: i32 = 5;
const CHURN_MONTHS: i64 = 15;
/// The store losing renewals.
const RENEWAL_STORE: i32 = 6;

pub(super) fn shape(g: &mut Generator) {
    let since = g.today - Duration::days(CHURN_MONTHS * 30);
    // Customers of the churning store who stopped coming.
    let mut gone: HashSet<i32> = HashSet::new();
    let mut kept: HashSet<i32> = HashSet::new();
    let rows = &mut g.rows;
    let shape = &mut g.shape;
    rows.repairs.retain(|r| {
        let (Some(store), Some(customer), Some(opened)) =
            (r.store_id.try_as_ref(), r.customer_id.try_as_ref(), r.opened_at.try_as_ref())
        else {
            return true;
        };
        if *store != CHURNING_STORE || opened.date_naive() < since {
            return true;
        }
        if !gone.contains(customer) && !kept.contains(customer) {
            if shape.gen_bool(0.4) {
                gone.insert(*customer)
            } else {
                kept.insert(*customer)
            };
        }
        !gone.contains(customer)
    });
    // Renewals the renewing store lost, and every later renewal of the same chain.
    let mut lost: HashSet<i32> = HashSet::new();
    rows.policies.retain(|p| {
        let (Some(id), Some(store), Some(renewal_of)) =
            (p.id.try_as_ref(), p.store_id.try_as_ref(), p.renewal_of.try_as_ref())
        else {
            return true;
        };
        let Some(previous) = renewal_of else { return true };
        if lost.contains(previous) || (*store == RENEWAL_STORE && shape.gen_bool(0.35)) {
            lost.insert(*id);
            return false;
        }
        true
    });
}

/// The day a defeated lead created on `created` is closed: a few days to weeks later,
/// and more often in the slow months (Spring Festival, summer), when buyers put off.
pub(super) fn defeat_day(g: &mut Generator, created: NaiveDate) -> NaiveDate {
    let mut day = created + Duration::days(g.shape.gen_range(2..40));
    for _ in 0..3 {
        use chrono::Datelike;
        if matches!(day.month(), 1 | 2 | 7 | 8) || !g.shape.gen_bool(0.45) {
            break;
        }
        day += Duration::days(30);
    }
    day.min(g.today)
}
