use callback_runtime::webhooks;

#[derive(schemars::JsonSchema)]
pub struct Invoice {
    pub id: String,
}

#[webhooks]
mod invoice_webhooks {
    /// A new invoice.
    #[post("")]
    fn new_invoice(body: super::Invoice);
}

fn main() {}
