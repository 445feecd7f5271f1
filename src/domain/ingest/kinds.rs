//! The kinds of source record and their columns (the layouts of CSV files and API
//! fields), the raw record as sent, field errors, and the validated, normalized record
//! (`Incoming`) with its person, vehicle and fact.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{LeadGrade, PaymentMethod, RepairKind, SourceSystem};
use serde::Serialize;
use serde_json::Value;

use crate::domain::identity::Person;
use crate::domain::normalize;

/// The kinds of source record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RecordKind {
    Delivery,
    RepairOrder,
    InsurancePolicy,
    PartsOrder,
    Lead,
}

impl RecordKind {
    pub const ALL: [RecordKind; 5] =
        [Self::Delivery, Self::RepairOrder, Self::InsurancePolicy, Self::PartsOrder, Self::Lead];

    pub fn name(self) -> &'static str {
        match self {
            Self::Delivery => "DELIVERY",
            Self::RepairOrder => "REPAIR_ORDER",
            Self::InsurancePolicy => "INSURANCE_POLICY",
            Self::PartsOrder => "PARTS_ORDER",
            Self::Lead => "LEAD",
        }
    }

    /// The department system that sends this kind.
    pub fn system(self) -> SourceSystem {
        match self {
            Self::Delivery | Self::Lead => SourceSystem::Sales,
            Self::RepairOrder => SourceSystem::Service,
            Self::InsurancePolicy => SourceSystem::Insurance,
            Self::PartsOrder => SourceSystem::Parts,
        }
    }

    /// The columns of this kind, as CSV headers and API fields (snake_case).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Delivery => &[
                "store_code",
                "external_id",
                "customer_name",
                "phone",
                "national_id",
                "gender",
                "birthday",
                "address",
                "vin",
                "plate",
                "brand",
                "model",
                "model_year",
                "delivery_date",
                "price",
                "consultant",
                "payment_method",
            ],
            Self::RepairOrder => &[
                "store_code",
                "external_id",
                "customer_name",
                "phone",
                "vin",
                "plate",
                "mileage",
                "service_type",
                "opened_at",
                "closed_at",
                "amount",
                "advisor",
            ],
            Self::InsurancePolicy => &[
                "store_code",
                "external_id",
                "customer_name",
                "phone",
                "national_id",
                "vin",
                "plate",
                "insurer",
                "coverage",
                "premium",
                "start_date",
                "end_date",
            ],
            Self::PartsOrder => {
                &["store_code", "external_id", "customer_name", "phone", "vin", "items", "amount", "ordered_at"]
            }
            Self::Lead => &[
                "store_code",
                "external_id",
                "customer_name",
                "phone",
                "grade",
                "intended_model",
                "budget",
                "channel",
                "next_follow_up_at",
            ],
        }
    }
}

/// One problem with one field of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

/// A raw record: field name → text, as the source system sent it.
pub type Raw = BTreeMap<String, String>;

#[derive(Debug, Clone, Serialize)]
pub struct VehicleFacts {
    pub vin: String,
    pub plate: Option<String>,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub model_year: Option<i32>,
}

#[derive(Debug, Clone, Serialize)]
pub enum Fact {
    Delivery {
        delivered_on: NaiveDate,
        price_cents: i64,
        consultant: Option<String>,
        payment: PaymentMethod,
    },
    RepairOrder {
        kind: RepairKind,
        mileage: Option<i32>,
        opened_at: DateTime<Utc>,
        closed_at: Option<DateTime<Utc>>,
        amount_cents: i64,
        advisor: Option<String>,
    },
    InsurancePolicy {
        insurer: String,
        coverage: String,
        premium_cents: i64,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    },
    PartsOrder {
        items: Value,
        amount_cents: i64,
        ordered_on: NaiveDate,
    },
    Lead {
        grade: LeadGrade,
        intended_model: Option<String>,
        budget_cents: Option<i64>,
        channel: Option<String>,
        next_follow_up_at: Option<DateTime<Utc>>,
    },
}

/// A validated, normalized record.
#[derive(Debug, Clone, Serialize)]
pub struct Incoming {
    pub kind: RecordKind,
    pub store_code: Option<String>,
    pub external_id: String,
    pub person: Person,
    pub vehicle: Option<VehicleFacts>,
    pub fact: Fact,
}

impl Incoming {
    /// When the fact happened, for first-contact dates and ownership.
    pub(super) fn day(&self) -> NaiveDate {
        match &self.fact {
            Fact::Delivery { delivered_on, .. } => *delivered_on,
            Fact::RepairOrder { opened_at, .. } => crate::domain::time::local_day(*opened_at),
            Fact::InsurancePolicy { starts_on, .. } => *starts_on,
            Fact::PartsOrder { ordered_on, .. } => *ordered_on,
            Fact::Lead { .. } => crate::domain::time::local_day(Utc::now()),
        }
    }

    /// SHA-256 of the normalized record: a resend with the same content matches it.
    pub fn hash(&self) -> String {
        normalize::id_hash(&serde_json::to_string(self).unwrap_or_default())
    }
}
