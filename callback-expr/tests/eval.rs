//! Evaluation of templates and expressions against captured requests:
//! names, pointers, encoding by position, and every error.
#![cfg(feature = "eval")]

use callback_expr::{
    CapturePlan, EvalError, Expression, RequestParts, ResponseParts, Source, Template,
};
use serde_json::{json, Value};

/// A request with these parts; the rest empty.
fn request<'a>(
    query: &'a str,
    path_params: &'a [(&'a str, &'a str)],
    headers: &'a [(&'a str, &'a str)],
    body: Option<&'a Value>,
) -> RequestParts<'a> {
    RequestParts {
        method: "POST",
        url: "https://api.example/things",
        path_params,
        query,
        headers,
        body,
    }
}

/// Parses `template`, captures `request` with its plan, evaluates.
fn url(template: &str, request: &RequestParts<'_>) -> Result<String, EvalError> {
    let template = Template::parse(template).unwrap();
    template.evaluate(&CapturePlan::new([&template]).capture(request))
}

fn expr(text: &str) -> Expression {
    Expression::parse(text).unwrap()
}

#[test]
fn pointer_escapes_select_keys_with_slash_and_tilde() {
    let body = json!({"a/b": {"m~n": "found", "~1": "literal ~1"}});
    let r = request("", &[], &[], Some(&body));
    assert_eq!(url("x/{$request.body#/a~1b/m~0n}", &r).unwrap(), "x/found");
    // `~01` is `~` then `1`, not `/`.
    assert_eq!(
        url("x/{$request.body#/a~1b/~01}", &r).unwrap(),
        "x/literal%20~1"
    );
}

#[test]
fn unicode_names_and_pointers() {
    let body = json!({"ville": {"città": "Roma", "東京": "首都"}});
    let r = request(
        "citt%C3%A0=Z%C3%BCrich&%E5%90%8D=%E5%80%A4",
        &[("größe", "XL")],
        &[],
        Some(&body),
    );
    assert_eq!(
        url(
            "https://x.example/{$request.query.città}/{$request.path.größe}/{$request.body#/ville/東京}?q={$request.query.名}",
            &r
        )
        .unwrap(),
        "https://x.example/Z%C3%BCrich/XL/%E9%A6%96%E9%83%BD?q=%E5%80%A4"
    );
    assert_eq!(
        expr("$request.body#/ville/città")
            .evaluate(&CapturePlan::from_expressions([&expr("$request.body#/ville")]).capture(&r))
            .unwrap(),
        "Roma"
    );
    // Header names are RFC 9110 tokens: ASCII only.
    assert!(Expression::parse("$request.header.größe").is_err());
}

#[test]
fn empty_names_and_empty_pointer_tokens() {
    let body = json!({"": {"": "deep"}});
    let r = request("=from-query", &[("", "from-path")], &[], Some(&body));
    assert_eq!(
        url(
            "h:/{$request.query.}/{$request.path.}/{$request.body#//}",
            &r
        )
        .unwrap(),
        "h:/from-query/from-path/deep"
    );
    assert!(Expression::parse("$request.header.").is_err());
}

#[test]
fn header_names_are_case_insensitive() {
    let r = request(
        "",
        &[],
        &[("x-callback-url", "https://client.example/cb")],
        None,
    );
    assert_eq!(
        url("{$request.header.X-Callback-URL}/done", &r).unwrap(),
        "https://client.example/cb/done"
    );
    // Planned under one spelling, evaluated under another.
    let plan = CapturePlan::from_expressions([&expr("$request.header.X-CALLBACK-URL")]);
    assert_eq!(plan.needs(), [expr("$request.header.x-callback-url")]);
    let captured = plan.capture(&r);
    assert_eq!(
        expr("$request.header.x-Callback-Url")
            .evaluate(&captured)
            .unwrap(),
        "https://client.example/cb"
    );
    // With the same header twice, the first wins.
    let r = request("", &[], &[("X-Id", "1"), ("x-id", "2")], None);
    assert_eq!(url("a/{$request.header.x-id}", &r).unwrap(), "a/1");
}

#[test]
fn query_and_path_names_are_case_sensitive() {
    let r = request("Token=upper&token=lower", &[("Id", "upper")], &[], None);
    assert_eq!(url("a/{$request.query.token}", &r).unwrap(), "a/lower");
    assert_eq!(url("a/{$request.query.Token}", &r).unwrap(), "a/upper");
    assert_eq!(
        url("a/{$request.query.TOKEN}", &r),
        Err(EvalError::Absent(expr("$request.query.TOKEN")))
    );
    assert_eq!(
        url("a/{$request.path.id}", &r),
        Err(EvalError::Absent(expr("$request.path.id")))
    );
}

#[test]
fn query_values_are_form_decoded_at_capture() {
    let r = request("to=https%3A%2F%2Fc.example%2Fa+b%3Fx%3D1", &[], &[], None);
    let captured = CapturePlan::from_expressions([&expr("$request.query.to")]).capture(&r);
    assert_eq!(
        expr("$request.query.to").evaluate(&captured).unwrap(),
        "https://c.example/a b?x=1"
    );
    // As the start of a URL, the space is encoded and the rest kept.
    assert_eq!(
        url("{$request.query.to}&y=2", &r).unwrap(),
        "https://c.example/a%20b?x=1&y=2"
    );
}

/// A value with every character that matters somewhere in a URL.
const NASTY: &str = "a/b?c#d%e f&g=h+i;j[k]l@m:n!$'()*,~é\"<>\\^`{|}";

#[test]
fn a_path_segment_encodes_what_would_split_it() {
    let body = json!({ "v": NASTY });
    let r = request("", &[], &[], Some(&body));
    assert_eq!(
        url("https://x.example/items/{$request.body#/v}/tail", &r).unwrap(),
        "https://x.example/items/a%2Fb%3Fc%23d%25e%20f&g=h+i%3Bj%5Bk%5Dl@m:n!$'()*,~%C3%A9%22%3C%3E%5C%5E%60%7B%7C%7D/tail"
    );
}

#[test]
fn a_query_value_encodes_what_would_split_it() {
    let body = json!({ "v": NASTY });
    let r = request("", &[], &[], Some(&body));
    assert_eq!(
        url("https://x.example/?v={$request.body#/v}&w=1", &r).unwrap(),
        "https://x.example/?v=a/b?c%23d%25e%20f%26g%3Dh%2Bi%3Bj%5Bk%5Dl@m:n!$'()*,~%C3%A9%22%3C%3E%5C%5E%60%7B%7C%7D&w=1"
    );
    // After `#` too.
    assert_eq!(
        url("https://x.example/#{$request.body#/v}", &r).unwrap(),
        "https://x.example/#a/b?c%23d%25e%20f%26g%3Dh%2Bi%3Bj%5Bk%5Dl@m:n!$'()*,~%C3%A9%22%3C%3E%5C%5E%60%7B%7C%7D"
    );
}

#[test]
fn a_leading_url_keeps_its_structure() {
    let body = json!({
        "hook": "https://u:p@[::1]:8443/a;b/c?d=%2F&e=f+g#frag",
        "bad": "https://c.example/a b/ü%zz",
    });
    let r = request("", &[], &[], Some(&body));
    assert_eq!(
        url("{$request.body#/hook}", &r).unwrap(),
        "https://u:p@[::1]:8443/a;b/c?d=%2F&e=f+g#frag"
    );
    assert_eq!(
        url("{$request.body#/bad}", &r).unwrap(),
        "https://c.example/a%20b/%C3%BC%25zz"
    );
}

#[test]
fn a_question_mark_in_a_leading_url_puts_later_values_in_the_query() {
    let body = json!({"id": "a&b=c/d"});
    let r = request(
        "cb=https%3A%2F%2Fc.example%2Fhook%3Fk%3D1",
        &[],
        &[],
        Some(&body),
    );
    assert_eq!(
        url("{$request.query.cb}&id={$request.body#/id}", &r).unwrap(),
        "https://c.example/hook?k=1&id=a%26b%3Dc/d"
    );
    let r = request("cb=https%3A%2F%2Fc.example%2Fhook", &[], &[], Some(&body));
    assert_eq!(
        url("{$request.query.cb}/{$request.body#/id}", &r).unwrap(),
        "https://c.example/hook/a&b=c%2Fd"
    );
}

#[test]
fn literal_text_is_written_as_a_url() {
    let r = request("", &[], &[], None);
    assert_eq!(
        url("https://example.com/hook?x=1#f", &r).unwrap(),
        "https://example.com/hook?x=1#f"
    );
    assert_eq!(
        url("https://example.com/a b/ü", &r).unwrap(),
        "https://example.com/a%20b/%C3%BC"
    );
    let literal = Template::parse("https://example.com/hook").unwrap();
    let plan = CapturePlan::new([&literal]);
    assert!(plan.is_empty());
    assert_eq!(
        literal.evaluate(&plan.capture(&r)).unwrap(),
        "https://example.com/hook"
    );
    assert_eq!(
        Template::parse("")
            .unwrap()
            .evaluate(&plan.capture(&r))
            .unwrap(),
        ""
    );
}

#[test]
fn numbers_and_booleans_keep_their_text() {
    let body =
        json!({"n": -12.5, "i": 18446744073709551615_u64, "e": 1e300, "t": true, "f": false});
    let r = request("", &[], &[], Some(&body));
    assert_eq!(
        url(
            "x/{$request.body#/n}/{$request.body#/i}/{$request.body#/e}?t={$request.body#/t}&f={$request.body#/f}&e={$request.body#/e}",
            &r
        )
        .unwrap(),
        // serde_json writes 1e300 as `1e+300`: the `+` is data in a query.
        "x/-12.5/18446744073709551615/1e+300?t=true&f=false&e=1e%2B300"
    );
    let captured = CapturePlan::from_expressions([&expr("$request.body#/n")]).capture(&r);
    assert_eq!(
        expr("$request.body#/n").evaluate(&captured).unwrap(),
        &json!(-12.5)
    );
}

#[test]
fn expressions_keep_their_json_type() {
    let body = json!({"obj": {"a": [1, null]}, "null": null, "s": "1"});
    let r = request("", &[], &[], Some(&body));
    let exprs = [
        "$request.body",
        "$request.body#/obj",
        "$request.body#/obj/a",
        "$request.body#/null",
        "$request.body#/s",
    ]
    .map(expr);
    let captured = CapturePlan::from_expressions(&exprs).capture(&r);
    let values: Vec<&Value> = exprs
        .iter()
        .map(|e| e.evaluate(&captured).unwrap())
        .collect();
    assert_eq!(
        values,
        [
            &body,
            &body["obj"],
            &json!([1, null]),
            &Value::Null,
            &json!("1")
        ]
    );
    // The whole body covers every pointer: only it is captured.
    assert_eq!(
        CapturePlan::from_expressions(&exprs).needs(),
        [expr("$request.body")]
    );
}

#[test]
fn each_missing_value_is_its_own_error() {
    let body = json!({"obj": {}, "arr": [], "null": null});
    let r = request("", &[], &[], Some(&body));
    let cases = [
        (
            "a/{$request.header.X-Id}",
            EvalError::Absent(expr("$request.header.X-Id")),
        ),
        (
            "a/{$request.query.q}",
            EvalError::Absent(expr("$request.query.q")),
        ),
        (
            "a/{$request.path.p}",
            EvalError::Absent(expr("$request.path.p")),
        ),
        (
            "a/{$request.body#/missing}",
            EvalError::Absent(expr("$request.body#/missing")),
        ),
        (
            "a/{$request.body#/arr/0}",
            EvalError::Absent(expr("$request.body#/arr/0")),
        ),
        (
            "a/{$request.body#/null/x}",
            EvalError::Absent(expr("$request.body#/null/x")),
        ),
        (
            "a/{$request.body#/null}",
            EvalError::Null(expr("$request.body#/null")),
        ),
        (
            "a/{$request.body#/obj}",
            EvalError::Object(expr("$request.body#/obj")),
        ),
        (
            "a/{$request.body#/arr}",
            EvalError::Array(expr("$request.body#/arr")),
        ),
        (
            "a/{$request.body}",
            EvalError::Object(expr("$request.body")),
        ),
        (
            "a/{$response.header.Location}",
            EvalError::NoResponse(expr("$response.header.Location")),
        ),
        (
            "a/{$statusCode}",
            EvalError::NoResponse(expr("$statusCode")),
        ),
    ];
    for (template, expected) in cases {
        assert_eq!(url(template, &r), Err(expected), "{template}");
    }
    // No body at all.
    let r = request("", &[], &[], None);
    assert_eq!(
        url("{$request.body}", &r),
        Err(EvalError::Absent(expr("$request.body")))
    );
}

#[test]
fn response_parts_are_read_once_added() {
    let t = Template::parse(
        "{$response.header.Location}/events/{$response.body#/id}?s={$statusCode}&q={$response.query.x}",
    )
    .unwrap();
    let plan = CapturePlan::new([&t]);
    assert!(plan.reads_response() && plan.reads_response_body() && !plan.reads_request_body());
    let mut captured = plan.capture(&request("", &[], &[], None));
    let body = json!({"id": 7});
    captured.add_response(&ResponseParts {
        status: 201,
        headers: &[("LOCATION", "https://example.org/subscription/1")],
        body: Some(&body),
    });
    // A response has no query: the last expression is absent.
    assert_eq!(
        t.evaluate(&captured),
        Err(EvalError::Absent(expr("$response.query.x")))
    );
    let t =
        Template::parse("{$response.header.Location}/events/{$response.body#/id}?s={$statusCode}")
            .unwrap();
    assert_eq!(
        t.evaluate(&captured).unwrap(),
        "https://example.org/subscription/1/events/7?s=201"
    );
    // Adding another response replaces the first.
    captured.add_response(&ResponseParts {
        status: 202,
        ..ResponseParts::default()
    });
    assert_eq!(
        t.evaluate(&captured),
        Err(EvalError::Absent(expr("$response.header.Location")))
    );
}

#[test]
fn expressions_outside_the_plan_are_not_captured() {
    let plan = CapturePlan::from_expressions([&expr("$request.query.a")]);
    let captured = plan.capture(&request("a=1&b=2", &[], &[], None));
    let b = expr("$request.query.b");
    assert_eq!(
        b.evaluate(&captured),
        Err(EvalError::NotCaptured(b.clone()))
    );
    assert_eq!(
        EvalError::NotCaptured(b).to_string(),
        "`$request.query.b` was not captured: it is missing from the capture plan"
    );
}

#[test]
fn shorthands_must_be_resolved() {
    let t = Template::parse_with("{$callback_url}/x", true).unwrap();
    let plan = CapturePlan::new([&t]);
    assert!(plan.is_empty());
    let shorthand = Expression::Shorthand("callback_url".into());
    assert_eq!(
        t.evaluate(&plan.capture(&request("", &[], &[], None))),
        Err(EvalError::Unresolved(shorthand))
    );
    let resolved = t
        .try_map(|e| {
            e.resolve_shorthand(|n| Some(Source::Query(n.into())))
                .ok_or(())
        })
        .unwrap();
    let plan = CapturePlan::new([&resolved]);
    assert_eq!(
        resolved
            .evaluate(&plan.capture(&request("callback_url=https://c.example", &[], &[], None)))
            .unwrap(),
        "https://c.example/x"
    );
}

#[test]
fn error_messages_name_the_expression_and_the_part() {
    let cases = [
        (
            EvalError::Absent(expr("$request.header.X-Id")),
            "`$request.header.X-Id` has no value: the request has no header `X-Id`",
        ),
        (
            EvalError::Absent(expr("$request.path.id")),
            "`$request.path.id` has no value: the request has no path parameter `id`",
        ),
        (
            EvalError::Absent(expr("$response.body")),
            "`$response.body` has no value: the response has no JSON body",
        ),
        (
            EvalError::Absent(expr("$request.body#/a~1b")),
            "`$request.body#/a~1b` has no value: the request body has no value at `/a~1b`",
        ),
        (
            EvalError::Null(expr("$request.body#/n")),
            "`$request.body#/n` is null; a URL needs a string, a number or a boolean",
        ),
        (
            EvalError::Object(expr("$request.body")),
            "`$request.body` is a JSON object; a URL needs a string, a number or a boolean",
        ),
        (
            EvalError::Array(expr("$request.body")),
            "`$request.body` is a JSON array; a URL needs a string, a number or a boolean",
        ),
        (
            EvalError::NoResponse(expr("$statusCode")),
            "`$statusCode` reads the response, which has not been captured yet",
        ),
        (
            EvalError::Unresolved(Expression::Shorthand("id".into())),
            "`$id` is a shorthand; resolve it to its spec form before evaluating it",
        ),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
    }
}

#[test]
fn evaluate_into_appends_or_leaves_the_buffer_alone() {
    let t = Template::parse("/a/{$request.query.x}").unwrap();
    let plan = CapturePlan::new([&t]);
    let mut out = String::from("prefix");
    t.evaluate_into(&plan.capture(&request("x=1", &[], &[], None)), &mut out)
        .unwrap();
    assert_eq!(out, "prefix/a/1");
    let err = t.evaluate_into(&plan.capture(&request("", &[], &[], None)), &mut out);
    assert!(err.is_err());
    assert_eq!(out, "prefix/a/1");
}

#[test]
fn method_and_url_are_captured_only_when_read() {
    let t = Template::parse("https://log.example/?m={$method}&u={$url}").unwrap();
    let plan = CapturePlan::new([&t]);
    assert_eq!(plan.needs(), [Expression::Method, Expression::Url]);
    let r = RequestParts {
        method: "PATCH",
        url: "https://api.example/a?b=c&d",
        ..RequestParts::default()
    };
    assert_eq!(
        t.evaluate(&plan.capture(&r)).unwrap(),
        "https://log.example/?m=PATCH&u=https://api.example/a?b%3Dc%26d"
    );
}

#[test]
fn a_capture_can_move_to_another_thread() {
    fn owned_and_shareable<T: Send + Sync + 'static>(value: T) -> T {
        value
    }
    let t = Template::parse("{$request.query.cb}/done").unwrap();
    let captured = owned_and_shareable(CapturePlan::new([&t]).capture(&request(
        "cb=https://c.example",
        &[],
        &[],
        None,
    )));
    let url = std::thread::spawn(move || t.evaluate(&captured).unwrap())
        .join()
        .unwrap();
    assert_eq!(url, "https://c.example/done");
}
