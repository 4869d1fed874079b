//! Start-up: turn the mounted operations into one checked OpenAPI document.

mod callbacks;
mod schema_pointer;

use std::collections::BTreeMap;
use std::fmt;

use schemars::generate::SchemaSettings;
use schemars::SchemaGenerator;
use serde_json::Value;

use crate::api::{Entry, EntryKind};
use crate::describe::{OperationBuilder, OperationSpec};
use crate::openapi::{Components, Info, OpenApi, Operation, Response, OPENAPI_VERSION};
use crate::serve::validation::HttpValidationError;

pub(crate) const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

/// The problems found while assembling the document, all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssemblyError {
    /// One sentence per problem, naming the operation and what is wrong.
    pub problems: Vec<String>,
}

impl fmt::Display for AssemblyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the OpenAPI document has {} problem(s):",
            self.problems.len()
        )?;
        for problem in &self.problems {
            writeln!(f, "- {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AssemblyError {}

/// A mounted operation with its full path.
pub(crate) struct Mounted {
    pub(crate) path: String,
    pub(crate) spec: OperationSpec,
}

pub(crate) fn assemble(info: Info, entries: &[Entry]) -> Result<OpenApi, AssemblyError> {
    let mut mounted = Vec::new();
    collect("", entries, &mut mounted);
    let mut generator = SchemaGenerator::new(SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
    }));
    let mut problems = Vec::new();
    let mut operations = Vec::new();
    for m in mounted.iter().filter(|m| !m.spec.hidden) {
        let doc_path = document_path(&m.path);
        match describe_operation(&mut generator, m, &doc_path) {
            Ok(operation) => operations.push((doc_path, m, operation)),
            Err(errors) => problems.extend(errors),
        }
    }

    let mut components = Components::default();
    callbacks::attach(
        &mut generator,
        &mut operations,
        &mut components,
        &mut problems,
    );

    let mut paths = BTreeMap::<String, crate::openapi::PathItem>::new();
    let mut ids = OperationIds::default();
    for (path, m, operation) in operations {
        let method = m.spec.method.as_str();
        let name = format!(
            "`{} {path}` (handler `{}`)",
            method.to_uppercase(),
            m.spec.handler
        );
        ids.claim(&operation.operation_id, name, &mut problems);
        for (callback_name, callback) in &operation.callbacks {
            if let crate::openapi::RefOr::Item(callback) = callback {
                ids.claim_callback(callback_name, callback, &mut problems);
            }
        }
        let item = paths.entry(path.clone()).or_default();
        if item.insert(method, operation).is_some() {
            problems.push(format!(
                "two handlers are mounted for `{} {path}`",
                method.to_uppercase()
            ));
        }
    }
    for (callback_name, callback) in &components.callbacks {
        ids.claim_callback(callback_name, callback, &mut problems);
    }

    components.schemas = generator.take_definitions(true);
    let document = OpenApi {
        openapi: OPENAPI_VERSION,
        info,
        paths,
        components,
    };
    check_references(&document, &mut problems);
    if problems.is_empty() {
        Ok(document)
    } else {
        Err(AssemblyError { problems })
    }
}

fn collect(prefix: &str, entries: &[Entry], out: &mut Vec<Mounted>) {
    for entry in entries {
        match &entry.0 {
            EntryKind::Operation(op) => out.push(Mounted {
                path: format!("{prefix}{}", op.spec.path),
                spec: op.spec,
            }),
            EntryKind::Scope(scope) => {
                collect(&format!("{prefix}{}", scope.prefix()), scope.entries(), out)
            }
        }
    }
}

/// actix-web's path pattern as an OpenAPI path template: `{id:\d+}` and
/// `{tail}*` become `{id}` and `{tail}`.
pub(crate) fn document_path(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = matching_brace(&rest[open..]) else {
            break;
        };
        let inner = &rest[open + 1..open + close];
        let name = inner.split(':').next().unwrap_or(inner);
        out.push('{');
        out.push_str(name);
        out.push('}');
        rest = &rest[open + close + 1..];
        rest = rest.strip_prefix('*').unwrap_or(rest);
    }
    out.push_str(rest);
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Index of the `}` closing the `{` at the start of `text` (regexes may
/// contain braces, as in `{id:\d{3}}`).
fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The `{name}`s of an OpenAPI path template, in order.
pub(crate) fn path_names(template: &str) -> Vec<String> {
    template
        .split('{')
        .skip(1)
        .filter_map(|s| s.split('}').next())
        .map(str::to_owned)
        .collect()
}

fn describe_operation(
    generator: &mut SchemaGenerator,
    m: &Mounted,
    path: &str,
) -> Result<Operation, Vec<String>> {
    let spec = &m.spec;
    let mut builder = OperationBuilder::new(generator, path_names(path));
    (spec.describe)(&mut builder);
    let name = format!(
        "operation `{}` (`{} {path}`)",
        spec.handler,
        spec.method.as_str().to_uppercase()
    );
    if !builder.errors.is_empty() {
        return Err(builder
            .errors
            .iter()
            .map(|e| format!("{name}: {e}"))
            .collect());
    }
    let mut responses = std::mem::take(&mut builder.responses);
    if responses.is_empty() {
        responses.insert("200".into(), Response::empty("Successful Response"));
    }
    if builder.validates_input {
        let schema = builder.schema_for::<HttpValidationError>();
        responses.insert("422".into(), Response::json("Validation Error", schema));
    }
    Ok(Operation {
        tags: spec.tags.iter().map(|t| (*t).to_owned()).collect(),
        summary: spec.summary.map(str::to_owned),
        description: spec.description.map(str::to_owned),
        operation_id: spec.operation_id.unwrap_or(spec.handler).to_owned(),
        parameters: std::mem::take(&mut builder.parameters),
        request_body: builder.request_body.take(),
        responses,
        callbacks: BTreeMap::new(),
        deprecated: spec.deprecated,
    })
}

/// Who uses each operationId, to report a collision naming both.
#[derive(Default)]
struct OperationIds(BTreeMap<String, String>);

impl OperationIds {
    fn claim(&mut self, id: &str, owner: String, problems: &mut Vec<String>) {
        if let Some(first) = self.0.get(id) {
            problems.push(format!("operationId `{id}` is used by both {first} and {owner}; set `operation_id = \"…\"` on one of them"));
        } else {
            self.0.insert(id.to_owned(), owner);
        }
    }

    fn claim_callback(
        &mut self,
        name: &str,
        callback: &crate::openapi::Callback,
        problems: &mut Vec<String>,
    ) {
        for (url, item) in callback {
            for (method, operation) in item {
                let owner = format!("callback `{name}` (`{} {url}`)", method.to_uppercase());
                self.claim(&operation.operation_id, owner, problems);
            }
        }
    }
}

/// Every `$ref` in the document must point at something in it.
fn check_references(document: &OpenApi, problems: &mut Vec<String>) {
    let value = serde_json::to_value(document).expect("an OpenAPI document serializes");
    let mut refs = Vec::new();
    find_refs(&value, &mut refs);
    for reference in refs {
        let target = reference.strip_prefix('#').and_then(|p| value.pointer(p));
        if target.is_none() {
            problems.push(format!(
                "`$ref` to `{reference}` points at nothing in the document"
            ));
        }
    }
}

fn find_refs<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => find_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| find_refs(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actix_patterns_become_templates() {
        assert_eq!(document_path("/items/{id:\\d+}/x"), "/items/{id}/x");
        assert_eq!(document_path("/files/{tail}*"), "/files/{tail}");
        assert_eq!(document_path("/a/{id:\\d{3}}"), "/a/{id}");
        assert_eq!(document_path(""), "/");
        assert_eq!(path_names("/a/{x}/b/{y}"), ["x", "y"]);
    }
}
