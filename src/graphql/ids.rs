//! Global ids: the one place where the API's ids are made and read.
//!
//! Every object's `id` names its type as well as its row, so ids of different types
//! never collide: a Relay or Apollo cache, which keys objects by id alone, never takes
//! lead 15 for customer 15. The form is base64url without padding of `Type:key` (the
//! GraphQL type name and the row's integer key), e.g. `Q3VzdG9tZXI6MQ` for customer 1.
//! Clients must treat ids as opaque strings: obtain them from the API, send them back.
//!
//! Reading is strict: only the exact text this module produces names a record. An id of
//! another type, plain decimal keys, non-canonical keys (`+15`, `015`), padding and
//! other alphabets all name no record, exactly like the id of a missing row.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::AppError;

/// The longest id text worth decoding: the longest type name, a colon and an `i64`.
const MAX_LEN: usize = 64;

/// The kinds of object an id can name. Adding an object type with an id adds a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Customer,
    Vehicle,
    Lead,
    Delivery,
    RepairOrder,
    InsurancePolicy,
    PartsOrder,
    Store,
    Staff,
    DuplicateCandidate,
    ApiKey,
    SourceRecord,
    AuditEntry,
    /// A merge (named by `mergeCustomers`; not an object of its own yet).
    MergeEvent,
    FollowUp,
    LeadOffer,
    Consent,
    CareTask,
    Complaint,
    Survey,
}

impl Kind {
    pub const ALL: [Kind; 20] = [
        Kind::Customer,
        Kind::Vehicle,
        Kind::Lead,
        Kind::Delivery,
        Kind::RepairOrder,
        Kind::InsurancePolicy,
        Kind::PartsOrder,
        Kind::Store,
        Kind::Staff,
        Kind::DuplicateCandidate,
        Kind::ApiKey,
        Kind::SourceRecord,
        Kind::AuditEntry,
        Kind::MergeEvent,
        Kind::FollowUp,
        Kind::LeadOffer,
        Kind::Consent,
        Kind::CareTask,
        Kind::Complaint,
        Kind::Survey,
    ];

    /// The GraphQL type name, as written inside the id.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Customer => "Customer",
            Kind::Vehicle => "Vehicle",
            Kind::Lead => "Lead",
            Kind::Delivery => "Delivery",
            Kind::RepairOrder => "RepairOrder",
            Kind::InsurancePolicy => "InsurancePolicy",
            Kind::PartsOrder => "PartsOrder",
            Kind::Store => "Store",
            Kind::Staff => "Staff",
            Kind::DuplicateCandidate => "DuplicateCandidate",
            Kind::ApiKey => "ApiKey",
            Kind::SourceRecord => "SourceRecord",
            Kind::AuditEntry => "AuditEntry",
            Kind::MergeEvent => "MergeEvent",
            Kind::FollowUp => "FollowUp",
            Kind::LeadOffer => "LeadOffer",
            Kind::Consent => "Consent",
            Kind::CareTask => "CareTask",
            Kind::Complaint => "Complaint",
            Kind::Survey => "Survey",
        }
    }

    /// The kind of this GraphQL type name, exactly as spelled.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The kind of the records an audit entry of `record_kind` names.
    pub fn of_audit_record(record_kind: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.audit_record() == Some(record_kind))
    }

    /// How the audit trail names records of this kind, if it names them at all.
    pub fn audit_record(self) -> Option<&'static str> {
        match self {
            Kind::Customer => Some("customer"),
            Kind::Lead => Some("lead"),
            Kind::Staff => Some("staff"),
            Kind::ApiKey => Some("api_key"),
            Kind::SourceRecord => Some("source_record"),
            Kind::DuplicateCandidate => Some("duplicate_candidate"),
            _ => None,
        }
    }
}

/// The global id of row `key` of `kind`.
pub fn global(kind: Kind, key: impl Into<i64>) -> ID {
    ID(text(kind, key.into()))
}

/// [`global`] as a plain string.
pub fn text(kind: Kind, key: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{key}", kind.name()))
}

/// The kind and key an id names, or `None` when it is not an id this API made.
pub fn decode(id: &str) -> Option<(Kind, i64)> {
    if id.is_empty() || id.len() > MAX_LEN {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
    let plain = std::str::from_utf8(&bytes).ok()?;
    let (name, key) = plain.split_once(':')?;
    let kind = Kind::from_name(name)?;
    let canonical = !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) && (key == "0" || !key.starts_with('0'));
    let key: i64 = if canonical { key.parse().ok()? } else { return None };
    // One text per record: anything that decodes alike but is spelled otherwise
    // (trailing bits, another alphabet) is refused.
    (text(kind, key) == id).then_some((kind, key))
}

/// THE id parser: the integer key of the `kind` row an id names. An id of another kind,
/// or no id at all, names no record: `None`, like a missing row.
pub fn parse(kind: Kind, id: &str) -> Option<i32> {
    parse_wide(kind, id).and_then(|key| i32::try_from(key).ok())
}

/// [`parse`] for kinds whose keys are 64-bit (audit entries).
pub fn parse_wide(kind: Kind, id: &str) -> Option<i64> {
    decode(id).filter(|(named, _)| *named == kind).map(|(_, key)| key)
}

/// A required id argument of a lookup or mutation: NOT_FOUND (`what`) when it names no
/// `kind` record.
pub fn required(kind: Kind, id: &ID, what: &'static str) -> Result<i32, AppError> {
    parse(kind, id).ok_or(AppError::NotFound(what))
}

/// An optional id argument of a filter: `None` when absent, BAD_USER_INPUT naming
/// `field` when it is not the id of a `kind` record.
pub fn filter_arg(field: &str, kind: Kind, id: Option<ID>) -> Result<Option<i32>, AppError> {
    id.map(|id| parse(kind, &id).ok_or_else(|| AppError::bad_input(field, format!("not the id of a {}", kind.name()))))
        .transpose()
}

/// Several ids of one kind: BAD_USER_INPUT naming `field` at the first that is not one.
pub fn list_arg(field: &str, kind: Kind, ids: &[ID]) -> Result<Vec<i32>, AppError> {
    ids.iter()
        .map(|id| {
            parse(kind, id).ok_or_else(|| {
                AppError::bad_input(field, format!("`{}` is not the id of a {}", id.as_str(), kind.name()))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_kind() {
        for kind in Kind::ALL {
            for key in [0, 1, 15, i64::from(i32::MAX), i64::MAX] {
                assert_eq!(decode(&text(kind, key)), Some((kind, key)), "{kind:?} {key}");
            }
        }
    }

    #[test]
    fn kinds_never_collide() {
        let mut seen = std::collections::HashSet::new();
        for kind in Kind::ALL {
            for key in 0..50 {
                assert!(seen.insert(text(kind, key)), "{kind:?} {key}");
            }
        }
    }

    #[test]
    fn customer_one_is_stable() {
        assert_eq!(text(Kind::Customer, 1), "Q3VzdG9tZXI6MQ");
    }

    #[test]
    fn only_the_canonical_text_names_a_record() {
        let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
        for bad in [
            String::new(),
            "15".to_owned(),
            "Customer:15".to_owned(),
            b64("Customer:+15"),
            b64("Customer:015"),
            b64("Customer: 15"),
            b64("Customer:-1"),
            b64("customer:15"),
            b64("Customer:"),
            b64("Customer"),
            b64("Nope:15"),
            b64("Customer:15:1"),
            b64("Customer:99999999999999999999"),
            format!("{}=", text(Kind::Customer, 15)),
            format!(" {}", text(Kind::Customer, 15)),
            base64::engine::general_purpose::STANDARD.encode("Customer:15"),
            "Q3VzdG9tZXI6MR".to_owned(), // "Customer:1" with trailing bits set
        ] {
            assert_eq!(decode(&bad), None, "{bad:?}");
        }
        assert_eq!(parse(Kind::Lead, &text(Kind::Customer, 15)), None);
        assert_eq!(parse(Kind::Customer, &text(Kind::Customer, 15)), Some(15));
        assert_eq!(parse(Kind::Customer, &text(Kind::Customer, i64::from(i32::MAX) + 1)), None);
    }
}
