//! Business rules per domain. No GraphQL types here; every read goes through `Scope`.

pub mod auth;
pub mod customers;
pub mod normalize;
pub mod org;
pub mod records;
pub mod scope;
pub mod vehicles;

pub use scope::Scope;
