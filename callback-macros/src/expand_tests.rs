//! Expansion snapshots: what `cargo expand` shows for the invoices example's
//! macros, pretty-printed.

use proc_macro2::TokenStream;
use quote::quote;

use callback_expr::Method;

fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("the expansion parses as a file");
    prettyplease::unparse(&file)
}

#[test]
fn invoices_callback_group() {
    let expanded = crate::callbacks::expand(
        crate::callbacks::Kind::Callbacks,
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
    );
    insta::assert_snapshot!(pretty(expanded));
}

#[test]
fn invoices_route() {
    let expanded = crate::route::expand(
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
    );
    insta::assert_snapshot!(pretty(expanded));
}

#[test]
fn bad_input_keeps_the_item_and_adds_the_error() {
    let expanded = crate::route::expand(
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
