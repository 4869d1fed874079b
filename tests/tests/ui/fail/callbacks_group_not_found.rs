use actix_web::web;
use callback_runtime::post;
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
pub struct Invoice {
    pub id: String,
}

/// Create an invoice.
#[post("/invoices/", callbacks = invoice_callbacks)]
async fn create_invoice(invoice: web::Json<Invoice>) -> String {
    invoice.into_inner().id
}

fn main() {}
