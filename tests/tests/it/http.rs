//! The invoices app over real HTTP on loopback: good and bad requests, and
//! the docs site served entirely by the app.

use std::net::SocketAddr;
use std::sync::OnceLock;

use serde_json::json;

use crate::support::{self, request};

fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        support::serve(examples::invoices::api().expect("the invoices API assembles"))
    })
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

fn post_invoice(query: &str, body: &str) -> support::WireResponse {
    request(
        server(),
        "POST",
        &format!("/invoices/{query}"),
        &[JSON],
        body.as_bytes(),
    )
}

#[test]
fn good_invoice_is_received() {
    let response = post_invoice(
        "?callback_url=https://events.example.com/api",
        r#"{"id": "inv-1", "title": "Coffee", "customer": "Ada", "total": 12.5}"#,
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.body, br#"{"msg":"Invoice received"}"#);
}

#[test]
fn callback_url_is_optional() {
    let response = post_invoice("", r#"{"id": "inv-2", "customer": "Ada", "total": 1}"#);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.body, br#"{"msg":"Invoice received"}"#);
}

fn assert_422(response: support::WireResponse, expected: serde_json::Value) {
    assert_eq!(response.status, 422, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.json(), expected);
}

#[test]
fn malformed_json_is_422() {
    assert_422(
        post_invoice("", r#"{"id": "inv-1", "customer": "#),
        json!({"detail": [{
            "loc": ["body"],
            "msg": "Invalid JSON: EOF while parsing a value at line 1 column 28",
            "type": "json_invalid",
        }]}),
    );
}

#[test]
fn missing_field_is_422() {
    assert_422(
        post_invoice("", r#"{"id": "inv-1", "total": 3}"#),
        json!({"detail": [{"loc": ["body", "customer"], "msg": "Field required", "type": "missing"}]}),
    );
}

#[test]
fn wrong_type_is_422() {
    assert_422(
        post_invoice(
            "",
            r#"{"id": "inv-1", "customer": "Ada", "total": "a lot"}"#,
        ),
        json!({"detail": [{"loc": ["body", "total"], "msg": "Input should be a valid number", "type": "float_type"}]}),
    );
}

/// The README's first example: every problem of the body at once.
#[test]
fn every_body_problem_is_listed() {
    assert_422(
        post_invoice("", r#"{"id": 1}"#),
        json!({"detail": [
            {"loc": ["body", "id"], "msg": "Input should be a valid string", "type": "string_type"},
            {"loc": ["body", "customer"], "msg": "Field required", "type": "missing"},
            {"loc": ["body", "total"], "msg": "Field required", "type": "missing"},
        ]}),
    );
}

/// The README's second example: the query's problem and the body's together.
#[test]
fn query_and_body_problems_are_listed_together() {
    assert_422(
        post_invoice(
            "?callback_url=not%20a%20url",
            r#"{"id": "inv-1", "customer": "Ada", "total": "lots"}"#,
        ),
        json!({"detail": [
            {"loc": ["query", "callback_url"], "msg": "Input should be a valid URL: relative URL without a base", "type": "url_parsing"},
            {"loc": ["body", "total"], "msg": "Input should be a valid number", "type": "float_type"},
        ]}),
    );
}

#[test]
fn callback_url_that_is_not_a_url_is_422() {
    assert_422(
        post_invoice(
            "?callback_url=not%20a%20url",
            r#"{"id": "inv-1", "customer": "Ada", "total": 3}"#,
        ),
        json!({"detail": [{"loc": ["query", "callback_url"], "msg": "Input should be a valid URL: relative URL without a base", "type": "url_parsing"}]}),
    );
}

#[test]
fn non_json_content_type_is_422() {
    let response = request(
        server(),
        "POST",
        "/invoices/",
        &[("Content-Type", "text/plain")],
        b"hello",
    );
    assert_422(
        response,
        json!({"detail": [{"loc": ["body"], "msg": "expected a JSON body (Content-Type: application/json), got `text/plain`", "type": "content_type"}]}),
    );
}

#[test]
fn oversized_body_is_413_with_a_json_body() {
    // actix-web's PayloadConfig limit (256 KiB by default) applies.
    let big = format!(
        r#"{{"id": "inv-1", "customer": "Ada", "total": 1, "title": "{}"}}"#,
        "x".repeat(300_000)
    );
    let response = post_invoice("", &big);
    assert_eq!(response.status, 413, "{}", response.text());
    let body = response.json();
    assert_eq!(body["detail"][0]["loc"], json!(["body"]));
    assert_eq!(body["detail"][0]["type"], "payload");
}

#[test]
fn the_422_body_matches_the_documented_schema() {
    let document = serde_json::to_value(examples::invoices::api().unwrap().document()).unwrap();
    let operation = &document["paths"]["/invoices/"]["post"];
    assert_eq!(
        operation["responses"]["422"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/HTTPValidationError"})
    );
    let schemas = &document["components"]["schemas"];
    for (query, body) in [
        ("", r#"{"total": []}"#),
        ("?callback_url=x", r#"{"id": 1}"#),
        ("", "{"),
        ("", ""),
    ] {
        let response = post_invoice(query, body);
        assert_eq!(response.status, 422);
        assert_matches_validation_schema(schemas, &response.json());
    }
    let response = request(
        server(),
        "POST",
        "/invoices/",
        &[("Content-Type", "text/plain")],
        b"x",
    );
    assert_matches_validation_schema(schemas, &response.json());
}

/// Checks `body` against the document's `HTTPValidationError` schema
/// (`type`, `properties`, `required`, `additionalProperties: false`,
/// `items`, `anyOf`, `$ref`, `minimum`: what that schema uses).
pub fn assert_matches_validation_schema(schemas: &serde_json::Value, body: &serde_json::Value) {
    let root = json!({"$ref": "#/components/schemas/HTTPValidationError"});
    let mut problems = Vec::new();
    conforms(schemas, &root, body, "", &mut problems);
    assert!(problems.is_empty(), "{body}: {problems:?}");
    assert!(
        !body["detail"].as_array().unwrap().is_empty(),
        "at least one entry"
    );
}

fn conforms(
    schemas: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    at: &str,
    problems: &mut Vec<String>,
) {
    use serde_json::Value;
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.strip_prefix("#/components/schemas/").unwrap();
        return conforms(schemas, &schemas[name], value, at, problems);
    }
    if let Some(branches) = schema["anyOf"].as_array() {
        let fits = branches.iter().any(|b| {
            let mut found = Vec::new();
            conforms(schemas, b, value, at, &mut found);
            found.is_empty()
        });
        if !fits {
            problems.push(format!("{at}: {value} fits no branch of {schema}"));
        }
    }
    let fits = match schema["type"].as_str() {
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_u64() || value.is_i64(),
        Some(other) => panic!("the schema uses type {other}, unknown to this check"),
        None => true,
    };
    if !fits {
        return problems.push(format!("{at}: {value} is not of {schema}"));
    }
    if let (Some(minimum), Some(n)) = (schema["minimum"].as_f64(), value.as_f64()) {
        if n < minimum {
            problems.push(format!("{at}: {n} < {minimum}"));
        }
    }
    match value {
        Value::Object(map) => {
            for name in schema["required"].as_array().into_iter().flatten() {
                if !map.contains_key(name.as_str().unwrap()) {
                    problems.push(format!("{at}: `{name}` is missing"));
                }
            }
            for (key, item) in map {
                match schema["properties"].get(key) {
                    Some(property) => {
                        conforms(schemas, property, item, &format!("{at}/{key}"), problems)
                    }
                    None if schema["additionalProperties"] == json!(false) => {
                        problems.push(format!("{at}: `{key}` is not documented"))
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                conforms(
                    schemas,
                    &schema["items"],
                    item,
                    &format!("{at}/{i}"),
                    problems,
                );
            }
        }
        _ => {}
    }
}

#[test]
fn openapi_json_is_the_assembled_document() {
    let response = request(server(), "GET", "/openapi.json", &[], b"");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let api = examples::invoices::api().unwrap();
    assert_eq!(
        response.json(),
        serde_json::to_value(api.document()).unwrap()
    );
}

#[test]
fn the_exported_document_is_what_openapi_json_serves() {
    let dir = support::workspace_root().join("target/export");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("invoices-openapi.json");
    let _ = std::fs::remove_file(&file);
    let api = examples::invoices::api().unwrap();
    api.write_openapi(&file).expect("write the document");
    let served = request(server(), "GET", "/openapi.json", &[], b"");
    assert_eq!(served.status, 200);
    assert_eq!(std::fs::read(&file).unwrap(), served.body);
    assert_eq!(api.openapi_json(), served.body);
}

/// The `src`/`href` URLs of a page's `<script>` and `<link>` elements.
fn loaded_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').expect("a closing quote");
            urls.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    urls
}

fn assert_page_and_assets(page: &str, expected_assets: &[&str]) {
    let response = request(server(), "GET", page, &[], b"");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = response.text();
    assert!(
        html.contains("\"/openapi.json\""),
        "the page loads the app's document: {html}"
    );
    let urls = loaded_urls(&html);
    assert_eq!(
        urls, expected_assets,
        "every asset the page loads, all local"
    );
    for url in urls {
        let asset = request(server(), "GET", &url, &[], b"");
        assert_eq!(asset.status, 200, "{url}");
        let content_type = asset.header("content-type").unwrap();
        assert!(
            content_type.ends_with("; charset=utf-8"),
            "{url}: {content_type}"
        );
        assert!(
            asset.body.len() > 100_000,
            "{url} is the real bundle ({} bytes)",
            asset.body.len()
        );
        assert!(
            !asset.text().contains("https://cdn."),
            "{url} loads nothing from a CDN"
        );
    }
}

#[test]
fn swagger_ui_is_served_by_the_app() {
    assert_page_and_assets(
        "/docs",
        &["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"],
    );
}

#[test]
fn redoc_is_served_by_the_app() {
    assert_page_and_assets("/redoc", &["/redoc/redoc.standalone.js"]);
}

#[test]
fn scalar_is_served_by_the_app() {
    assert_page_and_assets("/scalar", &["/scalar/standalone.js"]);
    let html = request(server(), "GET", "/scalar", &[], b"").text();
    // Scalar's defaults load web fonts and reach its hosted services; the
    // page turns each of them off (the browser test checks no request
    // leaves the app).
    for setting in [
        "withDefaultFonts: false",
        "telemetry: false",
        "showDeveloperTools: \"never\"",
        "agent: { disabled: true }",
        "mcp: { disabled: true }",
        "proxyUrl: \"\"",
        "externalUrls: { dashboardUrl: \"\", registryUrl: \"\", proxyUrl: \"\", apiBaseUrl: \"\" }",
    ] {
        assert!(html.contains(setting), "{setting}: {html}");
    }
}

fn vendored(file: &str) -> Vec<u8> {
    let path = support::workspace_root()
        .join("callback-docs-assets/vendor")
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The bundles go out byte for byte as vendored (ReDoc's with its patched
/// logo), with their charset.
#[test]
fn bundles_are_the_vendored_bytes() {
    for (path, file, content_type) in [
        (
            "/docs/swagger-ui-bundle.js",
            "swagger-ui/swagger-ui-bundle.js",
            "text/javascript; charset=utf-8",
        ),
        (
            "/docs/swagger-ui.css",
            "swagger-ui/swagger-ui.css",
            "text/css; charset=utf-8",
        ),
        (
            "/redoc/redoc.standalone.js",
            "redoc/redoc.standalone.js",
            "text/javascript; charset=utf-8",
        ),
        (
            "/scalar/standalone.js",
            "scalar/standalone.js",
            "text/javascript; charset=utf-8",
        ),
    ] {
        let response = request(server(), "GET", path, &[], b"");
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(
            response.header("content-type"),
            Some(content_type),
            "{path}"
        );
        assert!(response.body == vendored(file), "{path} is vendor/{file}");
    }
}

/// Every license file is served next to its bundle, under the name the
/// bundle's banner gives it, as UTF-8 text.
#[test]
fn license_files_are_served_next_to_their_bundles() {
    for (path, file) in [
        (
            "/docs/swagger-ui-bundle.js.LICENSE.txt",
            "swagger-ui/swagger-ui-bundle.js.LICENSE.txt",
        ),
        ("/docs/LICENSE", "swagger-ui/LICENSE"),
        ("/docs/NOTICE", "swagger-ui/NOTICE"),
        (
            "/redoc/redoc.standalone.js.LICENSE.txt",
            "redoc/redoc.standalone.js.LICENSE.txt",
        ),
        ("/redoc/LICENSE", "redoc/LICENSE"),
        ("/scalar/LICENSE", "scalar/LICENSE"),
    ] {
        let response = request(server(), "GET", path, &[], b"");
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(
            response.header("content-type"),
            Some("text/plain; charset=utf-8"),
            "{path}"
        );
        assert_eq!(
            response.text(),
            String::from_utf8(vendored(file)).unwrap(),
            "{path}"
        );
    }
    let note = request(server(), "GET", "/scalar/LICENSE", &[], b"").text();
    assert!(note.contains("\"license\": \"MIT\""), "{note}");
    for (bundle, named) in [
        (
            "/docs/swagger-ui-bundle.js",
            "/docs/swagger-ui-bundle.js.LICENSE.txt",
        ),
        (
            "/redoc/redoc.standalone.js",
            "/redoc/redoc.standalone.js.LICENSE.txt",
        ),
    ] {
        let body = request(server(), "GET", bundle, &[], b"").body;
        let banner = format!(
            "/*! For license information please see {} */\n",
            named.rsplit('/').next().unwrap()
        );
        assert!(body.starts_with(banner.as_bytes()), "{bundle}");
    }
}

#[test]
fn unknown_path_is_404() {
    assert_eq!(request(server(), "GET", "/nope", &[], b"").status, 404);
}

#[test]
fn a_method_the_path_does_not_serve_is_405_with_allow() {
    for method in ["DELETE", "GET", "PUT"] {
        let answer = request(server(), method, "/invoices/", &[], b"");
        assert_eq!(answer.status, 405, "{method}");
        assert_eq!(answer.header("allow"), Some("POST"), "{method}");
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert_eq!(
            answer.json(),
            json!({"detail": [{
                "loc": ["method"],
                "msg": format!("method {method} is not allowed here; allowed: POST"),
                "type": "method_not_allowed",
            }]})
        );
    }
    // A path with a parameter, in the deliveries view.
    let answer = request(server(), "POST", "/deliveries/1", &[], b"");
    assert_eq!((answer.status, answer.header("allow")), (405, Some("GET")));
}
