//! Request time, second step: evaluate a template to a URL, or an expression
//! to a JSON value, against what was captured.

use std::fmt::{self, Write as _};

use serde_json::Value;

use crate::capture::Missing;
use crate::encode::{Length, Sink};
use crate::{Captured, Component, Expression, Part, Source, Template};

/// Why an expression has no value, or none that fits in a URL. Each variant
/// names the expression.
///
/// ```
/// use callback_expr::{CapturePlan, EvalError, RequestParts, Template};
///
/// let template = Template::parse("{$request.query.callback_url}/invoices").unwrap();
/// let captured = CapturePlan::new([&template]).capture(&RequestParts::default());
/// let err = template.evaluate(&captured).unwrap_err();
/// assert!(matches!(err, EvalError::Absent(_)));
/// assert_eq!(err.expression().to_string(), "$request.query.callback_url");
/// assert_eq!(
///     err.to_string(),
///     "`$request.query.callback_url` has no value: the request has no query parameter `callback_url`"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// The request or response has no such part: no such header or
    /// parameter, no body, or nothing at the pointer.
    Absent(Expression),
    /// The value is JSON `null`, where a URL needs text.
    Null(Expression),
    /// The value is a JSON object, where a URL needs a string, number or
    /// boolean.
    Object(Expression),
    /// The value is a JSON array, where a URL needs a string, number or
    /// boolean.
    Array(Expression),
    /// The capture plan did not include this expression, so its value was
    /// not kept: build the plan from every template evaluated.
    NotCaptured(Expression),
    /// The expression reads the response, which has not been added yet
    /// ([`Captured::add_response`]).
    NoResponse(Expression),
    /// A shorthand `$name` that was not resolved to its spec form.
    Unresolved(Expression),
}

impl EvalError {
    /// The expression that could not be evaluated.
    ///
    /// ```
    /// use callback_expr::{EvalError, Expression};
    /// let err = EvalError::Null(Expression::Method);
    /// assert_eq!(err.expression(), &Expression::Method);
    /// ```
    pub fn expression(&self) -> &Expression {
        match self {
            EvalError::Absent(e)
            | EvalError::Null(e)
            | EvalError::Object(e)
            | EvalError::Array(e)
            | EvalError::NotCaptured(e)
            | EvalError::NoResponse(e)
            | EvalError::Unresolved(e) => e,
        }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expr = self.expression();
        match self {
            EvalError::Absent(_) => {
                write!(f, "`{expr}` has no value: ")?;
                absent_part(expr, f)
            }
            EvalError::Null(_) => write!(
                f,
                "`{expr}` is null; a URL needs a string, a number or a boolean"
            ),
            EvalError::Object(_) => write!(
                f,
                "`{expr}` is a JSON object; a URL needs a string, a number or a boolean"
            ),
            EvalError::Array(_) => write!(
                f,
                "`{expr}` is a JSON array; a URL needs a string, a number or a boolean"
            ),
            EvalError::NotCaptured(_) => write!(
                f,
                "`{expr}` was not captured: it is missing from the capture plan"
            ),
            EvalError::NoResponse(_) => write!(
                f,
                "`{expr}` reads the response, which has not been captured yet"
            ),
            EvalError::Unresolved(_) => write!(
                f,
                "`{expr}` is a shorthand; resolve it to its spec form before evaluating it"
            ),
        }
    }
}

/// "the request has no query parameter `x`", and the like.
fn absent_part(expr: &Expression, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let (side, source) = match expr {
        Expression::Request(source) => ("request", source),
        Expression::Response(source) => ("response", source),
        _ => return f.write_str("it was not given"),
    };
    match source {
        Source::Header(name) => write!(f, "the {side} has no header `{name}`"),
        Source::Query(name) => write!(f, "the {side} has no query parameter `{name}`"),
        Source::Path(name) => write!(f, "the {side} has no path parameter `{name}`"),
        Source::Body(pointer) if pointer.is_root() => {
            write!(f, "the {side} has no JSON body")
        }
        Source::Body(pointer) => write!(f, "the {side} body has no value at `{pointer}`"),
    }
}

impl std::error::Error for EvalError {}

impl Expression {
    /// The value of this expression in `captured`, with its JSON type:
    /// `$method`, `$url`, headers and parameters are strings, `$statusCode`
    /// a number, and a body reference whatever the body holds there
    /// (including `null`). Borrowed: nothing is allocated unless it fails.
    ///
    /// ```
    /// use callback_expr::{CapturePlan, Expression, RequestParts};
    /// use serde_json::json;
    ///
    /// let total = Expression::parse("$request.body#/total").unwrap();
    /// let body = json!({"total": 12.5});
    /// let captured = CapturePlan::from_expressions([&total])
    ///     .capture(&RequestParts { body: Some(&body), ..RequestParts::default() });
    /// assert_eq!(total.evaluate(&captured).unwrap(), &json!(12.5));
    /// ```
    pub fn evaluate<'c>(&self, captured: &'c Captured) -> Result<&'c Value, EvalError> {
        if let Expression::Shorthand(_) = self {
            return Err(EvalError::Unresolved(self.clone()));
        }
        captured.find(self).map_err(|missing| match missing {
            Missing::Absent => EvalError::Absent(self.clone()),
            Missing::NotCaptured => EvalError::NotCaptured(self.clone()),
            Missing::NoResponse => EvalError::NoResponse(self.clone()),
        })
    }
}

impl Template {
    /// The URL this template stands for in `captured`.
    ///
    /// Literal text and an expression that starts the template (a URL, such
    /// as `{$request.query.callback_url}/…`) are written as URLs; an
    /// expression after them is percent-encoded for where it lands: as a
    /// path segment until a `?`, then as a query value (also after `#`). Where
    /// a value lands is read from the URL written so far, so a `?` inside a
    /// starting URL counts. See [`Component`] for what each place encodes.
    ///
    /// A value must be a string, a number or a boolean; anything else, or
    /// none, is an [`EvalError`]. The URL is measured first, then written
    /// into one allocation of the exact size: the only allocation.
    ///
    /// ```
    /// use callback_expr::{CapturePlan, RequestParts, Template};
    /// use serde_json::json;
    ///
    /// let t = Template::parse("{$request.query.cb}/items/{$request.body#/name}?tag={$request.body#/tag}").unwrap();
    /// let body = json!({"name": "a/b", "tag": "x&y"});
    /// let captured = CapturePlan::new([&t]).capture(&RequestParts {
    ///     query: "cb=https://client.example/hook",
    ///     body: Some(&body),
    ///     ..RequestParts::default()
    /// });
    /// assert_eq!(t.evaluate(&captured).unwrap(), "https://client.example/hook/items/a%2Fb?tag=x%26y");
    /// ```
    pub fn evaluate(&self, captured: &Captured) -> Result<String, EvalError> {
        let mut length = Length::default();
        self.render(captured, &mut length)?;
        let mut url = String::with_capacity(length.0);
        self.render(captured, &mut url)?;
        Ok(url)
    }

    /// Like [`Template::evaluate`], appending to `out` (reserving the exact
    /// length first), so a buffer can be reused. On error, `out` is left as
    /// it was.
    ///
    /// ```
    /// use callback_expr::{CapturePlan, RequestParts, Template};
    ///
    /// let t = Template::parse("https://example.com/{$method}").unwrap();
    /// let captured = CapturePlan::new([&t]).capture(&RequestParts { method: "PUT", ..RequestParts::default() });
    /// let mut out = String::from("url: ");
    /// t.evaluate_into(&captured, &mut out).unwrap();
    /// assert_eq!(out, "url: https://example.com/PUT");
    /// ```
    pub fn evaluate_into(&self, captured: &Captured, out: &mut String) -> Result<(), EvalError> {
        let mut length = Length::default();
        self.render(captured, &mut length)?;
        out.reserve(length.0);
        self.render(captured, out)
    }

    fn render(&self, captured: &Captured, sink: &mut impl Sink) -> Result<(), EvalError> {
        let mut at = Place::Start;
        for part in self.parts() {
            match part {
                Part::Literal(text) => {
                    Component::Url.encode_to(text, sink);
                    at = at.after(text);
                }
                Part::Expression { expr, .. } => {
                    let value = expr.evaluate(captured)?;
                    let component = match at {
                        Place::Start => Component::Url,
                        Place::Path => Component::PathSegment,
                        Place::Query => Component::QueryValue,
                    };
                    match value {
                        Value::String(text) => {
                            component.encode_to(text, sink);
                            if component == Component::Url {
                                at = at.after(text);
                            }
                        }
                        Value::Number(n) => {
                            let mut digits = Digits::new();
                            // A JSON number is at most a few dozen characters.
                            let _ = write!(digits, "{n}");
                            component.encode_to(digits.as_str(), sink);
                            at = at.after("");
                        }
                        Value::Bool(b) => {
                            component.encode_to(if *b { "true" } else { "false" }, sink);
                            at = at.after("");
                        }
                        Value::Null => return Err(EvalError::Null(expr.clone())),
                        Value::Object(_) => return Err(EvalError::Object(expr.clone())),
                        Value::Array(_) => return Err(EvalError::Array(expr.clone())),
                    }
                }
            }
        }
        Ok(())
    }
}

/// Where the next value lands in the URL written so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Nothing written yet: a value here is the URL itself.
    Start,
    /// In the path (or the authority): a value is one path segment.
    Path,
    /// After `?` (or `#`): a value is a query value.
    Query,
}

impl Place {
    /// The place after writing `url_text` as part of the URL.
    fn after(self, url_text: &str) -> Place {
        match self {
            // A byte scan: the char-pattern search is several times slower
            // on the request path.
            Place::Start | Place::Path if url_text.bytes().any(|b| b == b'?' || b == b'#') => {
                Place::Query
            }
            Place::Start => Place::Path,
            other => other,
        }
    }
}

/// A number's text, formatted on the stack.
struct Digits {
    buf: [u8; 40],
    len: usize,
}

impl Digits {
    fn new() -> Self {
        Digits {
            buf: [0; 40],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl fmt::Write for Digits {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dest = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dest.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
