//! The attributes of a group and of the declarations in it:
//! `#[callbacks(crate = "…")]` on the module, and on each declaration a
//! method attribute whose string is a callback's URL template
//! ([`CallbackAttr`]) or a webhook's name ([`WebhookAttr`]).

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, LitStr, Meta};

use super::literal::webhook_name;
use super::operation::OperationKey;
use super::{keys, parse_keys, positional, CratePath, Keys, OperationKeys, RouteKey, UrlTemplate};
use crate::errors::Errors;

/// The method attribute of one declaration of a group: what a
/// `#[callbacks]` and a `#[webhooks]` module differ in.
pub trait DeclarationAttr: Sized {
    /// The group's attribute: `callbacks` or `webhooks`.
    const GROUP: &'static str;
    /// One declaration, in messages: `callback` or `webhook`.
    const NOUN: &'static str;
    /// The error for a declaration without a method attribute.
    const MISSING_METHOD: &'static str;
    /// The error for a group that declares nothing.
    const EMPTY_GROUP: &'static str;

    /// Reads `attr`, the method attribute of the declaration `name`.
    fn from_attribute(attr: &Attribute, name: &Ident) -> syn::Result<Self>;

    /// The keys every operation takes.
    fn operation(&self) -> &OperationKeys;
}

/// `#[post("{$request.query.callback_url}/invoices", …)]` on a callback:
/// its URL template, then an operation's keys.
pub struct CallbackAttr {
    pub url: UrlTemplate,
    pub operation: OperationKeys,
}

/// `#[post("newOrder", …)]` or `#[post]` on a webhook: its name (the
/// function's when not given), then an operation's keys.
pub struct WebhookAttr {
    pub name: LitStr,
    pub operation: OperationKeys,
}

impl DeclarationAttr for CallbackAttr {
    const GROUP: &'static str = "callbacks";
    const NOUN: &'static str = "callback";
    const MISSING_METHOD: &'static str = "a callback needs a method attribute with its URL, e.g. `#[post(\"{$request.query.callback_url}\")]`";
    const EMPTY_GROUP: &'static str = "this callback group declares no callback: add e.g. `#[post(\"{$request.query.callback_url}\")] fn notify(body: Event);`";

    fn from_attribute(attr: &Attribute, _: &Ident) -> syn::Result<Self> {
        attr.parse_args()
    }

    fn operation(&self) -> &OperationKeys {
        &self.operation
    }
}

impl DeclarationAttr for WebhookAttr {
    const GROUP: &'static str = "webhooks";
    const NOUN: &'static str = "webhook";
    const MISSING_METHOD: &'static str =
        "a webhook needs a method attribute, e.g. `#[post]` or `#[post(\"newOrder\")]`";
    const EMPTY_GROUP: &'static str = "this webhook group declares no webhook: add e.g. `#[post(\"newOrder\")] fn new_order(body: Order);`";

    fn from_attribute(attr: &Attribute, name: &Ident) -> syn::Result<Self> {
        match &attr.meta {
            // `#[post]`: named after the function.
            Meta::Path(_) => Ok(WebhookAttr {
                name: LitStr::new(&name.to_string(), name.span()),
                operation: OperationKeys::default(),
            }),
            _ => attr.parse_args(),
        }
    }

    fn operation(&self) -> &OperationKeys {
        &self.operation
    }
}

impl Parse for CallbackAttr {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let errors = Errors::new();
        let url = positional(input, &errors, |input| {
            let lit: LitStr = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected the callback's URL template as a string literal, e.g. `#[post(\"{$request.query.callback_url}/events\")]`",
                )
            })?;
            UrlTemplate::parse(lit)
        });
        let operation = operation_keys::<Self>(input, &errors);
        Ok(CallbackAttr {
            url: errors.check(url)?,
            operation,
        })
    }
}

impl Parse for WebhookAttr {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let errors = Errors::new();
        let name = positional(input, &errors, |input| {
            let lit: LitStr = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected the webhook's name as a string literal, e.g. `#[post(\"newOrder\")]`",
                )
            })?;
            webhook_name(lit)
        });
        let operation = operation_keys::<Self>(input, &errors);
        Ok(WebhookAttr {
            name: errors.check(name)?,
            operation,
        })
    }
}

/// The keys after a declaration's string. A route's own key is refused
/// with a message of its own, `crate` with where it goes.
fn operation_keys<A: DeclarationAttr>(input: ParseStream<'_>, errors: &Errors) -> OperationKeys {
    fn misplaced<A: DeclarationAttr>(key: &str) -> Option<String> {
        let mut route_keys = Vec::new();
        RouteKey::names(&mut route_keys);
        if key == "crate" {
            Some(format!(
                "`crate` does not apply to one {}: give it to the group, `#[{}(crate = \"…\")]`",
                A::NOUN,
                A::GROUP
            ))
        } else if route_keys.contains(&key) {
            Some(format!("`{key}` does not apply to a {}", A::NOUN))
        } else {
            None
        }
    }
    let mut operation = OperationKeys::default();
    parse_keys::<OperationKey>(input, errors, misplaced::<A>, |key, span, input| {
        operation.parse_value(key, span, input)
    });
    operation
}

keys! {
    /// The keys of a group attribute.
    enum GroupKey {
        Crate = crate,
    }
}

/// The arguments of `#[callbacks(…)]` and `#[webhooks(…)]`.
#[derive(Default)]
pub struct GroupAttr {
    /// `crate = "…"`: the runtime crate's path.
    pub krate: Option<(Span, CratePath)>,
}

impl GroupAttr {
    pub fn krate(&self) -> CratePath {
        self.krate
            .as_ref()
            .map_or_else(CratePath::default, |(_, path)| path.clone())
    }
}

impl Parse for GroupAttr {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let errors = Errors::new();
        let mut krate = None;
        parse_keys(
            input,
            &errors,
            |_| None,
            |key, span, input| {
                match key {
                    GroupKey::Crate => krate = Some((span, CratePath::parse_value(input)?)),
                }
                Ok(())
            },
        );
        errors.finish()?;
        Ok(GroupAttr { krate })
    }
}
