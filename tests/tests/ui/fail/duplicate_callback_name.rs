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

#[callbacks]
mod invoice_callbacks {
    /// Notify the client that the invoice is paid.
    #[post("{$request.query.callback_url}/invoices/{$request.body#/id}/paid")]
    fn invoice_notification(body: super::InvoiceEvent) -> super::InvoiceEventReceived;

    /// Notify the client that the invoice is overdue.
    #[post("{$request.query.callback_url}/invoices/{$request.body#/id}/overdue")]
    fn invoice_notification(body: super::InvoiceEvent) -> super::InvoiceEventReceived;
}

fn main() {}
