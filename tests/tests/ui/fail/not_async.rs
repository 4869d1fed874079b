use callback_runtime::get;

/// List the invoices.
#[get("/invoices/")]
fn list_invoices() -> &'static str {
    "[]"
}

fn main() {}
