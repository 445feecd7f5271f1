//! What a caller sees of a customer: the golden record with its personal fields already
//! masked — or absent for roles without personal-data access (minimum necessary data).
//! The GraphQL layer only ever receives these views, so no resolver can forget to mask a
//! field; the unmasked values leave the domain only through `customers::reveal`, which
//! audits the purpose.

use chrono::{DateTime, Utc};
use entity::enums::{ContactKind, CustomerKind, Gender, LifecycleStage};
use entity::{contact_point, customer};

use super::Scope;
use super::access::{Action, Resource};
use super::mask;
use super::scope::Reach;

/// A customer as the caller may see it.
#[derive(Debug, Clone)]
pub struct CustomerView {
    pub id: i32,
    pub kind: CustomerKind,
    pub name: String,
    pub gender: Option<Gender>,
    /// `1990-**-**`; `None` when unknown or not for this caller.
    pub birthday: Option<String>,
    /// `330102********1234`; `None` when unknown or not for this caller.
    pub id_number: Option<String>,
    /// Kept up to the city; `None` when unknown or not for this caller.
    pub address: Option<String>,
    pub city: Option<String>,
    pub notes: Option<String>,
    pub lifecycle_stage: LifecycleStage,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    pub merged_into: Option<i32>,
    /// Whether the caller may see personal data at all (contact points, masked).
    pub personal: bool,
}

/// Whether `scope` may see personal data at all (masked, or revealed with a purpose).
pub fn sees_personal(scope: &Scope) -> bool {
    scope.reach(Resource::PersonalData, Action::Read) != Reach::Nothing
}

impl CustomerView {
    pub fn new(scope: &Scope, model: customer::Model) -> Self {
        let personal = sees_personal(scope);
        Self {
            id: model.id,
            kind: model.kind,
            name: model.name,
            gender: model.gender,
            birthday: model.birthday.filter(|_| personal).map(mask::birthday),
            id_number: model.id_number.as_deref().filter(|_| personal).map(mask::id_number),
            address: model.address.as_deref().filter(|_| personal).map(mask::address),
            city: model.city,
            notes: model.notes,
            lifecycle_stage: model.lifecycle_stage,
            created_at: model.created_at,
            updated_at: model.updated_at,
            version: model.version,
            merged_into: model.merged_into,
            personal,
        }
    }
}

/// A phone, e-mail or WeChat id as the caller may see it: masked.
#[derive(Debug, Clone)]
pub struct ContactView {
    pub kind: ContactKind,
    /// `138****5678` for phones, `so***@example.cn` otherwise.
    pub number: String,
    pub primary: bool,
}

impl ContactView {
    /// The caller's view of a customer's contact points: masked, primary phone first,
    /// or `None` for roles without personal-data access.
    pub fn list(scope: &Scope, rows: Vec<contact_point::Model>) -> Option<Vec<ContactView>> {
        if !sees_personal(scope) {
            return None;
        }
        let mut views: Vec<ContactView> = rows
            .into_iter()
            .map(|c| ContactView {
                kind: c.kind,
                number: match c.kind {
                    ContactKind::Phone => mask::phone(&c.normalized),
                    _ => mask::handle(&c.normalized),
                },
                primary: c.is_primary,
            })
            .collect();
        views.sort_by_key(|c| !c.primary);
        Some(views)
    }
}
