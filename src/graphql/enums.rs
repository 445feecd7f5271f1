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
    /// Handed to another store through an accepted offer.
    Referred,
}

/// How a consultant reached (or tried to reach) a prospect.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::FollowUpChannel")]
pub enum FollowUpChannel {
    Call,
    Wechat,
    Sms,
    Visit,
    TestDrive,
}

/// What a follow-up came to; all but NO_ANSWER are effective (they extend protection).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::FollowUpOutcome")]
pub enum FollowUpOutcome {
    NoAnswer,
    Talked,
    AppointmentMade,
    Visited,
    TestDriven,
    Quoted,
    OrderPlaced,
}

/// Why a lead was lost.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::DefeatReason")]
pub enum DefeatReason {
    /// Bought another brand.
    OtherBrand,
    /// Bought the same brand at another dealer.
    SameBrandOtherDealer,
    Price,
    FinancingRefused,
    Postponed,
    NoLongerInterested,
    Other,
}

/// Where an offer of a lead to another store stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::OfferStatus")]
pub enum OfferStatus {
    Offered,
    Accepted,
    Declined,
    Expired,
    Revoked,
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

/// The kinds of care work.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::TaskKind")]
pub enum TaskKind {
    /// The sales consultant's call within one working day of the delivery.
    DeliveryCall,
    /// The store's customer-relations call 3 to 5 working days after the delivery.
    DeliveryRelationsCall,
    /// The customer-relations call 3 working days after a repair order closed.
    ServiceRelationsCall,
    FirstMaintenance,
    Maintenance,
    /// 90, 60 and 30 days before a policy ends, until it is renewed.
    InsuranceRenewal,
    AnnualInspection,
    Birthday,
    /// An overdue complaint, for the group's customer relations.
    ComplaintEscalation,
}

/// Where a care task stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::TaskStatus")]
pub enum TaskStatus {
    Open,
    Done,
    Cancelled,
    Expired,
}

/// What a care task came to.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::TaskOutcome")]
pub enum TaskOutcome {
    Reached,
    NoAnswer,
    WrongNumber,
    BookedVisit,
    Declined,
    Renewed,
    Other,
}

/// How bad a complaint is: acknowledge within 2/4/8/16 working hours, resolve within
/// 1/2/5/10 working days (CRITICAL/HIGH/MEDIUM/LOW).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ComplaintSeverity")]
pub enum ComplaintSeverity {
    Low,
    Medium,
    High,
    Critical,
}

/// Where a complaint stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ComplaintStatus")]
pub enum ComplaintStatus {
    New,
    Acknowledged,
    Resolved,
    /// Confirmed with the customer.
    Closed,
    Reopened,
}

/// SSI (sales satisfaction, after a delivery) or CSI (service satisfaction, after service).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::SurveyKind")]
pub enum SurveyKind {
    Ssi,
    Csi,
}
