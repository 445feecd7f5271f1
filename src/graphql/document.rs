//! Checks on a query document before it runs: which operation it is, and limits on
//! aliases and selected fields that depth and complexity limits do not cover.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::parser::{Positioned, parse_query};

use crate::error::AppError;

#[derive(Debug, Clone, Copy)]
pub struct DocumentLimits {
    pub max_aliases: usize,
    pub max_fields: usize,
    /// Whether `__schema` and `__type` may be asked for (development only).
    pub introspection: bool,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        Self { max_aliases: 30, max_fields: 600, introspection: true }
    }
}

fn asks_introspection(set: &Positioned<SelectionSet>) -> bool {
    set.node.items.iter().any(|selection| match &selection.node {
        Selection::Field(field) => matches!(field.node.name.node.as_str(), "__schema" | "__type"),
        Selection::InlineFragment(inline) => asks_introspection(&inline.node.selection_set),
        Selection::FragmentSpread(_) => false,
    })
}

/// What a check learnt about a document that parses.
pub struct Checked {
    pub operation: Option<OperationType>,
}

fn count(
    doc: &ExecutableDocument,
    set: &Positioned<SelectionSet>,
    aliases: &mut usize,
    fields: &mut usize,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    for selection in &set.node.items {
        match &selection.node {
            Selection::Field(field) => {
                *fields += 1;
                if field.node.alias.is_some() {
                    *aliases += 1;
                }
                count(doc, &field.node.selection_set, aliases, fields, depth + 1);
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = doc.fragments.get(&spread.node.fragment_name.node) {
                    count(doc, &fragment.node.selection_set, aliases, fields, depth + 1);
                }
            }
            Selection::InlineFragment(inline) => count(doc, &inline.node.selection_set, aliases, fields, depth + 1),
        }
    }
}

/// Parses `query` and applies the limits. A document that does not parse is left to
/// the engine, which reports the syntax error.
pub fn check(query: &str, operation_name: Option<&str>, limits: DocumentLimits) -> Result<Option<Checked>, AppError> {
    let Ok(doc) = parse_query(query) else { return Ok(None) };
    if !limits.introspection {
        let root_sets: Vec<&Positioned<SelectionSet>> = match &doc.operations {
            DocumentOperations::Single(op) => vec![&op.node.selection_set],
            DocumentOperations::Multiple(ops) => ops.values().map(|op| &op.node.selection_set).collect(),
        };
        let in_fragments = doc.fragments.values().any(|f| asks_introspection(&f.node.selection_set));
        if in_fragments || root_sets.into_iter().any(asks_introspection) {
            return Err(AppError::Forbidden("introspection is disabled in production".into()));
        }
    }
    let (mut aliases, mut fields) = (0, 0);
    let operation = match &doc.operations {
        DocumentOperations::Single(op) => {
            count(&doc, &op.node.selection_set, &mut aliases, &mut fields, 0);
            Some(op.node.ty)
        }
        DocumentOperations::Multiple(ops) => {
            for op in ops.values() {
                count(&doc, &op.node.selection_set, &mut aliases, &mut fields, 0);
            }
            operation_name.and_then(|name| ops.iter().find(|(n, _)| n.as_str() == name)).map(|(_, op)| op.node.ty)
        }
    };
    if aliases > limits.max_aliases {
        return Err(AppError::bad_input(
            "query",
            format!("too many aliases: {aliases} (at most {})", limits.max_aliases),
        ));
    }
    if fields > limits.max_fields {
        return Err(AppError::bad_input("query", format!("too many fields: {fields} (at most {})", limits.max_fields)));
    }
    Ok(Some(Checked { operation }))
}
