use actix_web::web;
use callback_runtime::callbacks;
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
pub struct InvoiceEvent {
    pub id: String,
    pub paid: bool,
}

/// Notify the client.
#[callbacks]
pub async fn invoice_notification(body: web::Json<InvoiceEvent>) -> String {
    body.into_inner().id
}

fn main() {}
