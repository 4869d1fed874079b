use actix_web::web;
use callback_runtime::{callbacks, post};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, JsonSchema)]
pub struct Invoice {
    pub id: String,
    pub total: f64,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct InvoiceEvent {
    pub id: String,
    pub paid: bool,
}

#[callbacks]
mod invoice_callbacks {
    use super::*;

    /// Notify the client.
    #[post("{$callback_url}/invoices/{$request.body#/id}")]
    fn invoice_notification(body: InvoiceEvent);
}

/// Create an invoice.
#[post("/invoices/", callbacks = invoice_callbacks)]
async fn create_invoice(invoice: web::Json<Invoice>) -> String {
    invoice.into_inner().id
}

fn main() {}
