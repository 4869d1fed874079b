//! The route attributes: `#[get]`, `#[post]`, … on an async handler.
//!
//! The handler becomes a unit struct (as with actix-web's own macros) that
//! implements `HttpServiceFactory`, so it is passed to `.service(...)`, and
//! `ApiOperation`, whose `SPEC` describes the operation for the document.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReturnType, Type};

use callback_expr::Method;

use crate::args::RouteArgs;
use crate::common::{self, describe_response, option_str};
use crate::validate;

/// `Post`: the name of the runtime's `Method` variant and of actix-web's
/// guard.
pub fn variant(method: Method) -> syn::Ident {
    let name = method.as_str();
    format_ident!("{}{}", name[..1].to_uppercase(), &name[1..])
}

/// The method of a route attribute such as `#[post("…")]`, by its name.
pub fn method_of(ident: &syn::Ident) -> Option<Method> {
    Method::from_name(&ident.to_string())
}

pub fn expand(method: Method, args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                format!("`#[{}]` goes on an `async fn` handler", method.as_str()),
            );
            return error_with_item(error, item);
        }
    };
    let result = syn::parse2::<RouteArgs>(args).and_then(|args| Route::new(method, args, &func));
    match result {
        Ok(route) => route.into_token_stream(func),
        Err(error) => error_with_item(error, item),
    }
}

/// The user's item followed by the errors, so its name still resolves.
fn error_with_item(error: syn::Error, item: TokenStream) -> TokenStream {
    let error = error.to_compile_error();
    quote!(#item #error)
}

struct Route {
    method: Method,
    args: RouteArgs,
    path_names: Vec<String>,
    inputs: Vec<Type>,
    output: Option<Type>,
    deprecated: bool,
}

impl Route {
    fn new(method: Method, args: RouteArgs, func: &ItemFn) -> syn::Result<Self> {
        let mut errors: Vec<syn::Error> = Vec::new();
        let path_names = validate::route_path(&args.path).unwrap_or_else(|e| {
            errors.push(e);
            Vec::new()
        });
        let sig = &func.sig;
        if sig.asyncness.is_none() {
            errors.push(syn::Error::new(
                sig.fn_token.span,
                "a route handler must be an `async fn`",
            ));
        }
        if !sig.generics.params.is_empty() {
            errors.push(syn::Error::new_spanned(
                &sig.generics,
                "a route handler cannot be generic",
            ));
        }
        let mut inputs = Vec::new();
        for arg in &sig.inputs {
            match arg {
                FnArg::Receiver(r) => errors.push(syn::Error::new(
                    r.span(),
                    "a route handler cannot take `self`",
                )),
                FnArg::Typed(t) => inputs.push((*t.ty).clone()),
            }
        }
        for ty in &inputs {
            if let Some(count) = path_tuple_len(ty) {
                if count != path_names.len() {
                    errors.push(syn::Error::new_spanned(
                        ty,
                        format!(
                            "this `Path` extracts {count} value(s) but the path `{}` has {} parameter(s){}",
                            args.path.value(),
                            path_names.len(),
                            if path_names.is_empty() {
                                String::new()
                            } else {
                                format!(": {}", path_names.join(", "))
                            }
                        ),
                    ));
                }
            }
        }
        let output = match &sig.output {
            ReturnType::Default => Some(syn::parse_quote!(())),
            ReturnType::Type(_, ty) if matches!(**ty, Type::ImplTrait(_)) => None,
            ReturnType::Type(_, ty) => Some((**ty).clone()),
        };
        let mut seen_groups: Vec<String> = Vec::new();
        for group in &args.callbacks {
            let key = path_text(group);
            if seen_groups.contains(&key) {
                errors.push(syn::Error::new_spanned(
                    group,
                    format!("the callback group `{key}` is attached twice"),
                ));
            }
            seen_groups.push(key);
        }
        let deprecated =
            args.deprecated || func.attrs.iter().any(|a| a.path().is_ident("deprecated"));
        if let Some(e) = errors.into_iter().reduce(|mut a, b| {
            a.combine(b);
            a
        }) {
            return Err(e);
        }
        Ok(Route {
            method,
            args,
            path_names,
            inputs,
            output,
            deprecated,
        })
    }

    fn into_token_stream(self, func: ItemFn) -> TokenStream {
        let rt = quote!(::callback_runtime::__private);
        let actix = quote!(#rt::actix_web);
        let name = &func.sig.ident;
        let vis = &func.vis;
        let docs: Vec<_> = func
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .collect();
        let path = &self.args.path;
        let resource_name = self
            .args
            .name
            .clone()
            .unwrap_or_else(|| syn::LitStr::new(&name.to_string(), name.span()));
        let guard = variant(self.method);
        let method = variant(self.method);

        // A declared success status other than 200 is the status on the
        // wire: the wrapper sets it on the handler's 200 answers.
        let declared_status = self
            .args
            .status
            .as_ref()
            .filter(|s| s.base10_parse::<u16>().ok() != Some(200));
        let handler = handler(name, declared_status);
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
            for ty in &self.inputs {
                quote!(#ty,).to_tokens(tokens);
            }
        });
        let doc_text = common::docs(&func.attrs);
        let summary = option_str(self.args.summary.as_ref().map(syn::LitStr::value));
        let description = option_str(self.args.description.as_ref().map(syn::LitStr::value));
        let security = common::security(self.args.security.as_ref());
        let operation_id = option_str(self.args.operation_id.as_ref().map(syn::LitStr::value));
        let tags = &self.args.tags;
        let deprecated = self.deprecated;
        let hidden = self.args.hidden;
        let groups = &self.args.callbacks;

        let status = self
            .args
            .status
            .as_ref()
            .map_or_else(|| quote!(200u16), |s| quote!(#s));
        let describe_output = self
            .output
            .as_ref()
            .map(|ty| quote_spanned!(ty.span()=> __operation.output::<#ty>(#status);));
        let describe_responses = self.args.responses.iter().map(describe_response);

        // Each group's description through `CallbackGroupType`: a
        // `#[webhooks]` group named here is an error about that trait, at
        // the group's path.
        let group_refs = groups.iter().map(|group| {
            quote_spanned!(group.span()=> <#group::__Group as #rt::CallbackGroupType>::GROUP)
        });
        let checks = self.compile_time_checks(name);
        // The JSON body is kept for a handler that takes a `Trigger` (only
        // an operation with callbacks can): decided once, at registration.
        let capture = (!groups.is_empty()).then(|| {
            quote! {
                let __resource = if #rt::takes_trigger::<#name>() {
                    __resource.app_data(#rt::CaptureBody)
                } else {
                    __resource
                };
            }
        });

        quote! {
            #(#docs)*
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
                    #capture
                    let __resource = __resource.to(__handler);
                    #actix::dev::HttpServiceFactory::register(__resource, __config);
                }
            }

            impl #rt::ApiOperation for #name {
                type Inputs = #inputs;
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
                        fn __describe(__operation: &mut ::callback_runtime::OperationBuilder<'_>) {
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

    /// `const` assertions over the attached callback groups: no two share a
    /// callback name, and their expressions name parameters this operation
    /// has (where the macro can see them).
    fn compile_time_checks(&self, name: &syn::Ident) -> TokenStream {
        let groups = &self.args.callbacks;
        let rt = quote!(::callback_runtime::__private);
        // A `Trigger` argument of a group the operation does not have.
        let trigger_checks: Vec<_> = self
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
        let path_names = &self.path_names;
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
                #(#parameter_checks)*
                #(#overlap_checks)*
            };
        }
    }
}

/// The function actix-web calls: the runtime's `serve`, which runs every
/// input's extractor (where actix-web would stop at the first failure),
/// answers one 422 that lists every problem, or calls the handler.
fn handler(name: &syn::Ident, declared_status: Option<&syn::LitInt>) -> TokenStream {
    let rt = quote!(::callback_runtime::__private);
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

/// A path as the user wrote it, without the token printer's spaces.
fn path_text(path: &syn::Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

/// For `Path<(A, B)>` written as a tuple, the number of values it extracts.
fn path_tuple_len(ty: &Type) -> Option<usize> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Path" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(Type::Tuple(t)) => Some(t.elems.len()),
        _ => None,
    }
}
