//! The two servers under load: the invoices example as this framework
//! serves it, and the same handler written with plain actix-web macros.
//!
//! Both run in this binary (`bench serve ours|plain`), built with the same
//! profile, with one worker. The harness starts them as child processes and
//! reads the bound address from their first line of output.
//!
//! The example queues an `invoice_notification` callback per invoice that
//! has a `callback_url`; so does the plain handler, by hand. Both queue into
//! an [`Outbox`] over the same [`DiscardStore`], which keeps nothing: the
//! comparison measures the framework's work (capturing the trigger,
//! evaluating the URL template, building the delivery), not a store's, and
//! memory stays flat over millions of requests.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::OnceLock;

use actix_web::http::header::ContentType;
use actix_web::{web, App, HttpResponse, HttpServer};
use callback_runtime::delivery::dispatcher::Outbox;
use callback_runtime::delivery::store::{
    BoxFuture, Change, ClaimRequest, Exchange, ListFilter, Outcome, StatusCounts, Store, StoreError,
};
use callback_runtime::delivery::{Attempt, Delivery, DeliveryId, NewDelivery};
use examples::invoices::{Invoice, InvoiceEvent, InvoiceQuery, InvoiceReceived};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Which server to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The invoices example: `#[callback_runtime::post]` and `ApiService`.
    Ours,
    /// The same handler with `#[actix_web::post]`, and the same document
    /// returned from static bytes.
    Plain,
}

impl Variant {
    pub fn name(self) -> &'static str {
        match self {
            Variant::Ours => "ours",
            Variant::Plain => "plain",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "ours" => Some(Variant::Ours),
            "plain" => Some(Variant::Plain),
            _ => None,
        }
    }
}

/// What the plain handler encodes in the invoice id, a path segment: the
/// framework's rule (`callback_expr::Component::PathSegment`), everything
/// but the unreserved characters and `! $ & ' ( ) * + , = : @`.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// The delivery the example's `invoice_notification` callback queues,
/// built by hand: `{callback_url}/invoices/{id}` with the id encoded as a
/// path segment, and the serialized event.
pub fn plain_notification(callback_url: &url::Url, invoice_id: &str) -> NewDelivery {
    let event = InvoiceEvent {
        description: "Invoice created".to_owned(),
        paid: false,
    };
    let url = format!(
        "{callback_url}/invoices/{}",
        utf8_percent_encode(invoice_id, PATH_SEGMENT)
    );
    NewDelivery {
        callback: "invoice_callbacks::invoice_notification".to_owned(),
        method: "POST".to_owned(),
        url,
        body: serde_json::to_string(&event).expect("the event serializes"),
        refused: None,
    }
}

/// The handler of `examples::invoices` under actix-web's own macro and
/// extractors, doing by hand what the framework does for the example:
/// build the callback's delivery and queue it before answering.
#[actix_web::post("/invoices/")]
async fn create_invoice(
    invoice: web::Json<Invoice>,
    query: web::Query<InvoiceQuery>,
    outbox: web::Data<Outbox>,
) -> Result<web::Json<InvoiceReceived>, actix_web::Error> {
    let invoice = invoice.into_inner();
    if let Some(callback_url) = &query.callback_url {
        outbox
            .enqueue(plain_notification(callback_url, &invoice.id))
            .await
            .map_err(actix_web::error::ErrorServiceUnavailable)?;
    }
    Ok(web::Json(InvoiceReceived {
        msg: "Invoice received".to_owned(),
    }))
}

/// A store that queues nothing: `enqueue` hands out fresh ids and forgets
/// the deliveries; there is never anything to claim, list or get.
#[derive(Debug, Default)]
pub struct DiscardStore {
    last_id: AtomicI64,
}

impl Store for DiscardStore {
    fn enqueue<'a>(
        &'a self,
        deliveries: &'a [NewDelivery],
    ) -> BoxFuture<'a, Result<Vec<DeliveryId>, StoreError>> {
        let count = deliveries.len() as i64;
        let first = self.last_id.fetch_add(count, Ordering::Relaxed) + 1;
        Box::pin(std::future::ready(Ok((first..first + count)
            .map(DeliveryId)
            .collect())))
    }

    fn exchange<'a>(
        &'a self,
        _outcomes: &'a [Outcome],
        _claim: &'a ClaimRequest,
    ) -> BoxFuture<'a, Result<Exchange, StoreError>> {
        Box::pin(std::future::ready(Ok(Exchange::default())))
    }

    fn list<'a>(
        &'a self,
        _filter: &'a ListFilter,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, StoreError>> {
        Box::pin(std::future::ready(Ok(Vec::new())))
    }

    #[allow(clippy::type_complexity)] // the trait's signature
    fn get(
        &self,
        _id: DeliveryId,
    ) -> BoxFuture<'_, Result<Option<(Delivery, Vec<Attempt>)>, StoreError>> {
        Box::pin(std::future::ready(Ok(None)))
    }

    fn prune(
        &self,
        _older_than: std::time::Duration,
        _batch: usize,
    ) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(std::future::ready(Ok(0)))
    }

    fn retry(&self, _id: DeliveryId) -> BoxFuture<'_, Result<Change, StoreError>> {
        Box::pin(std::future::ready(Ok(Change::NotFound)))
    }

    fn cancel(&self, _id: DeliveryId) -> BoxFuture<'_, Result<Change, StoreError>> {
        Box::pin(std::future::ready(Ok(Change::NotFound)))
    }

    fn counts(&self) -> BoxFuture<'_, Result<StatusCounts, StoreError>> {
        Box::pin(std::future::ready(Ok(StatusCounts::default())))
    }
}

/// The document's bytes, read once before the server starts.
static DOCUMENT: OnceLock<web::Bytes> = OnceLock::new();

/// A plain handler returning static bytes: the baseline of `/openapi.json`.
#[actix_web::get("/openapi.json")]
async fn openapi() -> HttpResponse {
    let document = DOCUMENT.get().expect("set before the server starts");
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(document.clone())
}

/// The bytes `ApiService` serves at `/openapi.json`.
pub fn document_bytes() -> Vec<u8> {
    let api = examples::invoices::api().expect("the invoices example assembles");
    serde_json::to_vec(api.document()).expect("the document serializes")
}

/// Writes [`document_bytes`] to a file under `dir` for the plain server,
/// which reads it at start-up: it serves the framework's document without
/// building it, so its memory is that of a plain app.
pub fn write_document(dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let path = dir.join("invoices.openapi.json");
    std::fs::write(&path, document_bytes())
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(path)
}

/// Runs a server with one worker on an ephemeral port of 127.0.0.1 and
/// prints `listening ADDR` once it accepts connections. Runs until killed.
/// The plain server serves the document in the file `document`.
pub fn serve(variant: Variant, document: Option<&Path>) -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    actix_web::rt::System::new().block_on(async move {
        let outbox = web::Data::new(Outbox::new(DiscardStore::default()));
        let server = match variant {
            Variant::Ours => {
                let api = examples::invoices::api().map_err(std::io::Error::other)?;
                HttpServer::new(move || App::new().app_data(outbox.clone()).service(api.clone()))
                    .workers(1)
                    .listen(listener)?
                    .run()
            }
            Variant::Plain => {
                let document = document.ok_or_else(|| {
                    std::io::Error::other("the plain server needs the document's file")
                })?;
                let bytes = std::fs::read(document)?;
                DOCUMENT.get_or_init(|| bytes.into());
                HttpServer::new(move || {
                    App::new()
                        .app_data(outbox.clone())
                        .service(create_invoice)
                        .service(openapi)
                })
                .workers(1)
                .listen(listener)?
                .run()
            }
        };
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening {addr}")?;
        out.flush()?;
        drop(out);
        server.await
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use actix_web::test;
    use callback_runtime::delivery::store::MemoryStore;

    use super::*;

    /// The delivery the app queues for an invoice with id `id`.
    async fn queued(variant: Variant, id: &str) -> (String, String, String, String) {
        let outbox = Outbox::new(MemoryStore::new());
        let data = web::Data::new(outbox.clone());
        let body = serde_json::json!({"id": id, "customer": "Ada", "total": 1.5});
        let request = test::TestRequest::post()
            .uri("/invoices/?callback_url=https://example.com/cb")
            .set_json(&body)
            .to_request();
        let status = match variant {
            Variant::Ours => {
                let api = examples::invoices::api().expect("the example assembles");
                let app = test::init_service(App::new().app_data(data).service(api)).await;
                test::call_service(&app, request).await.status()
            }
            Variant::Plain => {
                let app =
                    test::init_service(App::new().app_data(data).service(create_invoice)).await;
                test::call_service(&app, request).await.status()
            }
        };
        assert_eq!(status, 200, "{} answered {status}", variant.name());
        let mut claimed = outbox
            .store()
            .claim(&ClaimRequest::new("test", 10, Duration::from_secs(60)))
            .await
            .expect("the memory store claims");
        assert_eq!(claimed.len(), 1, "{} queued one delivery", variant.name());
        let c = claimed.remove(0);
        (c.callback, c.method, c.url, c.body)
    }

    #[actix_web::test]
    async fn plain_queues_the_same_delivery_as_the_framework() {
        for id in ["inv-1", "a/b c;d?e#f%g[h]i", "k=v&x+y:z@w!$'()*,~", "é ü"] {
            let ours = queued(Variant::Ours, id).await;
            let plain = queued(Variant::Plain, id).await;
            assert_eq!(ours, plain, "invoice id {id:?}");
        }
    }

    #[actix_web::test]
    async fn the_discard_store_hands_out_fresh_ids() {
        let store = DiscardStore::default();
        let delivery = plain_notification(&"https://example.com/cb".parse().unwrap(), "inv-1");
        let first = store
            .enqueue(std::slice::from_ref(&delivery))
            .await
            .unwrap();
        let next = store.enqueue(&[delivery.clone(), delivery]).await.unwrap();
        assert_eq!(first, vec![DeliveryId(1)]);
        assert_eq!(next, vec![DeliveryId(2), DeliveryId(3)]);
        let nothing = ClaimRequest::new("test", 10, Duration::from_secs(60));
        assert!(store.claim(&nothing).await.unwrap().is_empty());
    }
}
