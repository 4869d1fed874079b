use callback_runtime::callbacks;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct InvoiceEvent {
    pub id: String,
    pub paid: bool,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct InvoiceEventReceived {
    pub ok: bool,
}

#[callbacks(name = "invoices")]
mod invoice_callbacks {
    use super::*;

    /// Notify the client.
    #[post("{$request.query.callback_url}/invoices/{$request.body#/id}")]
    fn invoice_notification(body: InvoiceEvent) -> InvoiceEventReceived;
}

fn main() {}
