//! sea-orm entities of Customer Hub: one module per table, no GraphQL here.

pub mod api_key;
pub mod audit_log;
pub mod contact_point;
pub mod customer;
pub mod customer_link;
pub mod customer_store;
pub mod customer_tag;
pub mod delivery;
pub mod duplicate_candidate;
pub mod enums;
pub mod insurance_policy;
pub mod lead;
pub mod lead_share;
pub mod login_throttle;
pub mod merge_event;
pub mod parts_order;
pub mod repair_order;
pub mod revoked_token;
pub mod source_record;
pub mod source_record_history;
pub mod staff;
pub mod store;
pub mod vehicle;
pub mod vehicle_ownership;
