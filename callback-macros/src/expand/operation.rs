//! The parts of an operation's description that a route and a group's
//! declarations write alike: responses, security, the doc comment.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Meta, Type};

use crate::attr::{ResponseArg, SecurityArg};

/// `__operation.…_response(STATUS, description);` and its headers, for one
/// entry of `responses(…)`.
pub fn describe_response(response: &ResponseArg) -> TokenStream {
    let status = &response.status;
    let description = option_str(response.description.as_ref().map(syn::LitStr::value));
    let add = match &response.body {
        Some(Type::Tuple(t)) if t.elems.is_empty() => {
            quote!(__operation.empty_response(#status, #description);)
        }
        Some(ty) => {
            quote_spanned!(ty.span()=> __operation.json_response::<#ty>(#status, #description);)
        }
        None => quote!(__operation.amend_response(#status, #description);),
    };
    let headers = response.headers.iter().map(|(name, text)| {
        let text = option_str(text.as_ref().map(syn::LitStr::value));
        quote!(__operation.response_header(#status, #name, #text);)
    });
    quote!(#add #(#headers)*)
}

/// `Some("…")` or `None`, for an `Option<&'static str>` field.
pub fn option_str(value: Option<String>) -> TokenStream {
    match value {
        Some(s) => quote!(::core::option::Option::Some(#s)),
        None => quote!(::core::option::Option::None),
    }
}

/// The doc comment as one `&'static str`: every `#[doc = …]` value, literal
/// or not (`include_str!`), joined by newlines. Split into summary and
/// description at start-up.
pub fn docs(attrs: &[Attribute]) -> TokenStream {
    let parts: Vec<&syn::Expr> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => Some(&nv.value),
            _ => None,
        })
        .collect();
    match parts.as_slice() {
        [] => quote!(""),
        [syn::Expr::Lit(_)] => {
            let only = parts[0];
            quote!(#only)
        }
        _ if parts.iter().all(|p| matches!(p, syn::Expr::Lit(_))) => {
            // Join literal lines here so the expansion stays readable.
            let joined = parts
                .iter()
                .filter_map(|p| match p {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s.value()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("\n");
            quote!(#joined)
        }
        _ => {
            let mut joined = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    joined.push(quote!("\n"));
                }
                joined.push(quote!(#part));
            }
            quote!(::core::concat!(#(#joined),*))
        }
    }
}

/// `Some(&[("bearer", &[]), …])` for `security(…)`, `None` when not given.
pub fn security(arg: Option<&[SecurityArg]>) -> TokenStream {
    match arg {
        None => quote!(::core::option::Option::None),
        Some(alternatives) => {
            let items = alternatives.iter().map(|a| {
                let scheme = &a.scheme;
                let scopes = &a.scopes;
                quote!((#scheme, &[#(#scopes),*]))
            });
            quote!(::core::option::Option::Some(&[#(#items),*]))
        }
    }
}
