use callback_runtime::get;

/// List the invoices.
#[get("/invoices/", responses((status = 200, headers(etag = "Version"))))]
async fn list_invoices() -> &'static str {
    "[]"
}

fn main() {}
