//! Expansion snapshots: what `cargo expand` shows for the invoices example's
//! macros, pretty-printed.

use proc_macro2::TokenStream;
use quote::quote;

use callback_expr::Method;

fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("the expansion parses as a file");
    prettyplease::unparse(&file)
}

/// The invoices example's `#[callbacks]` group.
fn invoices_callback_group_expansion() -> TokenStream {
    crate::expand::callbacks(
        TokenStream::new(),
        quote! {
            /// The requests this API makes to the client's server.
            pub mod invoice_callbacks {
                use super::*;

                /// Notify the client of an invoice event.
                #[post("{$request.query.callback_url}/invoices/{$request.body#/id}")]
                fn invoice_notification(body: InvoiceEvent) -> InvoiceEventReceived;
            }
        },
    )
}

#[test]
fn invoices_callback_group() {
    insta::assert_snapshot!(pretty(invoices_callback_group_expansion()));
}

/// The invoices example's route.
fn invoices_route_expansion() -> TokenStream {
    crate::expand::route(
        Method::Post,
        quote!(
            "/invoices/",
            callbacks = invoice_callbacks,
            tags = ["invoices"]
        ),
        quote! {
            /// Create an invoice.
            ///
            /// The API user creates an invoice for one of their customers.
            pub async fn create_invoice(
                invoice: web::Json<Invoice>,
                query: web::Query<InvoiceQuery>,
                trigger: invoice_callbacks::Trigger,
                outbox: web::Data<Outbox>,
            ) -> Result<web::Json<InvoiceReceived>, QueueError> {
                if query.callback_url.is_some() {
                    let event = InvoiceEvent { description: "Invoice created".to_owned(), paid: false };
                    let request = trigger.callback(invoice_callbacks::invoice_notification, &event);
                    outbox.enqueue(request).await.map_err(|e| QueueError(e.to_string()))?;
                }
                Ok(web::Json(InvoiceReceived { msg: "Invoice received".to_owned() }))
            }
        },
    )
}

#[test]
fn invoices_route() {
    insta::assert_snapshot!(pretty(invoices_route_expansion()));
}

#[test]
fn bad_input_keeps_the_item_and_adds_the_error() {
    let expanded = crate::expand::route(
        Method::Get,
        quote!("/a", colour = "red"),
        quote!(
            async fn a() {}
        ),
    );
    let text = expanded.to_string();
    assert!(text.starts_with("async fn a () { }"), "{text}");
    assert!(
        text.contains("compile_error ! { \"unknown key `colour`: expected one of:"),
        "{text}"
    );
}

#[test]
fn shop_webhook_group_through_a_renamed_runtime() {
    let expanded = crate::expand::webhooks(
        quote!(crate = "cbr"),
        quote! {
            /// The events this API sends to its subscribers.
            pub mod shop_webhooks {
                use super::*;

                /// A new order.
                #[post("newOrder")]
                fn new_order(body: Order) -> Ack;
            }
        },
    );
    insta::assert_snapshot!(pretty(expanded));
}

/// The tokens of an expansion, a group's delimiters counted once.
fn count(tokens: TokenStream) -> usize {
    tokens
        .into_iter()
        .map(|token| match token {
            proc_macro2::TokenTree::Group(group) => 1 + count(group.stream()),
            _ => 1,
        })
        .sum()
}

/// The size of what the invoices example expands to, in tokens (a group's
/// delimiters counted once): compile time grows with it (issue 17), so a
/// change that adds tokens fails here, and one that saves some lowers the
/// budget.
#[test]
fn expansion_size() {
    for (what, tokens, budget) in [
        ("route", invoices_route_expansion(), 989),
        ("callback group", invoices_callback_group_expansion(), 593),
    ] {
        let size = count(tokens);
        assert!(
            size <= budget,
            "the {what} expands to {size} tokens, {budget} before"
        );
    }
}

#[test]
fn a_renamed_runtime_is_the_only_path_named() {
    let route = crate::expand::route(
        Method::Get,
        quote!(
            "/orders/{id}",
            callbacks = order_callbacks,
            status = 201,
            crate = "cbr"
        ),
        quote!(
            async fn read(id: web::Path<u32>, trigger: order_callbacks::Trigger) -> String {
                String::new()
            }
        ),
    );
    let callbacks = crate::expand::callbacks(
        quote!(crate = "cbr"),
        quote!(
            mod order_callbacks {
                #[post("{$request.body#/url}")]
                fn shipped(body: Shipped);
            }
        ),
    );
    let broken = crate::expand::callbacks(
        quote!(crate = "cbr"),
        quote!(
            mod order_callbacks {
                #[post("{$request.body.url}")]
                fn shipped(body: Shipped);
            }
        ),
    );
    for expanded in [route, callbacks, broken] {
        let text = expanded.to_string();
        assert!(!text.contains("callback_runtime"), "{text}");
        assert!(text.contains(":: cbr :: __private"), "{text}");
    }
}

#[test]
fn a_broken_declaration_reports_every_problem_and_keeps_the_group() {
    let expanded = crate::expand::callbacks(
        TokenStream::new(),
        quote! {
            mod order_callbacks {
                use super::*;

                #[post("{$request.body#/url}", tags = ["orders"])]
                fn shipped<T>(self, extra: u8);
            }
        },
    );
    let file: syn::File = syn::parse2(expanded).expect("the fallback parses as a file");
    let syn::Item::Mod(module) = &file.items[0] else {
        panic!("the module comes first");
    };
    let items = &module.content.as_ref().expect("inline").1;
    let names: Vec<String> = items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Const(c) => Some(c.ident.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["__GROUP", "CALLBACK_GROUP", "__NAMES"]);
    let errors: Vec<String> = file.items[1..]
        .iter()
        .map(|item| quote!(#item).to_string())
        .collect();
    assert_eq!(errors.len(), 4, "{errors:#?}");
    for (error, message) in errors.iter().zip([
        "`tags` does not apply to a callback",
        "a callback cannot be generic",
        "a callback cannot take `self`",
        "a callback takes at most one parameter: its request body",
    ]) {
        assert!(error.contains(message), "{error}");
    }
}
