//! One 422 for every problem of a request.
//!
//! The framework's extractors deserialize straight into the handler's
//! types; when serde refuses, they answer an [`InputError`] that keeps what
//! was sent (the body's bytes, the parameters' text) and serde's message.
//! The adapter runs every extractor of the handler, gathers their failures,
//! and only then, on the error path, checks what was sent against the
//! operation's own schemas (the ones its document holds, from
//! [`OperationInputs`]) to list every problem at once ([`answer`]).
//!
//! Entries are ordered by request part, as FastAPI does: path, query,
//! header, cookie, then body; within a part, in the order found.

use std::sync::OnceLock;

use bytes::Bytes;
use serde_json::{Map, Value};

use super::schema_check::SchemaCheck;
use crate::describe::validation::{HttpValidationError, LocationItem, ValidationError};
use crate::describe::{OperationBuilder, OperationSpec};
use crate::openapi::{Parameter, ParameterIn};

/// Why an extractor of this crate refused a request: what was sent, kept
/// to be checked against the operation's schemas, or a final answer.
///
/// On its own (outside a route macro's wrapper, where no schema is at hand)
/// it answers a 422 with serde's message.
#[derive(Debug, Clone)]
pub struct InputError(Kind);

#[derive(Debug, Clone)]
enum Kind {
    /// A JSON body serde refused.
    Body { bytes: Bytes, serde: String },
    /// Parameters serde refused: every name/value pair of their part.
    Parameters {
        location: ParameterIn,
        pairs: Vec<(String, String)>,
        serde: String,
    },
    /// A problem that needs no schema to describe (e.g. the content type).
    Final(HttpValidationError),
}

impl InputError {
    /// A JSON body that did not deserialize.
    pub(crate) fn body(bytes: Bytes, error: &serde_json::Error) -> Self {
        InputError(Kind::Body {
            bytes,
            serde: error.to_string(),
        })
    }

    /// Parameters of `location` that did not deserialize.
    pub(crate) fn parameters<'a>(
        location: ParameterIn,
        pairs: &mut dyn Iterator<Item = (&'a str, &'a str)>,
        error: &dyn std::fmt::Display,
    ) -> Self {
        InputError(Kind::Parameters {
            location,
            pairs: pairs.map(|(n, v)| (n.to_owned(), v.to_owned())).collect(),
            serde: error.to_string(),
        })
    }

    /// A problem described already.
    pub(crate) fn last_word(error: HttpValidationError) -> Self {
        InputError(Kind::Final(error))
    }

    /// The entries of this problem, checked against `schemas` when there
    /// are any.
    fn entries(&self, schemas: Option<&InputSchemas>) -> Vec<ValidationError> {
        match &self.0 {
            Kind::Final(error) => error.detail.clone(),
            Kind::Body { bytes, serde } => body_entries(bytes, serde, schemas),
            Kind::Parameters {
                location,
                pairs,
                serde,
            } => {
                let found = schemas
                    .map(|s| s.parameter_entries(*location, pairs))
                    .unwrap_or_default();
                if found.is_empty() {
                    vec![entry(vec![part(*location)], "value_error", serde.clone())]
                } else {
                    found
                }
            }
        }
    }
}

fn part(location: ParameterIn) -> LocationItem {
    let name = match location {
        ParameterIn::Path => "path",
        ParameterIn::Query => "query",
        ParameterIn::Header => "header",
        ParameterIn::Cookie => "cookie",
    };
    LocationItem::Name(name.to_owned())
}

fn entry(loc: Vec<LocationItem>, kind: &str, msg: String) -> ValidationError {
    ValidationError {
        loc,
        msg,
        kind: kind.to_owned(),
    }
}

fn body_entries(bytes: &[u8], serde: &str, schemas: Option<&InputSchemas>) -> Vec<ValidationError> {
    let body = || vec![LocationItem::Name("body".to_owned())];
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return vec![entry(body(), "missing", "Field required".to_owned())];
    }
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(e) => return vec![entry(body(), "json_invalid", format!("Invalid JSON: {e}"))],
    };
    let found = match schemas.and_then(|s| s.body.as_ref().map(|b| (s, b))) {
        Some((schemas, schema)) => {
            SchemaCheck::new(&schemas.components).check(schema, &value, &mut body())
        }
        None => Vec::new(),
    };
    if found.is_empty() {
        // The schema and serde disagree (a custom `Deserialize`, `flatten`,
        // `untagged`…): serde's own word, with its line and column.
        vec![entry(body(), "value_error", serde.to_owned())]
    } else {
        found
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.response_body(), f)
    }
}

impl InputError {
    /// The 422 body of this problem alone, with serde's message (no schema
    /// at hand).
    pub fn response_body(&self) -> HttpValidationError {
        self.body_with(None)
    }

    fn body_with(&self, schemas: Option<&InputSchemas>) -> HttpValidationError {
        HttpValidationError {
            detail: self.entries(schemas),
        }
    }
}

/// The inputs of one operation as its document describes them, worked out
/// the first time one of its requests is refused.
///
/// The route macros keep one per operation in a `static`.
#[doc(hidden)]
pub struct OperationInputs {
    describe: fn(&mut OperationBuilder<'_>),
    schemas: OnceLock<InputSchemas>,
}

/// The parameters and JSON body schema of an operation, with the component
/// schemas they refer to.
struct InputSchemas {
    parameters: Vec<Parameter>,
    body: Option<Value>,
    components: Map<String, Value>,
}

impl OperationInputs {
    /// The inputs of the operation `spec` describes.
    pub const fn new(spec: OperationSpec) -> Self {
        OperationInputs {
            describe: spec.describe,
            schemas: OnceLock::new(),
        }
    }

    /// The schemas, worked out on the first refused request. The path's
    /// parameter names are the request's, scope prefixes included (as
    /// assembly reads them from the full path).
    fn schemas(&self, path_names: impl FnOnce() -> Vec<String>) -> &InputSchemas {
        self.schemas.get_or_init(|| {
            let mut generator = crate::describe::schema_generator();
            let mut builder = OperationBuilder::new(&mut generator, path_names());
            (self.describe)(&mut builder);
            let (parameters, body) = builder.into_inputs();
            InputSchemas {
                parameters,
                body,
                components: generator.take_definitions(true),
            }
        })
    }
}

impl InputSchemas {
    /// The problems of the parameters of `location`, given as `pairs`.
    fn parameter_entries(
        &self,
        location: ParameterIn,
        pairs: &[(String, String)],
    ) -> Vec<ValidationError> {
        let check = SchemaCheck::new(&self.components);
        let mut found = Vec::new();
        for parameter in self.parameters.iter().filter(|p| p.location == location) {
            let same = |name: &str| match location {
                ParameterIn::Header => name.eq_ignore_ascii_case(&parameter.name),
                _ => name == parameter.name,
            };
            let mut loc = vec![part(location), LocationItem::Name(parameter.name.clone())];
            match pairs.iter().find(|(name, _)| same(name)) {
                Some((_, text)) => {
                    found.extend(check.check_text(&parameter.schema, text, &mut loc))
                }
                None if parameter.required => {
                    found.push(entry(loc, "missing", "Field required".to_owned()))
                }
                None => {}
            }
        }
        found
    }
}

/// The one 422 body for every problem of a request (`errors`, the
/// failures of its extractors), checked against the operation's schemas;
/// `path_names` are the request's path parameters, asked for only the
/// first time one of the operation's requests is refused.
pub fn answer(
    operation: &OperationInputs,
    errors: &[InputError],
    path_names: impl FnOnce() -> Vec<String>,
) -> HttpValidationError {
    let schemas = operation.schemas(path_names);
    let mut detail: Vec<ValidationError> = errors
        .iter()
        .flat_map(|input| input.entries(Some(schemas)))
        .collect();
    detail.sort_by_key(|e| part_rank(e.loc.first()));
    HttpValidationError { detail }
}

/// FastAPI's order of request parts.
fn part_rank(part: Option<&LocationItem>) -> usize {
    let Some(LocationItem::Name(name)) = part else {
        return 5;
    };
    ["path", "query", "header", "cookie", "body"]
        .iter()
        .position(|p| p == name)
        .unwrap_or(5)
}
