//! The client's receiver of the invoices example, on 127.0.0.1:9000 (or
//! `RECEIVER_ADDR`): verifies each callback with `CALLBACKS_SECRET` (the
//! invoices app's secret) and logs it. See `examples::receiver`.

use actix_web::{web, App, HttpServer};
use callback_runtime::delivery::signing::Verifier;
use examples::receiver::{configure, Inbox};

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
    let inbox = web::Data::new(Inbox::default());
    HttpServer::new(move || {
        App::new()
            .app_data(verifier.clone())
            .app_data(inbox.clone())
            .configure(configure)
    })
    .workers(1)
    .bind(&addr)?
    .run()
    .await
}
