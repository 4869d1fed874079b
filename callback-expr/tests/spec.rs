//! The examples of the OpenAPI 3.1 specification, section "Callback Object"
//! ("Runtime Expressions" evaluated against its example request), with the
//! correction of 3.1.1: `$request.body#/successUrls/1` is the medium URL.
#![cfg(feature = "eval")]

use callback_expr::{CapturePlan, Captured, Expression, RequestParts, ResponseParts, Template};
use serde_json::{json, Value};

/// The spec's table: expression, then the value it evaluates to.
const TABLE: &[(&str, &str)] = &[
    (
        "$url",
        "https://example.org/subscribe/myevent?queryUrl=https://clientdomain.com/stillrunning",
    ),
    ("$method", "POST"),
    ("$request.path.eventType", "myevent"),
    (
        "$request.query.queryUrl",
        "https://clientdomain.com/stillrunning",
    ),
    ("$request.header.content-Type", "application/json"),
    (
        "$request.body#/failedUrl",
        "https://clientdomain.com/failed",
    ),
    (
        "$request.body#/successUrls/1",
        "https://clientdomain.com/medium",
    ),
    (
        "$response.header.Location",
        "https://example.org/subscription/1",
    ),
];

fn body() -> Value {
    json!({
        "failedUrl": "https://clientdomain.com/failed",
        "successUrls": [
            "https://clientdomain.com/fast",
            "https://clientdomain.com/medium",
            "https://clientdomain.com/slow"
        ]
    })
}

/// `POST /subscribe/myevent?queryUrl=…` on the operation
/// `/subscribe/{eventType}`, answered with `201 Created` and a `Location`.
fn capture(plan: &CapturePlan, body: &Value) -> Captured {
    let mut captured = plan.capture(&RequestParts {
        method: "POST",
        url: "https://example.org/subscribe/myevent?queryUrl=https://clientdomain.com/stillrunning",
        path_params: &[("eventType", "myevent")],
        query: "queryUrl=https://clientdomain.com/stillrunning",
        headers: &[
            ("Host", "example.org"),
            ("Content-Type", "application/json"),
            ("Content-Length", "187"),
        ],
        body: Some(body),
    });
    captured.add_response(&ResponseParts {
        status: 201,
        headers: &[("Location", "https://example.org/subscription/1")],
        body: None,
    });
    captured
}

#[test]
fn every_expression_of_the_table() {
    let exprs: Vec<Expression> = TABLE
        .iter()
        .map(|(text, _)| Expression::parse(text).unwrap())
        .collect();
    let body = body();
    let captured = capture(&CapturePlan::from_expressions(&exprs), &body);
    for (expr, (text, expected)) in exprs.iter().zip(TABLE) {
        assert_eq!(
            expr.evaluate(&captured).unwrap(),
            &Value::String((*expected).to_owned()),
            "{text}"
        );
    }
}

#[test]
fn every_expression_as_a_whole_template() {
    // Each value is a URL or plain text: as the start of a template it is
    // copied unchanged.
    let templates: Vec<Template> = TABLE
        .iter()
        .map(|(text, _)| Template::parse(&format!("{{{text}}}")).unwrap())
        .collect();
    let body = body();
    let captured = capture(&CapturePlan::new(&templates), &body);
    for (template, (text, expected)) in templates.iter().zip(TABLE) {
        assert_eq!(template.evaluate(&captured).unwrap(), *expected, "{text}");
    }
}

#[test]
fn the_status_code_is_a_number() {
    let status = Expression::parse("$statusCode").unwrap();
    let body = body();
    let captured = capture(&CapturePlan::from_expressions([&status]), &body);
    assert_eq!(status.evaluate(&captured).unwrap(), &json!(201));
}

#[test]
fn a_spec_callback_key_with_values_in_the_query() {
    // A callback key from the spec's examples, against a body with an id
    // and an email address: both land in the query and are encoded there.
    let template = Template::parse(
        "http://notificationServer.com?transactionId={$request.body#/id}&email={$request.body#/email}",
    )
    .unwrap();
    let body = json!({"id": "tx 42/7", "email": "ada+test@example.com"});
    let captured = capture(&CapturePlan::new([&template]), &body);
    assert_eq!(
        template.evaluate(&captured).unwrap(),
        "http://notificationServer.com?transactionId=tx%2042/7&email=ada%2Btest@example.com"
    );
}

#[test]
fn the_last_success_url() {
    let slow = Template::parse("{$request.body#/successUrls/2}").unwrap();
    let body = body();
    let captured = capture(&CapturePlan::new([&slow]), &body);
    assert_eq!(
        slow.evaluate(&captured).unwrap(),
        "https://clientdomain.com/slow"
    );
}
