//! Does a JSON pointer (`$request.body#/items/0/id`) lead anywhere in a
//! body's schema?

use serde_json::{Map, Value};

use crate::describe::SCHEMA_REF_PREFIX;

/// Why a pointer does not resolve: the token that failed, the schema it was
/// looked up in (by name, when it has one) and the properties found there.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Unresolved {
    pub(super) token: String,
    pub(super) in_type: Option<String>,
    pub(super) known: Vec<String>,
}

/// Follows `tokens` from `schema` through `$ref`, `allOf`/`anyOf`/`oneOf`,
/// object properties, `additionalProperties` and array items.
///
/// Returns whether the value may be missing from a valid body: a property
/// that is not required, an array element, an `anyOf`/`oneOf` branch, or a
/// value that may be `null`.
pub(super) fn resolve(
    definitions: &Map<String, Value>,
    schema: &Value,
    tokens: &[String],
) -> Result<bool, Unresolved> {
    let mut current = schema.clone();
    let mut optional = false;
    for token in tokens {
        let (target, name) = deref(definitions, &current);
        match step(definitions, &target, token) {
            Some((next, maybe_missing)) => {
                optional |= maybe_missing;
                current = next;
            }
            None => {
                let mut known = Vec::new();
                property_names(definitions, &target, &mut known);
                return Err(Unresolved {
                    token: token.clone(),
                    in_type: name,
                    known,
                });
            }
        }
    }
    Ok(optional || nullable(definitions, &current))
}

/// Whether `null` is a valid value of the schema.
fn nullable(definitions: &Map<String, Value>, schema: &Value) -> bool {
    let (schema, _) = deref(definitions, schema);
    let null_type = |s: &Value| match s.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        _ => false,
    };
    null_type(&schema)
        || ["anyOf", "oneOf"].iter().any(|k| {
            schema
                .get(*k)
                .and_then(Value::as_array)
                .is_some_and(|branches| branches.iter().any(|b| nullable(definitions, b)))
        })
}

fn required(schema: &Value, token: &str) -> bool {
    schema
        .get("required")
        .and_then(Value::as_array)
        .is_some_and(|r| r.iter().any(|t| t == token))
}

/// Follows `$ref`s; returns the target and the last referenced name.
fn deref(definitions: &Map<String, Value>, schema: &Value) -> (Value, Option<String>) {
    let mut current = schema.clone();
    let mut name = None;
    for _ in 0..32 {
        let Some(target) = current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix(SCHEMA_REF_PREFIX))
        else {
            break;
        };
        name = Some(target.to_owned());
        match definitions.get(target) {
            Some(next) => current = next.clone(),
            None => break,
        }
    }
    (current, name)
}

/// The schema one token down, and whether that value may be missing.
fn step(definitions: &Map<String, Value>, schema: &Value, token: &str) -> Option<(Value, bool)> {
    let (schema, _) = deref(definitions, schema);
    if let Some(property) = schema.get("properties").and_then(|p| p.get(token)) {
        return Some((property.clone(), !required(&schema, token)));
    }
    for combinator in ["allOf", "anyOf", "oneOf"] {
        for branch in schema
            .get(combinator)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some((found, maybe_missing)) = step(definitions, branch, token) {
                let maybe_missing = match combinator {
                    "allOf" => maybe_missing && !required(&schema, token),
                    _ => true,
                };
                return Some((found, maybe_missing));
            }
        }
    }
    if let Ok(index) = token.parse::<usize>() {
        if !token.starts_with('+') && (token == "0" || !token.starts_with('0')) {
            if let Some(item) = schema.get("prefixItems").and_then(|p| p.get(index)) {
                let min_items = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
                return Some((item.clone(), (index as u64) >= min_items));
            }
            if let Some(items) = schema.get("items").filter(|i| i.is_object()) {
                return Some((items.clone(), true));
            }
        }
    }
    match schema.get("additionalProperties") {
        Some(Value::Bool(true)) => Some((Value::Bool(true), true)),
        Some(extra @ Value::Object(_)) => Some((extra.clone(), true)),
        _ => None,
    }
}

fn property_names(definitions: &Map<String, Value>, schema: &Value, out: &mut Vec<String>) {
    let (schema, _) = deref(definitions, schema);
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        out.extend(properties.keys().cloned());
    }
    for combinator in ["allOf", "anyOf", "oneOf"] {
        for branch in schema
            .get(combinator)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            property_names(definitions, branch, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tokens(p: &str) -> Vec<String> {
        p.split('/').skip(1).map(str::to_owned).collect()
    }

    #[test]
    fn follows_refs_arrays_and_all_of() {
        let defs = json!({
            "Order": {"type": "object", "properties": {"lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}}},
                      "allOf": [{"properties": {"meta": {"type": "object", "additionalProperties": {"type": "string"}}}}]},
            "Line": {"type": "object", "properties": {"sku": {"type": "string"}}}
        });
        let defs = defs.as_object().unwrap();
        let root = json!({"$ref": "#/components/schemas/Order"});
        assert_eq!(
            resolve(defs, &root, &tokens("/lines/0/sku")),
            Ok(true),
            "an element may be missing"
        );
        assert_eq!(resolve(defs, &root, &tokens("/meta/anything")), Ok(true));
        let err = resolve(defs, &root, &tokens("/lines/0/id")).unwrap_err();
        assert_eq!(err.in_type.as_deref(), Some("Line"));
        assert_eq!(err.known, ["sku"]);
        assert!(resolve(defs, &root, &tokens("/lines/x")).is_err());
    }

    #[test]
    fn required_and_optional_properties() {
        let defs = json!({
            "Invoice": {"type": "object", "required": ["id", "customer"],
                        "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                                       "customer": {"type": ["string", "null"]}}}
        });
        let defs = defs.as_object().unwrap();
        let root = json!({"$ref": "#/components/schemas/Invoice"});
        assert_eq!(resolve(defs, &root, &tokens("/id")), Ok(false));
        assert_eq!(
            resolve(defs, &root, &tokens("/title")),
            Ok(true),
            "not required"
        );
        assert_eq!(
            resolve(defs, &root, &tokens("/customer")),
            Ok(true),
            "may be null"
        );
    }
}
