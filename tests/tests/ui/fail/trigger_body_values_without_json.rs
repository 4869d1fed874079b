use actix_web::web;
use callback_runtime::{callbacks, post};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Event {
    pub paid: bool,
}

#[callbacks]
mod invoice_callbacks {
    use super::*;

    /// Notify the client at the address the request's body names.
    #[post("{$request.body#/callback_url}/invoices")]
    fn invoice_notification(body: Event);
}

/// Create an invoice from raw bytes: nothing parses the body as JSON, so
/// the trigger cannot read `$request.body#/callback_url`.
#[post("/invoices/", callbacks = invoice_callbacks)]
async fn create_invoice(body: web::Bytes, trigger: invoice_callbacks::Trigger) -> String {
    let _ = (body, trigger);
    String::new()
}

fn main() {}
