//! OpenAPI 3.1 documents with callbacks for actix-web, checked at compile
//! time.
//!
//! Annotate handlers with the route macros ([`get`], [`post`], …), declare
//! the requests your API makes back to its clients in a [`callbacks`]
//! module, mount everything through an [`Api`], and the app serves a checked
//! OpenAPI 3.1 document at `/openapi.json` with Swagger UI at `/docs`,
//! ReDoc at `/redoc` and Scalar at `/scalar`.
//!
//! Each docs UI is a feature, all on by default: `swagger-ui`, `redoc`,
//! `scalar`. With `default-features = false` the binary carries none of the
//! bundles and serves only the document; a page whose feature is off is not
//! served.
//!
//! The crate is laid out by when its code runs:
//! - [`describe`]: what the macros generate (compile-time data);
//! - [`openapi`]: the document model;
//! - `assembly`: start-up, turning mounted operations into one checked document;
//! - [`serve`]: request time, validating input and serving the docs site;
//! - [`send`]: request and delivery time, sending the declared callbacks
//!   (through [`delivery`]) and receiving them.

// The crate's own handlers (the deliveries view) use its route macros,
// whose expansion names `::callback_runtime`.
extern crate self as callback_runtime;

pub mod api;
mod assembly;
pub mod describe;
pub mod openapi;
pub mod send;
pub mod serve;

pub use api::{Api, ApiScope, ApiService};
pub use assembly::AssemblyError;
pub use callback_macros::{
    callbacks, delete, get, head, options, patch, post, put, trace, webhooks,
};
pub use describe::{ApiInput, ApiOutput, CallbackGroup, OperationBuilder, WebhookGroup};
pub use send::{Callback, SignedJson, Trigger, Webhook};
pub use serve::extract::{Cookies, Headers};

/// Delivery: the store, signing, the SSRF guard, the sender and the
/// dispatcher (the `callback-delivery` crate).
pub use callback_delivery as delivery;
pub use serve::validation::{HttpValidationError, LocationItem, ValidationError};

/// Support for the generated code; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::describe::{
        ApiOperation, CallbackGroup, CallbackSpec, Method, OperationSpec, WebhookGroup,
    };
    pub use crate::send::trigger::CaptureBody;
    pub use crate::send::{Callback, CallbackGroupType, TriggerPlan, Webhook, WebhookGroupType};
    pub use crate::serve::problems::{OperationInputs, Problems};
    pub use actix_web;
    pub use callback_expr::ParameterRead;
    pub use serde::de::IgnoredAny;

    /// A handler's answer with the operation's declared status (`status =
    /// 201`) in place of the default 200; any other status (an error, an
    /// explicit `HttpResponse`) is left as it is.
    pub struct WithStatus<R>(pub R, pub u16);

    impl<R: actix_web::Responder> actix_web::Responder for WithStatus<R> {
        type Body = actix_web::body::BoxBody;

        fn respond_to(self, request: &actix_web::HttpRequest) -> actix_web::HttpResponse {
            let mut response = self.0.respond_to(request).map_into_boxed_body();
            if response.status() == actix_web::http::StatusCode::OK {
                if let Ok(status) = actix_web::http::StatusCode::from_u16(self.1) {
                    *response.status_mut() = status;
                }
            }
            response
        }
    }

    /// Starts the extraction of a handler's input `I`.
    pub fn extract<I: crate::ApiInput>(
        request: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> <I::Extractor as actix_web::FromRequest>::Future {
        <I::Extractor as actix_web::FromRequest>::from_request(request, payload)
    }

    /// The plan of a group, kept once per group by the generated code.
    pub type PlanCell = ::std::sync::OnceLock<TriggerPlan>;

    /// Whether `group` (the group of a handler's `Trigger` argument, if it
    /// has one) is among the groups attached to the operation.
    pub const fn group_attached(
        group: Option<&CallbackGroup>,
        attached: &[&CallbackGroup],
    ) -> bool {
        let Some(group) = group else { return true };
        let mut i = 0;
        while i < attached.len() {
            if str_eq(attached[i].name, group.name)
                && str_eq(attached[i].module_path, group.module_path)
            {
                return true;
            }
            i += 1;
        }
        false
    }

    /// The compile error of the first of a group's parameter reads that an
    /// operation with these `path` parameters does not have (and, unless
    /// an input is `opaque`, no query or header parameters): the one
    /// checker of `callback_expr`, with what a route macro knows.
    pub const fn parameter_problem(
        reads: &[ParameterRead<'static>],
        path: &[&str],
        opaque: bool,
    ) -> Option<&'static str> {
        callback_expr::first_problem(
            reads,
            &callback_expr::KnownParameters::from_path(path, opaque),
        )
    }

    /// Whether `names` contains `name` (in `const` assertions).
    pub const fn contains(names: &[&str], name: &str) -> bool {
        let mut i = 0;
        while i < names.len() {
            if str_eq(names[i], name) {
                return true;
            }
            i += 1;
        }
        false
    }

    /// Whether two callback-name lists share a name (in `const` assertions).
    pub const fn overlap(a: &[&str], b: &[&str]) -> bool {
        let mut i = 0;
        while i < a.len() {
            if contains(b, a[i]) {
                return true;
            }
            i += 1;
        }
        false
    }

    const fn str_eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
