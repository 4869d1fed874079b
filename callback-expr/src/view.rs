//! What capture reads from a request and a response: two traits a server
//! implements over its own types, and two plain structs that implement them.

use std::borrow::Cow;

use serde_json::Value;

/// The parts of a request that runtime expressions can read.
///
/// [`CapturePlan::capture`](crate::CapturePlan::capture) calls only the
/// methods the plan needs, with only the names it needs, so a server can
/// implement this over its own request type without copying anything (the
/// full URL, say, is built only when a template reads `$url`).
///
/// ```
/// use std::borrow::Cow;
/// use callback_expr::RequestView;
///
/// /// A request to `GET /ping` with no headers, parameters or body.
/// struct Ping;
///
/// impl RequestView for Ping {
///     fn method(&self) -> &str { "GET" }
///     fn url(&self) -> Cow<'_, str> { Cow::Borrowed("http://localhost/ping") }
///     fn path_param(&self, _name: &str) -> Option<&str> { None }
///     fn query(&self) -> &str { "" }
///     fn header(&self, _name: &str) -> Option<&str> { None }
///     fn body(&self) -> Option<&serde_json::Value> { None }
/// }
/// assert_eq!(Ping.method(), "GET");
/// ```
pub trait RequestView {
    /// The method, such as `POST`.
    fn method(&self) -> &str;
    /// The full URL the client requested: scheme, host, path and query.
    fn url(&self) -> Cow<'_, str>;
    /// The value of the path parameter `name` (case-sensitive), decoded as
    /// the application sees it.
    fn path_param(&self, name: &str) -> Option<&str>;
    /// The raw query string, after `?` and without it (still encoded:
    /// capture decodes the values it keeps).
    fn query(&self) -> &str;
    /// The value of the header `name`. Header names are case-insensitive:
    /// `name` is passed in lower case and must match `Content-Type` as well
    /// as `content-type`. With several headers of that name, the first.
    fn header(&self, name: &str) -> Option<&str>;
    /// The body parsed as JSON, if it is JSON.
    fn body(&self) -> Option<&Value>;
    /// The value at `pointer` in the body. By default looked up in
    /// [`RequestView::body`]; a server that parsed only the values the plan
    /// reads ([`CapturePlan::request_body_paths`](crate::CapturePlan::request_body_paths))
    /// serves them here instead.
    fn body_at(&self, pointer: &crate::JsonPointer) -> Option<Value> {
        self.body().and_then(|b| pointer.lookup(b)).cloned()
    }
}

/// The parts of a response that runtime expressions can read
/// (`$statusCode` and `$response.…`).
///
/// ```
/// use callback_expr::ResponseView;
///
/// struct NoContent;
///
/// impl ResponseView for NoContent {
///     fn status(&self) -> u16 { 204 }
///     fn header(&self, _name: &str) -> Option<&str> { None }
///     fn body(&self) -> Option<&serde_json::Value> { None }
/// }
/// assert_eq!(NoContent.status(), 204);
/// ```
pub trait ResponseView {
    /// The status code, such as `201`.
    fn status(&self) -> u16;
    /// The value of the header `name`, matched as in
    /// [`RequestView::header`].
    fn header(&self, name: &str) -> Option<&str>;
    /// The body parsed as JSON, if it is JSON.
    fn body(&self) -> Option<&Value>;
}

/// A request given as plain borrowed parts; implements [`RequestView`].
///
/// ```
/// use callback_expr::{RequestParts, RequestView};
///
/// let request = RequestParts {
///     method: "POST",
///     url: "https://example.org/invoices/?callback_url=https%3A%2F%2Fclient.example",
///     query: "callback_url=https%3A%2F%2Fclient.example",
///     headers: &[("Content-Type", "application/json")],
///     ..RequestParts::default()
/// };
/// assert_eq!(request.header("content-type"), Some("application/json"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestParts<'a> {
    /// The method, such as `POST`.
    pub method: &'a str,
    /// The full URL: scheme, host, path and query.
    pub url: &'a str,
    /// Path parameters by name, decoded.
    pub path_params: &'a [(&'a str, &'a str)],
    /// The raw query string, after `?`.
    pub query: &'a str,
    /// Headers as (name, value), in the order received.
    pub headers: &'a [(&'a str, &'a str)],
    /// The JSON body, if any.
    pub body: Option<&'a Value>,
}

/// A response given as plain borrowed parts; implements [`ResponseView`].
///
/// ```
/// use callback_expr::{ResponseParts, ResponseView};
///
/// let response = ResponseParts {
///     status: 201,
///     headers: &[("Location", "https://example.org/subscription/1")],
///     body: None,
/// };
/// assert_eq!(response.header("location"), Some("https://example.org/subscription/1"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ResponseParts<'a> {
    /// The status code.
    pub status: u16,
    /// Headers as (name, value), in the order sent.
    pub headers: &'a [(&'a str, &'a str)],
    /// The JSON body, if any.
    pub body: Option<&'a Value>,
}

fn first_header<'a>(headers: &[(&'a str, &'a str)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, v)| v)
}

impl RequestView for RequestParts<'_> {
    fn method(&self) -> &str {
        self.method
    }

    fn url(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.url)
    }

    fn path_param(&self, name: &str) -> Option<&str> {
        self.path_params
            .iter()
            .find(|&&(n, _)| n == name)
            .map(|&(_, v)| v)
    }

    fn query(&self) -> &str {
        self.query
    }

    fn header(&self, name: &str) -> Option<&str> {
        first_header(self.headers, name)
    }

    fn body(&self) -> Option<&Value> {
        self.body
    }
}

impl ResponseView for ResponseParts<'_> {
    fn status(&self) -> u16 {
        self.status
    }

    fn header(&self, name: &str) -> Option<&str> {
        first_header(self.headers, name)
    }

    fn body(&self) -> Option<&Value> {
        self.body
    }
}
