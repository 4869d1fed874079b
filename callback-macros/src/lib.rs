//! Procedural macros of `callback-runtime`; use them through that crate.
//!
//! - `#[get]`, `#[post]`, `#[put]`, `#[patch]`, `#[delete]`, `#[head]`,
//!   `#[options]`, `#[trace]` on an async handler: the actix-web service and
//!   its OpenAPI operation (see `route`).
//! - `#[callbacks]` on a module: a group of callback requests with runtime
//!   expression URLs (see `callbacks`).
//!
//! Stages: `args` parses attributes, `validate` checks paths and runtime
//! expressions, `route` and `callbacks` generate code.

mod args;
mod callbacks;
mod common;
#[cfg(test)]
mod expand_tests;
mod route;
mod validate;

use proc_macro::TokenStream;

use callback_expr::Method;

macro_rules! route_macros {
    ($($(#[$doc:meta])* $name:ident => $method:ident;)*) => {$(
        $(#[$doc])*
        #[proc_macro_attribute]
        pub fn $name(args: TokenStream, item: TokenStream) -> TokenStream {
            route::expand(Method::$method, args.into(), item.into()).into()
        }
    )*};
}

route_macros! {
    /// A `GET` handler and its OpenAPI operation.
    ///
    /// `#[get("/path/{id}", callbacks = group, operation_id = "…", tags = ["…"],
    /// summary = "…", description = "…", deprecated, hidden, status = 200,
    /// responses(404 => ErrorBody, 204), name = "…")]`; every key is optional.
    get => Get;
    /// A `POST` handler and its OpenAPI operation; keys as for `get`.
    post => Post;
    /// A `PUT` handler and its OpenAPI operation; keys as for `get`.
    put => Put;
    /// A `PATCH` handler and its OpenAPI operation; keys as for `get`.
    patch => Patch;
    /// A `DELETE` handler and its OpenAPI operation; keys as for `get`.
    delete => Delete;
    /// A `HEAD` handler and its OpenAPI operation; keys as for `get`.
    head => Head;
    /// An `OPTIONS` handler and its OpenAPI operation; keys as for `get`.
    options => Options;
    /// A `TRACE` handler and its OpenAPI operation; keys as for `get`.
    trace => Trace;
}

/// A group of callbacks: a module of signatures, each with a method
/// attribute whose string is the callback's URL template.
#[proc_macro_attribute]
pub fn callbacks(args: TokenStream, item: TokenStream) -> TokenStream {
    callbacks::expand(callbacks::Kind::Callbacks, args.into(), item.into()).into()
}

/// A group of webhooks: a module of signatures, each with a method
/// attribute, optionally naming the webhook (`#[post("newInvoice")]`;
/// the function's name otherwise).
#[proc_macro_attribute]
pub fn webhooks(args: TokenStream, item: TokenStream) -> TokenStream {
    callbacks::expand(callbacks::Kind::Webhooks, args.into(), item.into()).into()
}
