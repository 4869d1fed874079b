use callback_runtime::{callbacks, webhooks, Api, ApiScope};

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Invoice {
    pub id: String,
}

#[callbacks]
mod invoice_callbacks {
    /// The invoice changed.
    #[post("{$request.body#/id}")]
    fn changed(body: super::Invoice);
}

#[webhooks]
mod invoice_webhooks {
    /// A new invoice.
    #[post]
    fn new_invoice(body: super::Invoice);
}

fn main() {
    let _ = Api::new("Invoices", "1.0")
        .webhooks(invoice_callbacks::CALLBACK_GROUP)
        .callbacks(invoice_webhooks::WEBHOOK_GROUP)
        .service(ApiScope::new("/a").callbacks(invoice_webhooks::WEBHOOK_GROUP));
}
