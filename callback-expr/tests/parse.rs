//! Template parsing at the edges the evaluator relies on: braces, literal
//! text, escapes and unicode.

use callback_expr::{Expression, JsonPointer, Part, Source, Template};

#[test]
fn an_open_brace_without_a_close_is_an_error_to_the_end() {
    let text = "https://x.example/{$request.body#/id";
    let err = Template::parse(text).unwrap_err();
    assert_eq!(err.span, 18..text.len());
    assert_eq!(
        err.message,
        "unclosed `{`: expected `}` after the expression"
    );
}

#[test]
fn nested_braces_are_an_error_at_the_inner_brace() {
    let text = "{$request.query.{$method}}";
    let errors = Template::parse_all(text, false).unwrap_err();
    assert_eq!(errors[0].span, 16..17);
    assert_eq!(errors[0].message, "`{` inside an expression");
    // The brace that closes nothing is reported too.
    assert_eq!(errors[1].span, 25..26);
}

#[test]
fn a_literal_only_template_is_one_part() {
    let t = Template::parse("https://example.com/a?b=c#d").unwrap();
    assert_eq!(
        t.parts(),
        [Part::Literal("https://example.com/a?b=c#d".into())]
    );
    assert_eq!(t.to_string(), "https://example.com/a?b=c#d");
    assert_eq!(Template::parse("").unwrap().parts(), []);
}

#[test]
fn escapes_and_unicode_survive_a_round_trip() {
    let text = "{$request.body#/a~1b/m~0n/é/~01}/{$request.query.città}/{$request.path.}";
    let t = Template::parse(text).unwrap();
    assert_eq!(t.to_string(), text);
    let exprs: Vec<&Expression> = t.expressions().collect();
    assert_eq!(
        exprs[0],
        &Expression::Request(Source::Body(
            JsonPointer::parse("/a~1b/m~0n/é/~01").unwrap()
        ))
    );
    match exprs[0] {
        Expression::Request(Source::Body(p)) => assert_eq!(p.tokens(), ["a/b", "m~n", "é", "~1"]),
        other => panic!("{other:?}"),
    }
    assert_eq!(exprs[2], &Expression::Request(Source::Path(String::new())));
}
