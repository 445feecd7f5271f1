//! The permission matrix: role × kind of record × action → scope. Deny by default.
//! README.md shows this matrix as a table; a test fails when the two disagree.

use entity::enums::{Department, Role};

/// Kinds of record the matrix speaks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// The golden record with masked personal data, its contact points, tags and store relationships.
    Customer,
    /// Unmasked phone, national ID, address and birthday (each read is audited).
    PersonalData,
    Vehicle,
    Lead,
    Delivery,
    RepairOrder,
    InsurancePolicy,
    PartsOrder,
    /// Stores and staff names.
    Organisation,
    /// Staff accounts and integration API keys.
    Accounts,
    AuditLog,
    /// Aggregates without personal data (KPIs).
    Aggregates,
    /// Source records, the duplicate-candidates queue, merges and un-merges.
    Identity,
    /// Care tasks: calls after delivery and service, reminders, birthdays, escalations.
    Task,
    /// Complaints and their event log (never deleted, never hidden).
    Complaint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    Create,
    Update,
    /// Sending records from a source system (integration accounts).
    Ingest,
}

/// How far a permission reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Records of the caller's own store whose kind belongs to the caller's department.
    Department,
    /// Records the caller owns (leads they are the owner of) — within their store.
    Own,
    /// Records shared with the caller's store (partner stores).
    Shared,
    /// Records of the caller's own store.
    Store,
    /// Every store of the group.
    Group,
}

impl Resource {
    pub const ALL: [Resource; 15] = [
        Resource::Customer,
        Resource::PersonalData,
        Resource::Vehicle,
        Resource::Lead,
        Resource::Delivery,
        Resource::RepairOrder,
        Resource::InsurancePolicy,
        Resource::PartsOrder,
        Resource::Organisation,
        Resource::Accounts,
        Resource::AuditLog,
        Resource::Aggregates,
        Resource::Identity,
        Resource::Task,
        Resource::Complaint,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Resource::Customer => "customer",
            Resource::PersonalData => "personal data",
            Resource::Vehicle => "vehicle",
            Resource::Lead => "lead",
            Resource::Delivery => "delivery",
            Resource::RepairOrder => "repair order",
            Resource::InsurancePolicy => "insurance policy",
            Resource::PartsOrder => "parts order",
            Resource::Organisation => "stores, staff names",
            Resource::Accounts => "accounts, API keys",
            Resource::AuditLog => "audit log",
            Resource::Aggregates => "aggregates",
            Resource::Identity => "duplicates, merges",
            Resource::Task => "care tasks",
            Resource::Complaint => "complaints",
        }
    }

    /// The department whose records these are, for department-level permissions.
    pub fn department(self) -> Option<Department> {
        match self {
            Resource::Lead | Resource::Delivery => Some(Department::Sales),
            Resource::RepairOrder => Some(Department::Service),
            Resource::InsurancePolicy => Some(Department::Insurance),
            Resource::PartsOrder => Some(Department::Parts),
            _ => None,
        }
    }
}

impl Action {
    pub const ALL: [Action; 4] = [Action::Read, Action::Create, Action::Update, Action::Ingest];

    pub fn name(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Ingest => "ingest",
        }
    }
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Department => "department",
            Level::Own => "own",
            Level::Shared => "shared",
            Level::Store => "store",
            Level::Group => "group",
        }
    }
}

pub const ROLES: [Role; 10] = [
    Role::GroupAdmin,
    Role::GroupCrm,
    Role::GroupAnalyst,
    Role::StoreManager,
    Role::SalesConsultant,
    Role::ServiceAdvisor,
    Role::InsuranceSpecialist,
    Role::PartsClerk,
    Role::Partner,
    Role::Integration,
];

/// The scope at which `role` may perform `action` on `resource`; `None` denies.
pub fn permission(role: Role, resource: Resource, action: Action) -> Option<Level> {
    use Action::*;
    use Level::*;
    use Resource::*;
    match (role, resource, action) {
        // Group administrator: everything, group-wide; the audit log, personal data and
        // aggregates are only ever read.
        (Role::GroupAdmin, AuditLog | PersonalData | Aggregates, Read) => Some(Group),
        (Role::GroupAdmin, AuditLog | PersonalData | Aggregates, _) => None,
        // Only source systems send source records.
        (Role::GroupAdmin, _, Ingest) => None,
        (Role::GroupAdmin, _, _) => Some(Group),

        // Group CRM / call center: every customer and record of the group; may correct
        // customer profiles.
        (
            Role::GroupCrm,
            Customer | PersonalData | Vehicle | Lead | Delivery | RepairOrder | InsurancePolicy | PartsOrder,
            Read,
        ) => Some(Group),
        (Role::GroupCrm, Customer, Update) => Some(Group),
        (Role::GroupCrm, Identity, Read | Update) => Some(Group),
        (Role::GroupCrm, Organisation | Aggregates, Read) => Some(Group),
        (Role::GroupCrm, Task, Read | Update) => Some(Group),
        (Role::GroupCrm, Complaint, Read | Create | Update) => Some(Group),

        // Group analyst: aggregates only.
        (Role::GroupAnalyst, Organisation | Aggregates, Read) => Some(Group),

        // Store manager: everything of their own store.
        (
            Role::StoreManager,
            Customer | PersonalData | Vehicle | Lead | Delivery | RepairOrder | InsurancePolicy | PartsOrder
            | Aggregates,
            Read,
        ) => Some(Store),
        (Role::StoreManager, Customer, Update) => Some(Store),
        (Role::StoreManager, Lead, Create | Update) => Some(Store),
        (Role::StoreManager, Task, Read | Update) => Some(Store),
        (Role::StoreManager, Complaint, Read | Create | Update) => Some(Store),
        (Role::StoreManager, Organisation, Read) => Some(Group),

        // Sales consultant: the store's customers, leads and deliveries; changes own leads.
        (Role::SalesConsultant, Customer | PersonalData | Vehicle | Lead | Delivery, Read) => Some(Store),
        (Role::SalesConsultant, Customer, Update) => Some(Store),
        (Role::SalesConsultant, Lead, Create) => Some(Store),
        (Role::SalesConsultant, Lead, Update) => Some(Own),
        (Role::SalesConsultant, Organisation, Read) => Some(Group),
        // Store staff: their own care tasks; complaints of their store, filed by anyone.
        (
            Role::SalesConsultant | Role::ServiceAdvisor | Role::InsuranceSpecialist | Role::PartsClerk,
            Task,
            Read | Update,
        ) => Some(Own),
        (
            Role::SalesConsultant | Role::ServiceAdvisor | Role::InsuranceSpecialist | Role::PartsClerk,
            Complaint,
            Read | Create,
        ) => Some(Store),

        // Service advisor: the store's customers, vehicles and repair orders.
        (Role::ServiceAdvisor, Customer | PersonalData | Vehicle | RepairOrder, Read) => Some(Store),
        (Role::ServiceAdvisor, Customer, Update) => Some(Store),
        (Role::ServiceAdvisor, Organisation, Read) => Some(Group),

        // Insurance specialist: the store's customers, vehicles and policies.
        (Role::InsuranceSpecialist, Customer | PersonalData | Vehicle | InsurancePolicy, Read) => Some(Store),
        (Role::InsuranceSpecialist, Organisation, Read) => Some(Group),

        // Parts clerk: the store's customers (masked) and parts orders.
        (Role::PartsClerk, Customer | Vehicle | PartsOrder, Read) => Some(Store),
        (Role::PartsClerk, Organisation, Read) => Some(Group),

        // Partner store: only leads shared with it and what it records on them.
        (Role::Partner, Customer | PersonalData | Lead, Read) => Some(Shared),
        (Role::Partner, Lead, Update) => Some(Shared),
        (Role::Partner, Organisation, Read) => Some(Group),

        // Integration (source system): sends its own store's and department's records.
        (Role::Integration, Lead | Delivery | RepairOrder | InsurancePolicy | PartsOrder, Ingest) => Some(Department),
        // The manufacturer's hotline files complaints about the integration's store.
        (Role::Integration, Complaint, Create) => Some(Store),

        _ => None,
    }
}

/// The matrix as a Markdown table, as README.md shows it.
pub fn markdown_table() -> String {
    let mut out = String::from("| role |");
    for resource in Resource::ALL {
        out.push_str(&format!(" {} |", resource.name()));
    }
    out.push_str("\n|---|");
    for _ in Resource::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    for role in ROLES {
        out.push_str(&format!("| {} |", role.as_str()));
        for resource in Resource::ALL {
            let cells: Vec<String> = Action::ALL
                .iter()
                .filter_map(|action| {
                    permission(role, resource, *action).map(|level| format!("{} {}", action.name(), level.name()))
                })
                .collect();
            out.push_str(&format!(" {} |", if cells.is_empty() { "—".to_owned() } else { cells.join(", ") }));
        }
        out.push('\n');
    }
    out
}
