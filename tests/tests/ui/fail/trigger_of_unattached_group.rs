use actix_web::web;
use callback_runtime::{callbacks, post};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, JsonSchema)]
pub struct Invoice {
    pub id: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Event {
    pub paid: bool,
}

#[callbacks]
mod invoice_callbacks {
    use super::*;

    /// Notify the client.
    #[post("{$request.body#/id}/invoices")]
    fn invoice_notification(body: Event);
}

#[callbacks]
mod refund_callbacks {
    use super::*;

    /// A refund was made.
    #[post("{$request.body#/id}/refunds")]
    fn refund_made(body: Event);
}

/// Create an invoice: its route attaches `invoice_callbacks` only.
#[post("/invoices/", callbacks = invoice_callbacks)]
async fn create_invoice(
    invoice: web::Json<Invoice>,
    trigger: refund_callbacks::Trigger,
) -> String {
    let _ = (invoice, trigger);
    String::new()
}

fn main() {}
