//! Serves the invoices API with its docs on 127.0.0.1:8000 (or the address
//! in `INVOICES_ADDR`): the document at `/openapi.json`, Swagger UI at
//! `/docs`, ReDoc at `/redoc`, Scalar at `/scalar`, the deliveries at
//! `/deliveries` (and as a page at `/deliveries/ui`). It sends each invoice's callback to the client's
//! `callback_url`.
//!
//! - `CALLBACKS_SECRET`: the `whsec_…` secret callbacks are signed with (a
//!   new one is generated and printed when unset);
//! - `CALLBACKS_DB`: where deliveries wait: a SQLite file (`callbacks.db`),
//!   or a PostgreSQL database (`postgres://user:pass@host:port/db`), which
//!   several instances of the app share, each on its own `INVOICES_ADDR`;
//! - `CALLBACKS_ALLOW_LOOPBACK=1`: let callbacks go to 127.0.0.0/8 and ::1
//!   (off by default: the SSRF guard refuses loopback).
//!
//! - `OTEL_EXPORTER_OTLP_ENDPOINT` (and `OTEL_EXPORTER_OTLP_PROTOCOL`,
//!   `http/protobuf` or `http/json`): export traces and metrics over OTLP
//!   (see `examples::telemetry`); unset, nothing is exported.
//!
//! `--export-openapi FILE` writes the document to FILE (the bytes
//! `/openapi.json` serves) and exits, without a server or a database.

use actix_web::{web, App, HttpServer};
use callback_runtime::delivery::dispatcher::{Dispatcher, Outbox};
use callback_runtime::delivery::guard::Guard;
use callback_runtime::delivery::sender::{Sender, SenderConfig};
use callback_runtime::delivery::signing::{generate_secret, Signer};
use std::time::Duration;

use callback_runtime::deliveries::DeliveriesAccess;
use callback_runtime::delivery::store::{spawn_pruner, PostgresStore, SqliteStore};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // One line per delivery attempt, from the dispatcher's `tracing` events.
    tracing_subscriber::fmt().with_target(false).init();
    let api = examples::invoices::api().unwrap_or_else(|error| fail(error));
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {}
        [flag, file] if flag == "--export-openapi" => {
            api.write_openapi(file)
                .unwrap_or_else(|e| fail(format!("writing {file}: {e}")));
            println!("wrote the OpenAPI document to {file}");
            return Ok(());
        }
        _ => fail("usage: invoices [--export-openapi FILE]"),
    }

    // Before the dispatcher starts: it records through the global providers.
    let telemetry = examples::telemetry::init().unwrap_or_else(|e| fail(e));
    if telemetry.exports() {
        println!("exporting traces and metrics over OTLP");
    }

    let secret = std::env::var("CALLBACKS_SECRET").unwrap_or_else(|_| {
        let secret = generate_secret();
        println!("CALLBACKS_SECRET is not set; callbacks are signed with the new secret {secret}");
        secret
    });
    let signer = Signer::new([&secret]).unwrap_or_else(|e| fail(format!("CALLBACKS_SECRET: {e}")));
    let mut guard = Guard::new();
    if std::env::var("CALLBACKS_ALLOW_LOOPBACK").is_ok_and(|v| v == "1") {
        println!("CALLBACKS_ALLOW_LOOPBACK=1: callbacks may go to 127.0.0.0/8 and ::1");
        guard = guard.allow_loopback();
    }
    let db = std::env::var("CALLBACKS_DB").unwrap_or_else(|_| "callbacks.db".to_owned());
    let mut pool = None;
    let outbox = if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        let store = PostgresStore::connect(&db)
            .await
            .unwrap_or_else(|e| fail(format!("CALLBACKS_DB: {e}")));
        sqlx::query(examples::invoices::INVOICES_TABLE)
            .execute(store.pool())
            .await
            .unwrap_or_else(|e| fail(format!("creating the invoices table: {e}")));
        pool = Some(web::Data::new(store.pool().clone()));
        Outbox::new(store)
    } else {
        let store = SqliteStore::open(&db)
            .await
            .unwrap_or_else(|e| fail(format!("CALLBACKS_DB={db}: {e}")));
        Outbox::new(store)
    };
    let sender = Sender::new(guard, signer, SenderConfig::default()).unwrap_or_else(|e| fail(e));
    // On PostgreSQL, the dispatcher also listens for callbacks queued by
    // any instance, and claims them at once.
    let dispatcher = Dispatcher::new(outbox.clone(), sender).spawn();
    // Retention: finished deliveries (delivered, failed, refused, gone,
    // cancelled) are kept 30 days as the audit trail of what was sent, then
    // deleted, in small batches, once an hour.
    let pruner = spawn_pruner(
        outbox.store().clone(),
        Duration::from_secs(3600),
        Duration::from_secs(30 * 24 * 3600),
    );

    let addr = std::env::var("INVOICES_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    let waiting = if pool.is_some() {
        "PostgreSQL"
    } else {
        db.as_str()
    };
    println!("Serving the invoices API on http://{addr} (docs at http://{addr}/docs, ReDoc at http://{addr}/redoc, deliveries at http://{addr}/deliveries/ui); deliveries wait in {waiting}");
    let outbox = web::Data::new(outbox);
    // A demo on loopback: anyone who can reach it may read the deliveries,
    // and retry or cancel them. A real app puts its own rule here.
    let access = web::Data::new(DeliveriesAccess::allow_all());
    HttpServer::new(move || {
        let app = App::new()
            .wrap_fn(examples::telemetry::trace_request)
            .app_data(outbox.clone())
            .app_data(access.clone());
        // On PostgreSQL the handler writes the invoice and queues its
        // callback in one transaction.
        let app = match &pool {
            Some(pool) => app.app_data(pool.clone()),
            None => app,
        };
        app.service(api.clone())
    })
    .bind(&addr)?
    .run()
    .await?;
    dispatcher.shutdown().await;
    pruner.abort();
    // The exporters block while they flush: off the runtime's thread.
    let _ = actix_web::rt::task::spawn_blocking(move || telemetry.shutdown()).await;
    Ok(())
}

fn fail(error: impl std::fmt::Display) -> ! {
    eprintln!("{error}");
    std::process::exit(1);
}
