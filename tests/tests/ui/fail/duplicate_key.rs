use callback_runtime::get;

/// List the invoices.
#[get("/invoices/", tags = ["invoices"], tags = ["billing"])]
async fn list_invoices() -> &'static str {
    "[]"
}

fn main() {}
