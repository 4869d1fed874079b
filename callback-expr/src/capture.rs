//! Request time, first step: keep only the parts of a request (and later of
//! its response) that an operation's callback templates read.

use std::sync::Arc;

use serde_json::Value;

use crate::pointer::lookup_tokens;
use crate::{query, Expression, RequestView, ResponseView, Source, Template};

/// The parts of a request and its response that a set of templates reads,
/// computed once (at start-up) from an operation's callback templates.
///
/// Each part appears once: header names are kept in lower case, and a body
/// pointer under another one (`/items/0` under `/items`) is read from its
/// ancestor rather than captured twice. Shorthand expressions (`$name`) are
/// left out: resolve them first ([`Expression::resolve_shorthand`]).
///
/// ```
/// use callback_expr::{CapturePlan, Template};
///
/// let invoices = Template::parse("{$request.query.callback_url}/invoices/{$request.body#/id}").unwrap();
/// let receipts = Template::parse("{$request.query.callback_url}/receipts/{$request.header.X-Id}").unwrap();
/// let plan = CapturePlan::new([&invoices, &receipts]);
/// let needs: Vec<String> = plan.needs().iter().map(|e| e.to_string()).collect();
/// assert_eq!(needs, ["$request.query.callback_url", "$request.body#/id", "$request.header.x-id"]);
/// assert!(!plan.reads_response());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CapturePlan {
    needs: Arc<[Expression]>,
}

/// What a [`CapturePlan`] kept of one request (and, once
/// [`Captured::add_response`] is called, of its response): owned, so it can
/// outlive the request and be sent to the task that makes the callbacks.
/// Evaluate templates and expressions against it with
/// [`Template::evaluate`] and [`Expression::evaluate`].
///
/// ```
/// use callback_expr::{CapturePlan, RequestParts, ResponseParts, Template};
///
/// let template = Template::parse("{$request.query.to}?status={$statusCode}").unwrap();
/// let plan = CapturePlan::new([&template]);
/// let mut captured = plan.capture(&RequestParts {
///     query: "to=https%3A%2F%2Fclient.example%2Fhook",
///     ..RequestParts::default()
/// });
/// assert!(template.evaluate(&captured).is_err()); // no response yet
/// captured.add_response(&ResponseParts { status: 201, ..ResponseParts::default() });
/// assert_eq!(template.evaluate(&captured).unwrap(), "https://client.example/hook?status=201");
/// ```
#[derive(Debug, Clone)]
pub struct Captured {
    needs: Arc<[Expression]>,
    slots: Vec<Slot>,
}

/// The captured value of one need of the plan.
#[derive(Debug, Clone, PartialEq)]
enum Slot {
    /// A response part, before the response is added.
    Pending,
    /// The request or response has no such part.
    Absent,
    Present(Value),
}

/// Why a [`Captured`] has no value for an expression.
pub(crate) enum Missing {
    Absent,
    NotCaptured,
    NoResponse,
}

impl CapturePlan {
    /// The plan for every expression of `templates`.
    pub fn new<'t>(templates: impl IntoIterator<Item = &'t Template>) -> Self {
        Self::from_expressions(templates.into_iter().flat_map(Template::expressions))
    }

    /// The plan for `expressions`.
    ///
    /// ```
    /// use callback_expr::{CapturePlan, Expression};
    ///
    /// let exprs = ["$request.body#/items", "$request.body#/items/0/id", "$request.header.X-A", "$request.header.x-a"]
    ///     .map(|e| Expression::parse(e).unwrap());
    /// let plan = CapturePlan::from_expressions(&exprs);
    /// let needs: Vec<String> = plan.needs().iter().map(|e| e.to_string()).collect();
    /// assert_eq!(needs, ["$request.body#/items", "$request.header.x-a"]);
    /// ```
    pub fn from_expressions<'e>(expressions: impl IntoIterator<Item = &'e Expression>) -> Self {
        let mut needs: Vec<Expression> = Vec::new();
        for expr in expressions {
            let need = match expr {
                Expression::Shorthand(_) => continue,
                Expression::Request(Source::Header(name)) => {
                    Expression::Request(Source::Header(name.to_ascii_lowercase()))
                }
                Expression::Response(Source::Header(name)) => {
                    Expression::Response(Source::Header(name.to_ascii_lowercase()))
                }
                other => other.clone(),
            };
            if !needs.contains(&need) {
                needs.push(need);
            }
        }
        let covered: Vec<bool> = needs
            .iter()
            .map(|need| {
                needs
                    .iter()
                    .any(|other| other != need && covers(other, need))
            })
            .collect();
        let mut covered = covered.into_iter();
        needs.retain(|_| !covered.next().unwrap_or(false));
        CapturePlan {
            needs: needs.into(),
        }
    }

    /// The parts to capture, as expressions in their normal form (header
    /// names in lower case, no pointer under another), in first-use order.
    pub fn needs(&self) -> &[Expression] {
        &self.needs
    }

    /// True when the templates read nothing (only literal URLs).
    ///
    /// ```
    /// use callback_expr::{CapturePlan, Template};
    /// let fixed = Template::parse("https://example.com/hook").unwrap();
    /// assert!(CapturePlan::new([&fixed]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.needs.is_empty()
    }

    /// The paths into the request body that the plan reads, so that a
    /// [`RequestView`] can parse only those values
    /// ([`BodyPaths::extract`](crate::BodyPaths::extract)) and serve them
    /// from [`RequestView::body_at`].
    ///
    /// ```
    /// use callback_expr::{CapturePlan, Template};
    /// let t = Template::parse("{$request.query.to}/{$request.body#/id}").unwrap();
    /// let values = CapturePlan::new([&t]).request_body_paths().extract(br#"{"id": 3, "lines": [1, 2]}"#).unwrap();
    /// assert_eq!(values, [Some(serde_json::json!(3))]);
    /// ```
    pub fn request_body_paths(&self) -> crate::BodyPaths {
        crate::BodyPaths::new(self.needs.iter().filter_map(|n| match n {
            Expression::Request(Source::Body(pointer)) => Some(pointer),
            _ => None,
        }))
    }

    /// True when the request body must be parsed for capture.
    ///
    /// ```
    /// use callback_expr::{CapturePlan, Template};
    /// let t = Template::parse("{$request.body#/url}").unwrap();
    /// assert!(CapturePlan::new([&t]).reads_request_body());
    /// ```
    pub fn reads_request_body(&self) -> bool {
        self.needs
            .iter()
            .any(|n| matches!(n, Expression::Request(Source::Body(_))))
    }

    /// True when some part of the response (`$statusCode`, `$response.…`) is
    /// read, so [`Captured::add_response`] must be called before evaluating.
    ///
    /// ```
    /// use callback_expr::{CapturePlan, Template};
    /// let t = Template::parse("{$response.header.Location}/events").unwrap();
    /// assert!(CapturePlan::new([&t]).reads_response());
    /// ```
    pub fn reads_response(&self) -> bool {
        self.needs
            .iter()
            .any(|n| matches!(n, Expression::StatusCode | Expression::Response(_)))
    }

    /// True when the response body must be parsed for capture.
    ///
    /// ```
    /// use callback_expr::{CapturePlan, Template};
    /// let t = Template::parse("{$response.header.Location}/events").unwrap();
    /// assert!(!CapturePlan::new([&t]).reads_response_body());
    /// ```
    pub fn reads_response_body(&self) -> bool {
        self.needs
            .iter()
            .any(|n| matches!(n, Expression::Response(Source::Body(_))))
    }

    /// Keeps what the plan needs of `request`: query values are decoded
    /// (form-urlencoded, `+` is a space), body values are copied out of the
    /// parsed body. Parts of the response wait for
    /// [`Captured::add_response`].
    ///
    /// ```
    /// use callback_expr::{CapturePlan, Expression, RequestParts, Template};
    /// use serde_json::json;
    ///
    /// let template = Template::parse("{$request.query.callback_url}/invoices/{$request.body#/id}").unwrap();
    /// let plan = CapturePlan::new([&template]);
    /// let body = json!({"id": "inv 1", "lines": ["…a large array the plan does not keep…"]});
    /// let captured = plan.capture(&RequestParts {
    ///     query: "callback_url=https%3A%2F%2Fclient.example%2Fcb&page=2",
    ///     body: Some(&body),
    ///     ..RequestParts::default()
    /// });
    /// assert_eq!(template.evaluate(&captured).unwrap(), "https://client.example/cb/invoices/inv%201");
    /// let page = Expression::parse("$request.query.page").unwrap();
    /// assert!(page.evaluate(&captured).is_err()); // not in the plan, so not kept
    /// ```
    pub fn capture(&self, request: &(impl RequestView + ?Sized)) -> Captured {
        let slots = self
            .needs
            .iter()
            .map(|need| {
                let value = match need {
                    Expression::Url => Some(Value::String(request.url().into_owned())),
                    Expression::Method => Some(Value::String(request.method().to_owned())),
                    Expression::Request(Source::Header(name)) => {
                        request.header(name).map(|v| Value::String(v.to_owned()))
                    }
                    Expression::Request(Source::Query(name)) => {
                        query::find(request.query(), name).map(Value::String)
                    }
                    Expression::Request(Source::Path(name)) => request
                        .path_param(name)
                        .map(|v| Value::String(v.to_owned())),
                    Expression::Request(Source::Body(pointer)) => request.body_at(pointer),
                    Expression::StatusCode | Expression::Response(_) => return Slot::Pending,
                    Expression::Shorthand(_) => None,
                };
                value.map_or(Slot::Absent, Slot::Present)
            })
            .collect();
        Captured {
            needs: Arc::clone(&self.needs),
            slots,
        }
    }
}

/// True when `outer` is a body pointer above `inner`, on the same side.
fn covers(outer: &Expression, inner: &Expression) -> bool {
    match (outer, inner) {
        (Expression::Request(Source::Body(a)), Expression::Request(Source::Body(b)))
        | (Expression::Response(Source::Body(a)), Expression::Response(Source::Body(b))) => {
            a.contains(b)
        }
        _ => false,
    }
}

impl Captured {
    /// Keeps what the plan needs of the response (status, headers, body);
    /// called again, replaces what an earlier call kept.
    ///
    /// ```
    /// use callback_expr::{CapturePlan, Expression, RequestParts, ResponseParts};
    ///
    /// let location = Expression::parse("$response.header.Location").unwrap();
    /// let plan = CapturePlan::from_expressions([&location]);
    /// let mut captured = plan.capture(&RequestParts::default());
    /// captured.add_response(&ResponseParts {
    ///     status: 201,
    ///     headers: &[("location", "https://example.org/subscription/1")],
    ///     body: None,
    /// });
    /// assert_eq!(location.evaluate(&captured).unwrap(), "https://example.org/subscription/1");
    /// ```
    pub fn add_response(&mut self, response: &(impl ResponseView + ?Sized)) {
        for (need, slot) in self.needs.iter().zip(&mut self.slots) {
            let value = match need {
                Expression::StatusCode => Some(Value::from(response.status())),
                Expression::Response(Source::Header(name)) => {
                    response.header(name).map(|v| Value::String(v.to_owned()))
                }
                Expression::Response(Source::Body(pointer)) => {
                    response.body().and_then(|b| pointer.lookup(b)).cloned()
                }
                // Query and path parameters belong to the request.
                Expression::Response(_) => None,
                _ => continue,
            };
            *slot = value.map_or(Slot::Absent, Slot::Present);
        }
    }

    /// The captured value `expr` reads.
    pub(crate) fn find(&self, expr: &Expression) -> Result<&Value, Missing> {
        for (need, slot) in self.needs.iter().zip(&self.slots) {
            let Some(below) = reads_from(need, expr) else {
                continue;
            };
            return match slot {
                Slot::Pending => Err(Missing::NoResponse),
                Slot::Absent => Err(Missing::Absent),
                Slot::Present(value) => lookup_tokens(below, value).ok_or(Missing::Absent),
            };
        }
        Err(Missing::NotCaptured)
    }
}

/// When the value of `expr` is in the slot of `need`: the pointer tokens to
/// follow from that slot (none unless `need` is an ancestor body pointer).
fn reads_from<'e>(need: &Expression, expr: &'e Expression) -> Option<&'e [String]> {
    let (need, source) = match (need, expr) {
        (Expression::Url, Expression::Url)
        | (Expression::Method, Expression::Method)
        | (Expression::StatusCode, Expression::StatusCode) => return Some(&[]),
        (Expression::Request(need), Expression::Request(source))
        | (Expression::Response(need), Expression::Response(source)) => (need, source),
        _ => return None,
    };
    match (need, source) {
        (Source::Header(a), Source::Header(b)) if a.eq_ignore_ascii_case(b) => Some(&[]),
        (Source::Query(a), Source::Query(b)) | (Source::Path(a), Source::Path(b)) if a == b => {
            Some(&[])
        }
        (Source::Body(a), Source::Body(b)) if a.contains(b) => Some(a.below(b)),
        _ => None,
    }
}

/// A [`Captured`] is stored as a JSON object from each kept expression to
/// its value, so that an app can keep it with its own records and evaluate
/// the templates later (the callback of a payment that arrives hours after
/// the request). Parts the request did not have are `null`; response parts
/// not yet added are left out.
///
/// ```
/// use callback_expr::{CapturePlan, Captured, RequestParts, Template};
/// use serde_json::json;
///
/// let template = Template::parse("{$request.query.to}/invoices/{$request.body#/id}").unwrap();
/// let body = json!({"id": 7, "lines": []});
/// let captured = CapturePlan::new([&template]).capture(&RequestParts {
///     query: "to=https%3A%2F%2Fclient.example",
///     body: Some(&body),
///     ..RequestParts::default()
/// });
/// let stored = serde_json::to_value(&captured).unwrap();
/// assert_eq!(stored, json!({"$request.query.to": "https://client.example", "$request.body#/id": 7}));
/// let restored: Captured = serde_json::from_value(stored).unwrap();
/// assert_eq!(template.evaluate(&restored).unwrap(), "https://client.example/invoices/7");
/// ```
impl serde::Serialize for Captured {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let kept = self
            .slots
            .iter()
            .filter(|s| !matches!(s, Slot::Pending))
            .count();
        let mut map = serializer.serialize_map(Some(kept))?;
        for (need, slot) in self.needs.iter().zip(&self.slots) {
            match slot {
                Slot::Pending => {}
                Slot::Absent => map.serialize_entry(&need.to_string(), &Value::Null)?,
                Slot::Present(value) => map.serialize_entry(&need.to_string(), value)?,
            }
        }
        map.end()
    }
}

impl<'de> serde::Deserialize<'de> for Captured {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::<String, Value>::deserialize(deserializer)?;
        let mut needs = Vec::with_capacity(map.len());
        let mut slots = Vec::with_capacity(map.len());
        for (key, value) in map {
            let expr = Expression::parse(&key).map_err(|e| {
                serde::de::Error::custom(format_args!("`{key}` is not a runtime expression: {e}"))
            })?;
            needs.push(expr);
            slots.push(match value {
                Value::Null => Slot::Absent,
                value => Slot::Present(value),
            });
        }
        Ok(Captured {
            needs: needs.into(),
            slots,
        })
    }
}
