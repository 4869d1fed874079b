//! Code generation from a checked model, and the stages each macro runs:
//! read the model (`ast`, with `attr`), check it (`valid`), then expand it
//! or, on any problem, emit the item with every error (`fallback`).

mod group;
mod operation;
mod route;

use callback_expr::Method;
use proc_macro2::TokenStream;

use crate::ast::{Group, Route};
use crate::attr::{CallbackAttr, WebhookAttr};
use crate::errors::Errors;
use crate::{fallback, valid};

pub use group::{group_items, Kind};

/// `#[get]`, `#[post]`, … on a handler.
pub fn route(method: Method, args: TokenStream, item: TokenStream) -> TokenStream {
    let errors = Errors::new();
    let route = Route::from_syn(method, args, item.clone(), &errors);
    if let Some(route) = &route {
        valid::route(route, &errors);
    }
    match errors.check(route) {
        Ok(route) => route::expand(&route),
        Err(error) => fallback::route(item, error),
    }
}

/// `#[callbacks]` on a module.
pub fn callbacks(args: TokenStream, item: TokenStream) -> TokenStream {
    group::<CallbackAttr>(args, item)
}

/// `#[webhooks]` on a module.
pub fn webhooks(args: TokenStream, item: TokenStream) -> TokenStream {
    group::<WebhookAttr>(args, item)
}

fn group<A: Kind>(args: TokenStream, item: TokenStream) -> TokenStream {
    let errors = Errors::new();
    let group = Group::<A>::from_syn(args.clone(), item.clone(), &errors);
    if let Some(group) = &group {
        valid::group(group, &errors);
    }
    match errors.check(group) {
        Ok(group) => group::expand(&group),
        Err(error) => fallback::group::<A>(args, item, error),
    }
}
