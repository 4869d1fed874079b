//! A route attribute: `#[post("/invoices/", callbacks = invoice_callbacks, tags = ["invoices"])]`.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{bracketed, LitStr, Token};

use super::operation::OperationKey;
use super::{eq_value, flag, keys, parse_keys, positional, CratePath, OperationKeys, RoutePath};
use crate::errors::Errors;

keys! {
    /// The keys of a route attribute: an operation's, then a route's own.
    pub enum RouteKey {
        ..OperationKey,
        Tags = tags,
        Hidden = hidden,
        Name = name,
        Crate = crate,
    }
}

/// The arguments of a route attribute.
pub struct RouteAttr {
    pub path: RoutePath,
    pub operation: OperationKeys,
    /// `tags = ["…"]`.
    pub tags: Option<(Span, Vec<LitStr>)>,
    /// `hidden`: mounted, left out of the document.
    pub hidden: Option<(Span, bool)>,
    /// `name = "…"`: the actix-web resource name.
    pub name: Option<(Span, LitStr)>,
    /// `crate = "…"`: the runtime crate's path.
    pub krate: Option<(Span, CratePath)>,
}

impl RouteAttr {
    pub fn tags(&self) -> &[LitStr] {
        self.tags.as_ref().map_or(&[], |(_, tags)| tags)
    }

    pub fn hidden(&self) -> bool {
        self.hidden.as_ref().is_some_and(|(_, on)| *on)
    }

    pub fn name(&self) -> Option<&LitStr> {
        self.name.as_ref().map(|(_, name)| name)
    }

    pub fn krate(&self) -> CratePath {
        self.krate
            .as_ref()
            .map_or_else(CratePath::default, |(_, path)| path.clone())
    }
}

impl Parse for RouteAttr {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let errors = Errors::new();
        let path = positional(input, &errors, |input| {
            let lit: LitStr = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected the route's path as a string literal, e.g. `#[post(\"/invoices/\")]`",
                )
            })?;
            RoutePath::parse(lit)
        });
        let mut operation = OperationKeys::default();
        let (mut tags, mut hidden, mut name, mut krate) = (None, None, None, None);
        parse_keys(
            input,
            &errors,
            |_| None,
            |key, span, input| {
                match key {
                    RouteKey::OperationKey(key) => return operation.parse_value(key, span, input),
                    RouteKey::Tags => {
                        input.parse::<Token![=]>()?;
                        let content;
                        bracketed!(content in input);
                        let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
                        tags = Some((span, list.into_iter().collect()));
                    }
                    RouteKey::Hidden => hidden = Some((span, flag(input)?)),
                    RouteKey::Name => name = Some((span, eq_value(input)?)),
                    RouteKey::Crate => krate = Some((span, CratePath::parse_value(input)?)),
                }
                Ok(())
            },
        );
        Ok(RouteAttr {
            path: errors.check(path)?,
            operation,
            tags,
            hidden,
            name,
            krate,
        })
    }
}
