use callback_runtime::get;

/// List the invoices.
#[get("/invoices/", summry = "List the invoices")]
async fn list_invoices() -> &'static str {
    "[]"
}

fn main() {}
