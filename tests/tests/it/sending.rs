//! The typed sending API: what a `Trigger` captures and keeps, the URLs it
//! evaluates, the declared response read back, and the receiving side.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use actix_web::{web, App, HttpServer};
use callback_runtime::delivery::guard::Guard;
use callback_runtime::delivery::sender::{Sender, SenderConfig};
use callback_runtime::delivery::signing::{Signer, Verifier};
use callback_runtime::{callbacks, post, Api, Headers};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::support::{self, request};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

// Read by the extractors and the document, not by the handler.
#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
pub struct Order {
    pub order: OrderLine,
    pub note: String,
}

// Read by the extractors and the document, not by the handler.
#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
pub struct OrderLine {
    pub id: u32,
    pub items: Vec<String>,
}

// Read by the extractors and the document, not by the handler.
#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
pub struct OrderQuery {
    pub notify: String,
    pub page: Option<u32>,
}

// Read by the extractors and the document, not by the handler.
#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
pub struct Tracing {
    #[serde(rename = "x-trace")]
    pub trace: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Shipped {
    pub id: u32,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Ack {
    pub ok: bool,
}

#[callbacks]
mod order_callbacks {
    use super::*;

    /// The order shipped.
    #[post("{$request.query.notify}/shops/{$request.path.shop}/orders/{$request.body#/order/id}?trace={$request.header.X-Trace}")]
    fn shipped(body: Shipped) -> Ack;

    /// The order was delivered (the FastAPI-style shorthand).
    #[post("{$notify}/delivered")]
    fn delivered(body: Shipped) -> Ack;
}

/// Place an order; answers with the captured trigger, as an app would
/// store it with the order.
#[post("/shops/{shop}/orders", callbacks = order_callbacks)]
async fn place_order(
    shop: web::Path<String>,
    order: web::Json<Order>,
    query: web::Query<OrderQuery>,
    tracing: Headers<Tracing>,
    trigger: order_callbacks::Trigger,
) -> web::Json<serde_json::Value> {
    let _ = (shop, order, query, tracing);
    web::Json(serde_json::to_value(&trigger).expect("a trigger serializes"))
}

fn orders() -> SocketAddr {
    support::serve(
        Api::new("Orders", "1.0.0")
            .service(place_order)
            .build()
            .expect("the orders API assembles"),
    )
}

#[test]
fn a_trigger_keeps_only_what_the_templates_read_and_works_later() {
    let app = orders();
    let answer = request(
        app,
        "POST",
        "/shops/north%20side/orders?notify=https%3A%2F%2Fclient.example%2Fhooks&page=3",
        &[("Content-Type", "application/json"), ("X-Trace", "t-1")],
        br#"{"order":{"id":42,"items":["a large list the templates do not read"]},"note":"leave at the door"}"#,
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    let stored = answer.json();
    // Exactly the parts the two templates read: no `page`, no `note`, no
    // items; the shorthand `$notify` is looked up as a query, path or
    // header parameter.
    assert_eq!(
        stored,
        json!({
            "$request.query.notify": "https://client.example/hooks",
            "$request.path.shop": "north side",
            "$request.body#/order/id": 42,
            "$request.header.x-trace": "t-1",
            "$request.path.notify": null,
            "$request.header.notify": null,
        })
    );

    // Hours later, from the stored value:
    let trigger: order_callbacks::Trigger = serde_json::from_value(stored).unwrap();
    let shipped = trigger.callback(order_callbacks::shipped, &Shipped { id: 42 });
    assert_eq!(
        shipped.url(),
        Some("https://client.example/hooks/shops/north%20side/orders/42?trace=t-1")
    );
    assert_eq!(shipped.delivery().method, "POST");
    assert_eq!(shipped.delivery().body, r#"{"id":42}"#);
    assert_eq!(shipped.delivery().callback, "order_callbacks::shipped");
    let delivered = trigger.callback(order_callbacks::delivered, &Shipped { id: 42 });
    assert_eq!(
        delivered.url(),
        Some("https://client.example/hooks/delivered")
    );
}

#[test]
fn a_url_that_cannot_be_computed_is_refused_with_the_reason() {
    let trigger: order_callbacks::Trigger =
        serde_json::from_value(json!({"$request.query.notify": null})).unwrap();
    let shipped = trigger.callback(order_callbacks::shipped, &Shipped { id: 1 });
    assert_eq!(shipped.url(), None);
    assert_eq!(
        shipped.refused(),
        Some("callback `shipped`: `$request.query.notify` has no value: the request has no query parameter `notify`")
    );
    // The stored record names the template it came from.
    assert_eq!(shipped.delivery().url, order_callbacks::shipped::URL);
}

/// Serves the example's receiver, verifying with `SECRET`.
fn receiver() -> (SocketAddr, web::Data<examples::receiver::Inbox>) {
    let inbox = web::Data::new(examples::receiver::Inbox::default());
    let shared = inbox.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let verifier = web::Data::new(Verifier::new([SECRET]).unwrap());
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(verifier.clone())
                    .app_data(shared.clone())
                    .configure(examples::receiver::configure)
            })
            .workers(1)
            .bind(("127.0.0.1", 0))
            .expect("bind a loopback port");
            tx.send(server.addrs()[0]).expect("send the address");
            server.run().await.expect("the receiver runs");
        });
    });
    (rx.recv().expect("the receiver starts"), inbox)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn signed(id: &str, timestamp: i64, body: &str) -> Vec<(&'static str, String)> {
    let mut headers = vec![("Content-Type", "application/json".to_owned())];
    headers.extend(
        Signer::new([SECRET])
            .unwrap()
            .headers(id, timestamp, body.as_bytes()),
    );
    headers
}

fn post_signed(
    addr: SocketAddr,
    headers: &[(&'static str, String)],
    body: &str,
) -> support::WireResponse {
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    request(addr, "POST", "/invoices/inv-9", &headers, body.as_bytes())
}

#[test]
fn the_receiver_verifies_before_it_decodes() {
    let (addr, inbox) = receiver();
    let body = r#"{"description":"Paid","paid":true}"#;

    let good = post_signed(addr, &signed("msg_1", now(), body), body);
    assert_eq!(good.status, 200, "{}", good.text());
    assert_eq!(good.json(), json!({"ok": true}));
    // The same delivery again (a retry): acknowledged, marked duplicate.
    let again = post_signed(addr, &signed("msg_1", now(), body), body);
    assert_eq!(again.status, 200);
    let events = inbox.events();
    assert_eq!(events.len(), 2);
    assert_eq!(
        (events[0].invoice.as_str(), events[0].event.paid),
        ("inv-9", true)
    );
    assert_eq!((events[0].duplicate, events[1].duplicate), (false, true));

    let unauthorized = |headers: Vec<(&'static str, String)>, body: &str, message: &str| {
        let answer = post_signed(addr, &headers, body);
        assert_eq!(answer.status, 401, "{}", answer.text());
        assert_eq!(answer.header("content-type"), Some("application/json"));
        let detail = &answer.json()["detail"][0];
        assert_eq!(detail["loc"], json!(["header", "webhook-signature"]));
        assert_eq!(detail["type"], "signature");
        let msg = detail["msg"].as_str().unwrap().to_owned();
        assert!(msg.contains(message), "{msg:?} should contain {message:?}");
    };
    // A body changed after signing.
    unauthorized(
        signed("msg_2", now(), body),
        r#"{"description":"Paid","paid":false}"#,
        "no signature in the webhook-signature header matches",
    );
    // Signed with another secret.
    let mut other = signed("msg_3", now(), body);
    let foreign = Signer::new([callback_runtime::delivery::signing::generate_secret()]).unwrap();
    other[3].1 = foreign.sign("msg_3", now(), body.as_bytes());
    unauthorized(
        other,
        body,
        "no signature in the webhook-signature header matches",
    );
    // Ten minutes old: replayed.
    unauthorized(
        signed("msg_4", now() - 600, body),
        body,
        "seconds in the past",
    );
    // No signature at all.
    unauthorized(
        vec![("Content-Type", "application/json".into())],
        body,
        "missing the webhook-id header",
    );
    assert_eq!(inbox.events().len(), 2, "nothing unverified was decoded");

    // Verified, but not the declared body: 422 like any JSON body. This
    // receiver is a plain actix-web route (no operation schema to check
    // against), so the entry is serde's own message.
    let wrong = r#"{"description":"Paid"}"#;
    let answer = post_signed(addr, &signed("msg_5", now(), wrong), wrong);
    assert_eq!(answer.status, 422, "{}", answer.text());
    assert_eq!(
        answer.json(),
        json!({"detail": [{
            "loc": ["body"],
            "msg": "missing field `paid` at line 1 column 22",
            "type": "value_error",
        }]})
    );
}

#[test]
fn send_now_reads_the_declared_response() {
    let (addr, inbox) = receiver();
    let trigger: examples::invoices::invoice_callbacks::Trigger = serde_json::from_value(json!({
        "$request.query.callback_url": format!("http://{addr}"),
        "$request.body#/id": "inv-3",
    }))
    .unwrap();
    let request = trigger.callback(
        examples::invoices::invoice_callbacks::invoice_notification,
        &examples::invoices::InvoiceEvent {
            description: "Reminder".into(),
            paid: false,
        },
    );
    let sender = Sender::new(
        Guard::new().allow_loopback(),
        Signer::new([SECRET]).unwrap(),
        SenderConfig {
            timeout: Duration::from_secs(5),
            ..SenderConfig::default()
        },
    )
    .unwrap();
    let answer = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(request.send_now(&sender))
        .expect("an answer");
    assert_eq!(answer.status(), 200);
    let received: examples::invoices::InvoiceEventReceived = answer.json().unwrap();
    assert!(received.ok);
    let events = inbox.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].invoice, "inv-3");
    assert_eq!(events[0].webhook_id, answer.webhook_id());
}

/// Receive a shipment (the client side of `order_callbacks::shipped`).
#[post("/hooks/shipped")]
async fn receive_shipped(
    event: callback_runtime::receive::Received<order_callbacks::shipped>,
) -> web::Json<Ack> {
    web::Json(Ack { ok: event.id > 0 })
}

#[test]
fn a_signed_receiver_documents_its_401_and_serves_it() {
    let api = Api::new("Client", "1.0.0")
        .service(receive_shipped)
        .build()
        .expect("the client API assembles");
    let responses = serde_json::to_value(api.document()).unwrap()["paths"]["/hooks/shipped"]
        ["post"]["responses"]
        .clone();
    assert_eq!(
        responses["401"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/HTTPValidationError"
    );
    // And the wire: the verifier in the app's data, no signature sent.
    let addr = {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let verifier = web::Data::new(Verifier::new([SECRET]).unwrap());
                let server = HttpServer::new(move || {
                    App::new().app_data(verifier.clone()).service(api.clone())
                })
                .workers(1)
                .bind(("127.0.0.1", 0))
                .expect("bind a loopback port");
                tx.send(server.addrs()[0]).expect("send the address");
                server.run().await.expect("the client runs");
            });
        });
        rx.recv().expect("the client starts")
    };
    let answer = request(
        addr,
        "POST",
        "/hooks/shipped",
        &[("Content-Type", "application/json")],
        br#"{"id":1}"#,
    );
    assert_eq!(answer.status, 401);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.json()["detail"][0]["type"], "signature");
}
