use callback_runtime::get;

/// List the invoices.
#[get("/invoices/", security(bearer))]
async fn list_invoices() -> &'static str {
    "[]"
}

fn main() {}
