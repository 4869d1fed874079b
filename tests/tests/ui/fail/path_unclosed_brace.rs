use callback_runtime::get;

/// Read one invoice.
#[get("/invoices/{id")]
async fn read_invoice() -> &'static str {
    "{}"
}

fn main() {}
