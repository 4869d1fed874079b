use callback_runtime::callbacks;
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
pub struct InvoiceEvent {
    pub id: String,
    pub paid: bool,
}

#[callbacks]
mod invoice_callbacks {
    /// Notify the client.
    #[post("{$url}}")]
    fn invoice_notification(body: super::InvoiceEvent);
}

fn main() {}
