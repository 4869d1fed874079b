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
//! Each public type has one path. The types of every app are at the root;
//! two modules are namespaces of their own:
//! - [`openapi`]: the document model, what [`ApiService::document`] returns
//!   and what [`Api`]'s metadata methods take;
//! - [`send`]: sending the declared callbacks and webhooks ([`send::Trigger`],
//!   [`send::Outgoing`], [`send::webhook`]), receiving them
//!   ([`send::SignedJson`]), and the operators' deliveries view
//!   ([`send::view`]);
//!
//! and [`delivery`] is the `callback-delivery` crate (the store, signing,
//! the SSRF guard, the sender and the dispatcher).
//!
//! Inside, the crate is laid out by when its code runs: `describe` (what the
//! macros generate: compile-time data), `openapi` (the document model),
//! `assembly` (start-up: the mounted operations become one checked
//! document), `serve` (request time: validating input, the docs site) and
//! `send` (request and delivery time). The code the macros generate reaches
//! what it needs through a hidden `__private` module, not part of the API.

mod api;
mod assembly;
mod describe;
pub mod openapi;
pub mod send;
mod serve;

pub use api::{Api, ApiScope, ApiService, ApiServiceFactory};
pub use assembly::AssemblyError;
pub use callback_macros::{
    callbacks, delete, get, head, options, patch, post, put, trace, webhooks,
};
pub use describe::{ApiInput, ApiOutput, CallbackGroup, OperationBuilder, WebhookGroup};
pub use serve::extract::{
    Cookies, Headers, InputError, ValidJson, ValidJsonFuture, ValidPath, ValidQuery,
};
pub use serve::validation::{HttpValidationError, LocationItem, ValidationError};

/// Delivery: the store, signing, the SSRF guard, the sender and the
/// dispatcher (the `callback-delivery` crate; feature `delivery`).
#[cfg(feature = "delivery")]
pub use callback_delivery as delivery;

/// Support for the generated code; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::api::Entry;
    pub use crate::describe::{
        callback_group, webhook_group, ApiOperation, CallbackSpec, OperationSpec, SecuritySpec,
    };
    pub use crate::send::groups::{CallbackGroupType, WebhookGroupType};
    pub use crate::send::trigger::{CaptureBody, TriggerPlan};
    pub use crate::serve::endpoint::{
        describe_inputs, opaque_parameters, serve, serve_with_status, takes_trigger, trigger_group,
        ApiInputs,
    };
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

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
