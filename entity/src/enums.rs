//! Enumerations stored as short strings, so they read the same on SQLite and PostgreSQL.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $(#[sea_orm(string_value = $value)] $variant,)+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $value,)+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($value => Ok(Self::$variant),)+ other => Err(format!("unknown {} `{}`", stringify!($name), other)) }
            }
        }
    };
}

string_enum!(
    /// Whether a store is owned by the group or a partner that receives shared leads.
    StoreKind { Own = "OWN", Partner = "PARTNER" }
);
string_enum!(
    /// The departments of a 4S store (and of the group head office).
    Department { Sales = "SALES", Service = "SERVICE", Insurance = "INSURANCE", Parts = "PARTS", Crm = "CRM", Management = "MANAGEMENT" }
);
string_enum!(
    /// Staff roles, see DOMAIN.md.
    Role {
        GroupAdmin = "GROUP_ADMIN",
        GroupCrm = "GROUP_CRM",
        GroupAnalyst = "GROUP_ANALYST",
        StoreManager = "STORE_MANAGER",
        SalesConsultant = "SALES_CONSULTANT",
        ServiceAdvisor = "SERVICE_ADVISOR",
        InsuranceSpecialist = "INSURANCE_SPECIALIST",
        PartsClerk = "PARTS_CLERK",
        Partner = "PARTNER",
        Integration = "INTEGRATION",
    }
);
string_enum!(CustomerKind { Individual = "INDIVIDUAL", Corporate = "CORPORATE" });
string_enum!(Gender { Male = "MALE", Female = "FEMALE", Unknown = "UNKNOWN" });
string_enum!(
    /// Where a customer stands in the group-wide lifecycle.
    LifecycleStage { Prospect = "PROSPECT", Base = "BASE", Loyal = "LOYAL", Vip = "VIP", Lost = "LOST", Defeated = "DEFEATED" }
);
string_enum!(ContactKind { Phone = "PHONE", Email = "EMAIL", Wechat = "WECHAT" });
string_enum!(
    /// A customer's standing with one store.
    RelationshipStatus { Prospect = "PROSPECT", Base = "BASE", Lost = "LOST", Defeated = "DEFEATED" }
);
string_enum!(SourceSystem { Sales = "SALES", Service = "SERVICE", Insurance = "INSURANCE", Parts = "PARTS", Crm = "CRM", Import = "IMPORT" });
string_enum!(OwnershipRole { Owner = "OWNER", Driver = "DRIVER", Lessee = "LESSEE" });
string_enum!(
    /// O = order placed, H = buys within ~7 days, A = ~15 days, B = ~30 days, C = later.
    LeadGrade { O = "O", H = "H", A = "A", B = "B", C = "C" }
);
string_enum!(
    /// Where a pair of the duplicate queue stands.
    CandidateStatus { Open = "OPEN", Merged = "MERGED", Distinct = "DISTINCT" }
);
string_enum!(
    /// Where a lead stands; REFERRED: handed to another store through an accepted offer.
    LeadStatus { Open = "OPEN", Won = "WON", Defeated = "DEFEATED", Referred = "REFERRED" }
);
string_enum!(
    /// How a consultant reached (or tried to reach) a prospect.
    FollowUpChannel { Call = "CALL", Wechat = "WECHAT", Sms = "SMS", Visit = "VISIT", TestDrive = "TEST_DRIVE" }
);
string_enum!(
    /// What a follow-up came to; all but NO_ANSWER are effective (they extend protection).
    FollowUpOutcome {
        NoAnswer = "NO_ANSWER",
        Talked = "TALKED",
        AppointmentMade = "APPOINTMENT_MADE",
        Visited = "VISITED",
        TestDriven = "TEST_DRIVEN",
        Quoted = "QUOTED",
        OrderPlaced = "ORDER_PLACED",
    }
);
string_enum!(
    /// Why a lead was lost: the fixed list the defeat review and the KPIs count by.
    DefeatReason {
        OtherBrand = "OTHER_BRAND",
        SameBrandOtherDealer = "SAME_BRAND_OTHER_DEALER",
        Price = "PRICE",
        FinancingRefused = "FINANCING_REFUSED",
        Postponed = "POSTPONED",
        NoLongerInterested = "NO_LONGER_INTERESTED",
        Other = "OTHER",
    }
);
string_enum!(
    /// Where an offer of a lead to another store stands.
    OfferStatus { Offered = "OFFERED", Accepted = "ACCEPTED", Declined = "DECLINED", Expired = "EXPIRED", Revoked = "REVOKED" }
);
string_enum!(
    /// What a customer consented to.
    ConsentPurpose { LeadSharing = "LEAD_SHARING" }
);
string_enum!(PaymentMethod { Cash = "CASH", Loan = "LOAN", Installment = "INSTALLMENT" });
string_enum!(RepairKind {
    FirstMaintenance = "FIRST_MAINTENANCE",
    Maintenance = "MAINTENANCE",
    Repair = "REPAIR",
    Warranty = "WARRANTY",
    Accident = "ACCIDENT",
    Inspection = "INSPECTION",
});
string_enum!(
    /// The kinds of care work.
    TaskKind {
        DeliveryCall = "DELIVERY_CALL",
        DeliveryRelationsCall = "DELIVERY_RELATIONS_CALL",
        ServiceRelationsCall = "SERVICE_RELATIONS_CALL",
        FirstMaintenance = "FIRST_MAINTENANCE",
        Maintenance = "MAINTENANCE",
        InsuranceRenewal = "INSURANCE_RENEWAL",
        AnnualInspection = "ANNUAL_INSPECTION",
        Birthday = "BIRTHDAY",
        ComplaintEscalation = "COMPLAINT_ESCALATION",
    }
);
string_enum!(
    /// Where a care task stands.
    TaskStatus { Open = "OPEN", Done = "DONE", Cancelled = "CANCELLED", Expired = "EXPIRED" }
);
string_enum!(
    /// What a care task came to.
    TaskOutcome {
        Reached = "REACHED",
        NoAnswer = "NO_ANSWER",
        WrongNumber = "WRONG_NUMBER",
        BookedVisit = "BOOKED_VISIT",
        Declined = "DECLINED",
        Renewed = "RENEWED",
        Other = "OTHER",
    }
);
string_enum!(
    /// How bad a complaint is: it sets the deadlines.
    ComplaintSeverity { Low = "LOW", Medium = "MEDIUM", High = "HIGH", Critical = "CRITICAL" }
);
string_enum!(
    /// Where a complaint stands.
    ComplaintStatus {
        New = "NEW",
        Acknowledged = "ACKNOWLEDGED",
        Resolved = "RESOLVED",
        Closed = "CLOSED",
        Reopened = "REOPENED",
    }
);
string_enum!(
    /// Sales satisfaction (after a delivery) or customer-service satisfaction (after service).
    SurveyKind { Ssi = "SSI", Csi = "CSI" }
);
