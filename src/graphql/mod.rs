//! The GraphQL API: one query and one mutation object per domain, merged.

pub mod audit;
pub mod auth;
pub mod care;
pub mod customers;
pub mod document;
pub mod enums;
pub mod identity;
pub mod ids;
pub mod ingest;
pub mod insurance;
pub mod kpi;
pub mod leads;
pub mod links;
pub mod literals;
pub mod loaders;
pub mod node;
pub mod org;
pub mod pagination;
pub mod parts;
pub mod prefetch;
pub mod sales;
pub mod search;
pub mod service;
pub mod vehicles;

use std::sync::Arc;

use async_graphql::registry::Registry;
use async_graphql::{
    ContainerType, Context, ContextSelectionSet, EmptySubscription, MergedObject, ObjectType, OutputType, Positioned,
    Schema, ServerResult, Value,
};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;

use crate::auth::TokenKeys;
use crate::domain::Scope;
use crate::domain::audit::RequestMeta;
use crate::error::AppError;

#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    org::OrgQuery,
    customers::CustomerQuery,
    search::SearchQuery,
    vehicles::VehicleQuery,
    sales::SalesQuery,
    leads::LeadWorkQuery,
    care::CareQuery,
    service::ServiceQuery,
    insurance::InsuranceQuery,
    identity::IdentityQuery,
    audit::AuditQuery,
    kpi::KpiQueryRoot,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    auth::AuthMutation,
    customers::CustomerMutation,
    sales::SalesMutation,
    leads::LeadWorkMutation,
    care::CareMutation,
    ingest::IngestMutation,
    identity::IdentityMutation,
);

pub type HubSchema = Schema<QueryRoot, Mutation, EmptySubscription>;

/// The schema's query type: [`Query`]'s fields, of which at most a few resolve at once
/// within one request (a document of many aliases each reading the database directly
/// must not take the whole pool; see [`RequestLimits`]). A wrapper rather than an
/// extension: any extension with a `resolve` hook puts every field and every list item
/// of every answer through it (a boxed future and the field's type names as new
/// strings), which was about a tenth of a 50-customer page's CPU.
#[derive(Default)]
pub struct QueryRoot(Query);

impl ContainerType for QueryRoot {
    async fn resolve_field(&self, ctx: &Context<'_>) -> ServerResult<Option<Value>> {
        // A closed semaphore never happens (it is never closed); resolve anyway.
        let _permit = match ctx.data_opt::<RootPermits>() {
            Some(permits) => permits.0.acquire().await.ok(),
            None => None,
        };
        // Boxed: one allocation per root field, and the merged object's deeply nested
        // future stays out of this type (whose layout would exceed the compiler's
        // recursion limit in every crate that runs the schema).
        Box::pin(self.0.resolve_field(ctx)).await
    }

    async fn find_entity(&self, ctx: &Context<'_>, params: &Value) -> ServerResult<Option<Value>> {
        self.0.find_entity(ctx, params).await
    }
}

impl OutputType for QueryRoot {
    fn type_name() -> std::borrow::Cow<'static, str> {
        Query::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Query::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<async_graphql::parser::types::Field>,
    ) -> ServerResult<Value> {
        async_graphql::resolver_utils::resolve_container(ctx, self).await
    }
}

impl ObjectType for QueryRoot {}

/// How the schema is built: limits that protect the server from expensive queries,
/// and the source-system priority used to break survivorship ties in merges.
#[derive(Debug, Clone)]
pub struct SchemaOptions {
    pub depth: usize,
    pub complexity: usize,
    pub introspection: bool,
    pub source_priority: Vec<entity::enums::SourceSystem>,
    /// Logins allowed per client address and minute.
    pub login_per_minute: u32,
    /// The KPI definitions' settings (privacy threshold, windows).
    pub kpi: crate::domain::kpi::Settings,
    /// Survey weights and the threshold that opens a complaint.
    pub survey: crate::domain::surveys::SurveySettings,
}

impl Default for SchemaOptions {
    fn default() -> Self {
        Self {
            depth: 16,
            complexity: 20_000,
            introspection: true,
            source_priority: crate::domain::merge::DEFAULT_PRIORITY.to_vec(),
            login_per_minute: 30,
            kpi: crate::domain::kpi::Settings::default(),
            survey: crate::domain::surveys::SurveySettings::default(),
        }
    }
}

pub fn build_schema(db: DatabaseConnection, keys: TokenKeys, limits: &SchemaOptions) -> HubSchema {
    let mut builder = Schema::build(QueryRoot::default(), Mutation::default(), EmptySubscription)
        .data(db)
        .data(keys)
        .data(identity::SourcePriority(limits.source_priority.clone()))
        .data(crate::domain::auth::LoginGuard::new(limits.login_per_minute))
        .data(limits.kpi.clone())
        .data(limits.survey.clone())
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity);
    if !limits.introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(QueryRoot::default(), Mutation::default(), EmptySubscription).finish().sdl()
}

/// How much of the database one request may use at once.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// Connections: half of them (at least one) for root fields resolving at once, half
    /// for loader statements running at once.
    pub connections: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self { connections: 3 }
    }
}

impl RequestLimits {
    fn roots(self) -> usize {
        self.connections.div_ceil(2).max(1)
    }

    fn loads(self) -> usize {
        (self.connections / 2).max(1)
    }
}

/// The permits for root fields of one request.
struct RootPermits(Arc<tokio::sync::Semaphore>);

/// Executes one request for one caller: where it came from, their scope, and a fresh
/// set of loaders whose batches run inside this request.
pub async fn execute(
    schema: &HubSchema,
    db: &DatabaseConnection,
    request: async_graphql::Request,
    scope: Option<Scope>,
    meta: RequestMeta,
) -> async_graphql::Response {
    execute_with(schema, db, request, scope, meta, RequestLimits::default()).await
}

/// [`execute`] with the request's share of the database given.
pub async fn execute_with(
    schema: &HubSchema,
    db: &DatabaseConnection,
    request: async_graphql::Request,
    scope: Option<Scope>,
    meta: RequestMeta,
    limits: RequestLimits,
) -> async_graphql::Response {
    // Parsed once, here or by the limits check before: the engine validates it as is, and
    // the same document puts the answer in the query's order.
    let doc = document::parsed(&request.query);
    let operation_name = request.operation_name.clone();
    let mut request = request;
    if let Some(doc) = &doc {
        request.set_parsed_query((**doc).clone());
    }
    let request = request.data(meta).data(RootPermits(Arc::new(tokio::sync::Semaphore::new(limits.roots()))));
    let mut response = match scope {
        Some(scope) => {
            let queue = loaders::LoadQueue::new(limits.loads());
            let request = loaders::install(request, db, Arc::new(scope), &queue);
            queue.drive(schema.execute(request)).await
        }
        None => schema.execute(request).await,
    };
    if let Some(doc) = &doc {
        document::order_response(doc, operation_name.as_deref(), &mut response.data);
    }
    response
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

/// Money is stored in fen and shown in yuan with two decimals.
pub(crate) fn yuan(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}
