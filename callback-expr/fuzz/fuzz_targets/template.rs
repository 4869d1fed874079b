//! Fuzzes the template parser (and evaluates what parses).
//!
//! For any UTF-8 input, with and without shorthands:
//! - every error's span is a range of char boundaries inside the input;
//! - a template that parses displays to text that parses again to the same
//!   parts (spans aside: `{$request.body#}` displays as `{$request.body}`),
//!   and displays the same the second time;
//! - evaluating it against a request that has every part never panics and
//!   writes only URI characters.
#![no_main]

use std::sync::OnceLock;

use callback_expr::{CapturePlan, ParseError, Part, RequestParts, ResponseParts, Template};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for shorthand in [false, true] {
        match Template::parse_all(text, shorthand) {
            Ok(template) => {
                let shown = template.to_string();
                let again = Template::parse_with(&shown, shorthand)
                    .unwrap_or_else(|e| panic!("{shown:?} does not parse again: {e}"));
                assert!(same_parts(&template, &again), "{text:?} became {shown:?}");
                assert_eq!(again.to_string(), shown);
                for part in again.parts() {
                    if let Part::Expression { expr, span } = part {
                        assert_eq!(shown[span.clone()], expr.to_string());
                    }
                }
                if !shorthand {
                    evaluate(&template);
                }
            }
            Err(errors) => {
                assert!(!errors.is_empty());
                for error in &errors {
                    check_span(text, error);
                }
                let first = Template::parse_with(text, shorthand).unwrap_err();
                assert_eq!(&first, &errors[0]);
            }
        }
    }
});

fn check_span(text: &str, error: &ParseError) {
    let span = &error.span;
    assert!(
        span.start <= span.end
            && span.end <= text.len()
            && text.is_char_boundary(span.start)
            && text.is_char_boundary(span.end),
        "{text:?}: span {span:?} of {error}"
    );
}

/// Equal parts, spans aside.
fn same_parts(a: &Template, b: &Template) -> bool {
    a.parts().len() == b.parts().len()
        && a.parts().iter().zip(b.parts()).all(|pair| match pair {
            (Part::Literal(x), Part::Literal(y)) => x == y,
            (Part::Expression { expr: x, .. }, Part::Expression { expr: y, .. }) => x == y,
            _ => false,
        })
}

/// A body with strings, numbers, arrays, null and awkward keys.
fn body() -> &'static Value {
    static BODY: OnceLock<Value> = OnceLock::new();
    BODY.get_or_init(
        || serde_json::json!({"id": "a/b?c", "n": 1.5, "list": [true, null], "": {"~/": "é"}}),
    )
}

fn evaluate(template: &Template) {
    let plan = CapturePlan::new([template]);
    let mut captured = plan.capture(&RequestParts {
        method: "POST",
        url: "https://api.example/x?callback_url=https%3A%2F%2Fc.example",
        path_params: &[("id", "7 8")],
        query: "callback_url=https%3A%2F%2Fc.example&a=%2B+",
        headers: &[("X-Id", "h#1")],
        body: Some(body()),
    });
    captured.add_response(&ResponseParts {
        status: 201,
        headers: &[("Location", "https://example.org/s/1")],
        body: Some(body()),
    });
    if let Ok(url) = template.evaluate(&captured) {
        assert!(
            url.bytes()
                .all(|b| b.is_ascii_graphic() && !b"\"<>\\^`{|}".contains(&b)),
            "{url:?}"
        );
    }
}
