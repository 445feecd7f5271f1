//! Identity resolution: which existing customer an incoming record belongs to, by
//! deterministic rules, with the reason kept. Never merges two different people: a
//! shared phone with another national ID or a clearly different name makes a household
//! link, and anything uncertain goes to the duplicate-candidates queue.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use entity::{customer, customer_link};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::linkage::{self, Comparison, Known, Thresholds, level};
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

/// Forms of address that people and systems append to a name (陈先生, 王总, 李师傅).
pub const HONORIFICS: [&str; 6] = ["先生", "女士", "小姐", "总", "老师", "师傅"];
const COMPANY_SUFFIXES: [&str; 5] = ["股份有限公司", "有限责任公司", "有限公司", "集团", "公司"];

/// A person's name and the form of address typed after it, if any: `陈玉兰 女士` →
/// (`陈玉兰`, `女士`). A name that is nothing but a form of address stays as it is.
pub fn split_honorific(name: &str) -> (&str, Option<&'static str>) {
    let trimmed = name.trim();
    for honorific in HONORIFICS {
        if let Some(rest) = trimmed.strip_suffix(honorific).map(str::trim_end)
            && !rest.is_empty()
        {
            return (rest, Some(honorific));
        }
    }
    (trimmed, None)
}

/// The name a customer is kept under: a person's name without the form of address
/// (that is for matching and salutation, not the golden record); company names as given.
pub fn record_name(name: &str, corporate: bool) -> String {
    if corporate { name.trim().to_owned() } else { split_honorific(name).0.to_owned() }
}

/// Places a company name starts or a branch name ends with (杭州顺达物流有限公司,
/// 顺达物流杭州分公司): set aside to compare the company's core name.
const PLACES: [&str; 16] = [
    "浙江", "杭州", "宁波", "温州", "绍兴", "嘉兴", "湖州", "金华", "台州", "舟山", "丽水", "衢州", "上海", "江苏",
    "苏州", "南京",
];

/// A name reduced for comparison: simplified characters, no spaces, no honorific or
/// company-form suffix, and for companies their core (no place before it, no branch
/// after it): 杭州顺达物流有限公司, 顺达物流 and 顺达物流杭州分公司 compare alike.
pub fn comparable(name: &str) -> String {
    let folded: String = normalize::fold_width(name).chars().filter(|c| !c.is_whitespace()).collect();
    let mut n: String = fast2s::convert(&folded).to_uppercase();
    if let Some(branch) = n.strip_suffix("分公司") {
        let mut core = branch.to_owned();
        for place in PLACES {
            if let Some(rest) = core.strip_suffix(place)
                && rest.chars().count() >= 2
            {
                core = rest.to_owned();
                break;
            }
        }
        n = core;
    }
    let mut company = false;
    for suffix in COMPANY_SUFFIXES.iter().chain(HONORIFICS.iter()) {
        if let Some(stripped) = n.strip_suffix(suffix)
            && !stripped.is_empty()
        {
            company |= COMPANY_SUFFIXES.contains(suffix);
            n = stripped.to_owned();
        }
    }
    // A place before a name of four characters or more is a company's (杭州顺达物流);
    // people's names are shorter.
    if company || n.chars().count() >= 4 {
        for place in PLACES {
            if let Some(rest) = n.strip_prefix(place)
                && rest.chars().count() >= 2
            {
                n = rest.to_owned();
                break;
            }
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
    a.len() == b.len()
        && a.len() >= 2
        && a.first() == b.first()
        && a.iter().zip(&b).filter(|(x, y)| x != y).count() == 1
}

/// Two-character surnames (a record may carry only the surname and a form of address).
const COMPOUND_SURNAMES: [&str; 10] = ["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "令狐", "公孙", "夏侯"];

/// Two normalized phones one digit apart (a digit mistyped), same length.
pub fn one_digit_apart(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.chars().zip(b.chars()).filter(|(x, y)| x != y).count() == 1
}

/// A name that is only a surname (王, 欧阳): what a desk keeps of 王先生.
pub fn bare_surname(name: &str) -> bool {
    let n = comparable(name);
    n.chars().count() == 1 || COMPOUND_SURNAMES.contains(&n.as_str())
}

/// One name is only the other's surname (王先生 against 王伟, recorded as 王): the
/// reception desk's way of writing a person, never proof alone.
pub fn surname_of(a: &str, b: &str) -> bool {
    let (a, b) = (comparable(a), comparable(b));
    let (short, long) = if a.chars().count() <= b.chars().count() { (a, b) } else { (b, a) };
    let bare = short.chars().count() == 1 || COMPOUND_SURNAMES.contains(&short.as_str());
    bare && long.chars().count() > short.chars().count() && long.starts_with(&short)
}

/// How a known customer compares with an incoming person they share a phone or a
/// vehicle with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Likeness {
    /// Both have an ID number and they differ: another person.
    OtherId,
    /// A compatible name and no conflicting ID.
    SameName,
    /// One character apart (typo or sibling): for a person to decide.
    SimilarName,
    /// Only the surname on one side, agreeing with the other's: with a second shared
    /// identifier (phone and car) the same person, else for a person to decide.
    SurnameOnly,
    /// Another name.
    OtherName,
}

/// Compares a known customer (`known_name`, `known_id`) with `person`.
pub fn likeness(known_name: &str, known_id: Option<&str>, person: &Person) -> Likeness {
    if known_id.zip(person.id_number.as_deref()).is_some_and(|(a, b)| a != b) {
        Likeness::OtherId
    } else if compatible(known_name, &person.name) {
        Likeness::SameName
    } else if similar(known_name, &person.name) {
        Likeness::SimilarName
    } else if !person.corporate && surname_of(known_name, &person.name) {
        Likeness::SurnameOnly
    } else {
        Likeness::OtherName
    }
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

/// Decides which customer `person` (and the vehicle `vin`, if any) belongs to, given
/// the customers the blocking keys found (`known`, in id order: existing customers
/// first): each is compared field by field and scored (see `linkage`). At or above the
/// accept threshold the record is that customer's; between the thresholds the pair is
/// queued for a person with its score and evidence; a customer sharing the phone below
/// them, or with another national ID, is a household. A person is never a company's
/// customer record (a driver with the company's car), and when the record fits two
/// different people equally (father and son on one phone, both 王先生) nobody is guessed.
pub fn decide(person: &Person, vin: Option<&str>, known: &[(i32, Known<'_>)], limits: Thresholds) -> Resolution {
    let model = &linkage::ESTIMATED;
    let mut res = Resolution::default();
    let id_label = if person.corporate { "credit code" } else { "national ID" };
    let mut scored: Vec<(i32, &Known<'_>, Comparison, f64)> = Vec::new();
    for (id, k) in known {
        let c = linkage::compare(person, vin, k);
        let phone = (c.0[linkage::PHONE] == level::SAME).then(|| shared_phone(person, k));
        // A person with a company's car is its driver; a record under the company's own
        // name (顺达物流, typed without its legal form) is the company's.
        let company_named = k.corporate && c.0[linkage::NAME] == level::SAME;
        if k.corporate != person.corporate && !company_named {
            if let Some(phone) = phone {
                res.households.push((*id, format!("shares phone {phone}, one a company")));
            }
            continue;
        }
        if c.0[linkage::ID] == level::DIFFERENT {
            if let Some(phone) = phone {
                res.households.push((*id, format!("shares phone {phone}, different {id_label}")));
            }
            continue;
        }
        scored.push((*id, k, c, model.score(&c)));
    }
    // Best first; equal scores keep the id order.
    scored.sort_by(|a, b| b.3.total_cmp(&a.3));
    let evidence = |k: &Known<'_>, c: &Comparison| linkage::evidence(model, person, vin, k, c);
    let accepted: Vec<_> = scored.iter().filter(|s| s.3 >= limits.accept).collect();
    if let Some(&&(top, top_known, top_c, top_score)) = accepted.first() {
        // Another person (a name that is not the top's) fitting nearly as well, while the
        // record does not name the top in full: the record is for a person to place.
        let rival = top_c.0[linkage::NAME] != level::SAME
            && accepted.iter().skip(1).any(|s| s.3 > top_score - RIVAL_BITS && !compatible(s.1.name, top_known.name));
        if rival {
            for (id, k, c, score) in &accepted {
                let mut why = vec![format!("the record fits more than one person: {}", headline(person, vin, k, c))];
                why.extend(evidence(k, c));
                res.candidates.push((*id, linkage::percent(*score), why));
            }
            res.reason = "fits more than one person; queued".into();
        } else {
            res.customer = Some(top);
            res.reason = format!(
                "{}; score {top_score:.1} ≥ {:.1}: {}",
                headline(person, vin, top_known, &top_c),
                limits.accept,
                evidence(top_known, &top_c).join("; ")
            );
            for (id, k, c, score) in accepted.iter().skip(1) {
                if compatible(k.name, top_known.name) {
                    // Most likely one person kept twice: the two go to the queue.
                    let mut why = vec![format!("the same record also fits: {}", headline(person, vin, k, c))];
                    why.extend(evidence(k, c));
                    res.candidates.push((*id, linkage::percent(*score), why));
                } else if c.0[linkage::PHONE] == level::SAME {
                    res.households.push((*id, format!("shares phone {}, different name", shared_phone(person, k))));
                }
            }
        }
    } else {
        res.reason = match scored.first() {
            // Say why not: the closest customer and its score.
            Some((_, k, c, score)) => format!(
                "no existing customer matched: the closest scored {score:.1} < {:.1} ({})",
                limits.accept,
                headline(person, vin, k, c)
            ),
            None => "no existing customer matched".into(),
        };
    }
    for (id, k, c, score) in scored.iter().filter(|s| s.3 < limits.accept) {
        if *score >= limits.review {
            let mut why = vec![headline(person, vin, k, c)];
            why.extend(evidence(k, c));
            res.candidates.push((*id, linkage::percent(*score), why));
        } else if c.0[linkage::PHONE] == level::SAME {
            res.households.push((*id, format!("shares phone {}, different name", shared_phone(person, k))));
        }
    }
    res.households.retain(|(id, _)| Some(*id) != res.customer);
    res.candidates.retain(|(id, ..)| Some(*id) != res.customer);
    res
}

/// How much likelier (in bits: 3 is eight times) the best customer must be than
/// another person for a record that names neither in full to be placed.
const RIVAL_BITS: f64 = 3.0;

fn shared_phone(person: &Person, known: &Known<'_>) -> String {
    let shared = person.phones.iter().find(|p| known.phones.contains(&p.as_str())).or(person.phones.first());
    shared.map(|p| mask::phone(p)).unwrap_or_else(|| "a phone".into())
}

/// A decision's reason in a line: the identifiers that agree and how the names do.
pub fn headline(person: &Person, vin: Option<&str>, known: &Known<'_>, c: &Comparison) -> String {
    let id_label = if person.corporate { "credit code" } else { "national ID" };
    let mut same = Vec::new();
    if c.0[linkage::ID] == level::SAME {
        same.push(id_label.to_owned());
    }
    if c.0[linkage::PHONE] == level::SAME {
        same.push(format!("phone {}", shared_phone(person, known)));
    }
    if c.0[linkage::VIN] == level::SAME {
        same.push(format!("VIN {}", vin.unwrap_or_default()));
    }
    let mut parts: Vec<String> = Vec::new();
    if !same.is_empty() {
        parts.push(format!("same {}", same.join(" and ")));
    }
    if c.0[linkage::PHONE] == level::PHONE_ONE_DIGIT {
        parts.push(format!("phone one digit apart ({})", shared_phone(person, known)));
    }
    let names = format!("{} / {}", known.name, person.name);
    match c.0[linkage::NAME] {
        level::SAME => match parts.first_mut() {
            Some(first) if !same.is_empty() => first.push_str(" and name"),
            _ => parts.push("same name".into()),
        },
        level::NAME_SOUNDS_ALIKE => parts.push(format!("name sounds alike ({names})")),
        level::NAME_ONE_CHARACTER => parts.push(format!("name one character apart ({names})")),
        level::NAME_SURNAME_ONLY => parts.push(format!("only the surname agrees ({names})")),
        level::NAME_SAME_SURNAME => parts.push(format!("same surname only ({names})")),
        _ => parts.push(format!("another name ({names})")),
    }
    parts.join(", ")
}

pub(crate) fn ordered(a: i32, b: i32) -> (i32, i32) {
    if a < b { (a, b) } else { (b, a) }
}

/// Records a household link between two customers (once).
pub async fn link_household<C: ConnectionTrait>(conn: &C, a: i32, b: i32, reason: &str) -> AppResult<()> {
    link_households(conn, &[(a, b, reason.to_owned())]).await
}

/// Records household links (each pair once, the first reason kept), many per statement.
pub async fn link_households<C: ConnectionTrait>(conn: &C, links: &[(i32, i32, String)]) -> AppResult<()> {
    let mut pairs: BTreeMap<(i32, i32), &str> = BTreeMap::new();
    for (a, b, reason) in links {
        pairs.entry(ordered(*a, *b)).or_insert(reason);
    }
    let now = Utc::now();
    let rows: Vec<customer_link::ActiveModel> = pairs
        .into_iter()
        .map(|((a, b), reason)| customer_link::ActiveModel {
            customer_a: Set(a),
            customer_b: Set(b),
            kind: Set("HOUSEHOLD".into()),
            reason: Set(reason.to_owned()),
            created_at: Set(now),
            ..Default::default()
        })
        .collect();
    for part in rows.chunks(500) {
        customer_link::Entity::insert_many(part.to_vec())
            .on_conflict(
                OnConflict::columns([customer_link::Column::CustomerA, customer_link::Column::CustomerB])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
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
        // Traditional characters and spaces fold away; a surname alone is its own kind.
        assert!(compatible("陳 玉蘭", "陈玉兰"));
        assert!(compatible("杭州顺达物流有限公司", "顺达物流"));
        assert!(compatible("顺达物流杭州分公司", "杭州顺达物流有限公司"));
        assert!(!compatible("杭州顺达物流有限公司", "杭州鑫达运输有限公司"));
        assert!(surname_of("王", "王伟") && surname_of("欧阳", "欧阳娜娜"));
        assert!(!surname_of("王", "李伟") && !surname_of("王伟", "王伟") && !surname_of("王伟", "王伟明"));
    }

    fn known<'a>(name: &'a str, phone: Option<&'a str>, holds_vin: bool) -> Known<'a> {
        Known { name, phones: phone.into_iter().collect(), holds_vin, ..Known::default() }
    }

    #[test]
    fn a_surname_with_the_phone_and_the_car_is_the_same_person_but_never_a_guess_between_two() {
        let limits = Thresholds::default();
        let phone = Some("+8613800000001");
        let vin = Some("LSGKB5S30R0000001");
        let reception = Person { name: "王".into(), phones: vec!["+8613800000001".into()], ..Default::default() };
        // Phone and car agree: the same person, with the evidence as the reason.
        let r = decide(&reception, vin, &[(1, known("王伟", phone, true))], limits);
        assert_eq!(r.customer, Some(1), "{}", r.reason);
        assert!(r.reason.starts_with("same phone 138****0001 and VIN LSGKB5S30R0000001"), "{}", r.reason);
        assert!(r.reason.contains("name (王伟 / 王) surname only"), "{}", r.reason);
        // The phone alone, one holder with the surname: the same person.
        let r = decide(&reception, None, &[(1, known("王伟", phone, false))], limits);
        assert_eq!(r.customer, Some(1), "{}", r.reason);
        // Father and son on one phone, both 王: nobody is guessed; both wait for a person.
        let both = [(1, known("王伟", phone, false)), (2, known("王建国", phone, false))];
        let r = decide(&reception, None, &both, limits);
        assert_eq!(r.customer, None, "{}", r.reason);
        assert_eq!(r.candidates.len(), 2);
        // ... unless the car says which of them it is.
        let both = [(1, known("王伟", phone, false)), (2, known("王建国", phone, true))];
        let r = decide(&reception, vin, &both, limits);
        assert_eq!(r.customer, Some(2), "{}", r.reason);
        assert_eq!(r.households.len(), 1);
        // A name that sounds alike on the same phone: the same person.
        let typed = Person { name: "王玮".into(), ..reception.clone() };
        let r = decide(&typed, None, &[(1, known("王伟", phone, false))], limits);
        assert_eq!(r.customer, Some(1), "{}", r.reason);
        assert!(r.reason.contains("name sounds alike (王伟 / 王玮)"), "{}", r.reason);
        // Another surname on the family phone stays a household.
        let li = Person { name: "李".into(), ..reception.clone() };
        let r = decide(&li, None, &[(1, known("王伟", phone, false))], limits);
        assert_eq!((r.customer, r.households.len(), r.candidates.len()), (None, 1, 0));
        assert!(
            r.reason.starts_with("no existing customer matched: the closest scored -11.9 < 6.0 (same phone"),
            "{}",
            r.reason
        );
        // Another national ID on the phone: a household whatever the name.
        let other_id = Person { name: "王伟".into(), id_number: Some("A".into()), ..reception.clone() };
        let holder = Known { id_number: Some("B"), ..known("王伟", phone, false) };
        let r = decide(&other_id, None, &[(1, holder)], limits);
        assert_eq!((r.customer, r.households.len()), (None, 1));
        // A digit mistyped: the car's holder, whose phone is one digit away.
        let typo = Person { phones: vec!["+8613800000009".into()], ..reception.clone() };
        let r = decide(&typo, vin, &[(1, known("王伟", phone, true))], limits);
        assert_eq!(r.customer, Some(1), "{}", r.reason);
        assert!(r.reason.contains("phone one digit apart"), "{}", r.reason);
        // A person with a company's car is its driver, never the company.
        let company = Known { corporate: true, ..known("杭州顺达物流有限公司", None, true) };
        let r = decide(&typo, vin, &[(1, company)], limits);
        assert_eq!((r.customer, r.candidates.len()), (None, 0));
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::normalize::arbitrary::text;

    fn person() -> impl Strategy<Value = Person> {
        (text(), any::<bool>(), prop::collection::vec(text(), 0..3), prop::option::of(text())).prop_map(
            |(name, corporate, phones, id_number)| Person { name, corporate, phones, id_number, ..Person::default() },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn name_matching_is_total_and_consistent(a in text(), b in text()) {
            let _ = comparable(&a);
            prop_assert!(compatible(&a, &a));
            prop_assert_eq!(compatible(&a, &b), compatible(&b, &a));
            prop_assert_eq!(similar(&a, &b), similar(&b, &a));
            prop_assert!(!similar(&a, &a));
            let (name, honorific) = split_honorific(&a);
            prop_assert!(name.chars().count() <= a.chars().count());
            prop_assert!(honorific.is_none() || !name.is_empty());
            let kept = record_name(&a, false);
            prop_assert!(!kept.is_empty() || a.trim().is_empty());
        }

        #[test]
        fn comparing_people_is_total(name in text(), id in prop::option::of(text()), p in person()) {
            let verdict = likeness(&name, id.as_deref(), &p);
            if id.is_some() && p.id_number.is_some() && id != p.id_number {
                prop_assert_eq!(verdict, Likeness::OtherId);
            }
            prop_assert_eq!(likeness(&p.name, p.id_number.as_deref(), &p), Likeness::SameName);
            let with_title = Person { name: format!("{}先生", p.name), ..p.clone() };
            if comparable(&p.name) == p.name && !p.name.is_empty() {
                prop_assert_eq!(likeness(&p.name, p.id_number.as_deref(), &with_title), Likeness::SameName);
            }
        }
    }

    fn known() -> impl Strategy<Value = (String, bool, Option<String>, Vec<String>, bool)> {
        (text(), any::<bool>(), prop::option::of(text()), prop::collection::vec(text(), 0..3), any::<bool>())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever the records hold, deciding is total, never places a record with a
        /// customer of another ID number, and never makes a person a company's record
        /// unless it carries the company's own name.
        #[test]
        fn deciding_is_total_and_keeps_the_hard_rules(
            p in person(),
            vin in prop::option::of(text()),
            found in prop::collection::vec(known(), 0..4),
            accept in -20.0f64..40.0,
        ) {
            let known: Vec<(i32, Known<'_>)> = found
                .iter()
                .enumerate()
                .map(|(i, (name, corporate, id, phones, holds))| {
                    let known = Known {
                        name,
                        corporate: *corporate,
                        id_number: id.as_deref(),
                        phones: phones.iter().map(String::as_str).collect(),
                        holds_vin: *holds,
                        address: None,
                    };
                    (i as i32 + 1, known)
                })
                .collect();
            let r = decide(&p, vin.as_deref(), &known, Thresholds { accept, review: accept - 6.0 });
            if let Some(id) = r.customer {
                let (_, k) = &known[(id - 1) as usize];
                prop_assert!(k.id_number.zip(p.id_number.as_deref()).is_none_or(|(a, b)| a == b));
                prop_assert!(k.corporate == p.corporate || comparable(k.name) == comparable(&p.name));
                prop_assert!(!r.reason.is_empty());
            }
            prop_assert!(r.candidates.iter().all(|(id, score, why)| Some(*id) != r.customer && (0..=100).contains(score) && !why.is_empty()));
        }
    }

    #[test]
    fn honorifics_are_set_aside_from_the_name() {
        assert_eq!(split_honorific("陈玉兰女士"), ("陈玉兰", Some("女士")));
        assert_eq!(split_honorific(" 王 总 "), ("王", Some("总")));
        assert_eq!(split_honorific("李师傅"), ("李", Some("师傅")));
        assert_eq!(split_honorific("先生"), ("先生", None));
        assert_eq!(record_name("陈玉兰女士", false), "陈玉兰");
        assert_eq!(record_name("杭州鑫达物流总", true), "杭州鑫达物流总");
    }
}
