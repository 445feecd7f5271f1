//! `customer-hub import`: a department system's CSV export into the hub.
//!
//! Rows are validated one by one; valid rows are committed in chunks (one transaction
//! per chunk, a savepoint per row) and invalid ones go to a reject file with row, column
//! and reason. Every row is idempotent by (system, store, external id), so running the
//! same file again — or again after an interruption — ends in the same state.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{DatabaseConnection, TransactionTrait};

use crate::domain::audit::{self, Entry, RequestMeta};
use crate::domain::ingest::{self, Outcome, Raw, RecordKind, RecordResult};

/// Rows per transaction.
const CHUNK: usize = 500;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub read: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "read {}, created {}, updated {}, unchanged {}, rejected {}",
            self.read, self.created, self.updated, self.unchanged, self.rejected
        )
    }
}

/// The record kind of a `--source`.
pub fn kind_of(source: &str) -> Option<RecordKind> {
    match source {
        "sales" => Some(RecordKind::Delivery),
        "service" => Some(RecordKind::RepairOrder),
        "insurance" => Some(RecordKind::InsurancePolicy),
        "parts" => Some(RecordKind::PartsOrder),
        _ => None,
    }
}

/// Where rejects go by default: `FILE.rejects.csv` beside the input.
pub fn default_rejects(path: &Path) -> PathBuf {
    let mut name = path.file_stem().map(|s| s.to_os_string()).unwrap_or_default();
    name.push(".rejects.csv");
    path.with_file_name(name)
}

struct Rejects {
    writer: csv::Writer<std::fs::File>,
}

impl Rejects {
    fn add(&mut self, row: u64, column: &str, reason: &str) -> Result<(), String> {
        self.writer
            .write_record([row.to_string().as_str(), column, reason])
            .map_err(|e| format!("writing rejects: {e}"))
    }
}

/// Imports `path` as records of `kind`.
pub async fn import_file(
    db: &DatabaseConnection,
    kind: RecordKind,
    path: &Path,
    rejects_path: &Path,
) -> Result<Summary, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(std::io::BufReader::new(file));
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("cannot read the header row: {e}"))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_lowercase())
        .collect();
    let missing: Vec<&str> = ["store_code", "external_id", "customer_name"]
        .into_iter()
        .filter(|c| !headers.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the header row lacks {}; the {} layout is: {}",
            missing.join(", "),
            kind.name(),
            kind.columns().join(",")
        ));
    }
    let mut rejects = Rejects {
        writer: csv::Writer::from_path(rejects_path)
            .map_err(|e| format!("cannot write {}: {e}", rejects_path.display()))?,
    };
    rejects.writer.write_record(["row", "column", "reason"]).map_err(|e| format!("writing rejects: {e}"))?;

    let progress = if std::io::stderr().is_terminal() { ProgressBar::new(size) } else { ProgressBar::hidden() };
    progress.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut summary = Summary::default();
    let mut stores: HashMap<String, Option<i32>> = HashMap::new();
    let mut chunk: Vec<(u64, Raw)> = Vec::with_capacity(CHUNK);
    let mut record = csv::StringRecord::new();
    let mut row_number = 1u64;
    loop {
        let more = reader.read_record(&mut record).map_err(|e| format!("reading row {}: {e}", row_number + 1));
        let more = match more {
            Ok(more) => more,
            Err(message) => {
                // A row the CSV reader cannot make sense of is rejected whole.
                row_number += 1;
                summary.read += 1;
                summary.rejected += 1;
                rejects.add(row_number, "*", &message)?;
                continue;
            }
        };
        if more {
            row_number += 1;
            summary.read += 1;
            let raw: Raw = headers.iter().cloned().zip(record.iter().map(str::to_owned)).collect();
            chunk.push((row_number, raw));
        }
        if chunk.len() >= CHUNK || (!more && !chunk.is_empty()) {
            write_chunk(db, kind, path, std::mem::take(&mut chunk), &mut stores, &mut summary, &mut rejects).await?;
            progress.set_position(reader.position().byte());
            progress.set_message(format!("{} rows", summary.read));
        }
        if !more {
            break;
        }
    }
    progress.finish_and_clear();
    rejects.writer.flush().map_err(|e| format!("writing rejects: {e}"))?;
    Ok(summary)
}

async fn write_chunk(
    db: &DatabaseConnection,
    kind: RecordKind,
    path: &Path,
    rows: Vec<(u64, Raw)>,
    stores: &mut HashMap<String, Option<i32>>,
    summary: &mut Summary,
    rejects: &mut Rejects,
) -> Result<(), String> {
    let internal = |e: crate::error::AppError| format!("database error: {}", e.message());
    let txn = db.begin().await.map_err(|e| format!("database error: {e}"))?;
    let mut touched = Vec::new();
    for (row, raw) in rows {
        let incoming = match ingest::parse(kind, &raw) {
            Ok(incoming) => incoming,
            Err(errors) => {
                summary.rejected += 1;
                for e in errors {
                    rejects.add(row, &e.field, &e.reason)?;
                }
                continue;
            }
        };
        let code = incoming.store_code.clone().unwrap_or_default();
        let store = match stores.get(&code) {
            Some(found) => *found,
            None => {
                let found = ingest::store_by_code(&txn, &code).await.map_err(internal)?.map(|s| s.id);
                stores.insert(code.clone(), found);
                found
            }
        };
        let Some(store_id) = store else {
            summary.rejected += 1;
            rejects.add(row, "store_code", &format!("no store `{code}`"))?;
            continue;
        };
        match ingest::ingest_savepoint(&txn, store_id, &incoming, &raw, "").await.map_err(internal)? {
            RecordResult::Done(done) => {
                match done.outcome {
                    Outcome::Created => summary.created += 1,
                    Outcome::Updated => summary.updated += 1,
                    Outcome::Unchanged => summary.unchanged += 1,
                }
                if done.outcome != Outcome::Unchanged {
                    touched.push(i64::from(done.source_record_id));
                }
            }
            RecordResult::Rejected(errors) => {
                summary.rejected += 1;
                for e in errors {
                    rejects.add(row, &e.field, &e.reason)?;
                }
            }
        }
    }
    if !touched.is_empty() {
        let purpose = format!("import of {}", path.display());
        audit::record(
            &txn,
            None,
            &RequestMeta::default(),
            Entry::new("IMPORT", "source_record", touched).purpose(&purpose),
        )
        .await
        .map_err(internal)?;
    }
    txn.commit().await.map_err(|e| format!("database error: {e}"))
}
