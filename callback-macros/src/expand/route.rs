//! The expansion of a route: the handler becomes a unit struct (as with
//! actix-web's own macros) that implements `HttpServiceFactory`, so it is
//! passed to `.service(...)`, and `ApiOperation`, whose `SPEC` describes
//! the operation for the document.

use callback_expr::Method;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use super::operation::{describe_response, docs, option_str, security};
use crate::ast::Route;
use crate::attr::{path_text, CratePath};

pub fn expand(route: &Route) -> TokenStream {
    let krate = route.attr.krate();
    let rt = quote!(#krate::__private);
    let actix = quote!(#rt::actix_web);
    let func = &route.func;
    let attr = &route.attr;
    let operation = &attr.operation;
    let name = &func.sig.ident;
    let vis = &func.vis;
    let doc_attrs = func.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let path = &attr.path.lit;
    let resource_name = attr
        .name()
        .cloned()
        .unwrap_or_else(|| syn::LitStr::new(&name.to_string(), name.span()));
    let guard = variant(route.method);
    let method = variant(route.method);

    // A declared success status other than 200 is the status on the
    // wire: the wrapper sets it on the handler's 200 answers.
    let declared_status = operation
        .status()
        .filter(|s| s.base10_parse::<u16>().ok() != Some(200));
    let handler = handler(&krate, name, declared_status);
    // The handler takes a type parameter it does not use, so that its
    // code is generated as an instance of a generic function: the
    // compiler then places it apart from the module's own functions (the
    // schema and serde impls of its types), and an edit to its body
    // recompiles less.
    let mut handler_fn = func.clone();
    handler_fn
        .sig
        .generics
        .params
        .push(syn::parse_quote!(__Instance));
    handler_fn
        .attrs
        .push(syn::parse_quote!(#[allow(clippy::extra_unused_type_parameters)]));
    // The handler's argument types as one tuple, in the span of its
    // parentheses: an argument that is not an `ApiInput` is one error,
    // there.
    let mut inputs = TokenStream::new();
    func.sig.paren_token.surround(&mut inputs, |tokens| {
        for ty in &route.inputs {
            quote!(#ty,).to_tokens(tokens);
        }
    });
    let doc_text = docs(&func.attrs);
    let summary = option_str(operation.summary().map(syn::LitStr::value));
    let description = option_str(operation.description().map(syn::LitStr::value));
    let security = security(operation.security());
    let operation_id = option_str(operation.operation_id().map(syn::LitStr::value));
    let tags = attr.tags();
    let deprecated = route.deprecated();
    let hidden = attr.hidden();
    let groups = operation.callbacks();

    let status = operation
        .status()
        .map_or_else(|| quote!(200u16), |s| quote!(#s));
    let describe_output = route
        .output
        .as_ref()
        .map(|ty| quote_spanned!(ty.span()=> __operation.output::<#ty>(#status);));
    let describe_responses = operation.responses().iter().map(describe_response);

    // Each group's description through `CallbackGroupType`: a
    // `#[webhooks]` group named here is an error about that trait, at
    // the group's path.
    let group_refs = groups.iter().map(
        |group| quote_spanned!(group.span()=> <#group::__Group as #rt::CallbackGroupType>::GROUP),
    );
    let checks = compile_time_checks(route, &krate);

    quote! {
        #(#doc_attrs)*
        #[allow(non_camel_case_types, missing_docs)]
        #[derive(Default)]
        #vis struct #name;

        impl #actix::dev::HttpServiceFactory for #name {
            fn register(self, __config: &mut #actix::dev::AppService) {
                #handler_fn

                #handler

                let __resource = #actix::Resource::new(#path)
                    .name(#resource_name)
                    .guard(#actix::guard::#guard());
                let __resource = __resource.to(__handler);
                #actix::dev::HttpServiceFactory::register(__resource, __config);
            }
        }

        impl #rt::Endpoint for #name {
            type Inputs = #inputs;
        }

        impl #rt::ApiOperation for #name {
            const SPEC: #rt::OperationSpec = #rt::OperationSpec {
                method: #rt::Method::#method,
                path: #path,
                handler: ::core::stringify!(#name),
                operation_id: #operation_id,
                docs: #doc_text,
                summary: #summary,
                description: #description,
                tags: &[#(#tags),*],
                deprecated: #deprecated,
                hidden: #hidden,
                callbacks: &[#(#group_refs),*],
                security: #security,
                describe: {
                    fn __describe(__operation: &mut #krate::OperationBuilder<'_>) {
                        #rt::describe_inputs::<#name>(__operation);
                        #describe_output
                        #(#describe_responses)*
                    }
                    __describe
                },
            };
        }

        #checks
    }
}

/// `Post`: the name of the runtime's `Method` variant and of actix-web's
/// guard.
pub fn variant(method: Method) -> syn::Ident {
    let name = method.as_str();
    format_ident!("{}{}", name[..1].to_uppercase(), &name[1..])
}

/// `const` assertions over the attached callback groups: no two share a
/// callback name, and their expressions name parameters this operation
/// has (where the macro can see them).
fn compile_time_checks(route: &Route, krate: &CratePath) -> TokenStream {
    let name = &route.func.sig.ident;
    let groups = route.attr.operation.callbacks();
    let rt = quote!(#krate::__private);
    // A `Trigger` argument of a group the operation does not have.
    let trigger_checks: Vec<_> = route
        .inputs
        .iter()
        .enumerate()
        .map(|(i, ty)| {
            quote_spanned!(ty.span()=> ::core::assert!(
                #rt::group_attached(
                    #rt::trigger_group::<#name>(#i),
                    <#name as #rt::ApiOperation>::SPEC.callbacks,
                ),
                "this handler takes the `Trigger` of a callback group that is not attached to its route: add the group to `callbacks = …`"
            );)
        })
        .collect();
    if groups.is_empty() && trigger_checks.is_empty() {
        return TokenStream::new();
    }
    // A `Trigger` whose group reads `$request.body#/…` gets the values
    // from the argument that parses the body as JSON: there must be one.
    let body_check = quote_spanned!(name.span()=> ::core::assert!(
        #rt::body_values_available_to::<#name>(),
        "a callback group of this handler's `Trigger` reads the request body (`$request.body#/…`), but no argument parses it as JSON: take the body as `web::Json<T>`"
    ););
    let path_names = &route.attr.path.names;
    let opaque = quote!(#rt::opaque_parameters::<#name>());
    let parameter_checks = groups.iter().map(|group| {
        quote_spanned!(group.span()=> #group::__check_parameters(&[#(#path_names),*], #opaque);)
    });
    let mut overlap_checks = Vec::new();
    for (i, a) in groups.iter().enumerate() {
        for b in &groups[i + 1..] {
            let message = format!(
                "the callback groups `{}` and `{}` attached to `{name}` have a callback of the same name \
                 (or are the same group named twice); rename one",
                path_text(a),
                path_text(b)
            );
            overlap_checks.push(quote_spanned!(b.span()=>
                ::core::assert!(!#rt::overlap(#a::__NAMES, #b::__NAMES), #message);
            ));
        }
    }
    quote! {
        const _: () = {
            #(#trigger_checks)*
            #body_check
            #(#parameter_checks)*
            #(#overlap_checks)*
        };
    }
}

/// The function actix-web calls: the runtime's `serve`, which runs every
/// input's extractor (where actix-web would stop at the first failure),
/// answers one 422 that lists every problem, or calls the handler.
fn handler(
    krate: &CratePath,
    name: &syn::Ident,
    declared_status: Option<&syn::LitInt>,
) -> TokenStream {
    let rt = quote!(#krate::__private);
    let actix = quote!(#rt::actix_web);
    let serve = match declared_status {
        Some(status) => {
            quote!(#rt::serve_with_status::<#name, _>(#name::<()>, #status, &__INPUTS, __request, __payload))
        }
        None => quote!(#rt::serve::<#name, _>(#name::<()>, &__INPUTS, __request, __payload)),
    };
    quote! {
        static __INPUTS: #rt::OperationInputs =
            #rt::OperationInputs::new(<#name as #rt::ApiOperation>::SPEC);
        #[allow(deprecated)]
        let __handler = |__request: #actix::HttpRequest, __payload: #actix::web::Payload| #serve;
    }
}
