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
}

#[derive(clap::Args)]
struct ImportArgs {
    #[command(flatten)]
    db: DbConfig,
    /// Which system's layout the file has.
    #[arg(long, value_parser = ["sales", "service", "insurance", "parts"])]
    source: String,
    /// Where rejected rows are listed (row, column, reason); default FILE.rejects.csv.
    #[arg(long)]
    rejects: Option<std::path::PathBuf>,
    /// The CSV file (UTF-8, with or without BOM, header row).
    file: std::path::PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("HUB_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_target(false)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Permissions => {
            print!("{}", customer_hub::domain::access::markdown_table());
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
        Command::Import(args) => {
            let kind = customer_hub::import::kind_of(&args.source).ok_or("unknown --source")?;
            let conn = db::connect(&args.db).await.map_err(|e| format!("cannot open the database: {e}"))?;
            db::migrate(&conn).await.map_err(|e| format!("migration failed: {e}"))?;
            let rejects = args.rejects.unwrap_or_else(|| customer_hub::import::default_rejects(&args.file));
            let summary = customer_hub::import::import_file(&conn, kind, &args.file, &rejects).await?;
            println!("{}: {summary}", args.file.display());
            if summary.rejected > 0 {
                println!("rejected rows are listed in {}", rejects.display());
            }
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
    let conn = db::connect(&cfg.db).await.map_err(|e| format!("cannot open the database: {e}"))?;
    db::migrate(&conn).await.map_err(|e| format!("migration failed: {e}"))?;
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
    };
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
