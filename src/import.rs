//! `customer-hub import`: a department system's CSV export into the hub.
//!
//! The file's encoding is recognised first (UTF-8 with or without BOM, or GBK/GB18030
//! as Chinese dealer systems export; anything else is refused with what to do), then
//! its header is checked against the layout of `--source` (a file of another layout is
//! refused at once). Rows are read one line at a time, each checked on its own —
//! number of cells, an unclosed quote, the length of every cell, cells a spreadsheet
//! would run as formulas — and valid rows are committed in chunks (one transaction
//! per chunk, a savepoint per row); invalid ones go to a reject file with row, column
//! and reason. A row whose processing fails or even panics is rejected with the cause
//! and the import goes on. Every row is idempotent by (system, store, external id), so
//! running the same file again — or again after an interruption — ends in the same
//! state.

mod cells;
mod source;

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::io::IsTerminal;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use futures_util::FutureExt;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};

pub use self::cells::escape as escape_cell;
use self::source::{Line, Lines};
pub use self::source::{MAX_LINE_BYTES, encoding_for_label};
use crate::domain::audit::{self, Entry, RequestMeta};
use crate::domain::ingest::{self, Outcome, Raw, RecordKind};
use crate::error::{AppError, AppResult};

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

impl Summary {
    /// The exit status of `customer-hub import` for this run: 0 when every row went
    /// in, 2 when some were rejected. (A run that could not read the file ends with 1.)
    pub fn exit_status(&self) -> u8 {
        if self.rejected == 0 { 0 } else { 2 }
    }
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

/// Why an import did not run to its end (exit status 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The file is missing or unreadable.
    Read(String),
    /// The file's encoding is not one the import reads.
    Encoding(String),
    /// The header row does not fit the layout of `--source`.
    Layout(String),
    /// The reject file cannot be written.
    Rejects(String),
    /// The database failed; the message carries its own words.
    Database(String),
}

impl ImportError {
    /// The exit status of `customer-hub import` when the file could not be imported.
    pub const EXIT_STATUS: u8 = 1;
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Read(m) | Self::Encoding(m) | Self::Layout(m) | Self::Rejects(m) | Self::Database(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for ImportError {}

/// How to read a file; the default recognises the encoding by itself.
#[derive(Debug, Default, Clone, Copy)]
pub struct Options {
    /// The file's encoding (`--encoding`), when recognising it is not wanted. A UTF-8
    /// byte-order mark still wins.
    pub encoding: Option<&'static encoding_rs::Encoding>,
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

fn source_of(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Delivery => "sales",
        RecordKind::RepairOrder => "service",
        RecordKind::InsurancePolicy => "insurance",
        RecordKind::PartsOrder => "parts",
        RecordKind::Lead => "leads",
    }
}

/// The columns a file of `kind` must have; the other columns of its layout may be
/// left out.
fn required_columns(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Delivery => &["store_code", "external_id", "customer_name", "vin", "delivery_date", "price"],
        RecordKind::RepairOrder => {
            &["store_code", "external_id", "customer_name", "vin", "service_type", "opened_at", "amount"]
        }
        RecordKind::InsurancePolicy => {
            &["store_code", "external_id", "customer_name", "vin", "insurer", "premium", "start_date", "end_date"]
        }
        RecordKind::PartsOrder => &["store_code", "external_id", "customer_name", "items", "amount", "ordered_at"],
        RecordKind::Lead => &["store_code", "external_id", "customer_name", "grade"],
    }
}

/// Where rejects go by default: `FILE.rejects.csv` beside the input.
pub fn default_rejects(path: &Path) -> PathBuf {
    let mut name = path.file_stem().map(|s| s.to_os_string()).unwrap_or_default();
    name.push(".rejects.csv");
    path.with_file_name(name)
}

/// The words of an error and of its causes, for the operator (never for API callers).
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// The real cause of an application error: the database's own words for an internal
/// one, the user-facing message otherwise.
fn cause(e: &AppError) -> String {
    match e {
        AppError::Internal(cause) => describe(cause.as_ref()),
        other => other.message(),
    }
}

fn database(what: &str) -> impl Fn(AppError) -> ImportError + '_ {
    move |e| ImportError::Database(format!("database error {what}: {}", cause(&e)))
}

fn db_err(what: &str) -> impl Fn(sea_orm::DbErr) -> ImportError + '_ {
    move |e| ImportError::Database(format!("database error {what}: {}", describe(&e)))
}

/// The reject file: `row,column,reason`, UTF-8 with a byte-order mark (so that Excel
/// shows the Chinese text), every cell escaped against CSV injection.
struct Rejects {
    writer: csv::Writer<std::fs::File>,
    path: PathBuf,
}

impl Rejects {
    fn create(path: &Path) -> Result<Self, ImportError> {
        use std::io::Write;

        let failed = |e: &dyn std::fmt::Display| ImportError::Rejects(format!("cannot write {}: {e}", path.display()));
        let mut file = std::fs::File::create(path).map_err(|e| failed(&e))?;
        file.write_all(b"\xEF\xBB\xBF").map_err(|e| failed(&e))?;
        let mut rejects = Self { writer: csv::Writer::from_writer(file), path: path.to_owned() };
        rejects.writer.write_record(["row", "column", "reason"]).map_err(|e| failed(&e))?;
        Ok(rejects)
    }

    fn add(&mut self, row: u64, column: &str, reason: &str) -> Result<(), ImportError> {
        let row = row.to_string();
        self.writer
            .write_record(
                [cells::escape(&row), cells::escape(column), cells::escape(reason)].iter().map(|c| c.as_ref()),
            )
            .map_err(|e| ImportError::Rejects(format!("writing {}: {e}", self.path.display())))
    }

    fn flush(&mut self) -> Result<(), ImportError> {
        self.writer.flush().map_err(|e| ImportError::Rejects(format!("writing {}: {e}", self.path.display())))
    }
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Runs `work` behind a panic boundary: a panic becomes `Err` with its message, so
/// one row cannot end the import.
pub async fn guarded<F: Future>(work: F) -> Result<F::Output, String> {
    AssertUnwindSafe(work).catch_unwind().await.map_err(|payload| panic_message(payload.as_ref()))
}

/// What happened to the work done in a savepoint.
enum Savepoint<T> {
    Done(T),
    /// An application error; the savepoint was rolled back.
    Failed(AppError),
    /// A panic, with its message; the savepoint was rolled back.
    Panicked(String),
}

/// Runs `work` in a savepoint of `txn` behind a panic boundary: committed when it
/// succeeds, rolled back when it fails or panics — the transaction goes on either way.
async fn in_savepoint<T>(
    txn: &DatabaseTransaction,
    work: impl AsyncFnOnce(&DatabaseTransaction) -> AppResult<T>,
) -> Result<Savepoint<T>, ImportError> {
    let savepoint = txn.begin().await.map_err(db_err("opening a savepoint"))?;
    match guarded(work(&savepoint)).await {
        Ok(Ok(done)) => {
            savepoint.commit().await.map_err(db_err("committing a row"))?;
            Ok(Savepoint::Done(done))
        }
        Ok(Err(e)) => {
            savepoint.rollback().await.map_err(db_err("rolling a row back"))?;
            Ok(Savepoint::Failed(e))
        }
        Err(panic) => {
            savepoint.rollback().await.map_err(db_err("rolling a row back after a panic"))?;
            Ok(Savepoint::Panicked(panic))
        }
    }
}

/// The header row, checked against the layout of `kind`: every column known, none
/// twice, the required ones present. A file of another layout is named if it fits one.
fn check_header(kind: RecordKind, path: &Path, line: Option<(u64, Line)>) -> Result<Vec<String>, ImportError> {
    let shown = path.display();
    let layout = || format!("the {} layout is: {}", source_of(kind), kind.columns().join(","));
    let text = match line {
        None => return Err(ImportError::Layout(format!("{shown} is empty; {}", layout()))),
        Some((_, Line::Text(text))) => text,
        Some((_, Line::TooLong(_))) => {
            return Err(ImportError::Layout(format!(
                "the first line of {shown} is longer than {MAX_LINE_BYTES} bytes: it is not a header row"
            )));
        }
        Some((_, Line::Malformed | Line::Binary)) => {
            return Err(ImportError::Layout(format!("the header row of {shown} is not valid text in its encoding")));
        }
    };
    let headers: Vec<String> = source::cells(&text)
        .map_err(|_| ImportError::Layout(format!("the header row of {shown} has a quote that is not closed")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_lowercase())
        .collect();
    if headers.len() == 1 {
        for (separator, name) in [(';', "semicolons"), ('\t', "tabs"), ('|', "bars")] {
            if headers[0].contains(separator) {
                return Err(ImportError::Layout(format!(
                    "{shown} is separated by {name}; the import reads comma-separated files (save as \"CSV UTF-8 (comma delimited)\")"
                )));
            }
        }
    }
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    let twice: Vec<&str> = headers.iter().filter(|h| !seen.insert(h.as_str())).map(String::as_str).collect();
    if !twice.is_empty() {
        problems.push(format!("columns named twice: {}", twice.join(", ")));
    }
    let missing: Vec<&str> =
        required_columns(kind).iter().copied().filter(|c| !headers.iter().any(|h| h == c)).collect();
    if !missing.is_empty() {
        problems.push(format!("missing columns: {}", missing.join(", ")));
    }
    let unexpected: Vec<String> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !kind.columns().contains(&h.as_str()))
        .map(|(i, h)| if h.is_empty() { format!("(no name, column {})", i + 1) } else { h.clone() })
        .collect();
    if !unexpected.is_empty() {
        problems.push(format!("unexpected columns: {}", unexpected.join(", ")));
    }
    if problems.is_empty() {
        return Ok(headers);
    }
    let fits = ["sales", "service", "insurance", "parts"].into_iter().find(|other| {
        kind_of(other).is_some_and(|k| {
            k != kind
                && headers.iter().all(|h| k.columns().contains(&h.as_str()))
                && required_columns(k).iter().all(|c| headers.iter().any(|h| h == c))
        })
    });
    let hint = fits.map(|other| format!(" It looks like a {other} export: --source {other}?")).unwrap_or_default();
    Err(ImportError::Layout(format!(
        "{shown} does not have the {} layout ({}); {}.{hint}",
        source_of(kind),
        problems.join("; "),
        layout()
    )))
}

/// Imports `path` as records of `kind`, recognising its encoding.
pub async fn import_file(
    db: &DatabaseConnection,
    kind: RecordKind,
    path: &Path,
    rejects_path: &Path,
) -> Result<Summary, ImportError> {
    import_file_with(db, kind, path, rejects_path, &Options::default()).await
}

/// Imports `path` as records of `kind`.
pub async fn import_file_with(
    db: &DatabaseConnection,
    kind: RecordKind,
    path: &Path,
    rejects_path: &Path,
    options: &Options,
) -> Result<Summary, ImportError> {
    let detected = source::detect(path, options.encoding)?;
    tracing::info!(encoding = detected.encoding.name(), how = detected.how, "reading {}", path.display());
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut lines = Lines::open(path, &detected)?;
    let headers = check_header(kind, path, lines.next_line()?)?;
    let mut rejects = Rejects::create(rejects_path)?;

    let progress = if std::io::stderr().is_terminal() { ProgressBar::new(size) } else { ProgressBar::hidden() };
    progress.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut summary = Summary::default();
    let mut statistics = Statistics::start(db, kind).await?;
    let mut stores: HashMap<String, Option<i32>> = HashMap::new();
    // Valid and invalid rows alike, so that the reject file lists rows in file order.
    let mut chunk: Vec<(u64, ReadRow)> = Vec::with_capacity(CHUNK);
    let encoding = detected.encoding.name();
    while let Some((row, line)) = lines.next_line()? {
        let read = match line {
            Line::Text(text) => match read_row(&headers, &text) {
                Row::Blank => continue,
                Row::Valid(raw) => Ok(raw),
                Row::Invalid(problems) => Err(problems),
            },
            Line::TooLong(bytes) => Err(vec![(
                "*".to_owned(),
                format!(
                    "the line is {bytes} bytes long, more than the {MAX_LINE_BYTES} bytes a row may have \
                     (a cell holds at most {} characters); not imported",
                    crate::domain::limits::NOTE
                ),
            )]),
            Line::Malformed => {
                Err(vec![("*".to_owned(), format!("the line is not valid {encoding} text; not imported"))])
            }
            Line::Binary => {
                Err(vec![("*".to_owned(), "the line holds a NUL byte (binary data); not imported".to_owned())])
            }
        };
        summary.read += 1;
        chunk.push((row, read));
        if chunk.len() >= CHUNK {
            let before = summary.created + summary.updated;
            write_chunk(db, kind, path, std::mem::take(&mut chunk), &mut stores, &mut summary, &mut rejects).await?;
            if let Some(statistics) = statistics.as_mut() {
                statistics.grew(db, summary.created + summary.updated - before).await?;
            }
            progress.set_position(lines.position());
            progress.set_message(format!("{} rows", summary.read));
        }
    }
    if !chunk.is_empty() {
        write_chunk(db, kind, path, chunk, &mut stores, &mut summary, &mut rejects).await?;
    }
    progress.finish_and_clear();
    rejects.flush()?;
    Ok(summary)
}

/// The tables every import writes and reads back chunk after chunk (besides the fact
/// table of its kind).
const INGESTED_TABLES: [&str; 6] =
    ["customer", "contact_point", "customer_store", "vehicle", "vehicle_ownership", "source_record"];

/// PostgreSQL: keeps the statistics of the tables an import grows fresh. An import into
/// a young database grows them faster than autovacuum looks (once a minute): planned
/// from the statistics of nearly empty tables, the reads of each chunk scan whole tables
/// instead of using their indexes, and slow down as the tables grow. The tables are
/// analysed each time the rows this import wrote outnumber those the tables held at the
/// last look (source records standing for all: one per row) — a few times per import.
struct Statistics {
    tables: Vec<String>,
    /// Source records at the last analysis (or the import's start).
    known: u64,
    /// Rows written since.
    since: u64,
}

impl Statistics {
    async fn start(db: &DatabaseConnection, kind: RecordKind) -> Result<Option<Self>, ImportError> {
        use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(None);
        }
        let fact = match kind {
            RecordKind::Delivery => "delivery",
            RecordKind::RepairOrder => "repair_order",
            RecordKind::InsurancePolicy => "insurance_policy",
            RecordKind::PartsOrder => "parts_order",
            RecordKind::Lead => "lead",
        };
        let row = db
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Postgres,
                "SELECT CAST(GREATEST(reltuples, 0) AS bigint) AS n FROM pg_class WHERE oid = 'source_record'::regclass",
            ))
            .await
            .map_err(db_err("reading table statistics"))?;
        let known = row.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0);
        let tables = INGESTED_TABLES.iter().chain(std::iter::once(&fact)).map(|t| format!("\"{t}\"")).collect();
        Ok(Some(Self { tables, known: u64::try_from(known).unwrap_or(0), since: 0 }))
    }

    /// Counts the rows a chunk wrote; analyses the tables when they have grown enough.
    async fn grew(&mut self, db: &DatabaseConnection, written: u64) -> Result<(), ImportError> {
        use sea_orm::ConnectionTrait;
        self.since += written;
        if self.since >= CHUNK as u64 && self.since > self.known {
            db.execute_unprepared(&format!("ANALYZE {}", self.tables.join(", ")))
                .await
                .map_err(db_err("analysing tables"))?;
            self.known += self.since;
            self.since = 0;
        }
        Ok(())
    }
}

/// A row as read: its cells by column, or (column, reason) for each problem.
type ReadRow = Result<Raw, Vec<(String, String)>>;

/// One line of data, split and checked.
enum Row {
    /// Nothing but blanks and commas: skipped, not counted.
    Blank,
    Valid(Raw),
    /// (column, reason) for each problem.
    Invalid(Vec<(String, String)>),
}

fn read_row(headers: &[String], text: &str) -> Row {
    let values = match source::cells(text) {
        Ok(values) => values,
        Err(open) => {
            let column = headers.get(open.column).cloned().unwrap_or_else(|| format!("column {}", open.column + 1));
            return Row::Invalid(vec![(
                column,
                "a quote opens this cell and is not closed on this line (an unbalanced quote); \
                 the row is not imported — a cell may not span lines, so the next line is read as a row of its own"
                    .to_owned(),
            )]);
        }
    };
    if values.iter().all(|v| v.trim().is_empty()) {
        return Row::Blank;
    }
    if values.len() != headers.len() {
        let which = if values.len() > headers.len() { "more" } else { "fewer" };
        return Row::Invalid(vec![(
            "*".to_owned(),
            format!(
                "the row has {} cells, {which} than the {} columns of the header (a comma inside an unquoted cell?); not imported",
                values.len(),
                headers.len()
            ),
        )]);
    }
    let problems: Vec<(String, String)> = headers
        .iter()
        .zip(&values)
        .filter_map(|(column, value)| cells::check(column, value).map(|reason| (column.clone(), reason)))
        .collect();
    if !problems.is_empty() {
        return Row::Invalid(problems);
    }
    Row::Valid(headers.iter().cloned().zip(values).collect())
}

/// What became of one valid-looking row.
enum RowResult {
    Ingested(ingest::Ingested),
    Rejected(Vec<(String, String)>),
}

/// A row read and parsed, with its store: ready to be stored.
struct Prepared {
    row: u64,
    incoming: ingest::Incoming,
    raw: Raw,
    store_id: i32,
}

/// One row, from its cells to a parsed record of a known store, behind a panic
/// boundary: whatever is wrong with the row rejects the row and only the row. `Err`
/// only when the database itself fails.
async fn prepare_row(
    txn: &DatabaseTransaction,
    kind: RecordKind,
    row: u64,
    raw: Raw,
    stores: &mut HashMap<String, Option<i32>>,
) -> Result<Result<Prepared, RowResult>, ImportError> {
    let rejected = |field: &str, reason: String| Ok(Err(RowResult::Rejected(vec![(field.to_owned(), reason)])));
    let parsed = std::panic::catch_unwind(AssertUnwindSafe(|| ingest::parse(kind, &raw)));
    let incoming = match parsed {
        Ok(Ok(incoming)) => incoming,
        Ok(Err(errors)) => {
            return Ok(Err(RowResult::Rejected(errors.into_iter().map(|e| (e.field, e.reason)).collect())));
        }
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            tracing::error!(row, panic = %message, "reading a row panicked; the row is rejected");
            return rejected("record", format!("internal error: reading the row panicked ({message}); not imported"));
        }
    };
    let code = incoming.store_code.clone().unwrap_or_default();
    let store = match stores.get(&code) {
        Some(found) => *found,
        None => {
            let found = ingest::store_by_code(txn, &code).await.map_err(database("looking up a store"))?.map(|s| s.id);
            stores.insert(code.clone(), found);
            found
        }
    };
    let Some(store_id) = store else {
        return rejected("store_code", format!("no store `{code}`"));
    };
    Ok(Ok(Prepared { row, incoming, raw, store_id }))
}

/// Stores one prepared row in its own savepoint, behind a panic boundary.
async fn store_row(txn: &DatabaseTransaction, prepared: &Prepared) -> Result<RowResult, ImportError> {
    let Prepared { row, incoming, raw, store_id } = prepared;
    let (row, store_id) = (*row, *store_id);
    let rejected = |field: &str, reason: String| Ok(RowResult::Rejected(vec![(field.to_owned(), reason)]));
    match in_savepoint(txn, async |savepoint| ingest::ingest(savepoint, store_id, incoming, raw).await).await? {
        Savepoint::Done(done) => Ok(RowResult::Ingested(done)),
        Savepoint::Failed(AppError::Internal(e)) => {
            let text = describe(e.as_ref());
            tracing::error!(row, external_id = %incoming.external_id, error = %text, "storing a row failed");
            rejected("record", format!("database error: {text}"))
        }
        Savepoint::Failed(other) => rejected("record", other.message()),
        Savepoint::Panicked(message) => {
            tracing::error!(row, external_id = %incoming.external_id, panic = %message, "storing a row panicked; the row is rejected");
            rejected("record", format!("internal error: storing the row panicked ({message}); not imported"))
        }
    }
}

async fn write_chunk(
    db: &DatabaseConnection,
    kind: RecordKind,
    path: &Path,
    rows: Vec<(u64, ReadRow)>,
    stores: &mut HashMap<String, Option<i32>>,
    summary: &mut Summary,
    rejects: &mut Rejects,
) -> Result<(), ImportError> {
    // Rows are read then written: on SQLite the chunk takes the write lock at once, so
    // a server writing beside the import makes it wait instead of failing busy.
    let txn = crate::db::begin_bulk(db).await.map_err(db_err("opening a transaction"))?;
    let mut touched = Vec::new();
    let mut results: Vec<(u64, RowResult)> = Vec::with_capacity(rows.len());
    let mut prepared = Vec::with_capacity(rows.len());
    for (row, read) in rows {
        match read {
            Ok(raw) => match prepare_row(&txn, kind, row, raw, stores).await? {
                Ok(ready) => prepared.push(ready),
                Err(rejected) => results.push((row, rejected)),
            },
            Err(problems) => results.push((row, RowResult::Rejected(problems))),
        }
    }
    // The chunk's known source records in one statement: unchanged rows are done
    // without a statement of their own.
    let keys: Vec<(i32, &ingest::Incoming)> = prepared.iter().map(|p| (p.store_id, &p.incoming)).collect();
    let known = ingest::known_sources(&txn, &keys).await.map_err(database("looking up source records"))?;
    let mut pending: Vec<&Prepared> = Vec::new();
    let mut pending_keys = std::collections::HashSet::new();
    for ready in &prepared {
        let key = ingest::key_of(ready.store_id, &ready.incoming);
        match ingest::unchanged(known.get(&key), &ready.incoming) {
            // Unchanged, unless an earlier row of the chunk changes the same record.
            Some(done) if !pending_keys.contains(&key) => results.push((ready.row, RowResult::Ingested(done))),
            _ => {
                pending_keys.insert(key);
                pending.push(ready);
            }
        }
    }
    // The rest as one set (a few reads, multi-row writes) in a savepoint; should the set
    // fail, row by row, each in its own savepoint, so only a faulty row is rejected.
    if !pending.is_empty() {
        let rows: Vec<(i32, &ingest::Incoming, &Raw)> =
            pending.iter().map(|p| (p.store_id, &p.incoming, &p.raw)).collect();
        match in_savepoint(&txn, async |savepoint| ingest::ingest_chunk(savepoint, &rows, Some(&known)).await).await? {
            Savepoint::Done(done) => {
                results.extend(pending.iter().zip(done).map(|(p, done)| (p.row, RowResult::Ingested(done))));
            }
            Savepoint::Failed(_) | Savepoint::Panicked(_) => {
                for ready in pending {
                    results.push((ready.row, store_row(&txn, ready).await?));
                }
            }
        }
    }
    results.sort_by_key(|(row, _)| *row);
    for (row, result) in results {
        match result {
            RowResult::Ingested(done) => {
                match done.outcome {
                    Outcome::Created => summary.created += 1,
                    Outcome::Updated => summary.updated += 1,
                    Outcome::Unchanged => summary.unchanged += 1,
                }
                if done.outcome != Outcome::Unchanged {
                    touched.push(i64::from(done.source_record_id));
                }
            }
            RowResult::Rejected(problems) => {
                summary.rejected += 1;
                for (column, reason) in problems {
                    rejects.add(row, &column, &reason)?;
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
        .map_err(database("writing the audit entry"))?;
    }
    txn.commit().await.map_err(db_err("committing rows"))
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    use super::*;

    #[tokio::test]
    async fn a_panic_is_caught_with_its_message() {
        assert_eq!(guarded(async { 7 }).await, Ok(7));
        let caught = guarded(async {
            let text = String::from("杭州新客科技");
            // The byte slice that cuts a character, as a buggy normaliser would.
            let cut = 17;
            text.get(..cut).map(str::len).unwrap_or_else(|| panic!("byte index {cut} is not a char boundary"))
        })
        .await;
        assert_eq!(caught, Err("byte index 17 is not a char boundary".to_owned()));
    }

    async fn count(txn: &DatabaseTransaction) -> i64 {
        let row = txn
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT count(*) AS n FROM t".to_owned()))
            .await
            .expect("count")
            .expect("row");
        row.try_get::<i64>("", "n").expect("n")
    }

    /// A row whose work panics half-way through its writes leaves nothing behind and
    /// the chunk's transaction goes on and commits the other rows.
    #[tokio::test]
    async fn a_row_that_panics_in_its_savepoint_is_rolled_back_and_the_chunk_goes_on() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.expect("sqlite");
        let txn = db.begin().await.expect("begin");
        txn.execute_unprepared("CREATE TABLE t (n INTEGER)").await.expect("table");
        let first = in_savepoint(&txn, async |sp| {
            sp.execute_unprepared("INSERT INTO t VALUES (1)").await?;
            Ok(())
        })
        .await
        .expect("first");
        assert!(matches!(first, Savepoint::Done(())));
        let panicked = in_savepoint(&txn, async |sp| -> AppResult<()> {
            sp.execute_unprepared("INSERT INTO t VALUES (2)").await?;
            panic!("injected")
        })
        .await
        .expect("the transaction survives");
        assert!(matches!(panicked, Savepoint::Panicked(ref m) if m == "injected"));
        let failed = in_savepoint(&txn, async |sp| -> AppResult<()> {
            sp.execute_unprepared("INSERT INTO t VALUES (3)").await?;
            sp.execute_unprepared("INSERT INTO nowhere VALUES (3)").await?;
            Ok(())
        })
        .await
        .expect("the transaction survives");
        let Savepoint::Failed(e) = failed else { panic!("not failed") };
        assert!(cause(&e).contains("nowhere"), "{}", cause(&e));
        assert_eq!(count(&txn).await, 1);
        txn.commit().await.expect("commit");
    }

    #[test]
    fn exit_status_tells_all_in_from_some_rejected() {
        assert_eq!(Summary { read: 3, created: 3, ..Summary::default() }.exit_status(), 0);
        assert_eq!(Summary { read: 3, created: 2, rejected: 1, ..Summary::default() }.exit_status(), 2);
        assert_eq!(ImportError::EXIT_STATUS, 1);
    }

    #[test]
    fn rows_with_the_wrong_number_of_cells_or_an_open_quote_are_invalid() {
        let headers: Vec<String> = ["a", "b", "c"].map(String::from).into();
        assert!(matches!(read_row(&headers, "1,2,3"), Row::Valid(_)));
        assert!(matches!(read_row(&headers, " , ,"), Row::Blank));
        assert!(matches!(read_row(&headers, "1,2,3,4"), Row::Invalid(p) if p[0].1.contains("more than")));
        assert!(matches!(read_row(&headers, "1,2"), Row::Invalid(p) if p[0].1.contains("fewer than")));
        assert!(matches!(read_row(&headers, "1,\"2,3"), Row::Invalid(p) if p[0].0 == "b"));
    }
}
