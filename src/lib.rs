//! Customer Hub: the group-wide customer hub of a car-dealer group.

pub mod auth;
pub mod bi;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod graphiql;
pub mod graphql;
pub mod http;
pub mod import;
