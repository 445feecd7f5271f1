//! Finding customers the way people type: a phone number in any common form, a plate
//! with any case, spaces or middle dot, a VIN in any case, a national ID, or a fragment
//! of a name. Results are ranked (exact identifiers first, then exact name, name
//! prefix, name fragment) and paged with keyset cursors within each rank.

use std::collections::BTreeSet;

use entity::enums::ContactKind;
use entity::{contact_point, customer, vehicle, vehicle_ownership};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::access::{Action, Resource};
use super::{Scope, limits, normalize};
use crate::error::{AppError, AppResult};

/// What the text matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MatchedBy {
    Phone,
    Plate,
    Vin,
    IdNumber,
    Name,
}

/// What the text looks like; a name is tried as well when nothing else fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Phone(String),
    Vin(String),
    Plate(String),
    IdNumber(String),
    Name(String),
}

fn is_province(c: char) -> bool {
    "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领".contains(c)
}

/// Recognises the kind of text typed.
pub fn classify(text: &str) -> Query {
    let text = text.trim();
    if let Ok(phone) = normalize::mobile(text) {
        return Query::Phone(phone);
    }
    let vin = normalize::vin(text);
    if vin.len() == 17 && normalize::vin_check_digit(&vin).is_some() {
        return Query::Vin(vin);
    }
    let plate = normalize::plate(text);
    let mut chars = plate.chars();
    let (province, letter) = (chars.next(), chars.next());
    if (7..=8).contains(&plate.chars().count())
        && province.is_some_and(is_province)
        && letter.is_some_and(|c| c.is_ascii_alphabetic())
    {
        return Query::Plate(plate);
    }
    if let Ok(id) = normalize::national_id(text) {
        return Query::IdNumber(id);
    }
    Query::Name(text.to_owned())
}

/// One ranked hit.
pub struct Hit {
    pub customer: customer::Model,
    pub matched_by: MatchedBy,
    /// 0 exact identifier, 1 exact name, 2 name prefix, 3 name fragment.
    pub rank: i32,
}

/// Where a page starts: after this rank and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchKey {
    pub rank: i32,
    pub id: i64,
}

pub struct SearchPage {
    pub hits: Vec<Hit>,
    pub has_next: bool,
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

fn like(pattern: String) -> LikeExpr {
    LikeExpr::new(pattern).escape('\\')
}

/// The customers holding `vin` or `plate` now (owner, driver or lessee).
async fn holders(db: &DatabaseConnection, vehicle_cond: Condition) -> AppResult<Vec<i32>> {
    let vehicles: Vec<i32> = vehicle::Entity::find()
        .select_only()
        .column(vehicle::Column::Id)
        .filter(vehicle_cond)
        .into_tuple()
        .all(db)
        .await?;
    Ok(vehicle_ownership::Entity::find()
        .select_only()
        .column(vehicle_ownership::Column::CustomerId)
        .filter(vehicle_ownership::Column::VehicleId.is_in(vehicles))
        .filter(vehicle_ownership::Column::ToDate.is_null())
        .into_tuple()
        .all(db)
        .await?)
}

/// Customer ids an identifier points at, with merged ids forwarded to their survivors.
async fn identified(db: &DatabaseConnection, query: &Query) -> AppResult<Vec<i32>> {
    let ids: Vec<i32> = match query {
        Query::Phone(phone) => {
            contact_point::Entity::find()
                .select_only()
                .column(contact_point::Column::CustomerId)
                .filter(contact_point::Column::Kind.eq(ContactKind::Phone))
                .filter(contact_point::Column::Normalized.eq(phone.as_str()))
                .into_tuple()
                .all(db)
                .await?
        }
        Query::Vin(vin) => holders(db, Condition::all().add(vehicle::Column::Vin.eq(vin.as_str()))).await?,
        Query::Plate(plate) => {
            holders(db, Condition::all().add(vehicle::Column::PlateNormalized.eq(plate.as_str()))).await?
        }
        Query::IdNumber(id) => {
            customer::Entity::find()
                .select_only()
                .column(customer::Column::Id)
                .filter(customer::Column::IdNumberHash.eq(normalize::id_hash(id)))
                .into_tuple()
                .all(db)
                .await?
        }
        Query::Name(_) => Vec::new(),
    };
    let forwarded: Vec<Option<i32>> = customer::Entity::find()
        .select_only()
        .column(customer::Column::MergedInto)
        .filter(customer::Column::Id.is_in(ids.iter().copied()))
        .filter(customer::Column::MergedInto.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().chain(forwarded.into_iter().flatten()).collect::<BTreeSet<_>>().into_iter().collect())
}

/// Ranked, paged search within the caller's scope.
pub async fn search(
    db: &DatabaseConnection,
    scope: &Scope,
    text: &str,
    limit: u64,
    after: Option<SearchKey>,
) -> AppResult<SearchPage> {
    scope.require(Resource::Customer, Action::Read)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::bad_input("text", "type something to search for"));
    }
    limits::check("text", text, limits::SEARCH)?;
    let query = classify(text);
    let matched_by = match &query {
        Query::Phone(_) => MatchedBy::Phone,
        Query::Vin(_) => MatchedBy::Vin,
        Query::Plate(_) => MatchedBy::Plate,
        Query::IdNumber(_) => MatchedBy::IdNumber,
        Query::Name(_) => MatchedBy::Name,
    };
    let name = escape_like(text);
    let exact_ids = identified(db, &query).await?;
    // The tiers, best first; each excludes what a better tier already matched.
    let name_col = || Expr::col((customer::Entity, customer::Column::Name));
    let tiers: Vec<(i32, MatchedBy, Condition)> = vec![
        (0, matched_by, Condition::all().add(customer::Column::Id.is_in(exact_ids.clone()))),
        (
            1,
            MatchedBy::Name,
            Condition::all()
                .add(customer::Column::Name.eq(text))
                .add(customer::Column::Id.is_not_in(exact_ids.clone())),
        ),
        (
            2,
            MatchedBy::Name,
            Condition::all()
                .add(name_col().like(like(format!("{name}%"))))
                .add(customer::Column::Name.ne(text))
                .add(customer::Column::Id.is_not_in(exact_ids.clone())),
        ),
        (
            3,
            MatchedBy::Name,
            Condition::all()
                .add(name_col().like(like(format!("%{name}%"))))
                .add(name_col().not_like(like(format!("{name}%"))))
                .add(customer::Column::Id.is_not_in(exact_ids.clone())),
        ),
    ];
    let mut hits = Vec::new();
    for (rank, by, condition) in tiers {
        if after.is_some_and(|a| a.rank > rank) {
            continue;
        }
        if rank == 0 && exact_ids.is_empty() {
            continue;
        }
        let mut select =
            scope.customers(customer::Entity::find()).filter(customer::Column::MergedInto.is_null()).filter(condition);
        if let Some(a) = after.filter(|a| a.rank == rank) {
            select = select.filter(customer::Column::Id.gt(a.id));
        }
        let wanted = limit.saturating_add(1).saturating_sub(hits.len() as u64);
        let rows = select.order_by_asc(customer::Column::Id).limit(wanted).all(db).await?;
        hits.extend(rows.into_iter().map(|customer| Hit { customer, matched_by: by, rank }));
        if hits.len() as u64 > limit {
            break;
        }
    }
    let has_next = hits.len() as u64 > limit;
    hits.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(SearchPage { hits, has_next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_what_people_type() {
        assert_eq!(classify("138-0013-8000"), Query::Phone("+8613800138000".into()));
        assert_eq!(classify("浙a 12345"), Query::Plate("浙A12345".into()));
        assert_eq!(classify("浙A·D12345"), Query::Plate("浙AD12345".into()));
        assert_eq!(classify("lsvab2bm0r0000001"), Query::Vin("LSVAB2BM0R0000001".into()));
        assert_eq!(classify("11010519491231002x"), Query::IdNumber("11010519491231002X".into()));
        assert_eq!(classify(" 王 "), Query::Name("王".into()));
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::normalize::arbitrary::text;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn any_text_is_classified(s in text()) {
            match classify(&s) {
                Query::Phone(p) => prop_assert!(p.starts_with("+86") && p.len() == 14, "{p}"),
                Query::Vin(v) => prop_assert_eq!(v.chars().count(), 17),
                Query::Plate(p) => prop_assert!((7..=8).contains(&p.chars().count()), "{p}"),
                Query::IdNumber(id) => prop_assert_eq!(normalize::national_id(&id), Ok(id.clone())),
                Query::Name(n) => prop_assert_eq!(n, s.trim()),
            }
            let _ = is_province(s.chars().next().unwrap_or(' '));
        }

        #[test]
        fn like_patterns_escape_every_wildcard(s in text()) {
            let escaped = escape_like(&s);
            let mut chars = escaped.chars();
            while let Some(c) = chars.next() {
                prop_assert!(c != '%' && c != '_', "an unescaped wildcard in {escaped}");
                if c == '\\' {
                    prop_assert!(chars.next().is_some_and(|n| matches!(n, '\\' | '%' | '_')), "{escaped}");
                }
            }
        }
    }

    #[test]
    fn chinese_text_of_eighteen_bytes_is_a_name() {
        for text in ["杭州新客科技", "上海大众汽车", "浙江省杭州市西湖区"] {
            assert_eq!(classify(text), Query::Name(text.into()));
        }
    }
}
