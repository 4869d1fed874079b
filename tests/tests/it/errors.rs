//! Bad input over real HTTP: one 422 lists every problem of the request,
//! in every part (path, query, header, cookie, body), in that order, with
//! pydantic's error types. Each row gives the request and the exact body.

use std::net::SocketAddr;
use std::sync::OnceLock;

use actix_web::web;
use callback_runtime::{put, Api, Cookies, Headers};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

use crate::support::{self, request};

#[derive(Deserialize, JsonSchema)]
pub struct ItemPath {
    pub shop: String,
    pub item: u32,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    Asc,
    Desc,
}

#[derive(Deserialize, JsonSchema)]
pub struct Paging {
    pub limit: u8,
    pub verbose: Option<bool>,
    pub sort: Option<Sort>,
    pub next: Option<url::Url>,
}

#[derive(Deserialize, JsonSchema)]
pub struct Tracing {
    #[serde(rename = "x-request-id")]
    pub request_id: String,
    #[serde(rename = "x-retries")]
    pub retries: Option<u16>,
}

#[derive(Deserialize, JsonSchema)]
pub struct Session {
    pub session: String,
    pub visits: Option<u32>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub name: String,
    pub price: f64,
    pub stock: u32,
    pub tags: Vec<String>,
}

/// What the handler read, to show every input arrived decoded.
#[derive(Serialize, JsonSchema)]
pub struct Saved {
    pub seen: String,
}

/// Update an item. The body comes first among the arguments; the 422 still
/// lists the path's problems first.
#[put("/shops/{shop}/items/{item}")]
async fn update_item(
    item: web::Json<Item>,
    cookies: Cookies<Session>,
    headers: Headers<Tracing>,
    query: web::Query<Paging>,
    path: web::Path<ItemPath>,
) -> web::Json<Saved> {
    let seen = format!(
        "{}/{} limit={} verbose={:?} sort={} next={:?} id={} retries={:?} session={} visits={:?} {} {} {} {:?}",
        path.shop,
        path.item,
        query.limit,
        query.verbose,
        query.sort.as_ref().map_or("-", |s| match s {
            Sort::Asc => "asc",
            Sort::Desc => "desc",
        }),
        query.next.as_ref().map(url::Url::as_str),
        headers.0.request_id,
        headers.0.retries,
        cookies.0.session,
        cookies.0.visits,
        item.name,
        item.price,
        item.stock,
        item.tags,
    );
    web::Json(Saved { seen })
}

/// A body whose deserializer checks more than its schema says.
#[derive(Deserialize, JsonSchema)]
pub struct Coupon {
    #[serde(deserialize_with = "upper_case")]
    pub code: String,
}

fn upper_case<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let code = String::deserialize(deserializer)?;
    if code.chars().any(|c| c.is_lowercase()) {
        return Err(serde::de::Error::custom("a coupon code is upper case"));
    }
    Ok(code)
}

/// Redeem a coupon.
#[put("/coupons")]
async fn redeem(coupon: web::Json<Coupon>, query: web::Query<Paging>) -> web::Json<Saved> {
    let seen = format!("{} limit={}", coupon.code, query.limit);
    web::Json(Saved { seen })
}

fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let api = Api::new("errors", "1")
            .service(update_item)
            .service(redeem)
            .build()
            .expect("the API assembles");
        support::serve(api)
    })
}

const PATH: &str = "/shops/s1/items/7";
const QUERY: &str = "limit=10";
const HEADERS: &[(&str, &str)] = &[
    ("Content-Type", "application/json"),
    ("X-Request-Id", "r-1"),
    ("Cookie", "session=abc"),
];
const BODY: &str = r#"{"name": "Tea", "price": 2.5, "stock": 3, "tags": []}"#;

/// A request: the good one with some parts replaced.
struct Bad<'a> {
    path: &'a str,
    query: &'a str,
    headers: &'a [(&'a str, &'a str)],
    body: &'a str,
}

const GOOD: Bad<'static> = Bad {
    path: PATH,
    query: QUERY,
    headers: HEADERS,
    body: BODY,
};

fn send(bad: &Bad<'_>) -> support::WireResponse {
    request(
        server(),
        "PUT",
        &format!("{}?{}", bad.path, bad.query),
        bad.headers,
        bad.body.as_bytes(),
    )
}

fn entry(loc: Value, kind: &str, msg: &str) -> Value {
    json!({"loc": loc, "msg": msg, "type": kind})
}

fn assert_422(bad: &Bad<'_>, expected: &[Value]) {
    let response = send(bad);
    assert_eq!(response.status, 422, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(
        response.json(),
        json!({ "detail": expected }),
        "{} ?{} {:?} {}",
        bad.path,
        bad.query,
        bad.headers,
        bad.body
    );
}

#[test]
fn the_good_request_is_served() {
    let response = send(&GOOD);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"seen": "s1/7 limit=10 verbose=None sort=- next=None id=r-1 retries=None session=abc visits=None Tea 2.5 3 []"})
    );
    let response = send(&Bad {
        query: "limit=1&verbose=true&sort=desc&next=https://example.com/n",
        headers: &[
            ("Content-Type", "application/json"),
            ("X-Request-Id", "r-2"),
            ("X-Retries", "4"),
            ("Cookie", "session=s; visits=9"),
        ],
        body: r#"{"name": "Tea", "price": 2, "stock": 0, "tags": ["a"]}"#,
        ..GOOD
    });
    assert_eq!(
        response.json(),
        json!({"seen": "s1/7 limit=1 verbose=Some(true) sort=desc next=Some(\"https://example.com/n\") id=r-2 retries=Some(4) session=s visits=Some(9) Tea 2 0 [\"a\"]"})
    );
}

#[test]
fn each_part_alone() {
    let json = ("Content-Type", "application/json");
    let id = ("X-Request-Id", "r-1");
    let cookie = ("Cookie", "session=abc");
    let table: &[(Bad<'_>, Vec<Value>)] = &[
        (
            Bad {
                path: "/shops/s1/items/seven",
                ..GOOD
            },
            vec![entry(
                json!(["path", "item"]),
                "int_parsing",
                "Input should be a valid integer, and this text is not one",
            )],
        ),
        (
            Bad {
                path: "/shops/s1/items/-7",
                ..GOOD
            },
            vec![entry(
                json!(["path", "item"]),
                "greater_than_equal",
                "Input should be greater than or equal to 0",
            )],
        ),
        (
            Bad { query: "", ..GOOD },
            vec![entry(
                json!(["query", "limit"]),
                "missing",
                "Field required",
            )],
        ),
        (
            Bad {
                query: "limit=300&verbose=yes&sort=up&next=nowhere",
                ..GOOD
            },
            vec![
                entry(
                    json!(["query", "limit"]),
                    "less_than_equal",
                    "Input should be less than or equal to 255",
                ),
                entry(
                    json!(["query", "verbose"]),
                    "bool_parsing",
                    "Input should be a valid boolean: `true` or `false`",
                ),
                entry(
                    json!(["query", "sort"]),
                    "enum",
                    r#"Input should be one of "asc" or "desc""#,
                ),
                entry(
                    json!(["query", "next"]),
                    "url_parsing",
                    "Input should be a valid URL: relative URL without a base",
                ),
            ],
        ),
        (
            Bad {
                headers: &[json, cookie],
                ..GOOD
            },
            vec![entry(
                json!(["header", "x-request-id"]),
                "missing",
                "Field required",
            )],
        ),
        (
            Bad {
                headers: &[json, id, cookie, ("X-Retries", "many")],
                ..GOOD
            },
            vec![entry(
                json!(["header", "x-retries"]),
                "int_parsing",
                "Input should be a valid integer, and this text is not one",
            )],
        ),
        (
            Bad {
                headers: &[json, id, ("Cookie", "visits=-1")],
                ..GOOD
            },
            vec![
                entry(json!(["cookie", "session"]), "missing", "Field required"),
                entry(
                    json!(["cookie", "visits"]),
                    "greater_than_equal",
                    "Input should be greater than or equal to 0",
                ),
            ],
        ),
        (
            Bad {
                body: r#"{"name": 1, "stock": -1, "colour": "red"}"#,
                ..GOOD
            },
            vec![
                entry(
                    json!(["body", "name"]),
                    "string_type",
                    "Input should be a valid string",
                ),
                entry(json!(["body", "price"]), "missing", "Field required"),
                entry(
                    json!(["body", "stock"]),
                    "greater_than_equal",
                    "Input should be greater than or equal to 0",
                ),
                entry(json!(["body", "tags"]), "missing", "Field required"),
                entry(
                    json!(["body", "colour"]),
                    "extra_forbidden",
                    "Extra inputs are not permitted",
                ),
            ],
        ),
        (
            Bad {
                body: r#"{"name": "Tea", "price": "2", "stock": 1.5, "tags": ["a", 2]}"#,
                ..GOOD
            },
            vec![
                entry(
                    json!(["body", "price"]),
                    "float_type",
                    "Input should be a valid number",
                ),
                entry(
                    json!(["body", "stock"]),
                    "int_from_float",
                    "Input should be a valid integer, without a fractional part",
                ),
                entry(
                    json!(["body", "tags", 1]),
                    "string_type",
                    "Input should be a valid string",
                ),
            ],
        ),
        (
            Bad { body: "[]", ..GOOD },
            vec![entry(
                json!(["body"]),
                "model_type",
                "Input should be an object with the fields of this model",
            )],
        ),
        (
            Bad { body: "", ..GOOD },
            vec![entry(json!(["body"]), "missing", "Field required")],
        ),
        (
            Bad {
                body: r#"{"name": "#,
                ..GOOD
            },
            vec![entry(
                json!(["body"]),
                "json_invalid",
                "Invalid JSON: EOF while parsing a value at line 1 column 9",
            )],
        ),
    ];
    for (bad, expected) in table {
        assert_422(bad, expected);
    }
}

#[test]
fn every_part_at_once_in_part_order() {
    assert_422(
        &Bad {
            path: "/shops/s1/items/seven",
            query: "limit=300",
            headers: &[
                ("Content-Type", "application/json"),
                ("X-Retries", "-2"),
                ("Cookie", "visits=x"),
            ],
            body: r#"{"name": 1, "colour": "red"}"#,
        },
        &[
            entry(
                json!(["path", "item"]),
                "int_parsing",
                "Input should be a valid integer, and this text is not one",
            ),
            entry(
                json!(["query", "limit"]),
                "less_than_equal",
                "Input should be less than or equal to 255",
            ),
            entry(
                json!(["header", "x-request-id"]),
                "missing",
                "Field required",
            ),
            entry(
                json!(["header", "x-retries"]),
                "greater_than_equal",
                "Input should be greater than or equal to 0",
            ),
            entry(json!(["cookie", "session"]), "missing", "Field required"),
            entry(
                json!(["cookie", "visits"]),
                "int_parsing",
                "Input should be a valid integer, and this text is not one",
            ),
            entry(
                json!(["body", "name"]),
                "string_type",
                "Input should be a valid string",
            ),
            entry(json!(["body", "price"]), "missing", "Field required"),
            entry(json!(["body", "stock"]), "missing", "Field required"),
            entry(json!(["body", "tags"]), "missing", "Field required"),
            entry(
                json!(["body", "colour"]),
                "extra_forbidden",
                "Extra inputs are not permitted",
            ),
        ],
    );
}

#[test]
fn a_body_that_is_not_json_is_listed_with_the_other_problems() {
    assert_422(
        &Bad {
            query: "limit=x",
            headers: &[
                ("Content-Type", "text/plain"),
                ("X-Request-Id", "r-1"),
                ("Cookie", "session=abc"),
            ],
            body: "hello",
            ..GOOD
        },
        &[
            entry(
                json!(["query", "limit"]),
                "int_parsing",
                "Input should be a valid integer, and this text is not one",
            ),
            entry(
                json!(["body"]),
                "content_type",
                "expected a JSON body (Content-Type: application/json), got `text/plain`",
            ),
        ],
    );
}

#[test]
fn malformed_json_is_listed_with_the_other_problems() {
    assert_422(
        &Bad {
            path: "/shops/s1/items/x",
            body: r#"{"name": "Tea",}"#,
            ..GOOD
        },
        &[
            entry(
                json!(["path", "item"]),
                "int_parsing",
                "Input should be a valid integer, and this text is not one",
            ),
            entry(
                json!(["body"]),
                "json_invalid",
                "Invalid JSON: trailing comma at line 1 column 16",
            ),
        ],
    );
}

#[test]
fn a_problem_only_the_deserializer_knows_falls_back_to_its_message() {
    let coupon = |query: &str, body: &str| {
        request(
            server(),
            "PUT",
            &format!("/coupons?{query}"),
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
    };
    let ok = coupon("limit=1", r#"{"code": "SPRING"}"#);
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json(), json!({"seen": "SPRING limit=1"}));
    let response = coupon("limit=1", r#"{"code": "spring"}"#);
    assert_eq!(response.status, 422);
    assert_eq!(
        response.json(),
        json!({"detail": [entry(
            json!(["body"]),
            "value_error",
            "a coupon code is upper case at line 1 column 18",
        )]})
    );
    // With a problem the schema does see, that one is named instead.
    let response = coupon("", r#"{"code": "spring"}"#);
    assert_eq!(
        response.json(),
        json!({"detail": [
            entry(json!(["query", "limit"]), "missing", "Field required"),
            entry(
                json!(["body"]),
                "value_error",
                "a coupon code is upper case at line 1 column 18",
            ),
        ]})
    );
}

#[test]
fn a_body_too_large_is_answered_alone_with_413() {
    let big = format!(
        r#"{{"name": "{}", "price": 1, "stock": 1, "tags": []}}"#,
        "x".repeat(300_000)
    );
    let response = send(&Bad {
        query: "limit=x",
        body: &big,
        ..GOOD
    });
    assert_eq!(response.status, 413, "{}", response.text());
    assert_eq!(response.json()["detail"][0]["type"], "payload");
    assert_eq!(response.json()["detail"].as_array().map(Vec::len), Some(1));
}

/// Every 422 above has the shape the document declares for it.
#[test]
fn the_422_bodies_match_the_documented_schema() {
    let api = Api::new("errors", "1")
        .service(update_item)
        .build()
        .unwrap();
    let document = serde_json::to_value(api.document()).unwrap();
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        document["paths"]["/shops/{shop}/items/{item}"]["put"]["responses"]["422"]["content"]
            ["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/HTTPValidationError"})
    );
    let response = send(&Bad {
        path: "/shops/s1/items/x",
        query: "limit=300",
        body: "{}",
        ..GOOD
    });
    crate::http::assert_matches_validation_schema(schemas, &response.json());
}
