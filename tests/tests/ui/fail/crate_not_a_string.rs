use callback_runtime::get;

/// List the invoices.
#[get("/invoices/", crate = 5)]
async fn list_invoices() -> &'static str {
    "[]"
}

fn main() {}
