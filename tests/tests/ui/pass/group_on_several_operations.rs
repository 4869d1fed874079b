//! One callback group attached to several operations, across a scope, with
//! a path parameter read by a callback.

use actix_web::web;
use callback_runtime::{callbacks, delete, put, Api, ApiScope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An invoice.
#[derive(Deserialize, JsonSchema)]
pub struct Invoice {
    /// The amount due.
    pub total: f64,
}

/// Where to send the events.
#[derive(Deserialize, JsonSchema)]
pub struct Notify {
    /// The client's URL.
    pub callback_url: String,
}

/// An invoice event.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct InvoiceEvent {
    /// What happened.
    pub description: String,
}

#[callbacks]
mod invoice_callbacks {
    use super::*;

    /// The invoice changed.
    #[post("{$request.query.callback_url}/invoices/{$request.path.id}")]
    fn invoice_changed(body: InvoiceEvent);
}

#[callbacks]
mod audit_callbacks {
    use super::*;

    /// Record the change in the client's audit log.
    #[post("{$request.query.callback_url}/audit?method={$method}")]
    fn audit(body: InvoiceEvent);
}

/// Replace an invoice.
#[put("/invoices/{id}", callbacks = [invoice_callbacks, audit_callbacks])]
async fn replace_invoice(id: web::Path<(u64,)>, invoice: web::Json<Invoice>, notify: web::Query<Notify>) -> String {
    let _ = (invoice.into_inner().total, notify.into_inner().callback_url);
    id.into_inner().0.to_string()
}

/// Cancel an invoice.
#[delete("/invoices/{id}", callbacks = [invoice_callbacks, audit_callbacks], deprecated)]
async fn cancel_invoice(id: web::Path<(u64,)>, notify: web::Query<Notify>) -> String {
    let _ = notify.into_inner().callback_url;
    id.into_inner().0.to_string()
}

fn main() {
    let api = Api::new("Invoices", "1.0.0")
        .service(ApiScope::new("/v1").service(replace_invoice).service(cancel_invoice))
        .build()
        .unwrap();
    let document = serde_json::to_value(api.document()).unwrap();
    let put = &document["paths"]["/v1/invoices/{id}"]["put"]["callbacks"];
    let delete = &document["paths"]["/v1/invoices/{id}"]["delete"]["callbacks"];
    assert_eq!(put["invoice_changed"], delete["invoice_changed"], "shared callback");
    assert!(document["components"]["pathItems"]["invoice_changed"].is_object(), "{document}");
    assert!(document["components"]["pathItems"]["audit"].is_object(), "{document}");
}
