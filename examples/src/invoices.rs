//! The invoices API: a client creates an invoice and passes a
//! `callback_url`; later the API notifies the client of events on that
//! invoice by POSTing to `{callback_url}/invoices/{id}`.

use actix_web::web;
use callback_runtime::{callbacks, post, Api, ApiService, AssemblyError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use url::Url;

/// An invoice sent by the API user.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Invoice {
    /// The invoice's identifier, chosen by the client.
    pub id: String,
    /// An optional title.
    pub title: Option<String>,
    /// Who pays.
    pub customer: String,
    /// The amount due.
    pub total: f64,
}

/// What happened to an invoice, sent to the client's callback URL.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InvoiceEvent {
    /// A description of the event, e.g. "Payment celebration".
    pub description: String,
    /// Whether the invoice is paid.
    pub paid: bool,
}

/// The client's answer to an [`InvoiceEvent`].
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InvoiceEventReceived {
    /// Whether the client accepted the event.
    pub ok: bool,
}

/// The query of `POST /invoices/`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct InvoiceQuery {
    /// Where to send invoice events.
    pub callback_url: Option<Url>,
}

/// The answer to a created invoice.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InvoiceReceived {
    /// A confirmation message.
    pub msg: String,
}

/// The requests this API makes to the client's server.
#[callbacks]
pub mod invoice_callbacks {
    use super::*;

    /// Notify the client of an invoice event.
    ///
    /// Sent to the client's `callback_url` once the invoice's state changes;
    /// the client answers with `{"ok": true}`.
    #[post("{$request.query.callback_url}/invoices/{$request.body#/id}")]
    fn invoice_notification(body: InvoiceEvent) -> InvoiceEventReceived;
}

/// Create an invoice.
///
/// The API user (a developer integrating with this service) creates an
/// invoice for one of their customers. The service then:
///
/// * sends the invoice to the customer;
/// * collects the payment;
/// * notifies the API user's server with a callback request, a `POST` to
///   their `callback_url` carrying the invoice event
///   (e.g. "payment received").
#[post("/invoices/", callbacks = invoice_callbacks, tags = ["invoices"])]
pub async fn create_invoice(
    invoice: web::Json<Invoice>,
    query: web::Query<InvoiceQuery>,
) -> web::Json<InvoiceReceived> {
    // Sending the invoice, collecting the payment and notifying
    // `query.callback_url` happen elsewhere; this handler records the request.
    let _ = (invoice.into_inner(), query.into_inner());
    web::Json(InvoiceReceived {
        msg: "Invoice received".to_owned(),
    })
}

/// The invoices API, assembled and checked: mount it with
/// `App::new().service(api.clone())`.
pub fn api() -> Result<ApiService, AssemblyError> {
    Api::new("Invoices", "0.1.0")
        .description(
            "Create invoices and receive notifications of their events at your callback URL.",
        )
        .service(create_invoice)
        .build()
}
