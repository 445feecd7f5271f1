//! GraphQL mirrors of the stored enumerations (the entity crate stays free of GraphQL).

use async_graphql::Enum;

/// Whether a store is the group's own or a partner.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::StoreKind")]
pub enum StoreKind {
    Own,
    Partner,
}

/// A department of a store or of the group head office.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Department")]
pub enum Department {
    Sales,
    Service,
    Insurance,
    Parts,
    Crm,
    Management,
}

/// A staff role; see the permission matrix in README.md.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Role")]
pub enum Role {
    GroupAdmin,
    GroupCrm,
    GroupAnalyst,
    StoreManager,
    SalesConsultant,
    ServiceAdvisor,
    InsuranceSpecialist,
    PartsClerk,
    Partner,
    Integration,
}

/// Individual person or corporate (fleet) customer.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::CustomerKind")]
pub enum CustomerKind {
    Individual,
    Corporate,
}

/// Gender as recorded.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Gender")]
pub enum Gender {
    Male,
    Female,
    Unknown,
}

/// Where a customer stands in the group-wide lifecycle.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::LifecycleStage")]
pub enum LifecycleStage {
    Prospect,
    Base,
    Loyal,
    Vip,
    Lost,
    Defeated,
}

/// Kind of contact point.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ContactKind")]
pub enum ContactKind {
    Phone,
    Email,
    Wechat,
}

/// A customer's standing with one store.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::RelationshipStatus")]
pub enum RelationshipStatus {
    Prospect,
    Base,
    Lost,
    Defeated,
}

/// The department system a record came from.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::SourceSystem")]
pub enum SourceSystem {
    Sales,
    Service,
    Insurance,
    Parts,
    Crm,
    Import,
}

/// How a customer holds a vehicle.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::OwnershipRole")]
pub enum OwnershipRole {
    Owner,
    Driver,
    Lessee,
}

/// Lead grade: O order placed, H within ~7 days, A ~15 days, B ~30 days, C later.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::LeadGrade")]
pub enum LeadGrade {
    O,
    H,
    A,
    B,
    C,
}

/// State of a lead.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::LeadStatus")]
pub enum LeadStatus {
    Open,
    Won,
    Defeated,
}

/// How a car was paid for.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::PaymentMethod")]
pub enum PaymentMethod {
    Cash,
    Loan,
    Installment,
}

/// Kind of repair order.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::RepairKind")]
pub enum RepairKind {
    FirstMaintenance,
    Maintenance,
    Repair,
    Warranty,
    Accident,
    Inspection,
}
