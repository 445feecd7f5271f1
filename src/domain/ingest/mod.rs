//! Ingestion of source records from the departments' systems: validation and
//! normalisation, idempotency by (system, store, external id), identity resolution,
//! and the facts each record carries. Used by the GraphQL ingestion API and by
//! `customer-hub import`.
//!
//! The rooms: `kinds` (the kinds of record, their columns and the validated shape),
//! `parse` (field parsers, lengths, validation), `apply` (one record
//! applied: resolution, the customer, the store relation, the vehicle), `facts` (the
//! fact row each kind writes) and `batch` (API batches and savepoints).

mod apply;
mod batch;
mod facts;
mod kinds;
mod parse;
mod work;

pub(crate) use apply::live_customer;
pub use apply::{Ingested, KnownSources, Outcome, ingest, ingest_chunk, key_of, known_sources, unchanged};
pub use batch::{MAX_BATCH, RecordResult, ingest_api, ingest_savepoint, store_by_code};
pub use kinds::{Fact, FieldError, Incoming, Raw, RecordKind, VehicleFacts};
pub use parse::{EXTERNAL_ID, api_name, check_lengths, max_length, parse};
