//! OpenAPI 3.1 and 3.2 documents with callbacks for actix-web, checked at
//! compile time.
//!
//! Annotate handlers with the route macros ([`get`], [`post`], …), declare
//! the requests your API makes back to its clients in a [`callbacks`]
//! module, mount everything through an [`Api`], and the app serves a checked
//! OpenAPI 3.1 document (or 3.2: [`Api::openapi_version`]) at
//! `/openapi.json` with Swagger UI at `/docs`, ReDoc at `/redoc` and Scalar
//! at `/scalar`.
//!
//! Features: each docs UI (`swagger-ui`, `redoc`, `scalar`), `delivery`
//! (sending and receiving callbacks: the `callback-delivery` crate),
//! `sqlite` and `postgres` (its stores) and `otel` (its telemetry). The
//! default is the three UIs, `delivery` and `sqlite`. With
//! `default-features = false` the binary carries none of the bundles and no
//! HTTP client, store or signing code, and serves only the document.
//!
//! Each public type has one path. The types of every app are at the root;
//! the modules are namespaces of their own:
//! - [`openapi`]: the document model, what [`ApiService::document`] returns
//!   and what [`Api`]'s metadata methods take;
//! - [`send`]: sending the declared callbacks and webhooks ([`send::Trigger`],
//!   [`send::Outgoing`], [`send::webhook`]);
//! - `receive`: receiving them (`receive::SignedJson`; feature `delivery`);
//! - `deliveries`: the operators' view of the deliveries (feature
//!   `delivery`);
//! - `delivery`: the `callback-delivery` crate (the store, signing, the
//!   SSRF guard, the sender and the dispatcher; feature `delivery`).
//!
//! Inside, the crate is in layers, each using only the ones before it:
//! 1. `openapi`: the document model (data);
//! 2. `describe`: the contracts every layer uses: what the macros generate,
//!    [`ApiInput`], [`ApiOutput`], [`OperationBuilder`] and the 422 body
//!    [`HttpValidationError`];
//! 3. `assembly`: start-up, the mounted operations become one checked
//!    document;
//! 4. `serve`: request time, the checks behind one 422 for every problem;
//! 5. `send`: computing the callback requests from a captured trigger;
//! 6. `actix`: the one adapter to actix-web: extraction, the handler's
//!    call, mounting and the docs site, receiving, the deliveries view.
//!
//! Only `actix` names actix-web. The code the macros generate reaches what
//! it needs through a hidden `__private` module, not part of the API.

mod actix;
mod assembly;
mod describe;
pub mod openapi;
pub mod send;
mod serve;

pub use actix::api::{Api, ApiScope, ApiService, ApiServiceFactory};
pub use actix::extract::{Cookies, Headers, ValidJson, ValidJsonFuture, ValidPath, ValidQuery};
pub use assembly::AssemblyError;
pub use callback_macros::{
    callbacks, delete, get, head, options, patch, post, put, trace, webhooks,
};
pub use describe::validation::{HttpValidationError, LocationItem, ValidationError};
pub use describe::{ApiInput, ApiOutput, BodyUse, CallbackGroup, OperationBuilder, WebhookGroup};
pub use serve::problems::InputError;

/// Receiving signed callbacks: an extractor that verifies the Standard
/// Webhooks signature on the raw body before decoding the declared body type
/// (feature `delivery`).
#[cfg(feature = "delivery")]
pub mod receive {
    pub use crate::actix::receive::{Received, SignedJson};
}

/// The operators' view of the deliveries: annotated handlers (JSON routes
/// and a page) to mount with [`Api::service`](crate::Api::service), behind
/// the app's own access rule (feature `delivery`).
#[cfg(feature = "delivery")]
pub mod deliveries {
    pub use crate::actix::deliveries::*;
}

/// Delivery: the store, signing, the SSRF guard, the sender and the
/// dispatcher (the `callback-delivery` crate; feature `delivery`).
#[cfg(feature = "delivery")]
pub use callback_delivery as delivery;

/// Support for the generated code; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::actix::api::Entry;
    pub use crate::actix::endpoint::{
        body_values_available_to, describe_inputs, opaque_parameters, serve, serve_with_status,
        trigger_group, Endpoint,
    };
    pub use crate::describe::ApiInputs;
    pub use crate::describe::{
        callback_group, webhook_group, ApiOperation, CallbackSpec, OperationSpec, SecuritySpec,
        Target,
    };
    pub use crate::send::groups::{CallbackGroupType, WebhookGroupType};
    pub use crate::send::trigger::TriggerPlan;
    pub use crate::serve::problems::OperationInputs;
    pub use actix_web;
    pub use callback_expr::{Method, ParameterRead};
    pub use serde::de::IgnoredAny;

    /// The plan of a group, kept once per group by the generated code.
    pub type PlanCell = ::std::sync::OnceLock<TriggerPlan>;

    /// Whether `group` (the group of a handler's `Trigger` argument, if it
    /// has one) is among the groups attached to the operation.
    pub const fn group_attached(
        group: Option<&crate::CallbackGroup>,
        attached: &[&crate::CallbackGroup],
    ) -> bool {
        let Some(group) = group else { return true };
        let mut i = 0;
        while i < attached.len() {
            if str_eq(attached[i].name(), group.name())
                && str_eq(attached[i].module_path(), group.module_path())
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
    const fn contains(names: &[&str], name: &str) -> bool {
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
        callback_expr::const_str_eq(a, b, false)
    }
}

#[cfg(test)]
mod layering_tests;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
