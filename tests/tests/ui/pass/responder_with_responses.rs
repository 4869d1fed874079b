//! A handler returning `impl Responder`, its responses declared by hand, and
//! every other key of the route attribute.

use actix_web::{web, HttpResponse, Responder};
use callback_runtime::{get, Api};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The path of one invoice.
#[derive(Deserialize, JsonSchema)]
pub struct InvoicePath {
    /// The invoice's identifier.
    pub id: u64,
}

/// An invoice.
#[derive(Serialize, JsonSchema)]
pub struct Invoice {
    /// The invoice's identifier.
    pub id: u64,
}

/// An error body.
#[derive(Serialize, JsonSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub detail: String,
}

#[get(
    "/invoices/{id}",
    operation_id = "readInvoice",
    tags = ["invoices", "read"],
    summary = "Read an invoice",
    description = "Reads one invoice by its identifier.",
    responses(200 => Invoice, 404 => ErrorBody, 304),
    name = "read_invoice"
)]
async fn read_invoice(path: web::Path<InvoicePath>) -> impl Responder {
    let id = path.into_inner().id;
    if id == 0 {
        HttpResponse::NotFound().json(ErrorBody {
            detail: "no such invoice".to_owned(),
        })
    } else {
        HttpResponse::Ok().json(Invoice { id })
    }
}

/// Internal health check, left out of the document.
#[get("/health", hidden)]
async fn health() -> &'static str {
    "ok"
}

fn main() {
    let api = Api::new("Invoices", "1.0.0").service(read_invoice).service(health).build().unwrap();
    let document = serde_json::to_value(api.document()).unwrap();
    let operation = &document["paths"]["/invoices/{id}"]["get"];
    assert_eq!(operation["operationId"], "readInvoice");
    assert_eq!(operation["summary"], "Read an invoice");
    assert!(operation["responses"]["404"].is_object(), "{operation}");
    assert!(operation["responses"]["304"].is_object(), "{operation}");
    assert!(document["paths"].get("/health").is_none(), "{document}");
}
