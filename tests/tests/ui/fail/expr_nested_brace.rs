use callback_runtime::{callbacks, post};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
pub struct InvoiceEvent {
    pub id: String,
    pub paid: bool,
}

#[callbacks]
mod invoice_callbacks {
    use super::*;

    /// Notify the client.
    #[post("{$request.query.callback_url/invoices/{$request.body#/id}")]
    fn invoice_notification(body: InvoiceEvent);
}

fn main() {}
