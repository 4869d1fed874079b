//! A callback group's trigger as an actix-web handler argument: captured
//! from the request once the other arguments are extracted, with the body
//! values its templates read handed over by the JSON body argument.

use std::borrow::Cow;
use std::future::{ready, Ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use bytes::Bytes;
use callback_expr::{BodyPaths, RequestView};
use serde_json::Value;

use crate::describe::{ApiInput, CallbackGroup, OperationBuilder};
use crate::send::groups::CallbackGroupType;
use crate::send::Trigger;

/// A request as capture reads it.
struct ActixRequest<'r> {
    request: &'r HttpRequest,
    /// The body values the plan reads, by its `body_paths`' pointers.
    body: Vec<Option<Value>>,
    paths: &'r BodyPaths,
}

impl RequestView for ActixRequest<'_> {
    fn method(&self) -> &str {
        self.request.method().as_str()
    }

    fn url(&self) -> Cow<'_, str> {
        let info = self.request.connection_info();
        Cow::Owned(format!(
            "{}://{}{}",
            info.scheme(),
            info.host(),
            self.request.uri()
        ))
    }

    fn path_param(&self, name: &str) -> Option<&str> {
        self.request.match_info().get(name)
    }

    fn query(&self) -> &str {
        self.request.query_string()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.request.headers().get(name)?.to_str().ok()
    }

    fn body(&self) -> Option<&Value> {
        None
    }

    fn body_at(&self, pointer: &callback_expr::JsonPointer) -> Option<Value> {
        let slot = self.paths.pointers().iter().position(|p| p == pointer)?;
        self.body.get(slot)?.clone()
    }
}

/// What actix-web extracts for a [`Trigger`]: the request, captured once
/// every other argument has been extracted and the JSON body argument (if
/// the group's templates read the body) has handed over the raw body.
#[doc(hidden)]
pub struct TriggerExtractor<G> {
    request: HttpRequest,
    body: Option<Bytes>,
    group: PhantomData<fn() -> G>,
}

impl<G> FromRequest for TriggerExtractor<G> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(TriggerExtractor {
            request: request.clone(),
            body: None,
            group: PhantomData,
        }))
    }
}

impl<G: CallbackGroupType> ApiInput for Trigger<G> {
    type Extractor = TriggerExtractor<G>;
    const OPAQUE_PARAMETERS: bool = false;
    const CALLBACK_GROUP: Option<&'static CallbackGroup> = Some(G::GROUP);
    const BODY_VALUES: bool = G::GROUP.reads_request_body();

    fn receive_body(extracted: &mut TriggerExtractor<G>, body: Option<&Bytes>) {
        extracted.body = body.cloned();
    }

    fn from_extractor(extracted: TriggerExtractor<G>) -> Self {
        let plan = G::plan();
        // Only the body's values the templates read are parsed.
        let body = match &extracted.body {
            Some(bytes) if !plan.body_paths().is_empty() => {
                plan.body_paths().extract(bytes).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        Trigger::capture(&ActixRequest {
            request: &extracted.request,
            body,
            paths: plan.body_paths(),
        })
    }

    fn describe(_: &mut OperationBuilder<'_>) {}
}
