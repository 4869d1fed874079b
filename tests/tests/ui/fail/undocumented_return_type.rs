use actix_web::body::BoxBody;
use actix_web::{HttpRequest, HttpResponse, Responder};
use callback_runtime::get;

/// An invoice rendered as CSV.
pub struct InvoiceCsv(pub String);

impl Responder for InvoiceCsv {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        HttpResponse::Ok().content_type("text/csv").body(self.0)
    }
}

/// Export the invoices.
#[get("/invoices.csv")]
async fn export_invoices() -> InvoiceCsv {
    InvoiceCsv("id,total\n".to_owned())
}

fn main() {}
