use callback_runtime::{callbacks, post};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct InvoiceEvent {
    pub id: String,
    pub paid: bool,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct InvoiceEventReceived {
    pub ok: bool,
}

#[callbacks]
mod invoice_callbacks {
    use super::*;
}

fn main() {}
