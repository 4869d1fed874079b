use callback_runtime::get;

// Three mistakes in one attribute: one compile reports them all.
/// List the invoices.
#[get("/invoices/", summry = "List", status = 999, tags = ["a"], tags = ["b"])]
async fn list_invoices() -> &'static str {
    "[]"
}

fn main() {}
