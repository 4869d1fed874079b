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

/// Create an invoice.
#[post("/invoices/", callbacks = invoice_callbacks)]
async fn create_invoice(
    invoice: web::Json<Invoice>,
    trigger: invoice_callbacks::Trigger,
) -> String {
    // `refund_made` belongs to a group this operation does not have.
    let request = trigger.callback(refund_callbacks::refund_made, &Event { paid: true });
    let _ = invoice;
    request.url().unwrap_or_default().to_owned()
}

fn main() {}
