//! Serves the invoices API with its docs on 127.0.0.1:8000 (or the address
//! in `INVOICES_ADDR`): the document at `/openapi.json`, Swagger UI at
//! `/docs`, ReDoc at `/redoc`.

use actix_web::{App, HttpServer};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let api = match examples::invoices::api() {
        Ok(api) => api,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    let addr = std::env::var("INVOICES_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    println!("Serving the invoices API on http://{addr} (docs at http://{addr}/docs, ReDoc at http://{addr}/redoc)");
    HttpServer::new(move || App::new().service(api.clone()))
        .bind(&addr)?
        .run()
        .await
}
