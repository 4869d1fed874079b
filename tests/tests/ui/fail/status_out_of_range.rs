use callback_runtime::post;

/// Create an invoice.
#[post("/invoices/", status = 999)]
async fn create_invoice() -> &'static str {
    "created"
}

fn main() {}
