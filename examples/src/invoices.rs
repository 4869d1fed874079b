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
//!
//! On PostgreSQL (`CALLBACKS_DB=postgres://…`) the app also keeps its
//! invoices in a table of its own, and queues the callback **in the same
//! transaction** as the invoice's row (the outbox pattern): both commit or
//! neither does. A second invoice with the same id fails on the table's
//! primary key after its callback was queued; the transaction rolls back,
//! the answer is 409, and that callback is never sent.

use actix_web::{web, HttpRequest};
use callback_runtime::deliveries::{
    cancel_delivery, count_deliveries, deliveries_page, get_delivery, list_deliveries,
    retry_delivery,
};
use callback_runtime::delivery::dispatcher::Outbox;
use callback_runtime::delivery::store::PostgresStore;
use callback_runtime::delivery::NewDelivery;
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
/// queued, the invoice is not accepted (503). On PostgreSQL, an invoice
/// whose id exists already is refused (409) and queues nothing.
#[post(
    "/invoices/",
    callbacks = invoice_callbacks,
    tags = ["invoices"],
    responses(409 => HttpValidationError, 503 => HttpValidationError)
)]
pub async fn create_invoice(
    invoice: web::Json<Invoice>,
    query: web::Query<InvoiceQuery>,
    trigger: invoice_callbacks::Trigger,
    outbox: web::Data<Outbox>,
    request: HttpRequest,
) -> Result<web::Json<InvoiceReceived>, InvoiceError> {
    let invoice = invoice.into_inner();
    let callback: Option<NewDelivery> = query.callback_url.is_some().then(|| {
        let event = InvoiceEvent {
            description: "Invoice created".to_owned(),
            paid: false,
        };
        trigger
            .callback(invoice_callbacks::invoice_notification, &event)
            .into()
    });
    match request.app_data::<web::Data<sqlx::PgPool>>() {
        Some(pool) => {
            save_with_callback(pool, &invoice, callback).await?;
            outbox.wake();
        }
        None => {
            if let Some(callback) = callback {
                outbox
                    .enqueue(callback)
                    .await
                    .map_err(|e| InvoiceError::Unavailable(e.to_string()))?;
            }
        }
    }
    Ok(web::Json(InvoiceReceived {
        msg: "Invoice received".to_owned(),
    }))
}

/// The app's own table of invoices, on PostgreSQL.
pub const INVOICES_TABLE: &str = "CREATE TABLE IF NOT EXISTS invoices (
    id TEXT PRIMARY KEY,
    title TEXT,
    customer TEXT NOT NULL,
    total DOUBLE PRECISION NOT NULL
)";

/// Queues the callback and inserts the invoice in one transaction: if the
/// insert fails (an existing id), the queued callback is rolled back with
/// it.
async fn save_with_callback(
    pool: &sqlx::PgPool,
    invoice: &Invoice,
    callback: Option<NewDelivery>,
) -> Result<(), InvoiceError> {
    let unavailable = |e: &dyn std::fmt::Display| InvoiceError::Unavailable(e.to_string());
    let mut transaction = pool.begin().await.map_err(|e| unavailable(&e))?;
    if let Some(callback) = callback {
        PostgresStore::enqueue_in(&mut transaction, &[callback])
            .await
            .map_err(|e| unavailable(&e))?;
    }
    let inserted =
        sqlx::query("INSERT INTO invoices (id, title, customer, total) VALUES ($1, $2, $3, $4)")
            .bind(&invoice.id)
            .bind(&invoice.title)
            .bind(&invoice.customer)
            .bind(invoice.total)
            .execute(&mut *transaction)
            .await;
    match inserted {
        // Dropping the transaction rolls it back, the callback with it.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(InvoiceError::Exists(invoice.id.clone()))
        }
        Err(e) => Err(unavailable(&e)),
        Ok(_) => transaction.commit().await.map_err(|e| unavailable(&e)),
    }
}

/// Why an invoice was not accepted (a JSON body in each case).
#[derive(Debug)]
pub enum InvoiceError {
    /// An invoice with this id exists (PostgreSQL only): 409.
    Exists(String),
    /// The callback could not be queued: 503.
    Unavailable(String),
}

impl std::fmt::Display for InvoiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InvoiceError::Exists(id) => write!(f, "an invoice `{id}` exists already"),
            InvoiceError::Unavailable(e) => {
                write!(f, "the invoice's callback could not be queued: {e}")
            }
        }
    }
}

impl actix_web::ResponseError for InvoiceError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        match self {
            InvoiceError::Exists(_) => actix_web::http::StatusCode::CONFLICT,
            InvoiceError::Unavailable(_) => actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        let (loc, kind) = match self {
            InvoiceError::Exists(_) => ("body", "conflict"),
            InvoiceError::Unavailable(_) => ("callbacks", "unavailable"),
        };
        let mut loc = vec![callback_runtime::LocationItem::Name(loc.into())];
        if matches!(self, InvoiceError::Exists(_)) {
            loc.push(callback_runtime::LocationItem::Name("id".into()));
        }
        actix_web::HttpResponse::build(self.status_code()).json(HttpValidationError::single(
            loc,
            self.to_string(),
            kind,
        ))
    }
}

/// The invoices API, assembled and checked: mount it with
/// `App::new().service(api.clone())`, with the app's `web::Data<Outbox>`
/// (and a `DeliveriesAccess` for the deliveries view and its page at
/// `/deliveries/ui`). Its document is OpenAPI 3.1.0, and says the callbacks
/// are signed with a `whsec_` secret (`v1`); [`describe`] lets the binary
/// choose otherwise.
pub fn api() -> Result<ApiService, AssemblyError> {
    describe().build()
}

/// The invoices API before it is built, to set more of its document: its
/// OpenAPI version, or the signer of its callbacks
/// (`describe().signed_with(&signer).build()`).
pub fn describe() -> Api {
    Api::new("Invoices", "0.1.0")
        .description(
            "Create invoices and receive notifications of their events at your callback URL.",
        )
        .service(create_invoice)
        // The deliveries view; its page and counts before `{id}`, which
        // would take their paths.
        .service(list_deliveries)
        .service(count_deliveries)
        .service(deliveries_page)
        .service(get_delivery)
        .service(retry_delivery)
        .service(cancel_delivery)
}
