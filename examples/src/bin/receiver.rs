//! The client's side of the invoices example: receives the invoice
//! callbacks on 127.0.0.1:9000 (or `RECEIVER_ADDR`), verifies their
//! Standard Webhooks signature with `CALLBACKS_SECRET` (the invoices app's
//! secret), and logs each event. A delivery seen twice (same `webhook-id`)
//! is acknowledged and logged as a duplicate.

use std::collections::HashSet;
use std::sync::Mutex;

use actix_web::{web, App, HttpServer};
use callback_runtime::delivery::signing::Verifier;
use callback_runtime::send::Received;
use examples::invoices::{invoice_callbacks, InvoiceEventReceived};

/// The `webhook-id`s seen so far.
struct Seen(Mutex<HashSet<String>>);

async fn invoice_notification(
    id: web::Path<String>,
    event: Received<invoice_callbacks::invoice_notification>,
    seen: web::Data<Seen>,
) -> web::Json<InvoiceEventReceived> {
    let first = seen
        .0
        .lock()
        .map(|mut s| s.insert(event.webhook_id().to_owned()))
        .unwrap_or(true);
    println!(
        "{} invoice {}: {} (paid: {}){}",
        event.webhook_id(),
        id.as_str(),
        event.description,
        event.paid,
        if first { "" } else { " [duplicate]" }
    );
    web::Json(InvoiceEventReceived { ok: true })
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let Ok(secret) = std::env::var("CALLBACKS_SECRET") else {
        eprintln!("set CALLBACKS_SECRET to the invoices app's secret (whsec_…)");
        std::process::exit(1);
    };
    let verifier = Verifier::new([&secret]).unwrap_or_else(|e| {
        eprintln!("CALLBACKS_SECRET: {e}");
        std::process::exit(1);
    });
    let addr = std::env::var("RECEIVER_ADDR").unwrap_or_else(|_| "127.0.0.1:9000".to_owned());
    println!("Receiving invoice callbacks on http://{addr}/invoices/{{id}}");
    let verifier = web::Data::new(verifier);
    let seen = web::Data::new(Seen(Mutex::new(HashSet::new())));
    HttpServer::new(move || {
        App::new()
            .app_data(verifier.clone())
            .app_data(seen.clone())
            .route("/invoices/{id}", web::post().to(invoice_notification))
    })
    .workers(1)
    .bind(&addr)?
    .run()
    .await
}
