use actix_web::web;
use callback_runtime::{callbacks, post};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, JsonSchema)]
pub struct Invoice {
    pub id: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct InvoiceEvent {
    pub paid: bool,
}

#[callbacks]
mod invoice_callbacks {
    use super::*;

    /// Notify the client.
    #[post("{$request.query.callback_url}/invoices/{$request.body#/id}")]
    fn invoice_notification(body: InvoiceEvent);
}

#[derive(Deserialize, JsonSchema)]
pub struct InvoiceQuery {
    pub callback_url: String,
}

/// Create an invoice.
#[post("/invoices/", callbacks = invoice_callbacks)]
async fn create_invoice(
    invoice: web::Json<Invoice>,
    query: web::Query<InvoiceQuery>,
    trigger: invoice_callbacks::Trigger,
) -> String {
    // The declared body is an `InvoiceEvent`, not the invoice.
    let request = trigger.callback(invoice_callbacks::invoice_notification, &invoice.0);
    let _ = query;
    request.url().unwrap_or_default().to_owned()
}

fn main() {}
