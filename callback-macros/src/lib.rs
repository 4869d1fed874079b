//! Procedural macros of `callback-runtime`; use them through that crate.
//!
//! - `#[get]`, `#[post]`, `#[put]`, `#[patch]`, `#[delete]`, `#[head]`,
//!   `#[options]`, `#[trace]` on an async handler: the actix-web service and
//!   its OpenAPI operation;
//! - `#[callbacks]` and `#[webhooks]` on a module: a group of callback
//!   requests with runtime-expression URLs, or of webhooks.
//!
//! Each macro runs the same stages, one module each: `attr` parses the
//! attributes into typed values, `ast` reads the annotated item into a
//! model (checking each part alone), `valid` checks what depends on several
//! parts, `expand` generates the code, and `fallback` emits the item with
//! every error instead. Problems go to one sink (`errors`), so one compile
//! reports them all.

mod ast;
mod attr;
mod errors;
mod expand;
#[cfg(test)]
mod expand_tests;
mod fallback;
mod valid;

use callback_expr::Method;
use proc_macro::TokenStream;

macro_rules! route_macros {
    ($($(#[$doc:meta])* $name:ident => $method:ident;)*) => {$(
        $(#[$doc])*
        #[proc_macro_attribute]
        pub fn $name(args: TokenStream, item: TokenStream) -> TokenStream {
            expand::route(Method::$method, args.into(), item.into()).into()
        }
    )*};
}

route_macros! {
    /// A `GET` handler and its OpenAPI operation.
    ///
    /// `#[get("/path/{id}", callbacks = group, operation_id = "…", tags = ["…"],
    /// summary = "…", description = "…", deprecated, hidden, status = 200,
    /// responses(404 => ErrorBody, 204), name = "…", crate = "…")]`; every key
    /// is optional.
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
/// `#[callbacks(crate = "…")]` names the runtime crate.
#[proc_macro_attribute]
pub fn callbacks(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::callbacks(args.into(), item.into()).into()
}

/// A group of webhooks: a module of signatures, each with a method
/// attribute, optionally naming the webhook (`#[post("newInvoice")]`;
/// the function's name otherwise). `#[webhooks(crate = "…")]` names the
/// runtime crate.
#[proc_macro_attribute]
pub fn webhooks(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::webhooks(args.into(), item.into()).into()
}
