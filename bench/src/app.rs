//! The two servers under load: the invoices example as this framework
//! serves it, and the same handler written with plain actix-web macros.
//!
//! Both run in this binary (`bench serve ours|plain`), built with the same
//! profile, with one worker. The harness starts them as child processes and
//! reads the bound address from their first line of output.

use std::io::Write;
use std::net::TcpListener;
use std::sync::OnceLock;

use actix_web::http::header::ContentType;
use actix_web::{web, App, HttpResponse, HttpServer};
use examples::invoices::{Invoice, InvoiceQuery, InvoiceReceived};

/// Which server to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The invoices example: `#[callback_runtime::post]` and `ApiService`.
    Ours,
    /// The same handler with `#[actix_web::post]`, and the same document
    /// returned from static bytes.
    Plain,
}

impl Variant {
    pub fn name(self) -> &'static str {
        match self {
            Variant::Ours => "ours",
            Variant::Plain => "plain",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "ours" => Some(Variant::Ours),
            "plain" => Some(Variant::Plain),
            _ => None,
        }
    }
}

/// The handler of `examples::invoices`, word for word, under actix-web's own
/// macro and extractors.
#[actix_web::post("/invoices/")]
async fn create_invoice(
    invoice: web::Json<Invoice>,
    query: web::Query<InvoiceQuery>,
) -> web::Json<InvoiceReceived> {
    let _ = (invoice.into_inner(), query.into_inner());
    web::Json(InvoiceReceived {
        msg: "Invoice received".to_owned(),
    })
}

/// The document's bytes, serialized once before the server starts.
static DOCUMENT: OnceLock<web::Bytes> = OnceLock::new();

/// A plain handler returning static bytes: the baseline of `/openapi.json`.
#[actix_web::get("/openapi.json")]
async fn openapi() -> HttpResponse {
    let document = DOCUMENT.get().expect("set before the server starts");
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(document.clone())
}

/// The bytes `ApiService` serves at `/openapi.json`.
pub fn document_bytes() -> Vec<u8> {
    let api = examples::invoices::api().expect("the invoices example assembles");
    serde_json::to_vec(api.document()).expect("the document serializes")
}

/// Runs a server with one worker on an ephemeral port of 127.0.0.1 and
/// prints `listening ADDR` once it accepts connections. Runs until killed.
pub fn serve(variant: Variant) -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    actix_web::rt::System::new().block_on(async move {
        let server = match variant {
            Variant::Ours => {
                let api = examples::invoices::api().map_err(std::io::Error::other)?;
                HttpServer::new(move || App::new().service(api.clone()))
                    .workers(1)
                    .listen(listener)?
                    .run()
            }
            Variant::Plain => {
                DOCUMENT.get_or_init(|| document_bytes().into());
                HttpServer::new(|| App::new().service(create_invoice).service(openapi))
                    .workers(1)
                    .listen(listener)?
                    .run()
            }
        };
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening {addr}")?;
        out.flush()?;
        drop(out);
        server.await
    })
}
