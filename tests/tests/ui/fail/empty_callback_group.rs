use callback_runtime::callbacks;

/// The requests this API makes to the client's server (none yet).
#[callbacks]
mod invoice_callbacks {}

fn main() {}
