//! A route: an `async fn` handler under `#[get]`, `#[post]`, …

use callback_expr::Method;
use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReturnType, Type};

use crate::attr::RouteAttr;
use crate::errors::Errors;

/// A handler and its route attribute.
pub struct Route {
    pub method: Method,
    pub attr: RouteAttr,
    pub func: ItemFn,
    /// The argument types, in order.
    pub inputs: Vec<Type>,
    /// The return type (`()` when there is none); `None` for an
    /// `impl Trait`, documented by `responses(…)` alone.
    pub output: Option<Type>,
}

impl Route {
    /// Reads `#[method(args)] item`, adding every problem to `errors`.
    pub fn from_syn(
        method: Method,
        args: TokenStream,
        item: TokenStream,
        errors: &Errors,
    ) -> Option<Route> {
        let Ok(func) = syn::parse2::<ItemFn>(item) else {
            errors.error(
                Span::call_site(),
                format!("`#[{}]` goes on an `async fn` handler", method.as_str()),
            );
            return None;
        };
        let attr = errors.ok(syn::parse2::<RouteAttr>(args));
        let sig = &func.sig;
        if sig.asyncness.is_none() {
            errors.error(sig.fn_token.span, "a route handler must be an `async fn`");
        }
        if !sig.generics.params.is_empty() {
            errors.spanned(&sig.generics, "a route handler cannot be generic");
        }
        let mut inputs = Vec::new();
        for arg in &sig.inputs {
            match arg {
                FnArg::Receiver(r) => errors.error(r.span(), "a route handler cannot take `self`"),
                FnArg::Typed(t) => inputs.push((*t.ty).clone()),
            }
        }
        let output = match &sig.output {
            ReturnType::Default => Some(syn::parse_quote!(())),
            ReturnType::Type(_, ty) if matches!(**ty, Type::ImplTrait(_)) => None,
            ReturnType::Type(_, ty) => Some((**ty).clone()),
        };
        Some(Route {
            method,
            attr: attr?,
            func,
            inputs,
            output,
        })
    }

    /// `deprecated` in the attribute, or `#[deprecated]` on the handler.
    pub fn deprecated(&self) -> bool {
        self.attr.operation.deprecated()
            || self
                .func
                .attrs
                .iter()
                .any(|a| a.path().is_ident("deprecated"))
    }
}
