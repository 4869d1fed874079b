//! Extractors that answer malformed input with the documented 422 body.
//!
//! They stand in for `web::Json`, `web::Query` and `web::Path` in the
//! wrappers the route macros generate. The fast path is the same serde call
//! actix-web makes; only a failed request is deserialized a second time,
//! through `serde_path_to_error`, to find where the problem is.

use std::future::{ready, Future, Ready};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;

use super::validation::{HttpValidationError, LocationItem};

/// The body of a JSON request, validated.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

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
/// use callback_runtime::serve::extract::Headers;
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
        let state = match content_type_problem(req) {
            Some(problem) => JsonState::Rejected(Some(problem)),
            None => JsonState::Reading(web::Bytes::from_request(req, payload)),
        };
        // Operations with callbacks keep the raw body for their `Trigger`.
        let capture = req
            .app_data::<crate::send::trigger::CaptureBody>()
            .map(|_| req.clone());
        ValidJsonFuture {
            state,
            capture,
            target: PhantomData,
        }
    }
}

/// The future of [`ValidJson`]: reads the body, then deserializes it. Not
/// boxed, so extraction costs what actix-web's own `Json` costs.
pub struct ValidJsonFuture<T> {
    state: JsonState,
    capture: Option<HttpRequest>,
    target: PhantomData<fn() -> T>,
}

enum JsonState {
    Reading(<web::Bytes as FromRequest>::Future),
    Rejected(Option<HttpValidationError>),
}

impl<T: DeserializeOwned> Future for ValidJsonFuture<T> {
    type Output = Result<ValidJson<T>, actix_web::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            JsonState::Rejected(problem) => {
                let problem = problem.take().expect("polled after completion");
                Poll::Ready(Err(problem.into()))
            }
            JsonState::Reading(body) => Pin::new(body).poll(cx).map(|bytes| {
                if let (Ok(bytes), Some(request)) = (&bytes, &self.capture) {
                    request
                        .extensions_mut()
                        .insert(crate::send::trigger::CapturedBody(bytes.clone()));
                }
                let bytes = bytes.map_err(|e| {
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
                })?;
                parse_json(&bytes).map(ValidJson).map_err(Into::into)
            }),
        }
    }
}

fn content_type_problem(req: &HttpRequest) -> Option<HttpValidationError> {
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
        HttpValidationError::single(
            vec![LocationItem::Name("body".into())],
            format!(
                "expected a JSON body (Content-Type: application/json), got `{}`",
                String::from_utf8_lossy(essence)
            ),
            "content_type",
        )
    })
}

/// Deserializes a JSON body; on failure, locates the problem.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, HttpValidationError> {
    serde_json::from_slice(bytes).map_err(|_| {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Ok(_) => HttpValidationError::single(
                vec![LocationItem::Name("body".into())],
                "Invalid JSON",
                "json_invalid",
            ),
            Err(e) => {
                let syntax = !e.inner().is_data();
                HttpValidationError::from_serde("body", e.path(), &e.inner().to_string(), syntax)
            }
        }
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
                .map_err(|_| {
                    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(
                        query.as_bytes(),
                    ));
                    match serde_path_to_error::deserialize::<_, T>(deserializer) {
                        Ok(_) => HttpValidationError::single(
                            vec![LocationItem::Name("query".into())],
                            "Invalid query",
                            "invalid_value",
                        ),
                        Err(e) => HttpValidationError::from_serde(
                            "query",
                            e.path(),
                            &e.inner().to_string(),
                            false,
                        ),
                    }
                    .into()
                }),
        )
    }
}

impl<T: DeserializeOwned> FromRequest for ValidPath<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let deserializer = || actix_router::PathDeserializer::new(req.match_info());
        ready(T::deserialize(deserializer()).map(ValidPath).map_err(|_| {
            match serde_path_to_error::deserialize::<_, T>(deserializer()) {
                Ok(_) => HttpValidationError::single(
                    vec![LocationItem::Name("path".into())],
                    "Invalid path",
                    "invalid_value",
                ),
                Err(e) => {
                    HttpValidationError::from_serde("path", e.path(), &e.inner().to_string(), false)
                }
            }
            .into()
        }))
    }
}

/// Deserializes name/value pairs as a query string would be (numbers and
/// booleans parsed from text); `part` names them in errors.
fn from_pairs<'a, T: DeserializeOwned>(
    part: &str,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<T, HttpValidationError> {
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    serde_urlencoded::from_str(&encoded).map_err(|_| {
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
        match serde_path_to_error::deserialize::<_, T>(deserializer) {
            Ok(_) => HttpValidationError::single(
                vec![LocationItem::Name(part.into())],
                "Invalid value",
                "invalid_value",
            ),
            Err(e) => {
                HttpValidationError::from_serde(part, e.path(), &e.inner().to_string(), false)
            }
        }
    })
}

impl<T: DeserializeOwned> FromRequest for Headers<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = req
            .headers()
            .iter()
            .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str(), v)));
        ready(from_pairs("header", pairs).map(Headers).map_err(Into::into))
    }
}

impl<T: DeserializeOwned> FromRequest for Cookies<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let cookies = req
            .headers()
            .get_all(actix_web::http::header::COOKIE)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.split_once('='))
            .map(|(name, value)| (name.trim(), value.trim()));
        ready(
            from_pairs("cookie", cookies)
                .map(Cookies)
                .map_err(Into::into),
        )
    }
}
