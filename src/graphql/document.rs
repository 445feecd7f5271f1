//! Checks on a query document before it runs: which operation it is, and limits on
//! aliases and selected fields that depth and complexity limits do not cover.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet};
use std::collections::HashMap;
use std::sync::Arc;

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

/// (aliases, fields) a selection set stands for, with fragments counted as often as they
/// are spread. Each fragment is counted once and remembered, so a chain of fragments that
/// spread each other twice costs linear time, not exponential; counts saturate, and a
/// chain deeper than [`MAX_NESTING`] counts as unbounded (refused).
fn count(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    memo: &mut HashMap<String, (usize, usize)>,
    depth: usize,
) -> (usize, usize) {
    if depth > MAX_NESTING {
        return (usize::MAX, usize::MAX);
    }
    let mut total = (0usize, 0usize);
    for selection in &set.items {
        let (aliases, fields) = match &selection.node {
            Selection::Field(field) => {
                let (a, f) = count(doc, &field.node.selection_set.node, memo, depth + 1);
                (a.saturating_add(usize::from(field.node.alias.is_some())), f.saturating_add(1))
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                match (memo.get(name), doc.fragments.get(&spread.node.fragment_name.node)) {
                    (Some(known), _) => *known,
                    (None, Some(fragment)) => {
                        // A cycle (refused by validation later) counts as nothing meanwhile.
                        memo.insert(name.to_owned(), (0, 0));
                        let counted = count(doc, &fragment.node.selection_set.node, memo, depth + 1);
                        memo.insert(name.to_owned(), counted);
                        counted
                    }
                    (None, None) => (0, 0),
                }
            }
            Selection::InlineFragment(inline) => count(doc, &inline.node.selection_set.node, memo, depth + 1),
        };
        total = (total.0.saturating_add(aliases), total.1.saturating_add(fields));
    }
    total
}

/// The deepest nesting of brackets (`{`, `[`, `(`) a request may have, in its document
/// and in its variables. The parser and the JSON reader recurse once per level, so this
/// bound is what keeps the stack safe; real queries stay far below it (selection depth
/// alone is limited to 16).
pub const MAX_NESTING: usize = 64;

/// The deepest bracket nesting of a GraphQL document, ignoring strings, block strings
/// and comments; stops counting once `limit` is passed. One pass over the bytes, no
/// recursion, so any input is measured in linear time and constant stack.
pub fn graphql_nesting(text: &str, limit: usize) -> usize {
    let bytes = text.as_bytes();
    let (mut i, mut depth, mut deepest) = (0, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") { 4 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > limit {
                    return deepest;
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// The deepest nesting of arrays and objects in JSON text, ignoring strings; stops
/// counting once `limit` is passed. Linear time, constant stack.
pub fn json_nesting(bytes: &[u8], limit: usize) -> usize {
    let (mut i, mut depth, mut deepest) = (0, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > limit {
                    return deepest;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// Documents kept parsed, by their text: front ends repeat the same few queries, so each
/// is parsed once — by the limits check, the engine and the response ordering alike.
/// Bounded: at most [`CACHE_ENTRIES`] documents of at most [`CACHE_MAX_QUERY`] bytes (the
/// cache starts over when full).
static PARSED: std::sync::LazyLock<std::sync::Mutex<HashMap<Box<str>, Arc<ExecutableDocument>>>> =
    std::sync::LazyLock::new(Default::default);
pub const CACHE_ENTRIES: usize = 512;
pub const CACHE_MAX_QUERY: usize = 16 * 1024;

/// `query` parsed, from the cache when it was parsed before; `None` when it nests too
/// deeply or does not parse (the engine then reports the error).
pub fn parsed(query: &str) -> Option<Arc<ExecutableDocument>> {
    let lock = || PARSED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(doc) = lock().get(query) {
        return Some(doc.clone());
    }
    if graphql_nesting(query, MAX_NESTING) > MAX_NESTING {
        return None;
    }
    let doc = Arc::new(parse_query(query).ok()?);
    if query.len() <= CACHE_MAX_QUERY {
        let mut cache = lock();
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(query.into(), doc.clone());
    }
    Some(doc)
}

/// The refusal of a request nested deeper than [`MAX_NESTING`].
pub fn too_deep(what: &str) -> AppError {
    AppError::TooDeep(format!("{what} nests deeper than {MAX_NESTING} levels"))
}

/// Parses `query` and applies the limits. A document that does not parse is left to
/// the engine, which reports the syntax error; one nested too deeply never reaches the
/// parser.
pub fn check(query: &str, operation_name: Option<&str>, limits: DocumentLimits) -> Result<Option<Checked>, AppError> {
    if graphql_nesting(query, MAX_NESTING) > MAX_NESTING {
        return Err(too_deep("query"));
    }
    let Some(doc) = parsed(query) else { return Ok(None) };
    if let Some(argument) = super::literals::string_for_enum(&doc) {
        return Err(AppError::Invalid(format!(
            "`{argument}` takes an enum value: write it without quotes (a string is not an enum value)"
        )));
    }
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
    let (mut aliases, mut fields) = (0usize, 0usize);
    let mut memo = HashMap::new();
    let mut add = |set: &Positioned<SelectionSet>| {
        let (a, f) = count(&doc, &set.node, &mut memo, 0);
        aliases = aliases.saturating_add(a);
        fields = fields.saturating_add(f);
    };
    let operation = match &doc.operations {
        DocumentOperations::Single(op) if operation_name.is_none() => {
            add(&op.node.selection_set);
            Some(op.node.ty)
        }
        DocumentOperations::Single(op) => {
            // A name asked for that the document's one anonymous operation does not
            // have: the engine refuses it, nothing runs.
            add(&op.node.selection_set);
            None
        }
        DocumentOperations::Multiple(ops) => {
            for op in ops.values() {
                add(&op.node.selection_set);
            }
            // The operation that will run: the one named, or the only one. A named
            // operation alone in its document is the one that runs without a name.
            match operation_name {
                Some(name) => ops.iter().find(|(n, _)| n.as_str() == name).map(|(_, op)| op.node.ty),
                None if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
                None => None,
            }
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

/// The response keys of a selection set in the order the document asks for them, each
/// with the selection sets below it (fragments expanded in place; a key asked twice
/// keeps its first place and merges its sub-selections).
fn response_keys<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    out: &mut Vec<(&'a str, Vec<&'a SelectionSet>)>,
    depth: usize,
) {
    if depth > MAX_NESTING {
        return;
    }
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let key = field.node.response_key().node.as_str();
                let below = &field.node.selection_set.node;
                match out.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, sets)) => sets.push(below),
                    None => out.push((key, vec![below])),
                }
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = doc.fragments.get(&spread.node.fragment_name.node) {
                    response_keys(doc, &fragment.node.selection_set.node, out, depth + 1);
                }
            }
            Selection::InlineFragment(inline) => response_keys(doc, &inline.node.selection_set.node, out, depth + 1),
        }
    }
}

fn reorder<'a>(doc: &'a ExecutableDocument, sets: &[&'a SelectionSet], value: &mut async_graphql::Value, depth: usize) {
    use async_graphql::Value;
    if depth > MAX_NESTING {
        return;
    }
    match value {
        Value::Object(map) => reorder_object(doc, &keys_of(doc, sets), map, depth),
        Value::List(items) => {
            // The objects of a list share one selection: its keys are found once.
            let mut keys = None;
            for item in items {
                match item {
                    Value::Object(map) => {
                        let keys = keys.get_or_insert_with(|| keys_of(doc, sets));
                        reorder_object(doc, keys, map, depth + 1);
                    }
                    other => reorder(doc, sets, other, depth + 1),
                }
            }
        }
        _ => {}
    }
}

type Keys<'a> = Vec<(&'a str, Vec<&'a SelectionSet>)>;

fn keys_of<'a>(doc: &'a ExecutableDocument, sets: &[&'a SelectionSet]) -> Keys<'a> {
    let mut keys = Vec::new();
    for set in sets {
        response_keys(doc, set, &mut keys, 0);
    }
    keys
}

fn reorder_object(
    doc: &ExecutableDocument,
    keys: &Keys<'_>,
    map: &mut async_graphql::indexmap::IndexMap<async_graphql::Name, async_graphql::Value>,
    depth: usize,
) {
    if depth > MAX_NESTING {
        return;
    }
    // Mostly the fields already came in the document's order: then only what is below
    // them is looked at, and the object is not rebuilt.
    let in_order = map.len() == keys.len() && map.keys().zip(keys).all(|(name, (key, _))| name.as_str() == *key);
    if in_order {
        for ((_, below), value) in keys.iter().zip(map.values_mut()) {
            reorder(doc, below, value, depth + 1);
        }
        return;
    }
    let mut old = std::mem::take(map);
    for (key, below) in keys {
        if let Some((name, mut inner)) = old.swap_remove_entry(*key) {
            reorder(doc, below, &mut inner, depth + 1);
            map.insert(name, inner);
        }
    }
    // Anything the document did not name (never expected) keeps its place after.
    map.extend(old);
}

/// Puts the fields of `data` in the order the query asked for them (GraphQL spec: the
/// response SHOULD follow the query's order). The engine resolves sibling fields
/// concurrently and records them as they finish; this restores the query's order.
pub fn order_response(doc: &ExecutableDocument, operation_name: Option<&str>, data: &mut async_graphql::Value) {
    if matches!(data, async_graphql::Value::Null) {
        return;
    }
    let operation = match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) => ops.values().next().filter(|_| ops.len() == 1),
    };
    if let Some(op) = operation {
        reorder(doc, &[&op.node.selection_set.node], data, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_parsed_once_and_deep_ones_never() {
        let query = "{ me { username } stores { code } }";
        let first = parsed(query).expect("parses");
        let again = parsed(query).expect("parses");
        assert!(Arc::ptr_eq(&first, &again), "the second look-up is the cached document");
        let deep = format!("{{ me {}{} }}", "{ me ".repeat(10_000), "}".repeat(10_000));
        assert!(parsed(&deep).is_none());
        assert!(parsed("{ unclosed").is_none());
        let big = format!("{{ me {{ username }} }} #{}", "x".repeat(CACHE_MAX_QUERY));
        let a = parsed(&big).expect("parses");
        let b = parsed(&big).expect("parses");
        assert!(!Arc::ptr_eq(&a, &b), "documents over the size bound are not kept");
    }

    #[test]
    fn nesting_ignores_strings_and_comments() {
        assert_eq!(graphql_nesting("{ a(x: \"[[[\") { b } } # {{{", 100), 2);
        assert_eq!(graphql_nesting("{ a(x: \"\"\"[[ \\\"\"\" ]]\"\"\") }", 100), 2);
        assert_eq!(json_nesting(br#"{"a": "[[[", "b": [[1]]}"#, 100), 3);
        assert!(graphql_nesting(&"[".repeat(1_000_000), MAX_NESTING) > MAX_NESTING);
    }
}
