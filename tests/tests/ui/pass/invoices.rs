//! The invoices API: a client creates an invoice with a `callback_url`, and
//! the API later POSTs invoice events to that URL.

use actix_web::web;
use callback_runtime::{callbacks, post, Api};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use url::Url;

/// An invoice sent by the API user.
#[derive(Deserialize, JsonSchema)]
pub struct Invoice {
    /// The invoice's identifier.
    pub id: String,
    /// An optional title.
    pub title: Option<String>,
    /// Who pays.
    pub customer: String,
    /// The amount due.
    pub total: f64,
}

/// What happened to an invoice.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct InvoiceEvent {
    /// A description of the event.
    pub description: String,
    /// Whether the invoice is paid.
    pub paid: bool,
}

/// The client's answer to an event.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct InvoiceEventReceived {
    /// Whether the client accepted the event.
    pub ok: bool,
}

/// The query of `POST /invoices/`.
#[derive(Deserialize, JsonSchema)]
pub struct InvoiceQuery {
    /// Where to send invoice events.
    pub callback_url: Option<Url>,
}

/// The answer to a created invoice.
#[derive(Serialize, JsonSchema)]
pub struct InvoiceReceived {
    /// A confirmation message.
    pub msg: String,
}

/// The requests this API makes to the client's server.
#[callbacks]
pub mod invoice_callbacks {
    use super::*;

    /// Notify the client of an invoice event.
    #[post("{$request.query.callback_url}/invoices/{$request.body#/id}")]
    pub fn invoice_notification(body: InvoiceEvent) -> InvoiceEventReceived;
}

/// Create an invoice.
#[post("/invoices/", callbacks = invoice_callbacks, tags = ["invoices"])]
async fn create_invoice(invoice: web::Json<Invoice>, query: web::Query<InvoiceQuery>) -> web::Json<InvoiceReceived> {
    let _ = (invoice.into_inner(), query.into_inner());
    web::Json(InvoiceReceived {
        msg: "Invoice received".to_owned(),
    })
}

fn main() {
    let api = Api::new("Invoices", "0.1.0").service(create_invoice).build().unwrap();
    let document = serde_json::to_value(api.document()).unwrap();
    let callback = &document["paths"]["/invoices/"]["post"]["callbacks"]["invoice_notification"];
    assert!(
        callback["{$request.query.callback_url}/invoices/{$request.body#/id}"]["post"].is_object(),
        "{callback}"
    );
    assert_eq!(invoice_callbacks::invoice_notification::URL, "{$request.query.callback_url}/invoices/{$request.body#/id}");
}
