//! Business rules per domain. No GraphQL types here; every read goes through `Scope`.

pub mod access;
pub mod audit;
pub mod auth;
pub mod bundle;
pub mod calendar;
pub mod care;
pub mod complaints;
pub mod customers;
pub mod duplicates;
pub mod identity;
pub mod ingest;
pub mod insurance;
pub mod keyset;
pub mod kpi;
pub mod leads;
pub mod limits;
pub mod linkage;
pub mod listing;
pub mod mask;
pub mod merge;
pub mod normalize;
pub mod offers;
pub mod org;
pub mod owned;
pub mod records;
pub mod sales;
pub mod scope;
pub mod search;
pub mod service;
pub mod surveys;
pub mod time;
pub mod timeline;
pub mod vehicles;
pub mod views;

pub use scope::Scope;
