//! The `customer-hub` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use customer_hub::auth::TokenKeys;
use customer_hub::config::{DbConfig, Environment, ServeConfig};
use customer_hub::graphql::{self, SchemaOptions};
use customer_hub::http::{self, AppState};
use customer_hub::{db, demo};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "customer-hub", version, about = "The group-wide customer hub of a car-dealer group")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the GraphQL API (applies pending migrations first).
    Serve(ServeConfig),
    /// Apply pending database migrations.
    Migrate(DbConfig),
    /// Seed the demo dealer group into an empty database.
    SeedDemo(DbConfig),
    /// Print the GraphQL schema (SDL), as committed in schema.graphql.
    ExportSchema,
    /// Import a department system's CSV export (sales, service, insurance or parts).
    Import(ImportArgs),
    /// Print the permission matrix (role × record × action → scope) as a Markdown table.
    Permissions,
    /// Prints the KPI catalogue (as in README.md).
    Kpis,
    /// SQL access for BI tools: the `bi` views and their login roles.
    #[command(subcommand)]
    Bi(BiCommand),
    /// Background work: care tasks, expiry, complaint escalation.
    #[command(subcommand)]
    Jobs(JobsCommand),
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Runs the care jobs once: generates the tasks due (idempotent), expires stale
    /// ones, escalates overdue complaints; prints what it did.
    Run(JobsRunArgs),
}

#[derive(clap::Args)]
struct JobsRunArgs {
    #[command(flatten)]
    db: DbConfig,
    #[command(flatten)]
    care: customer_hub::config::CareConfig,
}

#[derive(Subcommand)]
enum BiCommand {
    /// Creates (or re-creates) the `bi` views.
    Views(BiViewsArgs),
    /// Creates or updates a PostgreSQL login role that reads the `bi` views only.
    /// The password comes from HUB_BI_PASSWORD or is read from standard input.
    Grant(BiGrantArgs),
}

#[derive(clap::Args)]
struct BiViewsArgs {
    #[command(flatten)]
    db: DbConfig,
    #[command(flatten)]
    kpi: customer_hub::config::KpiConfig,
}

#[derive(clap::Args)]
struct BiGrantArgs {
    #[command(flatten)]
    db: DbConfig,
    /// The role's name (lowercase letters, digits, _).
    #[arg(long)]
    role: String,
}

#[derive(clap::Args)]
struct ImportArgs {
    #[command(flatten)]
    db: DbConfig,
    #[command(flatten)]
    matching: customer_hub::config::MatchConfig,
    /// Which system's layout the file has.
    #[arg(long, value_parser = ["sales", "service", "insurance", "parts"])]
    source: String,
    /// Where rejected rows are listed (row, column, reason); default FILE.rejects.csv.
    #[arg(long)]
    rejects: Option<std::path::PathBuf>,
    /// The file's encoding (e.g. gb18030), instead of recognising it (UTF-8 or GBK/GB18030).
    #[arg(long)]
    encoding: Option<String>,
    /// The CSV file (UTF-8 with or without BOM, or GBK/GB18030; header row).
    file: std::path::PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("HUB_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_target(false)
        .init();
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, String> {
    let done = match cli.command {
        Command::Permissions => {
            print!("{}", customer_hub::domain::access::markdown_table());
            Ok(())
        }
        Command::Kpis => {
            print!("{}", customer_hub::domain::kpi::catalogue::markdown_table());
            Ok(())
        }
        Command::ExportSchema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Migrate(cfg) => {
            let conn = db::connect(&cfg).await.map_err(|e| format!("cannot open the database: {e}"))?;
            db::migrate(&conn).await.map_err(|e| format!("migration failed: {e}"))?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::SeedDemo(cfg) => {
            let conn = db::connect(&cfg).await.map_err(|e| format!("cannot open the database: {e}"))?;
            db::migrate(&conn).await.map_err(|e| format!("migration failed: {e}"))?;
            seed(&conn).await
        }
        Command::Serve(cfg) => serve(cfg).await,
        Command::Bi(command) => bi(command).await,
        Command::Jobs(JobsCommand::Run(args)) => {
            let settings = args.care.settings()?;
            let conn = db::connect(&args.db).await.map_err(|e| format!("cannot open the database: {e}"))?;
            db::migrate(&conn).await.map_err(|e| format!("migration failed: {e}"))?;
            let report = customer_hub::domain::care::run_jobs(&conn, &settings, chrono::Utc::now())
                .await
                .map_err(|e| format!("the care jobs failed: {}", e.log_text()))?;
            for (kind, n) in &report.created {
                println!("created {n} {} task(s)", kind.as_str());
            }
            println!(
                "expired {} task(s), cancelled {} renewal reminder(s), escalated {} complaint(s), {} new VIP(s), {} VIP(s) lapsed",
                report.expired, report.cancelled, report.escalated, report.vip_given, report.vip_taken
            );
            Ok(())
        }
        Command::Import(args) => return Ok(import(args).await),
    };
    done.map(|()| ExitCode::SUCCESS)
}

/// `customer-hub import`: exit status 0 when every row went in, 2 when some rows were
/// rejected (the summary says how many), 1 when the file could not be imported at all
/// (missing, unreadable encoding, wrong layout, database failure) — with the cause on
/// stderr.
async fn import(args: ImportArgs) -> ExitCode {
    use customer_hub::import::{self, ImportError, Options};

    let failed = |message: String| {
        eprintln!("customer-hub import: {message}");
        ExitCode::from(ImportError::EXIT_STATUS)
    };
    if let Err(e) = args.matching.apply() {
        return failed(e);
    }
    let Some(kind) = import::kind_of(&args.source) else {
        return failed(format!("unknown --source `{}`", args.source));
    };
    let encoding = match args.encoding.as_deref().map(import::encoding_for_label).transpose() {
        Ok(encoding) => encoding,
        Err(e) => return failed(e.to_string()),
    };
    let conn = match db::connect(&args.db).await {
        Ok(conn) => conn,
        Err(e) => return failed(format!("cannot open the database: {e}")),
    };
    if let Err(e) = db::migrate(&conn).await {
        return failed(format!("migration failed: {e}"));
    }
    let rejects = args.rejects.unwrap_or_else(|| import::default_rejects(&args.file));
    match import::import_file_with(&conn, kind, &args.file, &rejects, &Options { encoding }).await {
        Ok(summary) => {
            println!("{}: {summary}", args.file.display());
            if summary.rejected > 0 {
                println!("{} rows rejected; they are listed in {}", summary.rejected, rejects.display());
            }
            ExitCode::from(summary.exit_status())
        }
        Err(e) => failed(e.to_string()),
    }
}

async fn bi(command: BiCommand) -> Result<(), String> {
    use customer_hub::domain::kpi::views;
    match command {
        BiCommand::Views(args) => {
            let settings = args.kpi.settings()?;
            let conn = db::connect(&args.db).await.map_err(|e| format!("cannot open the database: {e}"))?;
            db::migrate(&conn).await.map_err(|e| format!("migration failed: {e}"))?;
            views::install(&conn, &settings).await.map_err(|e| e.log_text())?;
            println!("bi views created");
            Ok(())
        }
        BiCommand::Grant(args) => {
            let password = match std::env::var("HUB_BI_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    eprint!("password for role {}: ", args.role);
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let conn = db::connect(&args.db).await.map_err(|e| format!("cannot open the database: {e}"))?;
            db::migrate(&conn).await.map_err(|e| format!("migration failed: {e}"))?;
            views::grant(&conn, &args.role, &password).await.map_err(|e| e.log_text())?;
            println!("role {} may now read the bi views (and nothing else)", args.role);
            Ok(())
        }
    }
}

async fn seed(conn: &sea_orm::DatabaseConnection) -> Result<(), String> {
    let seeded = demo::seed(conn, &demo::DemoConfig::default())
        .await
        .map_err(|e| format!("seeding the demo group failed: {e}"))?;
    if seeded {
        tracing::info!("demo dealer group seeded");
    } else {
        tracing::info!("demo dealer group already present; nothing to do");
    }
    Ok(())
}

async fn serve(cfg: ServeConfig) -> Result<(), String> {
    cfg.validate()?;
    cfg.matching.apply()?;
    let conn = db::connect(&cfg.db).await.map_err(|e| format!("cannot open the database: {e}"))?;
    db::migrate(&conn).await.map_err(|e| format!("migration failed: {e}"))?;
    let kpi_settings = cfg.kpi.settings()?;
    customer_hub::domain::kpi::views::install(&conn, &kpi_settings)
        .await
        .map_err(|e| format!("creating the bi views failed: {}", e.log_text()))?;
    if cfg.demo {
        seed(&conn).await?;
        println!("{}", demo::accounts_banner());
    }
    let keys = match &cfg.jwt_secret {
        Some(secret) => TokenKeys::new(secret.as_bytes(), cfg.token_ttl_secs),
        None => {
            tracing::warn!("HUB_JWT_SECRET not set: using a random secret; tokens end with this process");
            TokenKeys::random(cfg.token_ttl_secs)
        }
    };
    let limits = SchemaOptions {
        depth: cfg.http.max_depth,
        complexity: cfg.http.max_complexity,
        introspection: cfg.environment == Environment::Development,
        source_priority: cfg.source_priority.iter().filter_map(|s| s.trim().parse().ok()).collect(),
        login_per_minute: cfg.http.login_per_minute,
        kpi: kpi_settings.clone(),
        survey: cfg.survey_settings()?,
    };
    let care = cfg.care.settings()?;
    if cfg.jobs_interval_secs > 0 {
        // The care jobs on a timer; safe beside other instances doing the same.
        let (db, every) = (conn.clone(), std::time::Duration::from_secs(cfg.jobs_interval_secs));
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                match customer_hub::domain::care::run_jobs(&db, &care, chrono::Utc::now()).await {
                    Ok(report) => tracing::info!(?report, "care jobs ran"),
                    Err(e) => tracing::warn!(error = %e.log_text(), "care jobs failed; next run retries"),
                }
                return_freed_memory();
            }
        });
    }
    let schema = graphql::build_schema(conn.clone(), keys.clone(), &limits);
    let state = AppState { db: conn.clone(), schema, keys, environment: cfg.environment, http: cfg.http.clone() };
    let listener =
        tokio::net::TcpListener::bind(cfg.listen).await.map_err(|e| format!("cannot listen on {}: {e}", cfg.listen))?;
    tracing::info!("Customer Hub listening on http://{}/graphql", cfg.listen);
    let app = http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))?;
    conn.close().await.map_err(|e| format!("closing the database: {e}"))?;
    tracing::info!("stopped");
    Ok(())
}

/// Hands the heap memory freed since back to the system. The care jobs read a whole
/// group's recent events (tens of megabytes at 200,000 customers) and free them when
/// done, but glibc keeps freed heap for later allocations: without this the server
/// stayed at its peak between runs (78 MB after the jobs at start-up, against 47 MB
/// before them).
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` takes no pointer; it releases glibc's free pages under
    // glibc's own locks and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
