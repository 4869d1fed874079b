use actix_web::web;
use callback_runtime::{post, webhooks};

#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct Invoice {
    pub id: String,
}

#[webhooks]
mod invoice_webhooks {
    /// A new invoice.
    #[post]
    fn new_invoice(body: super::Invoice);
}

/// Create an invoice.
#[post("/invoices/", callbacks = invoice_webhooks)]
async fn create_invoice(invoice: web::Json<Invoice>) -> String {
    invoice.into_inner().id
}

fn main() {}
