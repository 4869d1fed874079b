//! `#[callbacks]` on a module: a named group of callback requests.
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

use callback_expr::{ParameterProblem, ParameterSource, Template};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, ForeignItemFn, Item, ItemMod, ReturnType, Type};

use crate::args::RouteArgs;
use crate::common::{self, describe_response, option_str};
use crate::route::{method_of, variant};
use crate::validate;
use callback_expr::Method;

/// Which attribute declares the group.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `#[callbacks]`: URLs are runtime-expression templates.
    Callbacks,
    /// `#[webhooks]`: the method attribute names the webhook (optional).
    Webhooks,
}

impl Kind {
    fn attribute(self) -> &'static str {
        match self {
            Kind::Callbacks => "callbacks",
            Kind::Webhooks => "webhooks",
        }
    }
}

pub fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let module: ItemMod = match syn::parse2(item.clone()) {
        Ok(module) => module,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                format!(
                    "`#[{}]` goes on an inline module: `mod name {{ … }}`",
                    kind.attribute()
                ),
            )
            .to_compile_error();
            let item = without_route_attributes(item);
            return quote!(#item #error);
        }
    };
    if !args.is_empty() {
        let error = syn::Error::new_spanned(
            &args,
            format!("`#[{}]` takes no arguments", kind.attribute()),
        )
        .to_compile_error();
        let module = without_declarations(kind, module);
        return quote!(#module #error);
    }
    match Group::new(kind, module) {
        Ok(group) => group.into_token_stream(),
        Err(failed) => {
            let (module, error) = *failed;
            let error = error.to_compile_error();
            quote!(#module #error)
        }
    }
}

/// The module without its callback declarations (and without the method
/// attributes of any other function), so that only the real error shows,
/// plus stubs of the group's items, so that routes naming the group still
/// resolve it.
fn without_declarations(kind: Kind, mut module: ItemMod) -> ItemMod {
    // What the declarations used (`use super::*`) would only add warnings.
    module.attrs.push(syn::parse_quote!(#[allow(unused)]));
    if let Some((brace, items)) = module.content.take() {
        let items = items
            .into_iter()
            .filter(|item| !matches!(item, Item::Verbatim(_)))
            .map(|mut item| {
                if let Item::Fn(f) = &mut item {
                    f.attrs.retain(|a| route_method(a).is_none());
                }
                item
            })
            .collect::<Vec<Item>>();
        let group_name = module.ident.to_string();
        let check = match kind {
            Kind::Callbacks => TokenStream::new(),
            // A webhook group named in `callbacks = …` is refused through
            // `CallbackGroupType`; nothing to check here.
            Kind::Webhooks => TokenStream::new(),
        };
        let stubs = group_items(kind, &group_name, &[], &[], check);
        let stubs: syn::File = syn::parse2(stubs).expect("the stubs parse");
        module.content = Some((brace, items.into_iter().chain(stubs.items).collect()));
    }
    module
}

/// A trait given to `#[callbacks]` by mistake, without the method
/// attributes of its functions (which would report errors of their own).
fn without_route_attributes(item: TokenStream) -> TokenStream {
    match syn::parse2::<syn::ItemTrait>(item.clone()) {
        Ok(mut t) => {
            for trait_item in &mut t.items {
                if let syn::TraitItem::Fn(f) = trait_item {
                    f.attrs.retain(|a| route_method(a).is_none());
                }
            }
            quote!(#t)
        }
        Err(_) => item,
    }
}

struct Group {
    kind: Kind,
    module: ItemMod,
    others: Vec<Item>,
    callbacks: Vec<Callback>,
}

struct Callback {
    attrs: Vec<Attribute>,
    name: syn::Ident,
    method: Method,
    url: syn::LitStr,
    /// `None` for a webhook.
    template: Option<Template>,
    args: RouteArgs,
    body: Option<Type>,
    response: Option<Type>,
}

impl Group {
    /// On error, returns the module with the callback declarations removed
    /// (so it still compiles and its name resolves) and every error found.
    fn new(kind: Kind, mut module: ItemMod) -> Result<Self, Box<(ItemMod, syn::Error)>> {
        let Some((_, items)) = module.content.take() else {
            let error = syn::Error::new(
                module.semi.span(),
                format!(
                    "`#[{}]` needs an inline module: `mod name {{ … }}`",
                    kind.attribute()
                ),
            );
            return Err(Box::new((without_declarations(kind, module), error)));
        };
        let mut errors: Vec<syn::Error> = Vec::new();
        let mut others = Vec::new();
        let mut callbacks: Vec<Callback> = Vec::new();
        for item in items {
            let declaration = match &item {
                Item::Verbatim(tokens) => syn::parse2::<ForeignItemFn>(tokens.clone()).ok(),
                _ => None,
            };
            match declaration {
                Some(decl) => match Callback::new(kind, decl) {
                    Ok(callback) => {
                        if callbacks.iter().any(|c| c.name == callback.name) {
                            errors.push(syn::Error::new(
                                callback.name.span(),
                                format!("two callbacks named `{}` in one group: the second would overwrite the first", callback.name),
                            ));
                        }
                        callbacks.push(callback);
                    }
                    Err(e) => errors.push(e),
                },
                None => {
                    if let Item::Fn(f) = &item {
                        if f.attrs.iter().any(|a| route_method(a).is_some()) {
                            errors.push(syn::Error::new(
                                f.block.brace_token.span.join(),
                                "a callback is declared without a body: end the signature with `;`",
                            ));
                        }
                    }
                    others.push(item);
                }
            }
        }
        if callbacks.is_empty() && errors.is_empty() {
            errors.push(syn::Error::new(
                module.ident.span(),
                "this callback group declares no callback: add e.g. `#[post(\"{$request.query.callback_url}\")] fn notify(body: Event);`",
            ));
        }
        match errors.into_iter().reduce(|mut a, b| {
            a.combine(b);
            a
        }) {
            Some(error) => {
                module.content = Some((Default::default(), others));
                Err(Box::new((without_declarations(kind, module), error)))
            }
            None => Ok(Group {
                kind,
                module,
                others,
                callbacks,
            }),
        }
    }

    fn into_token_stream(self) -> TokenStream {
        let rt = quote!(::callback_runtime::__private);
        let ItemMod {
            attrs, vis, ident, ..
        } = &self.module;
        let others = &self.others;
        let group_name = ident.to_string();

        let marker_trait = match self.kind {
            Kind::Callbacks => quote!(Callback),
            Kind::Webhooks => quote!(Webhook),
        };
        // The markers name the declared body and response types in their
        // `Callback` impls, so they are no more visible than those types
        // can be: the module's own visibility, or its parent's for a
        // private module (where `use super::*` finds the types).
        let marker_vis = match vis {
            syn::Visibility::Inherited => quote!(pub(super)),
            other => quote!(#other),
        };
        let markers = self.callbacks.iter().enumerate().map(|(index, c)| {
            let docs = c.attrs.iter().filter(|a| a.path().is_ident("doc"));
            let name = &c.name;
            let url = &c.url;
            let body = c.body.as_ref().map_or_else(|| quote!(()), |ty| quote!(#ty));
            let response = c
                .response
                .as_ref()
                .map_or_else(|| quote!(#rt::IgnoredAny), |ty| quote!(#ty));
            let url_doc = match self.kind {
                Kind::Callbacks => " The callback's URL template, as declared.",
                Kind::Webhooks => " The webhook's name in the document.",
            };
            quote! {
                #(#docs)*
                #[allow(non_camel_case_types)]
                #[derive(Debug, Clone, Copy)]
                #marker_vis struct #name;

                impl #name {
                    #[doc = #url_doc]
                    pub const URL: &'static str = #url;
                }

                impl ::callback_runtime::send::#marker_trait for #name {
                    type Group = __Group;
                    type Body = #body;
                    type Response = #response;
                    const INDEX: usize = #index;
                }
            }
        });
        let check_body = match self.kind {
            Kind::Callbacks => {
                let reads: Vec<TokenStream> = self
                    .callbacks
                    .iter()
                    .flat_map(|c| c.parameter_reads(&group_name))
                    .collect();
                if reads.is_empty() {
                    TokenStream::new()
                } else {
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
            // A webhook group named in `callbacks = …` is refused through
            // `CallbackGroupType`; nothing to check here.
            Kind::Webhooks => TokenStream::new(),
        };
        let specs: Vec<TokenStream> = self.callbacks.iter().map(|c| c.spec()).collect();
        let names: Vec<String> = self.callbacks.iter().map(|c| c.name.to_string()).collect();
        let group = group_items(self.kind, &group_name, &specs, &names, check_body);

        quote! {
            #(#attrs)*
            #vis mod #ident {
                #(#others)*

                #(#markers)*

                #group
            }
        }
    }
}

/// The items every group module gets: its description (`__GROUP` and its
/// public name), its type for the sending API (`__Group`, and `Trigger` for
/// callbacks), its callback names and its compile-time parameter check.
/// With no specs, they are the stubs emitted next to an error, so that the
/// routes naming a broken group do not add errors of their own.
fn group_items(
    kind: Kind,
    group_name: &str,
    specs: &[TokenStream],
    names: &[String],
    check_body: TokenStream,
) -> TokenStream {
    let rt = quote!(::callback_runtime::__private);
    let specs = quote!(#group_name, ::core::module_path!(), &[#(#specs),*]);
    // A callback group and a webhook group are distinct types: one given
    // where the other is expected does not compile.
    let (group_type, group_value, public, public_doc) = match kind {
        Kind::Callbacks => (
            quote!(::callback_runtime::CallbackGroup),
            quote!(#rt::callback_group(#specs)),
            quote!(CALLBACK_GROUP),
            " This group, for `Api::callbacks` and `ApiScope::callbacks`.",
        ),
        Kind::Webhooks => (
            quote!(::callback_runtime::WebhookGroup),
            quote!(#rt::webhook_group(#specs)),
            quote!(WEBHOOK_GROUP),
            " This group, for `Api::webhooks`.",
        ),
    };
    let unused = if check_body.is_empty() {
        quote!(#[allow(unused_variables)])
    } else {
        TokenStream::new()
    };
    let group_impl = match kind {
        Kind::Callbacks => quote! {
            impl #rt::CallbackGroupType for __Group {
                const GROUP: &'static ::callback_runtime::CallbackGroup = &__GROUP;

                fn plan() -> &'static #rt::TriggerPlan {
                    static PLAN: #rt::PlanCell = #rt::PlanCell::new();
                    PLAN.get_or_init(|| #rt::TriggerPlan::new(&__GROUP))
                }
            }

            /// The request that triggered this group's callbacks, as a
            /// handler argument: what the URL templates read of it,
            /// captured to send the callbacks now or later.
            pub type Trigger = ::callback_runtime::send::Trigger<__Group>;
        },
        Kind::Webhooks => quote! {
            impl #rt::WebhookGroupType for __Group {
                const GROUP: &'static ::callback_runtime::WebhookGroup = &__GROUP;
            }
        },
    };
    quote! {
        #[doc(hidden)]
        pub const __GROUP: #group_type = #group_value;

        #[doc = #public_doc]
        pub const #public: &#group_type = &__GROUP;

        /// The type of this group, for the typed sending API.
        #[doc(hidden)]
        #[derive(Debug, Clone, Copy)]
        pub struct __Group;

        #group_impl

        #[doc(hidden)]
        pub const __NAMES: &[&str] = &[#(#names),*];

        /// Checks, at compile time, the parameters that this group's
        /// expressions read against an operation it is attached to.
        #[doc(hidden)]
        #unused
        pub const fn __check_parameters(path: &[&str], opaque: bool) {
            #check_body
        }
    }
}

impl Callback {
    fn new(kind: Kind, decl: ForeignItemFn) -> syn::Result<Self> {
        let mut route = None;
        let mut attrs = Vec::new();
        for attr in decl.attrs {
            match route_method(&attr) {
                Some(method) if route.is_none() => route = Some((method, attr)),
                Some(_) => {
                    return Err(syn::Error::new_spanned(
                        attr.path(),
                        "a callback has exactly one method attribute",
                    ));
                }
                None if attr.path().is_ident("cfg") || attr.path().is_ident("cfg_attr") => {
                    return Err(syn::Error::new_spanned(
                        attr.path(),
                        "`#[cfg]` on a single callback is not supported: \
                         put conditional callbacks in a group of their own",
                    ));
                }
                None if KNOWN_ATTRIBUTES.iter().any(|k| attr.path().is_ident(k)) => {
                    attrs.push(attr)
                }
                None => {
                    let methods: Vec<String> = Method::ALL
                        .iter()
                        .map(|m| format!("`{}`", m.as_str()))
                        .collect();
                    return Err(syn::Error::new_spanned(
                        attr.path(),
                        format!(
                            "unknown attribute `{}` on a callback: expected a method attribute, one of {}",
                            attr.path().to_token_stream().to_string().replace(' ', ""),
                            methods.join(", ")
                        ),
                    ));
                }
            }
        }
        if !decl.sig.generics.params.is_empty() {
            return Err(syn::Error::new_spanned(
                &decl.sig.generics,
                "a callback cannot be generic",
            ));
        }
        let name = decl.sig.ident;
        let Some((method, attr)) = route else {
            return Err(syn::Error::new(
                name.span(),
                "a callback needs a method attribute with its URL, e.g. `#[post(\"{$request.query.callback_url}\")]`",
            ));
        };
        let args: RouteArgs = match (kind, &attr.meta) {
            // `#[post]` on a webhook: named after the function.
            (Kind::Webhooks, syn::Meta::Path(_)) => {
                RouteArgs::new(syn::LitStr::new(&name.to_string(), name.span()))
            }
            _ => attr.parse_args()?,
        };
        for key in ["tags", "hidden", "name"] {
            if let Some(span) = args.keys.span_of(key) {
                return Err(syn::Error::new(
                    span,
                    format!("`{key}` does not apply to a callback"),
                ));
            }
        }
        let template = match kind {
            Kind::Callbacks if args.path.value().is_empty() => {
                return Err(syn::Error::new(
                    args.path.span(),
                    "a callback URL cannot be empty: write e.g. \"{$request.query.callback_url}\"",
                ));
            }
            Kind::Callbacks => Some(validate::template(&args.path)?),
            Kind::Webhooks if args.path.value().trim().is_empty() => {
                return Err(syn::Error::new(
                    args.path.span(),
                    "a webhook's name cannot be empty",
                ));
            }
            Kind::Webhooks => None,
        };
        let mut inputs = decl.sig.inputs.iter();
        let body = match inputs.next() {
            Some(FnArg::Typed(t)) => Some((*t.ty).clone()),
            Some(FnArg::Receiver(r)) => {
                return Err(syn::Error::new(r.span(), "a callback cannot take `self`"))
            }
            None => None,
        };
        if let Some(extra) = inputs.next() {
            return Err(syn::Error::new(
                extra.span(),
                "a callback takes at most one parameter: its request body",
            ));
        }
        let response = match decl.sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some(*ty),
        };
        Ok(Callback {
            attrs,
            name,
            method,
            url: args.path.clone(),
            template,
            args,
            body,
            response,
        })
    }

    fn spec(&self) -> TokenStream {
        let rt = quote!(::callback_runtime::__private);
        let name = self.name.to_string();
        let method = variant(self.method);
        let url = &self.url;
        let docs = common::docs(&self.attrs);
        let summary = option_str(self.args.summary.as_ref().map(syn::LitStr::value));
        let description = option_str(self.args.description.as_ref().map(syn::LitStr::value));
        let security = common::security(self.args.security.as_ref());
        let nested = &self.args.callbacks;
        let operation_id = option_str(self.args.operation_id.as_ref().map(syn::LitStr::value));
        let deprecated =
            self.args.deprecated || self.attrs.iter().any(|a| a.path().is_ident("deprecated"));
        let body = self
            .body
            .as_ref()
            .map(|ty| quote_spanned!(ty.span()=> __operation.json_body::<#ty>();));
        let status = self
            .args
            .status
            .as_ref()
            .map_or_else(|| quote!(200u16), |s| quote!(#s));
        let response = self.response.as_ref().map(|ty| {
            quote_spanned!(ty.span()=> __operation.json_response::<#ty>(#status, ::core::option::Option::None);)
        });
        let responses = self.args.responses.iter().map(describe_response);
        quote! {
            #rt::CallbackSpec {
                name: #name,
                method: #rt::Method::#method,
                url: #url,
                operation_id: #operation_id,
                docs: #docs,
                summary: #summary,
                description: #description,
                deprecated: #deprecated,
                callbacks: &[#(<#nested::__Group as #rt::CallbackGroupType>::GROUP),*],
                security: #security,
                describe: {
                    fn __describe(__operation: &mut ::callback_runtime::OperationBuilder<'_>) {
                        #body
                        #response
                        #(#responses)*
                    }
                    __describe
                },
            }
        }
    }

    /// The rows of the group's table of parameter reads: each expression
    /// that reads a parameter, with the compile error's message in the one
    /// wording of [`ParameterProblem`].
    fn parameter_reads(&self, group: &str) -> Vec<TokenStream> {
        let callback = &self.name;
        self.template
            .iter()
            .flat_map(Template::expressions)
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
}

/// Attributes a callback declaration may carry besides its method.
const KNOWN_ATTRIBUTES: &[&str] = &["doc", "deprecated", "allow", "expect", "warn", "deny"];

/// The route method of an attribute such as `#[post("…")]`.
fn route_method(attr: &Attribute) -> Option<Method> {
    attr.path().get_ident().and_then(method_of)
}
