//! Extractors that answer malformed input with the documented 422 body.
//!
//! They stand in for `web::Json`, `web::Query` and `web::Path` in the
//! wrappers the route macros generate. The fast path is the same serde call
//! actix-web makes, straight into the handler's type; a failed request
//! answers an [`InputError`] that keeps what was sent, and the route's
//! wrapper checks it against the operation's schemas to name every problem
//! at once.

use std::future::{ready, Future, Ready};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::describe::validation::{HttpValidationError, LocationItem};
use crate::openapi::ParameterIn;
use crate::serve::problems::InputError;

/// The body of a JSON request, validated, with the raw body it was parsed
/// from (a reference-counted handle, not a copy), for a callback group's
/// trigger that reads values of it.
#[derive(Debug)]
pub struct ValidJson<T>(pub T, web::Bytes);

impl<T> ValidJson<T> {
    /// The raw body the value was parsed from.
    pub fn raw(&self) -> Option<&web::Bytes> {
        Some(&self.1)
    }
}

/// The query string, validated.
#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

/// The path parameters, validated.
#[derive(Debug)]
pub struct ValidPath<T>(pub T);

/// Request headers deserialized into `T`, each field a documented header
/// parameter. Header names are matched in lower case: name the fields (or
/// `#[serde(rename = "x-request-id")]` them) in lower case.
///
/// ```
/// use callback_runtime::Headers;
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Tracing {
///     /// Correlates the request with the caller's logs.
///     #[serde(rename = "x-request-id")]
///     request_id: Option<String>,
/// }
///
/// async fn handler(headers: Headers<Tracing>) -> String {
///     headers.0.request_id.unwrap_or_default()
/// }
/// ```
#[derive(Debug)]
pub struct Headers<T>(pub T);

/// Request cookies deserialized into `T`, each field a documented cookie
/// parameter.
#[derive(Debug)]
pub struct Cookies<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ValidJson<T> {
    type Error = actix_web::Error;
    type Future = ValidJsonFuture<T>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ValidJsonFuture {
            state: start_json(req, payload),
            target: PhantomData,
        }
    }
}

/// Starts reading a JSON body, unless its content type is not JSON.
fn start_json(req: &HttpRequest, payload: &mut Payload) -> JsonState {
    match content_type_problem(req) {
        Some(problem) => JsonState::Rejected(Some(problem)),
        None => JsonState::Reading(web::Bytes::from_request(req, payload)),
    }
}

/// The future of [`ValidJson`]: reads the body, then deserializes it. Not
/// boxed, so extraction costs what actix-web's own `Json` costs.
pub struct ValidJsonFuture<T> {
    state: JsonState,
    target: PhantomData<fn() -> T>,
}

enum JsonState {
    Reading(<web::Bytes as FromRequest>::Future),
    Rejected(Option<InputError>),
}

impl<T: DeserializeOwned> Future for ValidJsonFuture<T> {
    type Output = Result<ValidJson<T>, actix_web::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Only the deserialization depends on `T`; the rest is compiled once.
        read_body(&mut self.state, cx).map(|bytes| {
            let bytes = bytes?;
            parse_json(&bytes)
                .map(|value| ValidJson(value, bytes))
                .map_err(actix_web::Error::from)
        })
    }
}

/// Reads the body of a [`ValidJsonFuture`]; a body that cannot be read (too
/// large, cut short) is answered with its own status and a JSON body.
fn read_body(
    state: &mut JsonState,
    cx: &mut Context<'_>,
) -> Poll<Result<web::Bytes, actix_web::Error>> {
    match state {
        JsonState::Rejected(problem) => {
            let problem = problem.take().expect("polled after completion");
            Poll::Ready(Err(problem.into()))
        }
        JsonState::Reading(body) => Pin::new(body).poll(cx).map(|bytes| {
            bytes.map_err(|e| {
                let status = e.as_response_error().status_code();
                let body = HttpValidationError::single(
                    vec![LocationItem::Name("body".into())],
                    e.to_string(),
                    "payload",
                );
                actix_web::error::InternalError::from_response(
                    e,
                    actix_web::HttpResponse::build(status).json(body),
                )
                .into()
            })
        }),
    }
}

/// Deserializes a JSON body: one serde pass straight into `T`. On failure
/// the bytes are kept (a reference-counted handle), to be checked against
/// the body's schema.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &web::Bytes) -> Result<T, InputError> {
    serde_json::from_slice(bytes).map_err(|e| InputError::body(bytes.clone(), &e))
}

fn content_type_problem(req: &HttpRequest) -> Option<InputError> {
    let value = req.headers().get(CONTENT_TYPE)?.as_bytes();
    // The media type without its parameters, compared as bytes (no UTF-8
    // check on the happy path).
    let essence = value
        .split(|b| *b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    let json = essence.eq_ignore_ascii_case(b"application/json")
        || (essence.len() > 5 && essence[essence.len() - 5..].eq_ignore_ascii_case(b"+json"));
    (!json).then(|| {
        InputError::last_word(HttpValidationError::single(
            vec![LocationItem::Name("body".into())],
            format!(
                "expected a JSON body (Content-Type: application/json), got `{}`",
                String::from_utf8_lossy(essence)
            ),
            "content_type",
        ))
    })
}

impl<T: DeserializeOwned> FromRequest for ValidQuery<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let query = req.query_string();
        ready(
            serde_urlencoded::from_str(query)
                .map(ValidQuery)
                .map_err(|e| query_problem(query, &e)),
        )
    }
}

/// The error of a query string that did not deserialize: its pairs, kept to
/// be checked against the parameters' schemas.
fn query_problem(query: &str, error: &serde_urlencoded::de::Error) -> actix_web::Error {
    let pairs: Vec<_> = form_urlencoded::parse(query.as_bytes()).collect();
    InputError::parameters(
        ParameterIn::Query,
        &mut pairs.iter().map(|(n, v)| (&**n, &**v)),
        error,
    )
    .into()
}

impl<T: DeserializeOwned> FromRequest for ValidPath<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let path = req.match_info();
        ready(
            T::deserialize(actix_router::PathDeserializer::new(path))
                .map(ValidPath)
                .map_err(|e| {
                    InputError::parameters(ParameterIn::Path, &mut path.iter(), &e).into()
                }),
        )
    }
}

/// Deserializes name/value pairs as a query string would be (numbers and
/// booleans parsed from text); `location` names them in errors.
fn from_pairs<'a, T: DeserializeOwned, I: Iterator<Item = (&'a str, &'a str)>>(
    location: ParameterIn,
    pairs: impl Fn() -> I,
) -> Result<T, actix_web::Error> {
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs())
        .finish();
    serde_urlencoded::from_str(&encoded)
        .map_err(|e| InputError::parameters(location, &mut pairs(), &e).into())
}

impl<T: DeserializeOwned> FromRequest for Headers<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = || {
            req.headers()
                .iter()
                .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str(), v)))
        };
        ready(from_pairs(ParameterIn::Header, pairs).map(Headers))
    }
}

impl<T: DeserializeOwned> FromRequest for Cookies<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let cookies = || {
            req.headers()
                .get_all(actix_web::http::header::COOKIE)
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|pair| pair.split_once('='))
                .map(|(name, value)| (name.trim(), value.trim()))
        };
        ready(from_pairs(ParameterIn::Cookie, cookies).map(Cookies))
    }
}
