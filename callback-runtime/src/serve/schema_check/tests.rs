//! The walker against the schemas schemars derives, one row per problem
//! kind: the value sent, and every `[loc, type, msg]` expected.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde_json::{json, Value};

use super::SchemaCheck;
use crate::describe::validation::LocationItem;

#[derive(JsonSchema)]
#[allow(dead_code)]
struct Line {
    sku: String,
    quantity: u32,
}

#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum Kind {
    Retail,
    Wholesale,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
enum Shape {
    Circle { radius: f64 },
    Square(u8),
}

#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Order {
    id: String,
    count: i64,
    price: f64,
    gift: bool,
    lines: Vec<Line>,
    tags: BTreeMap<String, i32>,
    kind: Kind,
    note: Option<Line>,
    pair: (u8, String),
    shape: Option<Shape>,
    site: Option<url::Url>,
    level: u8,
}

fn good() -> Value {
    json!({
        "id": "o-1", "count": -3, "price": 1.5, "gift": false,
        "lines": [{"sku": "a", "quantity": 1}], "tags": {"x": 1},
        "kind": "retail", "note": null, "pair": [1, "b"],
        "shape": {"Circle": {"radius": 2.0}}, "site": "https://example.com/", "level": 7
    })
}

/// `good()` with `changes` merged in (`null` removes a field).
fn order(changes: Value) -> Value {
    let mut value = good();
    for (key, change) in changes.as_object().unwrap() {
        match change {
            Value::String(s) if s == "<absent>" => {
                value.as_object_mut().unwrap().remove(key);
            }
            _ => {
                value[key] = change.clone();
            }
        }
    }
    value
}

/// A problem as a row states it: where, its type, its message.
type Expected = (Value, &'static str, &'static str);
/// A problem's type and message.
type KindAndMsg = (&'static str, &'static str);

fn problems(value: &Value) -> Vec<(Value, String, String)> {
    let mut generator = crate::describe::schema_generator();
    let schema = generator.subschema_for::<Order>().to_value();
    let components = generator.take_definitions(true);
    let check = SchemaCheck::new(&components);
    check
        .check(
            &schema,
            value,
            &mut vec![LocationItem::Name("body".to_owned())],
        )
        .into_iter()
        .map(|e| (serde_json::to_value(&e.loc).unwrap(), e.kind, e.msg))
        .collect()
}

#[test]
fn a_good_value_has_no_problem() {
    assert_eq!(problems(&good()), []);
}

#[test]
fn each_kind_of_problem_is_named_and_located() {
    let table: &[(Value, &[Expected])] = &[
        (
            json!({"id": "<absent>"}),
            &[(json!(["body", "id"]), "missing", "Field required")],
        ),
        (
            json!({"id": 5}),
            &[(
                json!(["body", "id"]),
                "string_type",
                "Input should be a valid string",
            )],
        ),
        (
            json!({"count": "3"}),
            &[(
                json!(["body", "count"]),
                "int_type",
                "Input should be a valid integer",
            )],
        ),
        (
            json!({"count": 2.5}),
            &[(
                json!(["body", "count"]),
                "int_from_float",
                "Input should be a valid integer, without a fractional part",
            )],
        ),
        (
            json!({"price": "1"}),
            &[(
                json!(["body", "price"]),
                "float_type",
                "Input should be a valid number",
            )],
        ),
        (
            json!({"gift": "yes"}),
            &[(
                json!(["body", "gift"]),
                "bool_type",
                "Input should be a valid boolean",
            )],
        ),
        (
            json!({"lines": {}}),
            &[(
                json!(["body", "lines"]),
                "list_type",
                "Input should be a valid list (a JSON array)",
            )],
        ),
        (
            json!({"lines": [{"sku": "a", "quantity": 1}, {"quantity": -1}]}),
            &[
                (
                    json!(["body", "lines", 1, "sku"]),
                    "missing",
                    "Field required",
                ),
                (
                    json!(["body", "lines", 1, "quantity"]),
                    "greater_than_equal",
                    "Input should be greater than or equal to 0",
                ),
            ],
        ),
        (
            json!({"tags": []}),
            &[(
                json!(["body", "tags"]),
                "dict_type",
                "Input should be a valid dictionary (a JSON object)",
            )],
        ),
        (
            json!({"tags": {"x": "1", "y": 2}}),
            &[(
                json!(["body", "tags", "x"]),
                "int_type",
                "Input should be a valid integer",
            )],
        ),
        (
            json!({"kind": "export"}),
            &[(
                json!(["body", "kind"]),
                "enum",
                r#"Input should be one of "retail" or "wholesale""#,
            )],
        ),
        (
            json!({"note": 3}),
            &[(
                json!(["body", "note"]),
                "model_type",
                "Input should be an object with the fields of this model",
            )],
        ),
        (
            json!({"note": {"sku": "a"}}),
            &[(
                json!(["body", "note", "quantity"]),
                "missing",
                "Field required",
            )],
        ),
        (
            json!({"pair": [1]}),
            &[(
                json!(["body", "pair"]),
                "too_short",
                "The list should have at least 2 item(s), it has 1",
            )],
        ),
        (
            json!({"pair": [1, 2, 3]}),
            &[
                (
                    json!(["body", "pair"]),
                    "too_long",
                    "The list should have at most 2 item(s), it has 3",
                ),
                (
                    json!(["body", "pair", 1]),
                    "string_type",
                    "Input should be a valid string",
                ),
            ],
        ),
        (
            json!({"shape": {"Square": 300}}),
            &[(
                json!(["body", "shape", "Square"]),
                "less_than_equal",
                "Input should be less than or equal to 255",
            )],
        ),
        (
            json!({"site": "not a url"}),
            &[(
                json!(["body", "site"]),
                "url_parsing",
                "Input should be a valid URL: relative URL without a base",
            )],
        ),
        (
            json!({"level": 256}),
            &[(
                json!(["body", "level"]),
                "less_than_equal",
                "Input should be less than or equal to 255",
            )],
        ),
        (
            json!({"colour": "red"}),
            &[(
                json!(["body", "colour"]),
                "extra_forbidden",
                "Extra inputs are not permitted",
            )],
        ),
    ];
    for (changes, expected) in table {
        let expected: Vec<_> = expected
            .iter()
            .map(|(loc, kind, msg)| (loc.clone(), (*kind).to_owned(), (*msg).to_owned()))
            .collect();
        assert_eq!(problems(&order(changes.clone())), expected, "{changes}");
    }
}

#[test]
fn every_problem_is_listed_at_once_in_field_order() {
    let value = json!({"count": "x", "gift": 1, "colour": 1});
    let kinds: Vec<(Value, String)> = problems(&value)
        .into_iter()
        .map(|(loc, kind, _)| (loc, kind))
        .collect();
    let expected = [
        (json!(["body", "id"]), "missing"),
        (json!(["body", "count"]), "int_type"),
        (json!(["body", "price"]), "missing"),
        (json!(["body", "gift"]), "bool_type"),
        (json!(["body", "lines"]), "missing"),
        (json!(["body", "tags"]), "missing"),
        (json!(["body", "kind"]), "missing"),
        (json!(["body", "pair"]), "missing"),
        (json!(["body", "level"]), "missing"),
        (json!(["body", "colour"]), "extra_forbidden"),
    ]
    .map(|(loc, kind)| (loc, kind.to_owned()));
    assert_eq!(kinds, expected);
}

#[test]
fn the_body_itself_of_the_wrong_type() {
    assert_eq!(
        problems(&json!([1])),
        [(
            json!(["body"]),
            "model_type".to_owned(),
            "Input should be an object with the fields of this model".to_owned()
        )]
    );
}

#[test]
fn text_is_read_as_the_type_the_schema_asks_for() {
    let components = serde_json::Map::new();
    let check = SchemaCheck::new(&components);
    let table: &[(Value, &str, Option<KindAndMsg>)] = &[
        (json!({"type": "integer", "minimum": 0}), "12", None),
        (
            json!({"type": "integer"}),
            "twelve",
            Some((
                "int_parsing",
                "Input should be a valid integer, and this text is not one",
            )),
        ),
        (
            json!({"type": "integer", "format": "uint8", "minimum": 0, "maximum": 255}),
            "-1",
            Some((
                "greater_than_equal",
                "Input should be greater than or equal to 0",
            )),
        ),
        // One past `i64::MAX` is the same `f64` as the bound: the order
        // of integers is taken exactly.
        (
            json!({"type": "integer", "format": "int64", "maximum": 9_223_372_036_854_775_807_i64}),
            "9223372036854775808",
            Some((
                "less_than_equal",
                "Input should be less than or equal to 9223372036854775807",
            )),
        ),
        (
            json!({"type": "integer", "format": "int64", "maximum": 9_223_372_036_854_775_807_i64}),
            "9223372036854775807",
            None,
        ),
        (json!({"type": ["number", "null"]}), "1.5", None),
        (
            json!({"type": "number"}),
            "1,5",
            Some((
                "float_parsing",
                "Input should be a valid number, and this text is not one",
            )),
        ),
        (json!({"type": "boolean"}), "true", None),
        (
            json!({"type": "boolean"}),
            "yes",
            Some((
                "bool_parsing",
                "Input should be a valid boolean: `true` or `false`",
            )),
        ),
        (json!({"type": "string"}), "42", None),
        (
            json!({"type": "string", "enum": ["asc", "desc"]}),
            "up",
            Some(("enum", r#"Input should be one of "asc" or "desc""#)),
        ),
        (
            json!({"type": ["string", "null"], "format": "uri"}),
            "nope",
            Some((
                "url_parsing",
                "Input should be a valid URL: relative URL without a base",
            )),
        ),
        (
            json!({"type": ["string", "null"], "format": "date-time"}),
            "2026-05-01T12:30:00.250+02:00",
            None,
        ),
        (
            json!({"type": ["string", "null"], "format": "date-time"}),
            "2026-05-01",
            Some((
                "datetime_parsing",
                "Input should be a valid RFC 3339 date-time: the 'separator' component could not be parsed",
            )),
        ),
    ];
    for (schema, text, expected) in table {
        let found: Vec<_> = check
            .check_text(schema, text, &mut vec![LocationItem::Name("query".into())])
            .into_iter()
            .map(|e| (e.kind, e.msg))
            .collect();
        let expected: Vec<_> = expected
            .iter()
            .map(|(k, m)| ((*k).to_owned(), (*m).to_owned()))
            .collect();
        assert_eq!(found, expected, "{schema} with {text:?}");
    }
}
