//! The range of each fixed-width integer, written into its schema.
//!
//! schemars bounds `u8`, `i8`, `u16` and `i16` with `minimum` and `maximum`
//! but gives `u32`, `u64` and `usize` only `minimum: 0`, and `i32`, `i64`
//! and `isize` no bound at all. The server refuses a number outside its
//! type's range (a 422), so a document without the bound promises more than
//! the server takes: a client, or a tool generating requests from the
//! document, sends `limit=4294967296` to a `u32` field as a valid request
//! and gets a 422. This transform adds the missing bounds, keyed on the
//! `format` schemars writes; a bound already present (a `NonZero` type's
//! `minimum: 1`, or one set with `#[schemars(range(…))]`) is kept.

use schemars::transform::{transform_subschemas, Transform};
use schemars::Schema;
use serde_json::Value;

/// Adds `minimum`/`maximum` to integer schemas whose `format` names a
/// fixed-width type, in the schema and all its subschemas.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct IntegerRanges;

impl Transform for IntegerRanges {
    fn transform(&mut self, schema: &mut Schema) {
        let format = schema.get("format").and_then(Value::as_str);
        if let Some((minimum, maximum)) = format.and_then(range) {
            if is_integer(schema.get("type")) {
                let object = schema.ensure_object();
                object.entry("minimum").or_insert(minimum);
                object.entry("maximum").or_insert(maximum);
            }
        }
        transform_subschemas(self, schema);
    }
}

/// The bounds of the type that schemars names `format`; `None` for the
/// formats that already carry both (8 and 16 bits) or that JSON numbers in
/// `serde_json` cannot hold (128 bits).
fn range(format: &str) -> Option<(Value, Value)> {
    Some(match format {
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        "uint32" => (0.into(), u32::MAX.into()),
        "int64" => (i64::MIN.into(), i64::MAX.into()),
        "uint64" => (0.into(), u64::MAX.into()),
        // `isize` and `usize`: as wide as a pointer where the server runs.
        "int" => ((isize::MIN as i64).into(), (isize::MAX as i64).into()),
        "uint" => (0.into(), (usize::MAX as u64).into()),
        _ => return None,
    })
}

/// `"integer"`, or a list of types holding it (`["integer", "null"]` for an
/// `Option`).
fn is_integer(types: Option<&Value>) -> bool {
    match types {
        Some(Value::String(t)) => t == "integer",
        Some(Value::Array(types)) => types.iter().any(|t| t == "integer"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use schemars::json_schema;

    fn ranged(mut schema: Schema) -> Value {
        IntegerRanges.transform(&mut schema);
        schema.to_value()
    }

    #[test]
    fn bounds_each_fixed_width_format() {
        let cases = [
            (
                "int32",
                Value::from(-2147483648i64),
                Value::from(2147483647),
            ),
            ("uint32", 0.into(), 4294967295u64.into()),
            ("int64", i64::MIN.into(), i64::MAX.into()),
            ("uint64", 0.into(), u64::MAX.into()),
        ];
        for (format, minimum, maximum) in cases {
            assert_eq!(
                ranged(json_schema!({"type": "integer", "format": format})),
                serde_json::json!({
                    "type": "integer", "format": format, "minimum": minimum, "maximum": maximum
                }),
                "{format}"
            );
        }
    }

    #[test]
    fn keeps_existing_bounds_and_reaches_nullable_and_nested_schemas() {
        let schema = json_schema!({
            "type": "object",
            "properties": {
                "count": {"type": ["integer", "null"], "format": "uint32", "minimum": 1},
                "items": {"type": "array", "items": {"type": "integer", "format": "int32", "maximum": 10}},
                "name": {"type": "string", "format": "int32"},
                "small": {"type": "integer", "format": "uint16", "minimum": 0, "maximum": 65535},
                "huge": {"type": "integer", "format": "uint128", "minimum": 0}
            }
        });
        assert_eq!(
            ranged(schema),
            serde_json::json!({
                "type": "object",
                "properties": {
                    "count": {"type": ["integer", "null"], "format": "uint32", "minimum": 1, "maximum": 4294967295u64},
                    "items": {"type": "array", "items": {"type": "integer", "format": "int32", "maximum": 10, "minimum": -2147483648i64}},
                    "name": {"type": "string", "format": "int32"},
                    "small": {"type": "integer", "format": "uint16", "minimum": 0, "maximum": 65535},
                    "huge": {"type": "integer", "format": "uint128", "minimum": 0}
                }
            })
        );
    }
}
