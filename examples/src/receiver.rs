//! The client's side of the invoices example: a server that receives the
//! invoice callbacks, verifies their Standard Webhooks signature before it
//! decodes them, and keeps (and logs) each event. A delivery seen twice
//! (the same `webhook-id`) is acknowledged again and marked as a duplicate:
//! delivery is at least once.
//!
//! Run it with `cargo run -p examples --bin receiver`.

use std::collections::HashSet;
use std::sync::Mutex;

use actix_web::web;
use callback_runtime::receive::Received;

use crate::invoices::{invoice_callbacks, InvoiceEvent, InvoiceEventReceived};

/// One event received.
#[derive(Debug, Clone)]
pub struct Event {
    /// The delivery's `webhook-id`.
    pub webhook_id: String,
    /// The invoice, from the URL.
    pub invoice: String,
    /// The event.
    pub event: InvoiceEvent,
    /// Whether this `webhook-id` was seen before.
    pub duplicate: bool,
}

/// What the receiver has seen.
#[derive(Debug, Default)]
pub struct Inbox {
    seen: Mutex<HashSet<String>>,
    events: Mutex<Vec<Event>>,
}

impl Inbox {
    /// Every event received, in order.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

/// Mounts the receiver: `POST /invoices/{id}`, the path the invoices app's
/// callback URL ends with. Needs `web::Data<Inbox>` and the app's
/// `web::Data<Verifier>`.
pub fn configure(config: &mut web::ServiceConfig) {
    config.route("/invoices/{id}", web::post().to(invoice_notification));
}

/// The callback, typed by its declaration: the body is verified, then
/// decoded as `InvoiceEvent`; the answer is the declared response.
async fn invoice_notification(
    invoice: web::Path<String>,
    event: Received<invoice_callbacks::invoice_notification>,
    inbox: web::Data<Inbox>,
) -> web::Json<InvoiceEventReceived> {
    let webhook_id = event.webhook_id().to_owned();
    let duplicate = !inbox
        .seen
        .lock()
        .map(|mut s| s.insert(webhook_id.clone()))
        .unwrap_or(true);
    let event = Event {
        webhook_id,
        invoice: invoice.into_inner(),
        event: event.into_inner(),
        duplicate,
    };
    println!(
        "{} invoice {}: {} (paid: {}){}",
        event.webhook_id,
        event.invoice,
        event.event.description,
        event.event.paid,
        if duplicate { " [duplicate]" } else { "" }
    );
    if let Ok(mut events) = inbox.events.lock() {
        events.push(event);
    }
    web::Json(InvoiceEventReceived { ok: true })
}
