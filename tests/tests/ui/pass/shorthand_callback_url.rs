//! FastAPI's `{$callback_url}` shorthand, resolved against the query
//! parameter of the same name.

use actix_web::web;
use callback_runtime::{callbacks, post, Api};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A subscription to invoice events.
#[derive(Deserialize, JsonSchema)]
pub struct Subscription {
    /// The customer whose invoices are watched.
    pub customer: String,
}

/// Where to send the events.
#[derive(Deserialize, JsonSchema)]
pub struct CallbackQuery {
    /// The client's URL.
    pub callback_url: String,
}

/// An invoice event.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct InvoiceEvent {
    /// Whether the invoice is paid.
    pub paid: bool,
}

#[callbacks]
mod subscription_callbacks {
    use super::*;

    /// An invoice of the customer changed.
    #[put("{$callback_url}/events")]
    fn invoice_changed(body: InvoiceEvent);
}

/// Subscribe to invoice events.
#[post("/subscriptions", callbacks = subscription_callbacks, status = 201)]
async fn subscribe(subscription: web::Json<Subscription>, query: web::Query<CallbackQuery>) -> String {
    let _ = query.into_inner().callback_url;
    subscription.into_inner().customer
}

fn main() {
    let api = Api::new("Subscriptions", "1.0.0").service(subscribe).build().unwrap();
    let document = serde_json::to_value(api.document()).unwrap();
    let callback = &document["paths"]["/subscriptions"]["post"]["callbacks"]["invoice_changed"];
    assert!(callback["{$request.query.callback_url}/events"]["put"].is_object(), "{callback}");
}
