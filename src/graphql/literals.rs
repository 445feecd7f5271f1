//! Enum arguments must be written as enum values: `sort: NAME`, never `sort: "NAME"`.
//! The engine accepts a string where an enum is expected (so that variables, which are
//! JSON, can carry enums), which would let a document literal pass as well; the
//! GraphQL spec refuses it. This check walks a document's literal argument values with
//! the types of the hub's own schema and names the first string given for an enum.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet, Type, TypeKind,
    TypeSystemDefinition,
};
use async_graphql_value::Value;

use super::document::MAX_NESTING;

/// What the check needs to know of the schema: per object, its fields' argument and
/// result types; per input object, its fields' types; the enum names.
#[derive(Default)]
struct Types {
    /// (object, field) → (result type, argument → type).
    fields: HashMap<(String, String), (String, HashMap<String, String>)>,
    /// (input object, field) → type.
    inputs: HashMap<(String, String), String>,
    enums: HashSet<String>,
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

static TYPES: LazyLock<Types> = LazyLock::new(|| {
    let mut types = Types::default();
    let Ok(doc) = parse_schema(super::sdl().as_str()) else { return types };
    for definition in doc.definitions {
        let TypeSystemDefinition::Type(ty) = definition else { continue };
        let name = ty.node.name.node.to_string();
        match ty.node.kind {
            TypeKind::Object(object) => {
                for field in object.fields {
                    let args = field
                        .node
                        .arguments
                        .iter()
                        .map(|a| (a.node.name.node.to_string(), named(&a.node.ty.node).to_owned()))
                        .collect();
                    let key = (name.clone(), field.node.name.node.to_string());
                    types.fields.insert(key, (named(&field.node.ty.node).to_owned(), args));
                }
            }
            TypeKind::InputObject(input) => {
                for field in input.fields {
                    let key = (name.clone(), field.node.name.node.to_string());
                    types.inputs.insert(key, named(&field.node.ty.node).to_owned());
                }
            }
            TypeKind::Enum(_) => {
                types.enums.insert(name);
            }
            _ => {}
        }
    }
    types
});

/// The name of the first argument (or input field) given a string literal where the
/// schema expects an enum, if any.
pub fn string_for_enum(doc: &ExecutableDocument) -> Option<String> {
    let types = &*TYPES;
    let mut walker = Walker { types, doc, found: None, walked: HashSet::new() };
    match &doc.operations {
        DocumentOperations::Single(op) => walker.set(root(op.node.ty), &op.node.selection_set.node, 0),
        DocumentOperations::Multiple(ops) => {
            for op in ops.values() {
                walker.set(root(op.node.ty), &op.node.selection_set.node, 0);
            }
        }
    }
    walker.found
}

fn root(ty: OperationType) -> &'static str {
    match ty {
        OperationType::Query => "Query",
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
    }
}

struct Walker<'a> {
    types: &'a Types,
    doc: &'a ExecutableDocument,
    found: Option<String>,
    /// Fragments already walked: each is checked once however often it is spread (its
    /// type condition fixes its types), so fragments spreading each other cost linear time.
    walked: HashSet<String>,
}

impl Walker<'_> {
    fn set(&mut self, parent: &str, set: &SelectionSet, depth: usize) {
        if depth > MAX_NESTING || self.found.is_some() {
            return;
        }
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let key = (parent.to_owned(), field.node.name.node.to_string());
                    let Some((result, args)) = self.types.fields.get(&key) else { continue };
                    for (name, value) in &field.node.arguments {
                        if let Some(ty) = args.get(name.node.as_str()) {
                            self.value(name.node.as_str(), ty, &value.node, 0);
                        }
                    }
                    self.set(result, &field.node.selection_set.node, depth + 1);
                }
                Selection::InlineFragment(inline) => {
                    let on = inline.node.type_condition.as_ref().map_or(parent, |c| c.node.on.node.as_str());
                    self.set(on, &inline.node.selection_set.node, depth + 1);
                }
                Selection::FragmentSpread(spread) => {
                    if !self.walked.insert(spread.node.fragment_name.node.to_string()) {
                        continue;
                    }
                    if let Some(fragment) = self.doc.fragments.get(&spread.node.fragment_name.node) {
                        let on = fragment.node.type_condition.node.on.node.as_str();
                        self.set(on, &fragment.node.selection_set.node, depth + 1);
                    }
                }
            }
        }
    }

    fn value(&mut self, name: &str, ty: &str, value: &Value, depth: usize) {
        if depth > MAX_NESTING || self.found.is_some() {
            return;
        }
        match value {
            Value::String(_) if self.types.enums.contains(ty) => self.found = Some(name.to_owned()),
            Value::List(items) => items.iter().for_each(|item| self.value(name, ty, item, depth + 1)),
            Value::Object(fields) => {
                for (field, inner) in fields {
                    if let Some(field_ty) = self.types.inputs.get(&(ty.to_owned(), field.to_string())) {
                        self.value(field.as_str(), field_ty, inner, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
}
