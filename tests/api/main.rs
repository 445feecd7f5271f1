//! In-process API tests. Each test gets a fresh database: SQLite by default, PostgreSQL
//! when HUB_TEST_DATABASE_URL is set (one database per test).

mod access;
mod auth;
mod care;
mod common;
mod customer360;
mod customers;
mod dashboard;
mod hardening;
mod house;
mod http;
mod http_rules;
mod import;
mod ingest;
mod kpi;
mod leads;
mod merge;
mod newcomer;
mod node;
mod schema;
mod speed;
mod tokens;
mod unicode;
