//! A group: a `#[callbacks]` or `#[webhooks]` module of declarations.
//!
//! ```ignore
//! #[callbacks]
//! mod invoice_callbacks {
//!     use super::*;
//!
//!     /// Invoice notification
//!     #[post("{$request.query.callback_url}/invoices/{$request.body#/id}")]
//!     fn invoice_notification(body: InvoiceEvent) -> InvoiceEventReceived;
//! }
//! ```
//!
//! Each declaration is a signature without a body: the request body type is
//! its one parameter, the response type its return type.

use callback_expr::Method;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, ForeignItemFn, Ident, Item, ItemMod, ReturnType, Type, Visibility};

use crate::attr::{DeclarationAttr, GroupAttr};
use crate::errors::Errors;

/// A group module: its own items, kept as they are, and its declarations,
/// whose method attributes are read as `A` (a callback's or a webhook's).
pub struct Group<A> {
    pub attr: GroupAttr,
    /// The module's attributes, visibility and name.
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
    /// The module's items that are not declarations (`use super::*;`, …).
    pub others: Vec<Item>,
    pub declarations: Vec<Declaration<A>>,
}

/// One declaration: `#[post("…")] fn name(body: Body) -> Response;`.
pub struct Declaration<A> {
    /// Its doc comment, `#[deprecated]` and lint attributes.
    pub attrs: Vec<Attribute>,
    pub name: Ident,
    pub method: Method,
    pub attr: A,
    pub body: Option<Type>,
    pub response: Option<Type>,
}

/// Attributes a declaration may carry besides its method.
const KNOWN_ATTRIBUTES: &[&str] = &["doc", "deprecated", "allow", "expect", "warn", "deny"];

impl<A: DeclarationAttr> Group<A> {
    /// Reads `#[callbacks(args)] item` (or `#[webhooks(…)]`), adding every
    /// problem to `errors`.
    pub fn from_syn(args: TokenStream, item: TokenStream, errors: &Errors) -> Option<Self> {
        let Ok(module) = syn::parse2::<ItemMod>(item) else {
            errors.error(
                Span::call_site(),
                format!(
                    "`#[{}]` goes on an inline module: `mod name {{ … }}`",
                    A::GROUP
                ),
            );
            return None;
        };
        let attr = errors.ok(syn::parse2::<GroupAttr>(args));
        let Some((_, items)) = module.content else {
            errors.error(
                module.semi.span(),
                format!(
                    "`#[{}]` needs an inline module: `mod name {{ … }}`",
                    A::GROUP
                ),
            );
            return None;
        };
        let mut others = Vec::new();
        let mut declarations = Vec::new();
        let mut declared = 0;
        for item in items {
            let declaration = match &item {
                Item::Verbatim(tokens) => syn::parse2::<ForeignItemFn>(tokens.clone()).ok(),
                _ => None,
            };
            if let Some(declaration) = declaration {
                declared += 1;
                declarations.extend(Declaration::from_syn(declaration, errors));
                continue;
            }
            if let Item::Fn(f) = &item {
                if f.attrs.iter().any(|a| method_of(a).is_some()) {
                    errors.error(
                        f.block.brace_token.span.join(),
                        format!(
                            "a {} is declared without a body: end the signature with `;`",
                            A::NOUN
                        ),
                    );
                }
            }
            others.push(item);
        }
        if declared == 0 && !errors.any() {
            errors.error(module.ident.span(), A::EMPTY_GROUP);
        }
        Some(Group {
            attr: attr?,
            attrs: module.attrs,
            vis: module.vis,
            ident: module.ident,
            others,
            declarations,
        })
    }
}

impl<A: DeclarationAttr> Declaration<A> {
    /// Reads one declaration, adding every problem to `errors`.
    fn from_syn(declaration: ForeignItemFn, errors: &Errors) -> Option<Self> {
        let noun = A::NOUN;
        let sig = declaration.sig;
        let name = sig.ident.clone();
        let mut method_attr = None;
        let mut attrs = Vec::new();
        // An unknown attribute may be a misspelt method: then its error is
        // the one about the method attribute.
        let mut unknown_attribute = false;
        for attr in declaration.attrs {
            let path = attr.path();
            match method_of(&attr) {
                Some(method) if method_attr.is_none() => method_attr = Some((method, attr)),
                Some(_) => {
                    errors.spanned(path, format!("a {noun} has exactly one method attribute"))
                }
                None if path.is_ident("cfg") || path.is_ident("cfg_attr") => errors.spanned(
                    path,
                    format!(
                        "`#[cfg]` on a single {noun} is not supported: \
                         put conditional {noun}s in a group of their own"
                    ),
                ),
                None if KNOWN_ATTRIBUTES.iter().any(|k| path.is_ident(k)) => attrs.push(attr),
                None => {
                    unknown_attribute = true;
                    let methods: Vec<String> = Method::ALL
                        .iter()
                        .map(|m| format!("`{}`", m.as_str()))
                        .collect();
                    errors.spanned(
                        path,
                        format!(
                            "unknown attribute `{}` on a {noun}: expected a method attribute, one of {}",
                            path.to_token_stream().to_string().replace(' ', ""),
                            methods.join(", ")
                        ),
                    );
                }
            }
        }
        // The method attribute is read first: its problems come first in
        // the source.
        let read = match &method_attr {
            Some((method, attr)) => errors
                .ok(A::from_attribute(attr, &name))
                .map(|attr| (*method, attr)),
            None => {
                if !unknown_attribute {
                    errors.error(name.span(), A::MISSING_METHOD);
                }
                None
            }
        };
        if !sig.generics.params.is_empty() {
            errors.spanned(&sig.generics, format!("a {noun} cannot be generic"));
        }
        let mut inputs = sig.inputs.iter();
        let body = match inputs.next() {
            Some(FnArg::Typed(t)) => Some((*t.ty).clone()),
            Some(FnArg::Receiver(r)) => {
                errors.error(r.span(), format!("a {noun} cannot take `self`"));
                None
            }
            None => None,
        };
        if let Some(extra) = inputs.next() {
            errors.error(
                extra.span(),
                format!("a {noun} takes at most one parameter: its request body"),
            );
        }
        let response = match sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some(*ty),
        };
        let (method, attr) = read?;
        Some(Declaration {
            attrs,
            name,
            method,
            attr,
            body,
            response,
        })
    }

    /// `deprecated` in the attribute, or `#[deprecated]` on the declaration.
    pub fn deprecated(&self) -> bool {
        self.attr.operation().deprecated()
            || self.attrs.iter().any(|a| a.path().is_ident("deprecated"))
    }
}

/// The method of an attribute such as `#[post("…")]`.
pub fn method_of(attr: &Attribute) -> Option<Method> {
    let ident = attr.path().get_ident()?;
    Method::from_name(&ident.to_string())
}
