//! The invoices API: a client creates an invoice and passes a
//! `callback_url`; the API notifies the client of events on that invoice by
//! POSTing to `{callback_url}/invoices/{id}`.
//!
//! The event it sends: as soon as an invoice is accepted, an
//! `invoice_notification` with `{"description": "Invoice created", "paid":
//! false}`. It is queued durably (in the app's outbox) before the `POST`
//! is answered, so an accepted invoice is never left without its callback;
//! the dispatcher then signs it (Standard Webhooks), sends it, and retries
//! it until the client answers 2xx. An invoice without a `callback_url`
//! sends nothing.

use actix_web::web;
use callback_runtime::delivery::dispatcher::Outbox;
use callback_runtime::send::view::{get_delivery, list_deliveries};
use callback_runtime::{callbacks, post, Api, ApiService, AssemblyError, HttpValidationError};
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
///
/// The callback is queued durably before this answers; if it cannot be
/// queued, the invoice is not accepted (503).
#[post(
    "/invoices/",
    callbacks = invoice_callbacks,
    tags = ["invoices"],
    responses(503 => HttpValidationError)
)]
pub async fn create_invoice(
    invoice: web::Json<Invoice>,
    query: web::Query<InvoiceQuery>,
    trigger: invoice_callbacks::Trigger,
    outbox: web::Data<Outbox>,
) -> Result<web::Json<InvoiceReceived>, QueueError> {
    if query.callback_url.is_some() {
        let event = InvoiceEvent {
            description: "Invoice created".to_owned(),
            paid: false,
        };
        let request = trigger.callback(invoice_callbacks::invoice_notification, &event);
        outbox
            .enqueue(request)
            .await
            .map_err(|e| QueueError(e.to_string()))?;
    }
    let _ = invoice.into_inner();
    Ok(web::Json(InvoiceReceived {
        msg: "Invoice received".to_owned(),
    }))
}

/// The callback could not be queued: 503 with a JSON body.
#[derive(Debug)]
pub struct QueueError(String);

impl std::fmt::Display for QueueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the invoice's callback could not be queued: {}", self.0)
    }
}

impl actix_web::ResponseError for QueueError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        actix_web::HttpResponse::ServiceUnavailable().json(HttpValidationError::single(
            vec![callback_runtime::LocationItem::Name("callbacks".into())],
            self.to_string(),
            "unavailable",
        ))
    }
}

/// The invoices API, assembled and checked: mount it with
/// `App::new().service(api.clone())`, with the app's `web::Data<Outbox>`
/// (and a `DeliveriesAccess` for the deliveries view).
pub fn api() -> Result<ApiService, AssemblyError> {
    Api::new("Invoices", "0.1.0")
        .description(
            "Create invoices and receive notifications of their events at your callback URL.",
        )
        .service(create_invoice)
        .service(list_deliveries)
        .service(get_delivery)
        .build()
}
