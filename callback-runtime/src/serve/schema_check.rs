//! The error path's validator: a walk of a JSON value against the JSON
//! Schema the document holds for it, naming every problem with its place.
//!
//! It runs only after serde rejected a request, to say everything that is
//! wrong at once (serde stops at the first problem). It knows the subset of
//! JSON Schema 2020-12 that schemars emits for `Deserialize` types: `type`,
//! `properties`, `required`, `additionalProperties`, `items`,
//! `prefixItems`, `minItems`/`maxItems`, `enum`, `const`, `$ref` into the
//! document's components, `anyOf`/`oneOf`/`allOf`, `format: uri` and
//! `format: date-time` (RFC 3339),
//! `minimum`/`maximum` (and their exclusive forms) and
//! `minLength`/`maxLength`. Whatever else a schema says is not checked; if
//! the walk finds nothing, the caller falls back to serde's own message.
//!
//! The `type` of each problem is pydantic v2's name for it.

use std::cmp::Ordering;

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;

use crate::describe::validation::{LocationItem, ValidationError};

/// Validates values against schemas whose `$ref`s point into `components`
/// (`#/components/schemas/…`, or `#/$defs/…`).
pub(crate) struct SchemaCheck<'s> {
    components: &'s Map<String, Value>,
}

/// How deep `$ref`s may nest before the walk gives up (a recursive type
/// with a recursive value is walked this far).
const MAX_DEPTH: usize = 64;

impl<'s> SchemaCheck<'s> {
    pub(crate) fn new(components: &'s Map<String, Value>) -> Self {
        SchemaCheck { components }
    }

    /// Every problem of `value` against `schema`, located under `loc`.
    pub(crate) fn check(
        &self,
        schema: &Value,
        value: &Value,
        loc: &mut Vec<LocationItem>,
    ) -> Vec<ValidationError> {
        let mut out = Vec::new();
        self.walk(schema, value, loc, &mut out, 0);
        out
    }

    /// Every problem of a parameter given as text (a query, path, header or
    /// cookie value): the text is first read as the type the schema asks
    /// for, as serde's text deserializers do.
    pub(crate) fn check_text(
        &self,
        schema: &Value,
        text: &str,
        loc: &mut Vec<LocationItem>,
    ) -> Vec<ValidationError> {
        match self.read_text(schema, text) {
            Ok(value) => self.check(schema, &value, loc),
            Err((kind, msg)) => vec![problem(loc, kind, msg)],
        }
    }

    /// The JSON value a parameter's text stands for.
    fn read_text(&self, schema: &Value, text: &str) -> Result<Value, (&'static str, String)> {
        let mut types = Vec::new();
        self.scalar_types(schema, &mut types, 0);
        if types.contains(&"string") || types.is_empty() {
            return Ok(Value::String(text.to_owned()));
        }
        if types.contains(&"integer") {
            if let Ok(n) = text.parse::<i64>() {
                return Ok(n.into());
            }
            if let Ok(n) = text.parse::<u64>() {
                return Ok(n.into());
            }
            if !types.contains(&"number") {
                return Err((
                    "int_parsing",
                    "Input should be a valid integer, and this text is not one".to_owned(),
                ));
            }
        }
        if types.contains(&"number") {
            return match text.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(n.into()),
                _ => Err((
                    "float_parsing",
                    "Input should be a valid number, and this text is not one".to_owned(),
                )),
            };
        }
        if types.contains(&"boolean") {
            return match text {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err((
                    "bool_parsing",
                    "Input should be a valid boolean: `true` or `false`".to_owned(),
                )),
            };
        }
        Ok(Value::String(text.to_owned()))
    }

    /// The `type`s a schema allows, through `$ref` and `anyOf`/`oneOf`.
    fn scalar_types(&self, schema: &Value, out: &mut Vec<&'static str>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let Some(object) = schema.as_object() else {
            return;
        };
        match object.get("type") {
            Some(Value::String(t)) => out.push(static_type(t)),
            Some(Value::Array(ts)) => {
                out.extend(ts.iter().filter_map(Value::as_str).map(static_type))
            }
            _ => {}
        }
        if let Some(values) = object.get("enum").and_then(Value::as_array) {
            out.extend(values.iter().map(json_type));
        }
        if let Some(value) = object.get("const") {
            out.push(json_type(value));
        }
        if let Some(target) = object
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| self.resolve(r))
        {
            self.scalar_types(target, out, depth + 1);
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            for branch in object
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.scalar_types(branch, out, depth + 1);
            }
        }
    }

    /// The schema a `$ref` names.
    fn resolve(&self, reference: &str) -> Option<&'s Value> {
        let name = reference
            .strip_prefix(crate::describe::SCHEMA_REF_PREFIX)
            .or_else(|| reference.strip_prefix("#/$defs/"))?;
        self.components.get(name)
    }

    fn walk(
        &self,
        schema: &Value,
        value: &Value,
        loc: &mut Vec<LocationItem>,
        out: &mut Vec<ValidationError>,
        depth: usize,
    ) {
        let object = match schema {
            Value::Bool(false) => {
                out.push(problem(
                    loc,
                    "extra_forbidden",
                    "Extra inputs are not permitted".into(),
                ));
                return;
            }
            Value::Object(object) if depth <= MAX_DEPTH => object,
            _ => return,
        };
        if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
            if let Some(target) = self.resolve(reference) {
                self.walk(target, value, loc, out, depth + 1);
            }
        }
        if let Some(branches) = object.get("allOf").and_then(Value::as_array) {
            for branch in branches {
                self.walk(branch, value, loc, out, depth + 1);
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(branches) = object.get(key).and_then(Value::as_array) {
                self.union(branches, value, loc, out, depth);
            }
        }
        if let Some(problem) = self.type_problem(object, value, loc) {
            out.push(problem);
            return;
        }
        if let Some(values) = object.get("enum").and_then(Value::as_array) {
            if !values.contains(value) {
                let listed: Vec<String> = values.iter().map(Value::to_string).collect();
                out.push(problem(
                    loc,
                    "enum",
                    format!("Input should be one of {}", or_list(&listed)),
                ));
                return;
            }
        }
        if let Some(expected) = object.get("const") {
            if expected != value {
                out.push(problem(
                    loc,
                    "literal_error",
                    format!("Input should be exactly {expected}"),
                ));
                return;
            }
        }
        match value {
            Value::Object(map) => self.walk_object(object, map, loc, out, depth),
            Value::Array(items) => self.walk_array(object, items, loc, out, depth),
            Value::Number(n) => bounds(object, n, loc, out),
            Value::String(s) => self.walk_string(object, s, loc, out),
            _ => {}
        }
    }

    /// `anyOf`/`oneOf`: fine if one branch accepts the value; otherwise the
    /// problems of the branch that came closest (the only one that is not
    /// `null`, for an `Option`).
    fn union(
        &self,
        branches: &[Value],
        value: &Value,
        loc: &mut Vec<LocationItem>,
        out: &mut Vec<ValidationError>,
        depth: usize,
    ) {
        let mut best: Option<Vec<ValidationError>> = None;
        for branch in branches {
            let mut found = Vec::new();
            self.walk(branch, value, loc, &mut found, depth + 1);
            if found.is_empty() {
                return;
            }
            let better = best
                .as_ref()
                .is_none_or(|b| distance(&found, loc) < distance(b, loc));
            if better {
                best = Some(found);
            }
        }
        out.extend(best.unwrap_or_default());
    }

    /// The value's JSON type against the schema's `type`.
    fn type_problem(
        &self,
        object: &Map<String, Value>,
        value: &Value,
        loc: &[LocationItem],
    ) -> Option<ValidationError> {
        let allowed: Vec<&str> = match object.get("type")? {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => return None,
        };
        let fits = |t: &str| match t {
            "integer" => value.as_i64().is_some() || value.as_u64().is_some(),
            "number" => value.is_number(),
            other => json_type(value) == other,
        };
        if allowed.iter().any(|t| fits(t)) {
            return None;
        }
        let expected = allowed
            .iter()
            .find(|t| **t != "null")
            .copied()
            .unwrap_or("null");
        let (kind, msg) = match expected {
            "string" => ("string_type", "Input should be a valid string"),
            "integer" if value.is_number() => (
                "int_from_float",
                "Input should be a valid integer, without a fractional part",
            ),
            "integer" => ("int_type", "Input should be a valid integer"),
            "number" => ("float_type", "Input should be a valid number"),
            "boolean" => ("bool_type", "Input should be a valid boolean"),
            "array" => ("list_type", "Input should be a valid list (a JSON array)"),
            "object" if object.contains_key("properties") => (
                "model_type",
                "Input should be an object with the fields of this model",
            ),
            "object" => (
                "dict_type",
                "Input should be a valid dictionary (a JSON object)",
            ),
            _ => ("none_required", "Input should be null"),
        };
        Some(problem(loc, kind, msg.to_owned()))
    }

    fn walk_object(
        &self,
        schema: &Map<String, Value>,
        map: &Map<String, Value>,
        loc: &mut Vec<LocationItem>,
        out: &mut Vec<ValidationError>,
        depth: usize,
    ) {
        let empty = Map::new();
        let properties = schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // In the schema's order of fields (the order of declaration), as
        // pydantic reports them; then the required names it does not list.
        let declared = properties
            .iter()
            .map(|(name, schema)| (name.as_str(), Some(schema)));
        let undeclared = required
            .iter()
            .filter(|name| !properties.contains_key(**name))
            .map(|name| (*name, None));
        for (name, property) in declared.chain(undeclared) {
            loc.push(LocationItem::Name(name.to_owned()));
            match (map.get(name), property) {
                (Some(item), Some(property)) => self.walk(property, item, loc, out, depth + 1),
                (None, _) if required.contains(&name) => {
                    out.push(problem(loc, "missing", "Field required".to_owned()))
                }
                _ => {}
            }
            loc.pop();
        }
        if let Some(additional) = schema.get("additionalProperties") {
            for (key, item) in map.iter().filter(|(k, _)| !properties.contains_key(*k)) {
                loc.push(LocationItem::Name(key.clone()));
                self.walk(additional, item, loc, out, depth + 1);
                loc.pop();
            }
        }
    }

    fn walk_array(
        &self,
        schema: &Map<String, Value>,
        items: &[Value],
        loc: &mut Vec<LocationItem>,
        out: &mut Vec<ValidationError>,
        depth: usize,
    ) {
        let count = |key| schema.get(key).and_then(Value::as_u64);
        if let Some(min) = count("minItems").filter(|m| (items.len() as u64) < *m) {
            out.push(problem(
                loc,
                "too_short",
                format!(
                    "The list should have at least {min} item(s), it has {}",
                    items.len()
                ),
            ));
        }
        if let Some(max) = count("maxItems").filter(|m| (items.len() as u64) > *m) {
            out.push(problem(
                loc,
                "too_long",
                format!(
                    "The list should have at most {max} item(s), it has {}",
                    items.len()
                ),
            ));
        }
        let prefix = schema
            .get("prefixItems")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        for (index, item) in items.iter().enumerate() {
            let Some(schema) = prefix.get(index).or_else(|| schema.get("items")) else {
                continue;
            };
            loc.push(LocationItem::Index(index));
            self.walk(schema, item, loc, out, depth + 1);
            loc.pop();
        }
    }

    fn walk_string(
        &self,
        schema: &Map<String, Value>,
        text: &str,
        loc: &[LocationItem],
        out: &mut Vec<ValidationError>,
    ) {
        let length = text.chars().count() as u64;
        let count = |key| schema.get(key).and_then(Value::as_u64);
        if let Some(min) = count("minLength").filter(|m| length < *m) {
            out.push(problem(
                loc,
                "string_too_short",
                format!("The string should have at least {min} character(s)"),
            ));
        }
        if let Some(max) = count("maxLength").filter(|m| length > *m) {
            out.push(problem(
                loc,
                "string_too_long",
                format!("The string should have at most {max} character(s)"),
            ));
        }
        match schema.get("format").and_then(Value::as_str) {
            Some("uri") => {
                if let Err(e) = url::Url::parse(text) {
                    out.push(problem(
                        loc,
                        "url_parsing",
                        format!("Input should be a valid URL: {e}"),
                    ));
                }
            }
            Some("date-time") => {
                if let Err(e) = time::OffsetDateTime::parse(text, &Rfc3339) {
                    out.push(problem(
                        loc,
                        "datetime_parsing",
                        format!("Input should be a valid RFC 3339 date-time: {e}"),
                    ));
                }
            }
            _ => {}
        }
    }
}

/// How far a union's branch is from accepting a value: the number of its
/// problems, and furthest of all when it rejects the value's very type.
fn distance(found: &[ValidationError], loc: &[LocationItem]) -> usize {
    let wrong_type = matches!(found, [only] if only.loc.len() == loc.len()
        && (only.kind.ends_with("_type") || only.kind == "none_required"));
    found.len() + if wrong_type { 1000 } else { 0 }
}

/// A bound keyword: its name, the error type and words, and the test of
/// the value's order against the bound.
type Bound = (
    &'static str,
    &'static str,
    &'static str,
    fn(Ordering) -> bool,
);

/// The order of two JSON numbers: exact for integers (an `i64` bound and a
/// `u64` value one past it differ, though they are the same `f64`), as
/// floats otherwise.
fn compare(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    let integer = |n: &serde_json::Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (integer(a), integer(b)) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// `minimum`, `maximum` and their exclusive forms.
fn bounds(
    schema: &Map<String, Value>,
    n: &serde_json::Number,
    loc: &[LocationItem],
    out: &mut Vec<ValidationError>,
) {
    let limit = |key| match schema.get(key) {
        Some(Value::Number(bound)) => Some(bound),
        _ => None,
    };
    let checks: [Bound; 4] = [
        (
            "minimum",
            "greater_than_equal",
            "greater than or equal to",
            Ordering::is_ge,
        ),
        (
            "maximum",
            "less_than_equal",
            "less than or equal to",
            Ordering::is_le,
        ),
        (
            "exclusiveMinimum",
            "greater_than",
            "greater than",
            Ordering::is_gt,
        ),
        (
            "exclusiveMaximum",
            "less_than",
            "less than",
            Ordering::is_lt,
        ),
    ];
    for (key, kind, words, holds) in checks {
        if let Some(bound) = limit(key) {
            if !compare(n, bound).is_some_and(holds) {
                out.push(problem(
                    loc,
                    kind,
                    format!("Input should be {words} {bound}"),
                ));
            }
        }
    }
}

fn problem(loc: &[LocationItem], kind: &str, msg: String) -> ValidationError {
    ValidationError {
        loc: loc.to_vec(),
        msg,
        kind: kind.to_owned(),
    }
}

/// `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The JSON Schema `type` name of a value (`integer` is reported as
/// `number`; [`SchemaCheck::type_problem`] tells them apart).
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn static_type(name: &str) -> &'static str {
    match name {
        "null" => "null",
        "boolean" => "boolean",
        "integer" => "integer",
        "number" => "number",
        "string" => "string",
        "array" => "array",
        _ => "object",
    }
}

#[cfg(test)]
mod tests;
