//! Parsing the macros' attributes into typed values, each key with its span.
//!
//! - [`RouteAttr`]: `#[post("/invoices/", callbacks = invoice_callbacks, …)]`
//!   on a handler;
//! - [`CallbackAttr`] and [`WebhookAttr`]: the method attribute of one
//!   declaration in a `#[callbacks]` module (whose string is a URL template)
//!   or a `#[webhooks]` module (whose string is the webhook's name);
//! - [`GroupAttr`]: `#[callbacks(crate = "…")]`, `#[webhooks(crate = "…")]`.
//!
//! Keys are keywords (`syn::custom_keyword!`) listed once per attribute with
//! [`keys!`]: the list gives both the `lookahead1` peeks, hence the
//! "expected one of" message, and the names a misspelt key is compared with.
//! [`parse_keys`] reads `key = value` pairs, reports a repeated key at its
//! second occurrence, and goes on after a bad key or value, so that one
//! compile reports every problem of the attribute.
//!
//! The strings of an attribute are checked by their own grammar as they are
//! read ([`literal`]): the model after this stage holds a route's path
//! parameters and a callback's parsed URL template.

mod declaration;
mod krate;
mod literal;
mod operation;
mod route;
#[cfg(test)]
mod tests;

use proc_macro2::{Span, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{Lookahead1, Parse, ParseStream};
use syn::{Ident, LitBool, LitInt, Token};

use crate::errors::Errors;

pub use declaration::{CallbackAttr, DeclarationAttr, GroupAttr, WebhookAttr};
pub use krate::CratePath;
pub use literal::{RoutePath, UrlTemplate};
pub use operation::{path_text, OperationKeys, ResponseArg, SecurityArg};
pub use route::{RouteAttr, RouteKey};

/// The keywords of every attribute, each declared once.
pub mod kw {
    syn::custom_keyword!(body);
    syn::custom_keyword!(callbacks);
    syn::custom_keyword!(deprecated);
    syn::custom_keyword!(description);
    syn::custom_keyword!(headers);
    syn::custom_keyword!(hidden);
    syn::custom_keyword!(name);
    syn::custom_keyword!(operation_id);
    syn::custom_keyword!(responses);
    syn::custom_keyword!(security);
    syn::custom_keyword!(status);
    syn::custom_keyword!(summary);
    syn::custom_keyword!(tags);
}

/// The token type of a key: `crate` is Rust's keyword, the others ours.
macro_rules! keyword {
    (crate) => {
        ::syn::Token![crate]
    };
    ($name:ident) => {
        $crate::attr::kw::$name
    };
}

/// Declares the keys of one attribute as an enum: `Variant = keyword`, in
/// the order of the "expected one of" message. `..Other` first includes
/// the keys of another such enum as the variant `Other(key)`.
macro_rules! keys {
    (
        $(#[$meta:meta])*
        $vis:vis enum $Key:ident {
            $(..$Inner:ident,)?
            $($Variant:ident = $word:tt,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        $vis enum $Key {
            $($Inner($Inner),)?
            $($Variant,)*
        }

        impl $crate::attr::Keys for $Key {
            fn peek(
                input: ::syn::parse::ParseStream<'_>,
                lookahead: &::syn::parse::Lookahead1<'_>,
            ) -> ::syn::Result<Option<(Self, ::proc_macro2::Span)>> {
                $(
                    if let Some((key, span)) = <$Inner as $crate::attr::Keys>::peek(input, lookahead)? {
                        return Ok(Some(($Key::$Inner(key), span)));
                    }
                )?
                $(
                    if lookahead.peek($crate::attr::keyword!($word)) {
                        let token: $crate::attr::keyword!($word) = input.parse()?;
                        return Ok(Some(($Key::$Variant, token.span)));
                    }
                )*
                Ok(None)
            }

            fn names(names: &mut Vec<&'static str>) {
                $(<$Inner as $crate::attr::Keys>::names(names);)?
                names.extend([$(stringify!($word)),*]);
            }

            fn name(self) -> &'static str {
                match self {
                    $($Key::$Inner(key) => $crate::attr::Keys::name(key),)?
                    $($Key::$Variant => stringify!($word),)*
                }
            }
        }
    };
}
pub(crate) use {keys, keyword};

/// The keys of one attribute, declared with [`keys!`].
pub trait Keys: Copy + PartialEq + Sized {
    /// The key `input` starts with, taken from it with its span; `None`
    /// (and `lookahead` knows every key) if there is none.
    fn peek(
        input: ParseStream<'_>,
        lookahead: &Lookahead1<'_>,
    ) -> syn::Result<Option<(Self, Span)>>;
    /// Every key as written, in order.
    fn names(names: &mut Vec<&'static str>);
    /// This key as written.
    fn name(self) -> &'static str;
}

/// Reads `key …, key …` (a trailing `,` allowed) to the end of `input`,
/// `value` reading what follows each key. Every problem goes to `errors`:
/// an unknown key or a bad value skips to the next `,`, a repeated key is
/// an error at its second occurrence (its value unread). `misplaced` may
/// say why a key that is not one of `K` does not apply here.
pub fn parse_keys<K: Keys>(
    input: ParseStream<'_>,
    errors: &Errors,
    misplaced: fn(&str) -> Option<String>,
    mut value: impl FnMut(K, Span, ParseStream<'_>) -> syn::Result<()>,
) {
    let mut seen: Vec<K> = Vec::new();
    while !input.is_empty() {
        let lookahead = input.lookahead1();
        let entry = match K::peek(input, &lookahead) {
            Ok(Some((key, span))) if seen.contains(&key) => Err(syn::Error::new(
                span,
                format!("duplicate `{}`: each key may be given once", key.name()),
            )),
            Ok(Some((key, span))) => {
                seen.push(key);
                value(key, span, input)
            }
            Ok(None) => Err(unknown_key::<K>(input, lookahead, misplaced)),
            Err(error) => Err(error),
        };
        if let Err(error) = entry.and_then(|()| end_of_entry(input)) {
            errors.push(error);
            skip_entry(input);
        }
        if !input.is_empty() {
            // After a skipped entry, at its `,`.
            let _ = input.parse::<Token![,]>();
        }
    }
}

/// Reads the first, positional argument with `parse`, and the `,` after
/// it. A problem is added to `errors` and the argument skipped, so that
/// the keys after it are still read.
pub fn positional<T>(
    input: ParseStream<'_>,
    errors: &Errors,
    parse: impl FnOnce(ParseStream<'_>) -> syn::Result<T>,
) -> Option<T> {
    let value = parse(input).and_then(|value| end_of_entry(input).map(|()| value));
    let value = match value {
        Ok(value) => Some(value),
        Err(error) => {
            errors.push(error);
            skip_entry(input);
            None
        }
    };
    if !input.is_empty() {
        let _ = input.parse::<Token![,]>();
    }
    value
}

/// What follows a value: `,` or the end.
fn end_of_entry(input: ParseStream<'_>) -> syn::Result<()> {
    if input.is_empty() || input.peek(Token![,]) {
        Ok(())
    } else {
        Err(input.error("expected `,`"))
    }
}

/// Skips to the next `,` at this level, or to the end.
fn skip_entry(input: ParseStream<'_>) {
    while !input.is_empty() && !input.peek(Token![,]) {
        if input.parse::<TokenTree>().is_err() {
            break;
        }
    }
}

/// The error for a word that is no key of `K`, at the word: which key it
/// is near, and the list `lookahead` makes of every key it was tried with.
fn unknown_key<K: Keys>(
    input: ParseStream<'_>,
    lookahead: Lookahead1<'_>,
    misplaced: fn(&str) -> Option<String>,
) -> syn::Error {
    let expected = lookahead.error();
    let Ok(word) = input.fork().call(Ident::parse_any) else {
        return expected;
    };
    let name = word.to_string();
    let message = match misplaced(&name) {
        Some(why) => format!("{why}: {expected}"),
        None => {
            let mut names = Vec::new();
            K::names(&mut names);
            let hint = callback_expr::suggest(&name, &names)
                .map_or_else(String::new, |key| format!("did you mean `{key}`? "));
            format!("unknown key `{name}`: {hint}{expected}")
        }
    };
    syn::Error::new(word.span(), message)
}

/// `= value`
pub fn eq_value<T: Parse>(input: ParseStream<'_>) -> syn::Result<T> {
    input.parse::<Token![=]>()?;
    input.parse()
}

/// `key` alone or `key = true|false`.
pub fn flag(input: ParseStream<'_>) -> syn::Result<bool> {
    if input.peek(Token![=]) {
        Ok(eq_value::<LitBool>(input)?.value)
    } else {
        Ok(true)
    }
}

/// A status code: an integer from 100 to 599.
pub fn status_code(input: ParseStream<'_>) -> syn::Result<LitInt> {
    let status: LitInt = input.parse()?;
    match status.base10_parse::<u16>() {
        Ok(100..=599) => Ok(status),
        _ => Err(syn::Error::new(
            status.span(),
            "expected an HTTP status code between 100 and 599",
        )),
    }
}
