//! The GraphQL API: one query and one mutation object per domain, merged.

pub mod audit;
pub mod customers;
pub mod document;
pub mod enums;
pub mod identity;
pub mod ingest;
pub mod loaders;
pub mod org;
pub mod pagination;
pub mod records;
pub mod search;
pub mod vehicles;

use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, ID, MergedObject, Schema};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;

use crate::auth::TokenKeys;
use crate::domain::Scope;
use crate::domain::audit::RequestMeta;
use crate::error::AppError;

#[derive(MergedObject, Default)]
pub struct Query(
    org::OrgQuery,
    customers::CustomerQuery,
    search::SearchQuery,
    vehicles::VehicleQuery,
    records::RecordQuery,
    identity::IdentityQuery,
    audit::AuditQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    org::AuthMutation,
    customers::CustomerMutation,
    records::SalesMutation,
    ingest::IngestMutation,
    identity::IdentityMutation,
);

pub type HubSchema = Schema<Query, Mutation, EmptySubscription>;

/// How the schema is built: limits that protect the server from expensive queries,
/// and the source-system priority used to break survivorship ties in merges.
#[derive(Debug, Clone)]
pub struct SchemaOptions {
    pub depth: usize,
    pub complexity: usize,
    pub introspection: bool,
    pub source_priority: Vec<entity::enums::SourceSystem>,
}

impl Default for SchemaOptions {
    fn default() -> Self {
        Self {
            depth: 16,
            complexity: 20_000,
            introspection: true,
            source_priority: crate::domain::merge::DEFAULT_PRIORITY.to_vec(),
        }
    }
}

pub fn build_schema(db: DatabaseConnection, keys: TokenKeys, limits: &SchemaOptions) -> HubSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(db)
        .data(keys)
        .data(identity::SourcePriority(limits.source_priority.clone()))
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity);
    if !limits.introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription).finish().sdl()
}

/// Executes one request for one caller: where it came from, their scope, and a fresh
/// set of loaders whose batches run inside this request.
pub async fn execute(
    schema: &HubSchema,
    db: &DatabaseConnection,
    request: async_graphql::Request,
    scope: Option<Scope>,
    meta: RequestMeta,
) -> async_graphql::Response {
    let request = request.data(meta);
    match scope {
        Some(scope) => {
            let queue = loaders::LoadQueue::default();
            let request = loaders::install(request, db, Arc::new(scope), &queue);
            queue.drive(schema.execute(request)).await
        }
        None => schema.execute(request).await,
    }
}

pub(crate) fn meta<'a>(ctx: &Context<'a>) -> &'a RequestMeta {
    static NONE: std::sync::LazyLock<RequestMeta> = std::sync::LazyLock::new(RequestMeta::default);
    ctx.data_opt::<RequestMeta>().unwrap_or(&NONE)
}

pub(crate) fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// The caller's scope; every field but `login` requires one.
pub(crate) fn scope<'a>(ctx: &Context<'a>) -> Result<&'a Scope, AppError> {
    ctx.data_opt::<Arc<Scope>>().map(|s| s.as_ref()).ok_or(AppError::Unauthenticated)
}

/// Ids are numbers; anything else names no record.
pub(crate) fn parse_id(id: &ID) -> Option<i32> {
    id.parse().ok()
}

/// Money is stored in fen and shown in yuan with two decimals.
pub(crate) fn yuan(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}
