//! The one listing mechanism: every filtered, sorted, keyset-paged list of the API is
//! `list(db, scope, &filter, sort, descending, &args)`. A kind of record brings three
//! things: how it is scoped and which resource it is ([`Listed`]), a filter that turns
//! itself into a condition within the caller's scope ([`ListFilter`]), and a sort enum
//! that names its column and a row's key ([`SortKey`]). The permission check, the scope,
//! the keyset page and the cursor keys are done here, once.

use sea_orm::{Condition, DatabaseConnection, EntityTrait, QueryFilter, Select};

use super::access::{Action, Resource};
use super::keyset::{self, Key, PageArgs, SortValue};
use super::records::Scoped;
use super::scope::Scope;
use crate::error::AppResult;

/// A kind of record that can be listed.
pub trait Listed: Scoped {
    /// Its row of the permission matrix.
    const RESOURCE: Resource;
    fn id_column() -> Self::Column;
    fn id_of(row: &Self::Model) -> i32;
    /// The rows the caller may read at all (the scope's row filter).
    fn visible(scope: &Scope) -> Select<Self> {
        Self::restrict(Self::find(), scope)
    }
}

/// A filter of `E` rows; all its given conditions must hold.
pub trait ListFilter<E: EntityTrait> {
    fn condition(&self, scope: &Scope) -> Condition;
}

/// A sort order of `E` rows (then by id).
pub trait SortKey<E: EntityTrait>: Copy {
    /// The name kept in cursors; a cursor of another sort is refused.
    fn name(self) -> &'static str;
    fn column(self) -> E::Column;
    /// The value of the sort column of `row`.
    fn value(self, row: &E::Model) -> SortValue;
}

/// One page of rows, each with its cursor key.
pub struct Listing<M> {
    pub rows: Vec<(Key, M)>,
    pub has_previous: bool,
    pub has_next: bool,
}

/// One page of the `E` rows the caller may read, narrowed by `filter`, sorted by `sort`
/// then id.
pub async fn list<E, F, S>(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: &F,
    sort: S,
    descending: bool,
    args: &PageArgs,
) -> AppResult<Listing<E::Model>>
where
    E: Listed,
    F: ListFilter<E>,
    S: SortKey<E>,
{
    list_with(scope, filter, sort, descending, args, async |plan: &keyset::PagePlan<E>| {
        Ok(plan.select.clone().all(db).await?)
    })
    .await
}

/// [`list`] with the page's select run by `read` (which may read related records in the
/// same statement, see `graphql::prefetch`); `read` returns the select's rows in order.
pub async fn list_with<E, F, S>(
    scope: &Scope,
    filter: &F,
    sort: S,
    descending: bool,
    args: &PageArgs,
    read: impl AsyncFnOnce(&keyset::PagePlan<E>) -> AppResult<Vec<E::Model>>,
) -> AppResult<Listing<E::Model>>
where
    E: Listed,
    F: ListFilter<E>,
    S: SortKey<E>,
{
    scope.require(E::RESOURCE, Action::Read)?;
    let select = E::visible(scope).filter(filter.condition(scope));
    let plan = keyset::plan(select, sort.name(), sort.column(), E::id_column(), descending, args)?;
    let page = plan.finish(read(&plan).await?);
    let key = |row: &E::Model| Key { s: sort.name().to_owned(), v: sort.value(row), i: E::id_of(row).into() };
    Ok(Listing {
        rows: page.rows.into_iter().map(|row| (key(&row), row)).collect(),
        has_previous: page.has_previous,
        has_next: page.has_next,
    })
}

/// Implements [`SortKey`] for a sort enum: `Variant => "name", Column, |row| value;` per
/// variant (the caller has `SortValue` in scope).
#[macro_export]
macro_rules! sort_key {
    ($sort:ty, $entity:path, $($variant:ident => $name:literal, $column:ident, $value:expr);+ $(;)?) => {
        impl $crate::domain::listing::SortKey<$entity> for $sort {
            fn name(self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }
            fn column(self) -> <$entity as sea_orm::EntityTrait>::Column {
                type Column = <$entity as sea_orm::EntityTrait>::Column;
                match self { $(Self::$variant => Column::$column),+ }
            }
            fn value(self, row: &<$entity as sea_orm::EntityTrait>::Model) -> $crate::domain::keyset::SortValue {
                let value: fn(&<$entity as sea_orm::EntityTrait>::Model) -> $crate::domain::keyset::SortValue = match self {
                    $(Self::$variant => $value),+
                };
                value(row)
            }
        }
    };
}
