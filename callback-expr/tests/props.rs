//! Properties over generated expressions, templates, requests and values.
#![cfg(feature = "eval")]

use callback_expr::{
    CapturePlan, Component, Expression, JsonPointer, Part, RequestParts, ResponseParts, Source,
    Template,
};
use proptest::prelude::*;
use serde_json::Value;

/// Text that may stand inside braces: anything but `{` and `}`.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        // Short names from a small alphabet, so generated requests hit them.
        "[aB_é./#~-]{0,3}",
        "[^{}]{0,12}",
    ]
}

/// An RFC 9110 token.
fn header_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,8}"
}

fn pointer() -> impl Strategy<Value = JsonPointer> {
    prop::collection::vec(name(), 0..4).prop_map(|tokens| {
        let text: String = tokens
            .iter()
            .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
            .collect();
        JsonPointer::parse(&text).unwrap()
    })
}

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![
        header_name().prop_map(Source::Header),
        name().prop_map(Source::Query),
        name().prop_map(Source::Path),
        pointer().prop_map(Source::Body),
    ]
}

/// Every spec form. (Shorthands are left out: a `$name` one or two edits
/// from a keyword, such as `$methd`, is reported as a typo by design.)
fn expression() -> impl Strategy<Value = Expression> {
    prop_oneof![
        Just(Expression::Url),
        Just(Expression::Method),
        Just(Expression::StatusCode),
        source().prop_map(Expression::Request),
        source().prop_map(Expression::Response),
    ]
}

/// Literal text: anything but braces, often URL-like.
fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        "[^{}]{1,12}",
        "(https://h\\.example)?(/[a-z%?#=&]{0,4}){1,3}",
    ]
}

#[derive(Debug, Clone)]
enum Piece {
    Literal(String),
    Expr(Expression),
}

fn pieces() -> impl Strategy<Value = Vec<Piece>> {
    prop::collection::vec(
        prop_oneof![
            literal().prop_map(Piece::Literal),
            expression().prop_map(Piece::Expr),
        ],
        0..6,
    )
}

fn text_of(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Literal(text) => text.clone(),
            Piece::Expr(e) => format!("{{{e}}}"),
        })
        .collect()
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        name().prop_map(Value::from),
        "[^{}]{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(name(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
struct Request {
    query: String,
    path: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<Value>,
    status: u16,
    response_headers: Vec<(String, String)>,
    response_body: Option<Value>,
}

fn request() -> impl Strategy<Value = Request> {
    let pairs = || prop::collection::vec((name(), name()), 0..4);
    let headers = || prop::collection::vec((header_name(), "[ -~]{0,10}"), 0..4);
    (
        "[^#]{0,30}",
        pairs(),
        headers(),
        prop::option::of(json()),
        any::<u16>(),
        headers(),
        prop::option::of(json()),
    )
        .prop_map(
            |(query, path, headers, body, status, response_headers, response_body)| Request {
                query,
                path,
                headers,
                body,
                status,
                response_headers,
                response_body,
            },
        )
}

impl Request {
    /// Gives the request (and response) a value for `expr`, so evaluation
    /// goes past "absent" more often than chance would.
    fn plant(&mut self, expr: &Expression, value: Value) {
        let text = match &value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let nest = |tokens: &[String]| {
            tokens
                .iter()
                .rev()
                .fold(value.clone(), |inner, t| serde_json::json!({ t: inner }))
        };
        match expr {
            Expression::Request(Source::Header(n)) => self.headers.insert(0, (n.clone(), text)),
            Expression::Request(Source::Path(n)) => self.path.insert(0, (n.clone(), text)),
            Expression::Request(Source::Query(n)) => {
                self.query = format!(
                    "{}={}&{}",
                    encode(Component::QueryValue, n),
                    encode(Component::QueryValue, &text),
                    self.query
                );
            }
            Expression::Request(Source::Body(p)) => self.body = Some(nest(p.tokens())),
            Expression::Response(Source::Header(n)) => {
                self.response_headers.insert(0, (n.clone(), text));
            }
            Expression::Response(Source::Body(p)) => self.response_body = Some(nest(p.tokens())),
            _ => {}
        }
    }
}

fn pairs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// True for a character RFC 3986 allows somewhere in a URI.
fn is_uri_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)
}

/// True when every `%` starts an escape of two hex digits.
fn escapes_are_whole(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len()).all(|i| {
        b[i] != b'%'
            || matches!(b.get(i + 1..i + 3), Some([x, y]) if x.is_ascii_hexdigit() && y.is_ascii_hexdigit())
    })
}

fn percent_decode(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn encode(component: Component, text: &str) -> String {
    let mut out = String::new();
    component.encode_into(text, &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn expressions_round_trip_through_display(expr in expression()) {
        let text = expr.to_string();
        prop_assert_eq!(Expression::parse(&text), Ok(expr.clone()));
        prop_assert_eq!(Expression::parse_with(&text, true), Ok(expr));
    }

    #[test]
    fn templates_round_trip_through_display(pieces in pieces()) {
        let text = text_of(&pieces);
        let template = Template::parse(&text).unwrap();
        prop_assert_eq!(&template.to_string(), &text);
        prop_assert_eq!(Template::parse(&template.to_string()), Ok(template.clone()));

        // The parts are the pieces, adjacent literals merged.
        let mut expected: Vec<Piece> = Vec::new();
        for piece in pieces {
            match (expected.last_mut(), piece) {
                (Some(Piece::Literal(last)), Piece::Literal(more)) => last.push_str(&more),
                (_, piece) => expected.push(piece),
            }
        }
        prop_assert_eq!(template.parts().len(), expected.len());
        for (part, piece) in template.parts().iter().zip(&expected) {
            match (part, piece) {
                (Part::Literal(a), Piece::Literal(b)) => prop_assert_eq!(a, b),
                (Part::Expression { expr, span }, Piece::Expr(e)) => {
                    prop_assert_eq!(expr, e);
                    prop_assert_eq!(&text[span.clone()], e.to_string());
                }
                (part, piece) => prop_assert!(false, "{:?} is not {:?}", part, piece),
            }
        }
    }

    #[test]
    fn any_text_parses_or_fails_with_a_span_inside_it(text in "[{}$a-z.#/~ 0-9é]{0,24}") {
        match Template::parse_all(&text, true) {
            Ok(template) => prop_assert_eq!(Template::parse_with(&template.to_string(), true), Ok(template)),
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in errors {
                    prop_assert!(e.span.start <= e.span.end && e.span.end <= text.len());
                    prop_assert!(text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end));
                }
            }
        }
    }

    #[test]
    fn evaluation_never_panics_and_writes_a_uri(
        pieces in pieces(),
        other in pieces(),
        mut request in request(),
        planted in prop::collection::vec(prop::option::of(json()), 6),
        with_response in any::<bool>(),
    ) {
        let template = Template::parse(&text_of(&pieces)).unwrap();
        for (expr, value) in template.expressions().zip(planted) {
            if let Some(value) = value {
                request.plant(expr, value);
            }
        }
        let other = Template::parse(&text_of(&other)).unwrap();
        let (path, headers, response_headers) =
            (pairs(&request.path), pairs(&request.headers), pairs(&request.response_headers));
        let view = RequestParts {
            method: "POST",
            url: "https://api.example/x?y=1",
            path_params: &path,
            query: &request.query,
            headers: &headers,
            body: request.body.as_ref(),
        };
        // Planned for this template, and for another one (so that some
        // expressions were not captured).
        for plan in [CapturePlan::new([&template]), CapturePlan::new([&other])] {
            let mut captured = plan.capture(&view);
            if with_response {
                captured.add_response(&ResponseParts {
                    status: request.status,
                    headers: &response_headers,
                    body: request.response_body.as_ref(),
                });
            }
            for expr in template.expressions() {
                let _ = expr.evaluate(&captured);
            }
            match template.evaluate(&captured) {
                Ok(url) => {
                    prop_assert!(url.bytes().all(is_uri_char), "{}", url);
                    prop_assert!(escapes_are_whole(&url), "{}", url);
                }
                Err(e) => prop_assert!(template.expressions().any(|x| x == e.expression())),
            }
        }
    }

    #[test]
    fn a_path_segment_never_adds_structure(value in "\\PC{0,16}|[/?#%;&=+ a]{0,8}") {
        let encoded = encode(Component::PathSegment, &value);
        prop_assert!(!encoded.contains(['/', '?', '#', ';']), "{}", encoded);
        prop_assert!(encoded.bytes().all(is_uri_char) && escapes_are_whole(&encoded));
        prop_assert_eq!(percent_decode(&encoded), value.as_bytes());
        prop_assert_eq!(Component::PathSegment.encoded_len(&value), encoded.len());
    }

    #[test]
    fn a_query_value_never_adds_structure(value in "\\PC{0,16}|[/?#%;&=+ a]{0,8}") {
        let encoded = encode(Component::QueryValue, &value);
        prop_assert!(!encoded.contains(['&', '=', '+', '#', ';']), "{}", encoded);
        prop_assert!(encoded.bytes().all(is_uri_char) && escapes_are_whole(&encoded));
        prop_assert_eq!(percent_decode(&encoded), value.as_bytes());
    }

    #[test]
    fn a_url_is_kept_when_valid_and_made_valid_otherwise(value in "\\PC{0,16}|[a-f0-9%/?#:@ ]{0,12}") {
        let encoded = encode(Component::Url, &value);
        prop_assert!(encoded.bytes().all(is_uri_char) && escapes_are_whole(&encoded));
        if value.bytes().all(is_uri_char) && escapes_are_whole(&value) {
            prop_assert_eq!(&encoded, &value);
        }
    }

    #[test]
    fn values_in_a_url_keep_its_shape(segment in "\\PC{0,12}", key in "\\PC{0,12}", value in "\\PC{0,12}") {
        let template = Template::parse(
            "https://h.example/a/{$request.path.s}/b?{$request.query.k}={$request.query.v}&z=1#{$request.query.v}",
        )
        .unwrap();
        let query = format!(
            "k={}&v={}",
            encode(Component::QueryValue, &key),
            encode(Component::QueryValue, &value)
        );
        let path = [("s", segment.as_str())];
        let captured = CapturePlan::new([&template]).capture(&RequestParts {
            path_params: &path,
            query: &query,
            ..RequestParts::default()
        });
        let url = template.evaluate(&captured).unwrap();
        let (before, fragment) = url.split_once('#').unwrap();
        let (path, query) = before.split_once('?').unwrap();
        let segments: Vec<&str> = path.trim_start_matches("https://h.example/").split('/').collect();
        prop_assert_eq!(segments.len(), 3, "{}", url);
        prop_assert_eq!(percent_decode(segments[1]), segment.as_bytes());
        let pairs: Vec<&str> = query.split('&').collect();
        prop_assert_eq!(pairs.len(), 2, "{}", url);
        let (k, v) = pairs[0].split_once('=').unwrap();
        prop_assert!(!v.contains('='));
        prop_assert_eq!(percent_decode(k), key.as_bytes());
        prop_assert_eq!(percent_decode(v), value.as_bytes());
        prop_assert!(!fragment.contains('#'));
        prop_assert_eq!(percent_decode(fragment), value.as_bytes());
    }
}
