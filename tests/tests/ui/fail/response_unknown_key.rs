use callback_runtime::get;

/// List the invoices.
#[get("/invoices/", responses((status = 200, schema = String)))]
async fn list_invoices() -> &'static str {
    "[]"
}

fn main() {}
