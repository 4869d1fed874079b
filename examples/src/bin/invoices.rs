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
//! `--openapi-version 3.2` makes the document (served or exported) OpenAPI
//! 3.2.0 rather than 3.1.0. The document names the signature scheme of
//! `CALLBACKS_SECRET` (`v1` for a `whsec_` secret, `v1a` for a `whsk_` key;
//! `v1` when it is unset, as the generated secret is a `whsec_` one).

use actix_web::{web, App, HttpServer};
use callback_runtime::delivery::dispatcher::{Dispatcher, Outbox};
use callback_runtime::delivery::guard::Guard;
use callback_runtime::delivery::sender::{Sender, SenderConfig};
use callback_runtime::delivery::signing::{generate_secret, Signer};
use callback_runtime::openapi::OpenApiVersion;
use std::time::Duration;

use callback_runtime::deliveries::DeliveriesAccess;
use callback_runtime::delivery::store::{spawn_pruner, PostgresStore, SqliteStore};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // One line per delivery attempt, from the dispatcher's `tracing` events.
    tracing_subscriber::fmt().with_target(false).init();
    let options = Options::parse(std::env::args().skip(1)).unwrap_or_else(|e| fail(e));
    let api = examples::invoices::describe().openapi_version(options.version);
    if let Some(file) = &options.export {
        // The scheme of the secret the app would sign with: without one it
        // would generate a `whsec_` secret, `v1`, the document's default.
        let api = match std::env::var("CALLBACKS_SECRET") {
            Ok(secret) => api.signed_with(
                &Signer::new([&secret]).unwrap_or_else(|e| fail(format!("CALLBACKS_SECRET: {e}"))),
            ),
            Err(_) => api,
        };
        let api = api.build().unwrap_or_else(|error| fail(error));
        api.write_openapi(file)
            .unwrap_or_else(|e| fail(format!("writing {file}: {e}")));
        println!(
            "wrote the OpenAPI {} document to {file}",
            api.document().openapi
        );
        return Ok(());
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
    // The document names the scheme the callbacks are signed with.
    let api = api
        .signed_with(&signer)
        .build()
        .unwrap_or_else(|error| fail(error));
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

/// The command line: `[--export-openapi FILE] [--openapi-version 3.1|3.2]`.
struct Options {
    /// Where to write the document, instead of serving.
    export: Option<String>,
    /// The version of the document, served or exported.
    version: OpenApiVersion,
}

impl Options {
    const USAGE: &str = "usage: invoices [--export-openapi FILE] [--openapi-version 3.1|3.2]";

    fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
        let mut options = Options {
            export: None,
            version: OpenApiVersion::default(),
        };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let value = args
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n{}", Self::USAGE))?;
            match flag.as_str() {
                "--export-openapi" if options.export.is_none() => options.export = Some(value),
                "--openapi-version" => {
                    options.version = value.parse().map_err(|e| format!("{e}"))?;
                }
                _ => return Err(Self::USAGE.to_owned()),
            }
        }
        Ok(options)
    }
}

fn fail(error: impl std::fmt::Display) -> ! {
    eprintln!("{error}");
    std::process::exit(1);
}
