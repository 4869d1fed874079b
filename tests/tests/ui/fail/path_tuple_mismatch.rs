use actix_web::web;
use callback_runtime::get;

/// Read one invoice of a customer.
#[get("/customers/{customer}/invoices/{id}")]
async fn read_invoice(path: web::Path<(String,)>) -> String {
    path.into_inner().0
}

fn main() {}
