//! Unification examples: a few customers recorded again, the way the information islands
//! leave them behind — the same person at a second store (queued as a likely duplicate)
//! and a spouse sharing a phone (linked as a household).

use chrono::{Duration, NaiveDate};
use entity::enums::{ContactKind, CustomerKind, Gender, LifecycleStage, RelationshipStatus, SourceSystem};
use entity::{customer, customer_link, duplicate_candidate};
use rand::Rng;
use sea_orm::IntoActiveModel;
use serde_json::json;

use super::customers::{GIVEN_FEMALE, GIVEN_MALE, contact, relationship, source};
use super::generator::{Generator, at};
use super::organisation::{STORES, StaffIds};
use crate::domain::identity::{self, Person};
use crate::domain::linkage::{self, Known};
use crate::domain::normalize;

/// What the information islands leave behind, for the unification features to show:
/// the same person known to a second store under a separate record (queued as a likely
/// duplicate), and a spouse sharing a phone (linked as a household).
pub(super) fn unification_examples(g: &mut Generator, last_id: i32, store_staff: &[Option<StaffIds>]) {
    let remembered = std::mem::take(&mut g.remembered);
    for (k, r) in remembered.iter().enumerate() {
        let id = last_id + k as i32 + 1;
        let masked = crate::domain::mask::phone(&r.phone);
        // As a reception desk types it: 138-1234-5678 (the generator's phones are 11 digits).
        let digits: Vec<char> = r.phone.chars().collect();
        let part =
            |range: std::ops::Range<usize>| digits.get(range).map(|d| d.iter().collect::<String>()).unwrap_or_default();
        let typed = format!("{}-{}-{}", part(0..3), part(3..7), part(7..digits.len()));
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
            // The evidence as the hub weighs it (the two were recorded before the hub).
            let person = Person {
                name: crate::domain::identity::record_name(&name, false),
                phones: vec![r.phone.clone()],
                ..Person::default()
            };
            let known = Known { name: &r.name, phones: vec![r.phone.as_str()], ..Known::default() };
            let compared = linkage::compare(&person, None, &known);
            let mut reasons = vec![format!(
                "{}; recorded separately at two stores before the hub",
                identity::headline(&person, None, &known, &compared)
            )];
            reasons.extend(linkage::evidence(&linkage::ESTIMATED, &person, None, &known, &compared));
            let row_id = g.next_id("candidates");
            g.rows.candidates.push(
                duplicate_candidate::Model {
                    id: row_id,
                    customer_a: r.id,
                    customer_b: id,
                    score: linkage::percent(linkage::ESTIMATED.score(&compared)),
                    reasons: json!(reasons),
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
