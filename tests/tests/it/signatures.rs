//! What the document says about signatures is what the sender does: the
//! Standard Webhooks headers documented on each callback and webhook
//! request are the ones a real delivery carries, their values fit the
//! documented schemas, and `x-standard-webhooks` names the schemes the
//! signatures carry.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use actix_web::{web, App, HttpServer};
use callback_runtime::delivery::dispatcher::{Dispatcher, Outbox};
use callback_runtime::delivery::guard::Guard;
use callback_runtime::delivery::sender::{Sender, SenderConfig};
use callback_runtime::delivery::signing::{generate_keypair, Signer, Verifier};
use callback_runtime::delivery::store::MemoryStore;
use callback_runtime::openapi::SignatureScheme;
use callback_runtime::{Api, ApiService};
use serde_json::{json, Value};

use crate::delivery::{eventually, post_invoice, runtime, urlencode, NewOrder, Receiver, SECRET};

const CALLBACK_KEY: &str = "{$request.query.callback_url}/invoices/{$request.body#/id}";

/// The headers every HTTP request carries whatever it is: not part of the
/// callback's contract.
const TRANSPORT: [&str; 5] = [
    "host",
    "content-length",
    "content-type",
    "user-agent",
    "accept",
];

/// The invoices callback's operation in `document`.
fn callback_operation(document: &Value) -> &Value {
    &document["paths"]["/invoices/"]["post"]["callbacks"]["invoice_notification"][CALLBACK_KEY]
        ["post"]
}

/// The header parameters of an operation, by name.
fn header_parameters(operation: &Value) -> Vec<(&str, &Value)> {
    operation["parameters"]
        .as_array()
        .expect("the callback has parameters")
        .iter()
        .filter(|p| p["in"] == "header")
        .map(|p| (p["name"].as_str().unwrap(), p))
        .collect()
}

/// Serves `api` with `outbox` on a loopback port.
fn serve(api: ApiService, outbox: Outbox) -> std::net::SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let outbox = web::Data::new(outbox);
            let server =
                HttpServer::new(move || App::new().app_data(outbox.clone()).service(api.clone()))
                    .workers(1)
                    .bind(("127.0.0.1", 0))
                    .expect("bind a loopback port");
            tx.send(server.addrs()[0]).expect("send the address");
            server.run().await.expect("the app runs");
        });
    });
    rx.recv().expect("the app starts")
}

#[test]
fn the_documented_signature_headers_are_the_ones_on_the_wire() {
    // Two keys, one of each scheme, as while moving from one to the other.
    let (secret_key, public_key) = generate_keypair();
    let signer = Signer::new([SECRET, secret_key.as_str()]).unwrap();
    let service = examples::invoices::describe()
        .signed_with(&signer)
        .build()
        .expect("the invoices API assembles");
    let document = serde_json::to_value(service.document()).unwrap();
    let operation = callback_operation(&document).clone();
    assert_eq!(
        operation["x-standard-webhooks"],
        json!({"schemes": ["v1", "v1a"]})
    );
    let documented = header_parameters(&operation);
    let names: Vec<&str> = documented.iter().map(|(name, _)| *name).collect();
    // The trace context is optional: sent when the app has a tracer
    // provider (this binary's otel tests install one).
    assert_eq!(
        names,
        [
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
            "traceparent"
        ]
    );
    let required: BTreeSet<&str> = documented
        .iter()
        .filter(|(_, p)| p["required"] == true)
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(
        required,
        BTreeSet::from(["webhook-id", "webhook-timestamp", "webhook-signature"])
    );

    let receiver = Receiver::default();
    let hooks = receiver.start();
    let outbox = Outbox::new(MemoryStore::new());
    let app = serve(service, outbox.clone());
    let got = runtime().block_on(async {
        let sender = Sender::new(
            Guard::new().allow_loopback(),
            signer.clone(),
            SenderConfig::default(),
        )
        .unwrap();
        let dispatch = Dispatcher::new(outbox.clone(), sender)
            .poll_interval(Duration::from_millis(50))
            .spawn();
        let query = format!(
            "?callback_url={}",
            urlencode(&format!("http://{hooks}/client"))
        );
        let created = post_invoice(app, &query, r#"{"id":"inv-1","customer":"Ada","total":3}"#);
        assert_eq!(created.status, 200, "{}", created.text());
        assert!(eventually(Duration::from_secs(10), || receiver.received().len() == 1).await);
        dispatch.shutdown().await;
        receiver.received().remove(0)
    });

    // Every header the callback carries beyond the transport's own is
    // documented, and every documented header is carried.
    let sent: BTreeSet<&str> = got
        .headers
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| !TRANSPORT.contains(name))
        .collect();
    assert!(
        required.is_subset(&sent) && sent.iter().all(|name| names.contains(name)),
        "sent {sent:?}, documented {names:?}"
    );

    // Each value fits its documented schema.
    let value = |name: &str| {
        got.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap()
    };
    let schema = |name: &str| &documented.iter().find(|(n, _)| *n == name).unwrap().1["schema"];
    assert_eq!(schema("webhook-id"), &json!({"type": "string"}));
    assert!(value("webhook-id").starts_with("msg_"));
    assert_eq!(
        schema("webhook-timestamp"),
        &json!({"type": "integer", "format": "int64", "minimum": 0})
    );
    let timestamp: i64 = value("webhook-timestamp").parse().expect("an integer");
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - timestamp).abs() < 60, "{timestamp} vs {now}");
    if sent.contains("traceparent") {
        let pattern = schema("traceparent")["pattern"].as_str().unwrap();
        assert!(regex::Regex::new(pattern)
            .unwrap()
            .is_match(value("traceparent")));
    }
    let pattern = schema("webhook-signature")["pattern"].as_str().unwrap();
    let signature = value("webhook-signature");
    assert!(
        regex::Regex::new(pattern).unwrap().is_match(signature),
        "{signature:?} does not match the documented {pattern:?}"
    );
    assert!(
        !regex::Regex::new(pattern)
            .unwrap()
            .is_match("v2,c2lnbmF0dXJl"),
        "the pattern names the schemes"
    );

    // The schemes the signatures carry are the documented ones, and each
    // verifies with the receiver's key of that scheme.
    let tags: Vec<&str> = signature
        .split(' ')
        .map(|s| s.split_once(',').unwrap().0)
        .collect();
    assert_eq!(tags, ["v1", "v1a"]);
    assert_eq!(operation["x-standard-webhooks"]["schemes"], json!(tags));
    let header = |name: &str| {
        got.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    for key in [SECRET, public_key.as_str()] {
        Verifier::new([key])
            .unwrap()
            .verify_headers(header, got.body.as_bytes(), SystemTime::now())
            .unwrap_or_else(|e| panic!("the signature of {key:.5}… does not verify: {e}"));
    }
}

/// Requests the test app sends on its own initiative.
#[callback_runtime::webhooks]
mod signed_webhooks {
    use super::*;

    /// A new order was placed.
    #[post("newOrder", callbacks = [acknowledgements])]
    fn new_order(body: NewOrder);
}

/// What the receiver of a webhook or callback sends back, naming the
/// message it acknowledges by its signed id.
#[callback_runtime::callbacks]
mod acknowledgements {
    use super::*;

    /// The receiver acknowledges the order.
    #[post("{$request.body#/id}/ack?message={$request.header.webhook-id}")]
    fn acknowledged(body: NewOrder);
}

/// Events of orders, sent to the partner.
#[callback_runtime::callbacks]
mod order_events {
    use super::*;

    /// An order was placed.
    #[post("https://partner.example.com/orders", callbacks = [acknowledgements])]
    fn order_placed(body: NewOrder);
}

/// Place an order.
#[callback_runtime::post("/orders", callbacks = order_events)]
async fn place_order(order: web::Json<NewOrder>) -> web::Json<NewOrder> {
    order
}

#[test]
fn webhooks_are_documented_as_signed_and_nested_callbacks_are_not() {
    let document = serde_json::to_value(
        Api::new("Shop", "1.0")
            .webhooks(signed_webhooks::WEBHOOK_GROUP)
            .build()
            .unwrap()
            .document(),
    )
    .unwrap();
    let webhook = &document["webhooks"]["newOrder"]["post"];
    let names: Vec<&str> = header_parameters(webhook)
        .iter()
        .filter(|(_, p)| p["required"] == true)
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(
        names,
        ["webhook-id", "webhook-timestamp", "webhook-signature"]
    );
    assert_eq!(webhook["x-standard-webhooks"], json!({"schemes": ["v1"]}));
    // The webhook's receiver sends the acknowledgement: this app does not
    // sign it, and the document does not say it does.
    let nested = &webhook["callbacks"]["acknowledged"]
        ["{$request.body#/id}/ack?message={$request.header.webhook-id}"]["post"];
    assert_eq!(nested["operationId"], "acknowledged");
    assert!(nested.get("parameters").is_none(), "{nested}");
    assert!(nested.get("x-standard-webhooks").is_none(), "{nested}");
}

#[test]
fn the_schemes_are_the_apps_choice_and_none_documents_nothing() {
    let document = |api: Api| {
        let service = api.build().expect("the invoices API assembles");
        serde_json::to_value(service.document()).unwrap()
    };
    let ed25519 =
        document(examples::invoices::describe().callback_signatures(&[SignatureScheme::V1a]));
    let operation = callback_operation(&ed25519);
    assert_eq!(
        operation["x-standard-webhooks"],
        json!({"schemes": ["v1a"]})
    );
    let signature = &header_parameters(operation)[2].1;
    assert_eq!(
        signature["schema"]["pattern"],
        "^v1a,[A-Za-z0-9+/]+={0,2}(?: v1a,[A-Za-z0-9+/]+={0,2})*$"
    );
    let description = signature["description"].as_str().unwrap();
    assert!(description.contains("`whpk_<base64>`"), "{description}");
    assert!(!description.contains("whsec_"), "{description}");

    let unsigned = document(examples::invoices::describe().callback_signatures(&[]));
    let operation = callback_operation(&unsigned);
    assert_eq!(operation["operationId"], "invoice_notification");
    assert!(operation.get("parameters").is_none(), "{operation}");
    assert!(
        operation.get("x-standard-webhooks").is_none(),
        "{operation}"
    );
}

#[test]
fn nested_callbacks_may_read_the_signature_headers_of_a_signed_request() {
    let service = Api::new("Shop", "1.0")
        .service(place_order)
        .build()
        .expect("the acknowledgement reads a header the callback carries");
    let document = serde_json::to_value(service.document()).unwrap();
    let placed = &document["paths"]["/orders"]["post"]["callbacks"]["order_placed"]
        ["https://partner.example.com/orders"]["post"];
    assert_eq!(placed["x-standard-webhooks"], json!({"schemes": ["v1"]}));
    assert!(placed["callbacks"]["acknowledged"]
        ["{$request.body#/id}/ack?message={$request.header.webhook-id}"]["post"]
        .is_object());
    // Unsigned, the callback carries no such header.
    let problems = crate::support::problems(
        Api::new("Shop", "1.0")
            .callback_signatures(&[])
            .service(place_order),
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("callback `acknowledged`") && problems[0].contains("webhook-id"),
        "{problems:?}"
    );
}
