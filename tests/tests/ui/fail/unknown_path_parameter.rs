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

#[derive(Deserialize, JsonSchema)]
pub struct Notify {
    pub callback_url: String,
}

#[callbacks]
mod invoice_callbacks {
    use super::*;

    /// Notify the client.
    #[post("{$request.query.callback_url}/invoices/{$request.path.id}")]
    fn invoice_notification(body: InvoiceEvent);
}

/// Create an invoice.
#[post("/invoices/", callbacks = invoice_callbacks)]
async fn create_invoice(invoice: web::Json<Invoice>, notify: web::Query<Notify>) -> String {
    let _ = notify.into_inner().callback_url;
    invoice.into_inner().id
}

fn main() {}
