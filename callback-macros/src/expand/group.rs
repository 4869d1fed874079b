//! The expansion of a group: the module keeps its items and gains, per
//! declaration, a marker type for the sending API, and for the group its
//! description (`__GROUP` and its public name), its type `__Group`, its
//! declarations' names and its compile-time parameter check.

use callback_expr::{ParameterProblem, ParameterSource, Template};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::operation::{describe_response, docs, option_str, security};
use super::route::variant;
use crate::ast::{Declaration, Group};
use crate::attr::{CallbackAttr, CratePath, DeclarationAttr, WebhookAttr};

/// What the expansion of a group depends on its kind.
pub trait Kind: DeclarationAttr {
    /// Where the declared request goes, which is also its key in the
    /// document: a callback's URL template, a webhook's name (the
    /// runtime's `Target`).
    fn target(&self, rt: &TokenStream) -> TokenStream;

    /// The items of a declaration's marker type that name its key, and the
    /// runtime's trait it implements.
    fn marker_items(&self, krate: &CratePath) -> (TokenStream, TokenStream);

    /// The group's description, public constant and type impls, with its
    /// declarations' `specs`.
    fn group_items(krate: &CratePath, specs: TokenStream) -> TokenStream;

    /// The body of `__check_parameters`: empty when nothing is checked.
    fn parameter_check(group: &Group<Self>, krate: &CratePath) -> TokenStream;
}

impl Kind for CallbackAttr {
    fn target(&self, rt: &TokenStream) -> TokenStream {
        let url = &self.url.lit;
        quote!(#rt::Target::Url(#url))
    }

    fn marker_items(&self, krate: &CratePath) -> (TokenStream, TokenStream) {
        let url = &self.url.lit;
        let items = quote! {
            #[doc = " The callback's URL template, as declared."]
            pub const URL: &'static str = #url;
        };
        (items, quote!(#krate::send::Callback))
    }

    fn group_items(krate: &CratePath, specs: TokenStream) -> TokenStream {
        let rt = quote!(#krate::__private);
        quote! {
            #[doc(hidden)]
            pub const __GROUP: #krate::CallbackGroup = #rt::callback_group(#specs);

            #[doc = " This group, for `Api::callbacks` and `ApiScope::callbacks`."]
            pub const CALLBACK_GROUP: &#krate::CallbackGroup = &__GROUP;

            /// The type of this group, for the typed sending API.
            #[doc(hidden)]
            #[derive(Debug, Clone, Copy)]
            pub struct __Group;

            impl #rt::CallbackGroupType for __Group {
                const GROUP: &'static #krate::CallbackGroup = &__GROUP;

                fn plan() -> &'static #rt::TriggerPlan {
                    static PLAN: #rt::PlanCell = #rt::PlanCell::new();
                    PLAN.get_or_init(|| #rt::TriggerPlan::new(&__GROUP))
                }
            }

            /// The request that triggered this group's callbacks, as a
            /// handler argument: what the URL templates read of it,
            /// captured to send the callbacks now or later.
            pub type Trigger = #krate::send::Trigger<__Group>;
        }
    }

    fn parameter_check(group: &Group<Self>, krate: &CratePath) -> TokenStream {
        let rt = quote!(#krate::__private);
        let group_name = group.ident.to_string();
        let reads: Vec<TokenStream> = group
            .declarations
            .iter()
            .flat_map(|c| parameter_reads(&c.name, &c.attr.url.template, &group_name))
            .collect();
        if reads.is_empty() {
            return TokenStream::new();
        }
        quote! {
            use #rt::ParameterRead as Read;
            if let ::core::option::Option::Some(message) =
                #rt::parameter_problem(&[#(#reads),*], path, opaque)
            {
                ::core::panic!("{}", message)
            }
        }
    }
}

impl Kind for WebhookAttr {
    fn target(&self, rt: &TokenStream) -> TokenStream {
        let name = &self.name;
        quote!(#rt::Target::Webhook(#name))
    }

    fn marker_items(&self, krate: &CratePath) -> (TokenStream, TokenStream) {
        let name = &self.name;
        let items = quote! {
            #[doc = " The webhook's name in the document."]
            pub const NAME: &'static str = #name;
        };
        (items, quote!(#krate::send::Webhook))
    }

    fn group_items(krate: &CratePath, specs: TokenStream) -> TokenStream {
        let rt = quote!(#krate::__private);
        quote! {
            #[doc(hidden)]
            pub const __GROUP: #krate::WebhookGroup = #rt::webhook_group(#specs);

            #[doc = " This group, for `Api::webhooks`."]
            pub const WEBHOOK_GROUP: &#krate::WebhookGroup = &__GROUP;

            /// The type of this group, for the typed sending API.
            #[doc(hidden)]
            #[derive(Debug, Clone, Copy)]
            pub struct __Group;

            impl #rt::WebhookGroupType for __Group {
                const GROUP: &'static #krate::WebhookGroup = &__GROUP;
            }
        }
    }

    // A webhook group named in `callbacks = …` is refused through
    // `CallbackGroupType`; nothing to check here.
    fn parameter_check(_: &Group<Self>, _: &CratePath) -> TokenStream {
        TokenStream::new()
    }
}

pub fn expand<A: Kind>(group: &Group<A>) -> TokenStream {
    let krate = group.attr.krate();
    let Group {
        attrs,
        vis,
        ident,
        others,
        ..
    } = group;
    // The markers name the declared body and response types in their
    // `Callback` impls, so they are no more visible than those types
    // can be: the module's own visibility, or its parent's for a
    // private module (where `use super::*` finds the types).
    let marker_vis = match vis {
        syn::Visibility::Inherited => quote!(pub(super)),
        other => quote!(#other),
    };
    let markers = group
        .declarations
        .iter()
        .enumerate()
        .map(|(index, d)| marker(d, index, &marker_vis, &krate));
    let specs = group.declarations.iter().map(|d| spec(d, &krate));
    let names = group.declarations.iter().map(|d| d.name.to_string());
    let items = group_items::<A>(
        &krate,
        &ident.to_string(),
        quote!(#(#specs),*),
        quote!(#(#names),*),
        A::parameter_check(group, &krate),
    );
    quote! {
        #(#attrs)*
        #vis mod #ident {
            #(#others)*

            #(#markers)*

            #items
        }
    }
}

/// The marker type of one declaration, for the sending API.
fn marker<A: Kind>(
    d: &Declaration<A>,
    index: usize,
    vis: &TokenStream,
    krate: &CratePath,
) -> TokenStream {
    let docs = d.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let name = &d.name;
    let body = d.body.as_ref().map_or_else(|| quote!(()), |ty| quote!(#ty));
    let response = d
        .response
        .as_ref()
        .map_or_else(|| quote!(#krate::__private::IgnoredAny), |ty| quote!(#ty));
    let (items, marker_trait) = d.attr.marker_items(krate);
    quote! {
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy)]
        #vis struct #name;

        impl #name {
            #items
        }

        impl #marker_trait for #name {
            type Group = __Group;
            type Body = #body;
            type Response = #response;
            const INDEX: usize = #index;
        }
    }
}

/// The items every group module gets, with its declarations' `specs` and
/// `names` and the body of its parameter check. With no declarations, they
/// are the stubs emitted next to an error, so that the routes naming a
/// broken group do not add errors of their own.
pub fn group_items<A: Kind>(
    krate: &CratePath,
    group_name: &str,
    specs: TokenStream,
    names: TokenStream,
    parameter_check: TokenStream,
) -> TokenStream {
    let specs = quote!(#group_name, ::core::module_path!(), &[#specs]);
    let kind_items = A::group_items(krate, specs);
    let unused = parameter_check
        .is_empty()
        .then(|| quote!(#[allow(unused_variables)]));
    quote! {
        #kind_items

        #[doc(hidden)]
        pub const __NAMES: &[&str] = &[#names];

        /// Checks, at compile time, the parameters that this group's
        /// expressions read against an operation it is attached to.
        #[doc(hidden)]
        #unused
        pub const fn __check_parameters(path: &[&str], opaque: bool) {
            #parameter_check
        }
    }
}

/// The description of one declaration.
fn spec<A: Kind>(d: &Declaration<A>, krate: &CratePath) -> TokenStream {
    let rt = quote!(#krate::__private);
    let operation = d.attr.operation();
    let name = d.name.to_string();
    let method = variant(d.method);
    let target = d.attr.target(&rt);
    let docs = docs(&d.attrs);
    let summary = option_str(operation.summary().map(syn::LitStr::value));
    let description = option_str(operation.description().map(syn::LitStr::value));
    let security = security(operation.security());
    let nested = operation.callbacks();
    let operation_id = option_str(operation.operation_id().map(syn::LitStr::value));
    let deprecated = d.deprecated();
    let body = d
        .body
        .as_ref()
        .map(|ty| quote_spanned!(ty.span()=> __operation.json_body::<#ty>();));
    let status = operation
        .status()
        .map_or_else(|| quote!(200u16), |s| quote!(#s));
    let response = d.response.as_ref().map(|ty| {
        quote_spanned!(ty.span()=> __operation.json_response::<#ty>(#status, ::core::option::Option::None);)
    });
    let responses = operation.responses().iter().map(describe_response);
    quote! {
        #rt::CallbackSpec {
            name: #name,
            method: #rt::Method::#method,
            target: #target,
            operation_id: #operation_id,
            docs: #docs,
            summary: #summary,
            description: #description,
            deprecated: #deprecated,
            callbacks: &[#(<#nested::__Group as #rt::CallbackGroupType>::GROUP),*],
            security: #security,
            describe: {
                fn __describe(__operation: &mut #krate::OperationBuilder<'_>) {
                    #body
                    #response
                    #(#responses)*
                }
                __describe
            },
        }
    }
}

/// The rows of the group's table of parameter reads: each expression of
/// `template` that reads a parameter, with the compile error's message in
/// the one wording of [`ParameterProblem`].
fn parameter_reads(callback: &syn::Ident, template: &Template, group: &str) -> Vec<TokenStream> {
    template
        .expressions()
        .filter_map(ParameterSource::of)
        .map(|(source, name)| {
            let problem = ParameterProblem::Missing { source, name };
            let message = format!("callback `{callback}` of group `{group}`: {problem}");
            let constructor = match source {
                ParameterSource::Shorthand => quote!(shorthand),
                ParameterSource::Path => quote!(path),
                ParameterSource::Query => quote!(query),
                ParameterSource::Header => quote!(header),
            };
            quote!(Read::#constructor(#name, #message))
        })
        .collect()
}
