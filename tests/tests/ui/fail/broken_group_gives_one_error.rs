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

// The one mistake: a dotted body path. The route below, which names the
// group and takes its `Trigger`, adds no error of its own.
#[callbacks]
mod invoice_callbacks {
    use super::*;

    /// Notify the client.
    #[post("https://client.example/{$request.body.id}")]
    fn invoice_notification(body: Event);
}

/// Create an invoice.
#[post("/invoices/", callbacks = invoice_callbacks)]
async fn create_invoice(
    invoice: web::Json<Invoice>,
    trigger: invoice_callbacks::Trigger,
) -> String {
    let _ = trigger;
    invoice.into_inner().id
}

fn main() {}
