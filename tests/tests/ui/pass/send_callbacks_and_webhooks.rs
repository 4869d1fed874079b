//! The typed sending API: a trigger per group, the declared body type, a
//! webhook to a subscriber's URL, a verified receiver.

use actix_web::web;
use callback_runtime::delivery::dispatcher::Outbox;
use callback_runtime::receive::Received;
use callback_runtime::send::webhook;
use callback_runtime::{callbacks, post, webhooks};
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

#[callbacks]
mod order_callbacks {
    use super::*;

    /// The order shipped.
    #[post("{$request.body#/notify_url}/shipped")]
    fn shipped(body: Shipped) -> Ack;
}

#[webhooks]
mod shop_webhooks {
    use super::*;

    /// A new order.
    #[post("newOrder")]
    fn new_order(body: Shipped) -> Ack;
}

/// Place an order.
#[post("/orders", callbacks = order_callbacks)]
async fn place(
    order: web::Json<Order>,
    trigger: order_callbacks::Trigger,
    outbox: web::Data<Outbox>,
) -> String {
    let shipped = trigger.callback(order_callbacks::shipped, &Shipped { id: order.id });
    let subscriber = webhook(shop_webhooks::new_order, "https://subscriber.example/hook", &Shipped { id: order.id });
    let _ = outbox.enqueue_all(&[shipped.into(), subscriber.into()]).await;
    String::new()
}

async fn receive(event: Received<order_callbacks::shipped>) -> web::Json<Ack> {
    web::Json(Ack { ok: event.id > 0 })
}

fn main() {
    let _ = (place, receive);
}
