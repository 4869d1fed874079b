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
    let response = post_invoice("", r#"{"id": "inv-1", "customer": "#);
    assert_eq!(response.status, 422);
    let body = response.json();
    assert_eq!(
        body["detail"][0]["loc"],
        json!(["body", "customer"]),
        "where the JSON broke off"
    );
    assert_eq!(body["detail"][0]["type"], "json_invalid");
    assert!(
        body["detail"][0]["msg"]
            .as_str()
            .unwrap()
            .starts_with("Invalid JSON: EOF while parsing"),
        "{body}"
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
        json!({"detail": [{"loc": ["body", "total"], "msg": "invalid type: string \"a lot\", expected f64", "type": "invalid_type"}]}),
    );
}

#[test]
fn callback_url_that_is_not_a_url_is_422() {
    assert_422(
        post_invoice(
            "?callback_url=not%20a%20url",
            r#"{"id": "inv-1", "customer": "Ada", "total": 3}"#,
        ),
        json!({"detail": [{"loc": ["query", "callback_url"], "msg": "relative URL without a base: \"not a url\"", "type": "invalid_value"}]}),
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
    let response = post_invoice("", r#"{"total": []}"#);
    assert_eq!(response.status, 422);
    let body = response.json();
    // HTTPValidationError: {detail: [ValidationError]}, ValidationError: {loc, msg, type}.
    let detail = body["detail"].as_array().expect("detail is an array");
    assert!(!detail.is_empty());
    for error in detail {
        let mut keys: Vec<&String> = error.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["loc", "msg", "type"]);
        assert!(error["loc"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l.is_string() || l.is_u64()));
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
