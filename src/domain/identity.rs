//! Identity resolution: which existing customer an incoming record belongs to, by
//! deterministic rules, with the reason kept. Never merges two different people: a
//! shared phone with another national ID or a clearly different name makes a household
//! link, and anything uncertain goes to the duplicate-candidates queue.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use entity::enums::ContactKind;
use entity::{contact_point, customer, customer_link, duplicate_candidate, vehicle, vehicle_ownership};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde_json::json;

use super::{mask, normalize};
use crate::error::AppResult;

/// What a record says about the person or company it is about.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Person {
    pub name: String,
    pub corporate: bool,
    /// Normalized phones (mobiles `+86…`, landlines `0571-…`).
    pub phones: Vec<String>,
    /// Normalized national ID or credit code.
    pub id_number: Option<String>,
    pub gender: Option<entity::enums::Gender>,
    pub birthday: Option<chrono::NaiveDate>,
    pub address: Option<String>,
}

/// The decision for one record.
#[derive(Debug, Default)]
pub struct Resolution {
    /// The customer the record belongs to; `None` means a new customer.
    pub customer: Option<i32>,
    pub reason: String,
    /// Other customers sharing a phone who are not the same person.
    pub households: Vec<(i32, String)>,
    /// Customers that may be the same person: (customer, score, reasons).
    pub candidates: Vec<(i32, i32, Vec<String>)>,
}

const HONORIFICS: [&str; 6] = ["先生", "女士", "小姐", "总", "老师", "师傅"];
const COMPANY_SUFFIXES: [&str; 5] = ["股份有限公司", "有限责任公司", "有限公司", "集团", "公司"];

/// A name reduced for comparison: no spaces, no honorific or company-form suffix.
pub fn comparable(name: &str) -> String {
    let mut n: String =
        normalize::fold_width(name).chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    for suffix in COMPANY_SUFFIXES.iter().chain(HONORIFICS.iter()) {
        if let Some(stripped) = n.strip_suffix(suffix)
            && !stripped.is_empty()
        {
            n = stripped.to_owned();
        }
    }
    n
}

/// Same name once spaces, honorifics and company forms are set aside.
pub fn compatible(a: &str, b: &str) -> bool {
    comparable(a) == comparable(b)
}

/// Same surname and length, one character apart: a likely typo or a sibling.
pub fn similar(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (comparable(a).chars().collect(), comparable(b).chars().collect());
    a.len() == b.len() && a.len() >= 2 && a[0] == b[0] && a.iter().zip(&b).filter(|(x, y)| x != y).count() == 1
}

/// The live customers the given (possibly merged) ids stand for.
pub(crate) async fn live<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = i32>,
) -> AppResult<BTreeMap<i32, customer::Model>> {
    let mut found = BTreeMap::new();
    let mut pending: BTreeSet<i32> = ids.into_iter().collect();
    for _ in 0..8 {
        if pending.is_empty() {
            break;
        }
        let rows =
            customer::Entity::find().filter(customer::Column::Id.is_in(pending.iter().copied())).all(conn).await?;
        pending.clear();
        for row in rows {
            match row.merged_into {
                Some(survivor) => {
                    pending.insert(survivor);
                }
                None => {
                    found.insert(row.id, row);
                }
            }
        }
    }
    Ok(found)
}

/// Decides which customer `person` (and the vehicle `vin`, if any) belongs to.
pub async fn resolve<C: ConnectionTrait>(conn: &C, person: &Person, vin: Option<&str>) -> AppResult<Resolution> {
    let mut res = Resolution::default();
    let mut strong: BTreeMap<i32, String> = BTreeMap::new();
    let mut weak: BTreeMap<i32, (i32, Vec<String>)> = BTreeMap::new();
    let mut households: BTreeMap<i32, String> = BTreeMap::new();
    let id_label = if person.corporate { "credit code" } else { "national ID" };

    // 1. The same national ID or credit code is the same person.
    let mut by_id = None;
    if let Some(id) = &person.id_number {
        let ids: Vec<i32> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(customer::Column::IdNumberHash.eq(normalize::id_hash(id)))
            .into_tuple()
            .all(conn)
            .await?;
        by_id = live(conn, ids).await?.into_keys().next();
    }

    // 2. The same phone with a compatible name; a different ID or name is a household.
    if !person.phones.is_empty() {
        let holders: Vec<(i32, String)> = contact_point::Entity::find()
            .select_only()
            .column(contact_point::Column::CustomerId)
            .column(contact_point::Column::Normalized)
            .filter(contact_point::Column::Kind.eq(ContactKind::Phone))
            .filter(contact_point::Column::Normalized.is_in(person.phones.iter().cloned()))
            .into_tuple()
            .all(conn)
            .await?;
        let phone_of: BTreeMap<i32, String> = holders.iter().cloned().collect();
        let customers = live(conn, holders.iter().map(|(c, _)| *c)).await?;
        for (id, c) in customers {
            if Some(id) == by_id {
                continue;
            }
            let phone = phone_of.get(&id).map(|p| mask::phone(p)).unwrap_or_else(|| "a phone".into());
            let other_id = c.id_number.as_ref().zip(person.id_number.as_ref()).is_some_and(|(a, b)| a != b);
            if other_id {
                households.insert(id, format!("shares phone {phone}, different {id_label}"));
            } else if compatible(&c.name, &person.name) {
                strong.insert(id, format!("same phone {phone} and name"));
            } else if similar(&c.name, &person.name) {
                weak.insert(id, (60, vec![format!("same phone {phone}, similar name ({} / {})", c.name, person.name)]));
            } else {
                households.insert(id, format!("shares phone {phone}, different name"));
            }
        }
    }

    // 3. The current holder of the same VIN with a compatible name.
    if let Some(vin) = vin {
        let holder_ids: Vec<i32> = vehicle_ownership::Entity::find()
            .select_only()
            .column(vehicle_ownership::Column::CustomerId)
            .filter(
                vehicle_ownership::Column::VehicleId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(vehicle::Column::Id)
                        .from(vehicle::Entity)
                        .and_where(vehicle::Column::Vin.eq(vin))
                        .to_owned(),
                ),
            )
            .filter(vehicle_ownership::Column::ToDate.is_null())
            .into_tuple()
            .all(conn)
            .await?;
        for (id, c) in live(conn, holder_ids).await? {
            if Some(id) == by_id || strong.contains_key(&id) {
                continue;
            }
            let other_id = c.id_number.as_ref().zip(person.id_number.as_ref()).is_some_and(|(a, b)| a != b);
            if compatible(&c.name, &person.name) && !other_id {
                strong.insert(id, format!("current holder of VIN {vin} with the same name"));
            } else {
                let entry = weak.entry(id).or_insert((0, Vec::new()));
                entry.0 = entry.0.max(40);
                entry.1.push(format!("holds VIN {vin} under another name ({})", c.name));
            }
        }
    }

    match by_id {
        Some(id) => {
            res.customer = Some(id);
            res.reason = format!("same {id_label}");
            for (other, why) in strong {
                res.candidates.push((other, 90, vec![format!("{why}, but no shared {id_label}")]));
            }
        }
        None => {
            let mut strong = strong.into_iter();
            if let Some((id, why)) = strong.next() {
                res.customer = Some(id);
                res.reason = why;
                // Fits more than one customer: attach to the first, queue the others.
                for (other, why) in strong {
                    res.candidates.push((other, 90, vec![format!("the same record also fits: {why}")]));
                }
            } else {
                res.reason = "no existing customer matched".into();
            }
        }
    }
    for (id, (score, reasons)) in weak {
        if Some(id) != res.customer {
            res.candidates.push((id, score, reasons));
        }
    }
    res.households = households.into_iter().filter(|(id, _)| Some(*id) != res.customer).collect();
    Ok(res)
}

fn ordered(a: i32, b: i32) -> (i32, i32) {
    if a < b { (a, b) } else { (b, a) }
}

/// Records a household link between two customers (once).
pub async fn link_household<C: ConnectionTrait>(conn: &C, a: i32, b: i32, reason: &str) -> AppResult<()> {
    let (a, b) = ordered(a, b);
    customer_link::Entity::insert(customer_link::ActiveModel {
        customer_a: Set(a),
        customer_b: Set(b),
        kind: Set("HOUSEHOLD".into()),
        reason: Set(reason.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([customer_link::Column::CustomerA, customer_link::Column::CustomerB])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Queues a pair for a person to decide, unless it was queued or decided before.
pub async fn queue_candidate<C: ConnectionTrait>(
    conn: &C,
    a: i32,
    b: i32,
    score: i32,
    reasons: &[String],
) -> AppResult<()> {
    if a == b {
        return Ok(());
    }
    let (a, b) = ordered(a, b);
    duplicate_candidate::Entity::insert(duplicate_candidate::ActiveModel {
        customer_a: Set(a),
        customer_b: Set(b),
        score: Set(score),
        reasons: Set(json!(reasons)),
        status: Set("OPEN".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([duplicate_candidate::Column::CustomerA, duplicate_candidate::Column::CustomerB])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Household links of many customers in one statement: customer → (other, reason).
/// Only links between customers the caller may read are returned.
pub async fn households<C: ConnectionTrait>(
    conn: &C,
    scope: &super::Scope,
    ids: &[i32],
) -> AppResult<std::collections::HashMap<i32, Vec<(i32, String)>>> {
    let links = customer_link::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(customer_link::Column::CustomerA.is_in(ids.iter().copied()))
                .add(customer_link::Column::CustomerB.is_in(ids.iter().copied())),
        )
        .filter(scope.customer_condition(customer_link::Column::CustomerA))
        .filter(scope.customer_condition(customer_link::Column::CustomerB))
        .all(conn)
        .await?;
    let mut out: std::collections::HashMap<i32, Vec<(i32, String)>> = std::collections::HashMap::new();
    for link in links {
        out.entry(link.customer_a).or_default().push((link.customer_b, link.reason.clone()));
        out.entry(link.customer_b).or_default().push((link.customer_a, link.reason));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_honorifics_or_company_forms() {
        assert!(compatible("王伟", " 王 伟先生"));
        assert!(compatible("杭州鑫达物流有限公司", "杭州鑫达物流公司"));
        assert!(!compatible("王伟", "王芳"));
        assert!(similar("王伟", "王玮"));
        assert!(!similar("王伟", "李伟"));
        assert!(!similar("王伟", "王伟"));
    }
}
