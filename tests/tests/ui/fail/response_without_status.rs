use callback_runtime::get;

/// List the invoices.
#[get("/invoices/", responses((description = "The invoices")))]
async fn list_invoices() -> &'static str {
    "[]"
}

fn main() {}
