//! An app whose Cargo.toml renames the runtime:
//! `cbr = { package = "callback-runtime", … }`. Each macro is told so with
//! `crate = "cbr"`, and its expansion names nothing else: no
//! `callback_runtime` is in scope here for a path to resolve to.
//!
//! `cargo run -p renamed-dependency` prints the document; its tests serve
//! the app and check the document and a callback URL computed through the
//! renamed runtime.

use actix_web::web;
use cbr::{callbacks, get, post, webhooks, Api, ApiService};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An order, with the URL its shipment is announced to.
#[derive(Deserialize, JsonSchema)]
pub struct Order {
    /// Its number.
    pub id: u32,
    /// Where the `shipped` callback goes.
    pub notify_url: String,
}

/// A shipped order.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Shipped {
    /// The order's number.
    pub id: u32,
}

/// A receiver's answer.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Ack {
    /// Whether it took the message.
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

/// Place an order: answers the URL its `shipped` callback would go to.
#[post("/orders", callbacks = order_callbacks, status = 201, crate = "cbr")]
async fn place(order: web::Json<Order>, trigger: order_callbacks::Trigger) -> String {
    let shipped = trigger.callback(order_callbacks::shipped, &Shipped { id: order.id });
    shipped.url().unwrap_or_default().to_owned()
}

/// Read an order.
#[get("/orders/{id}", crate = "cbr")]
async fn read(id: web::Path<u32>) -> web::Json<Shipped> {
    web::Json(Shipped {
        id: id.into_inner(),
    })
}

/// The app's API: its two operations and its webhook.
fn api() -> ApiService {
    Api::new("Shop", "1.0.0")
        .webhooks(shop_webhooks::WEBHOOK_GROUP)
        .service(place)
        .service(read)
        .build()
        .expect("the shop's document assembles")
}

fn main() {
    let document = serde_json::to_string_pretty(api().document()).expect("a document serializes");
    println!("{document}");
}

#[cfg(test)]
mod tests {
    use actix_web::{test, App};
    use serde_json::json;

    use super::*;

    #[actix_web::test]
    async fn the_renamed_runtime_documents_and_serves_the_app() {
        let app = test::init_service(App::new().service(api())).await;

        let document: serde_json::Value = test::call_and_read_body_json(
            &app,
            test::TestRequest::get().uri("/openapi.json").to_request(),
        )
        .await;
        let orders = &document["paths"]["/orders"]["post"];
        assert!(orders["responses"]["201"].is_object(), "{orders}");
        let shipped =
            &orders["callbacks"]["shipped"]["{$request.body#/notify_url}/shipped"]["post"];
        assert_eq!(
            shipped["requestBody"]["content"]["application/json"]["schema"],
            json!({ "$ref": "#/components/schemas/Shipped" })
        );
        assert!(document["paths"]["/orders/{id}"]["get"].is_object());
        assert!(document["webhooks"]["newOrder"]["post"].is_object());
        assert_eq!(
            order_callbacks::shipped::URL,
            "{$request.body#/notify_url}/shipped"
        );
        assert_eq!(shop_webhooks::new_order::NAME, "newOrder");

        let placed = test::call_service(
            &app,
            test::TestRequest::post()
                .uri("/orders")
                .set_json(json!({ "id": 7, "notify_url": "https://client.example/hooks" }))
                .to_request(),
        )
        .await;
        assert_eq!(placed.status(), 201);
        let url = test::read_body(placed).await;
        assert_eq!(url, "https://client.example/hooks/shipped");
    }
}
