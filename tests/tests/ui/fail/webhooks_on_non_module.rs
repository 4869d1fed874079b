use callback_runtime::webhooks;

#[webhooks]
fn new_invoice() {}

fn main() {}
