//! An app that names the runtime `cbr`, as one whose Cargo.toml renames the
//! dependency (`cbr = { package = "callback-runtime", … }`) does: each
//! macro is given `crate = "cbr"`, and its expansion names nothing else.
//!
//! Cargo refuses a second name for a dependency the tests crate already
//! has, so the rename is made here, in the source. The second `extern
//! crate` then takes the name `callback_runtime` from the runtime: a path
//! the expansion wrote as `::callback_runtime::…` would not resolve.

extern crate callback_runtime as cbr;
extern crate core as callback_runtime;

use actix_web::web;
use cbr::{callbacks, get, post, webhooks, Api};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, JsonSchema)]
pub struct Order {
    pub id: u32,
    pub notify_url: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Shipped {
    pub id: u32,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Ack {
    pub ok: bool,
}

#[callbacks(crate = "cbr")]
mod order_callbacks {
    use super::*;

    /// The order shipped.
    #[post("{$request.body#/notify_url}/shipped")]
    fn shipped(body: Shipped) -> Ack;
}

#[webhooks(crate = "cbr")]
mod shop_webhooks {
    use super::*;

    /// A new order.
    #[post("newOrder")]
    fn new_order(body: Shipped) -> Ack;
}

/// Place an order.
#[post("/orders", callbacks = order_callbacks, status = 201, crate = "cbr")]
async fn place(order: web::Json<Order>, trigger: order_callbacks::Trigger) -> String {
    let shipped = trigger.callback(order_callbacks::shipped, &Shipped { id: order.id });
    shipped.url().unwrap_or_default().to_owned()
}

/// Read an order.
#[get("/orders/{id}", crate = "cbr")]
async fn read(id: web::Path<u32>) -> web::Json<Shipped> {
    web::Json(Shipped { id: id.into_inner() })
}

fn main() {
    let api = Api::new("Shop", "1.0.0")
        .webhooks(shop_webhooks::WEBHOOK_GROUP)
        .service(place)
        .service(read)
        .build()
        .unwrap();
    let document = serde_json::to_value(api.document()).unwrap();
    let orders = &document["paths"]["/orders"]["post"];
    assert!(orders["responses"]["201"].is_object(), "{orders}");
    let shipped = &orders["callbacks"]["shipped"]["{$request.body#/notify_url}/shipped"]["post"];
    assert!(shipped["requestBody"].is_object(), "{shipped}");
    assert!(document["paths"]["/orders/{id}"]["get"].is_object(), "{document}");
    assert!(document["webhooks"]["newOrder"]["post"].is_object(), "{document}");
    assert_eq!(order_callbacks::shipped::URL, "{$request.body#/notify_url}/shipped");
    assert_eq!(shop_webhooks::new_order::NAME, "newOrder");
}
