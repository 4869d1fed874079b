//! Sending callbacks for real: the invoices example end to end, retries
//! against a scripted loopback server, refusals, and a crash.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use callback_runtime::deliveries::DeliveriesAccess;
use callback_runtime::delivery::dispatcher::{Dispatcher, DispatcherHandle, Outbox};
use callback_runtime::delivery::guard::Guard;
use callback_runtime::delivery::retry::RetryPolicy;
use callback_runtime::delivery::sender::{Sender, SenderConfig};
use callback_runtime::delivery::signing::{Signer, Verifier};
use callback_runtime::delivery::store::{MemoryStore, SqliteStore, Store};
use callback_runtime::delivery::{NewDelivery, Status};

use crate::support::request;

pub(crate) const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// What the scripted receiver answers to one request.
#[derive(Clone)]
pub(crate) enum Answer {
    Status(u16),
    WithHeader(u16, &'static str, &'static str),
    Hang(Duration),
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) path: String,
    pub(crate) webhook_id: String,
    pub(crate) body: String,
    pub(crate) at: Instant,
    pub(crate) verified: bool,
    pub(crate) traceparent: Option<String>,
    /// Every header, names in lower case, in the order received.
    pub(crate) headers: Vec<(String, String)>,
}

/// A loopback HTTP server that answers each path from a script (200 once
/// the script is used up) and records every request.
#[derive(Clone, Default)]
pub(crate) struct Receiver {
    scripts: Arc<Mutex<HashMap<String, VecDeque<Answer>>>>,
    received: Arc<Mutex<Vec<Received>>>,
    otherwise: Arc<Mutex<Option<u16>>>,
}

impl Receiver {
    /// Answers every request no script covers with `status` (200 unless
    /// set).
    pub(crate) fn otherwise(&self, status: u16) {
        *self.otherwise.lock().unwrap() = Some(status);
    }

    pub(crate) fn script(&self, path: &str, answers: impl IntoIterator<Item = Answer>) {
        self.scripts
            .lock()
            .unwrap()
            .insert(path.to_owned(), answers.into_iter().collect());
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub(crate) fn on(&self, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Serves on an ephemeral loopback port in a thread of its own.
    pub(crate) fn start(&self) -> SocketAddr {
        let receiver = self.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::new(receiver.clone()))
                        .default_service(web::to(answer))
                })
                .workers(1)
                .bind(("127.0.0.1", 0))
                .expect("bind a loopback port");
                tx.send(server.addrs()[0]).expect("send the address");
                server.run().await.expect("the receiver runs");
            });
        });
        rx.recv().expect("the receiver starts")
    }
}

async fn answer(
    request: HttpRequest,
    body: web::Bytes,
    receiver: web::Data<Receiver>,
) -> HttpResponse {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    let verified = Verifier::new([SECRET])
        .unwrap()
        .verify_headers(header, &body, SystemTime::now())
        .is_ok();
    let path = request.path().to_owned();
    receiver.received.lock().unwrap().push(Received {
        path: path.clone(),
        webhook_id: header("webhook-id").unwrap_or_default().to_owned(),
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
        verified,
        traceparent: header("traceparent").map(str::to_owned),
        headers: (request.headers().iter())
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect(),
    });
    let next = receiver
        .scripts
        .lock()
        .unwrap()
        .get_mut(&path)
        .and_then(VecDeque::pop_front)
        .unwrap_or_else(|| Answer::Status(receiver.otherwise.lock().unwrap().unwrap_or(200)));
    match next {
        Answer::Status(status) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                .json(serde_json::json!({"ok": status < 300}))
        }
        Answer::WithHeader(status, name, value) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                .insert_header((name, value))
                .finish()
        }
        Answer::Hang(wait) => {
            actix_web::rt::time::sleep(wait).await;
            HttpResponse::Ok().finish()
        }
    }
}

/// A dispatcher for tests: loopback allowed, short timeouts, a fast
/// schedule.
pub(crate) fn dispatcher(outbox: &Outbox, schedule: &[u64]) -> DispatcherHandle {
    dispatcher_with(outbox, schedule, 16)
}

pub(crate) fn dispatcher_with(
    outbox: &Outbox,
    schedule: &[u64],
    workers: usize,
) -> DispatcherHandle {
    let sender = Sender::new(
        Guard::new().allow_loopback(),
        Signer::new([SECRET]).unwrap(),
        SenderConfig {
            timeout: Duration::from_millis(500),
            ..SenderConfig::default()
        },
    )
    .unwrap();
    Dispatcher::new(outbox.clone(), sender)
        .retry(
            RetryPolicy::new(schedule.iter().map(|ms| Duration::from_millis(*ms)))
                .jitter(0.0)
                .retry_after_bounds(Duration::from_millis(100), Duration::from_secs(5)),
        )
        .lease_margin(Duration::from_secs(5))
        .workers(workers)
        .poll_interval(Duration::from_millis(50))
        .spawn()
}

/// Waits until `done` holds, for at most `limit`.
pub(crate) async fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Serves the invoices app with `outbox` on a loopback port.
pub(crate) fn serve_invoices(outbox: Outbox, access: bool) -> SocketAddr {
    let api = examples::invoices::api().expect("the invoices API assembles");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let outbox = web::Data::new(outbox);
            let server = HttpServer::new(move || {
                let app = App::new().app_data(outbox.clone()).service(api.clone());
                if access {
                    app.app_data(web::Data::new(DeliveriesAccess::allow_all()))
                } else {
                    app
                }
            })
            .workers(1)
            .bind(("127.0.0.1", 0))
            .expect("bind a loopback port");
            tx.send(server.addrs()[0]).expect("send the address");
            server.run().await.expect("the app runs");
        });
    });
    rx.recv().expect("the app starts")
}

pub(crate) fn post_invoice(
    app: SocketAddr,
    query: &str,
    body: &str,
) -> crate::support::WireResponse {
    request(
        app,
        "POST",
        &format!("/invoices/{query}"),
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
}

#[test]
fn invoices_example_sends_its_callback() {
    let receiver = Receiver::default();
    let hooks = receiver.start();
    let outbox = Outbox::new(MemoryStore::new());
    let app = serve_invoices(outbox.clone(), true);
    runtime().block_on(async {
        let dispatch = dispatcher(&outbox, &[100]);
        let callback_url = format!("http://{hooks}/client");
        let query = format!("?callback_url={}", urlencode(&callback_url));
        let created = post_invoice(
            app,
            &query,
            r#"{"id":"inv 7","customer":"Ada","total":12.5}"#,
        );
        assert_eq!(created.status, 200, "{}", created.text());
        assert_eq!(
            created.json(),
            serde_json::json!({"msg": "Invoice received"})
        );

        assert!(eventually(Duration::from_secs(10), || receiver.received().len() == 1).await);
        let got = &receiver.received()[0];
        // `{$request.query.callback_url}/invoices/{$request.body#/id}`, the
        // id percent-encoded as a path segment.
        assert_eq!(got.path, "/client/invoices/inv%207");
        assert!(got.verified, "the signature verifies with the app's secret");
        assert!(got.webhook_id.starts_with("msg_"), "{}", got.webhook_id);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&got.body).unwrap(),
            serde_json::json!({"description": "Invoice created", "paid": false})
        );

        // The deliveries view shows it delivered, with its attempt log.
        let mut list = serde_json::Value::Null;
        assert!(
            eventually(Duration::from_secs(5), || {
                list = request(app, "GET", "/deliveries", &[], b"").json();
                list["deliveries"][0]["status"] == "delivered"
            })
            .await,
            "{list}"
        );
        let delivery = &list["deliveries"][0];
        assert_eq!(
            delivery["callback"],
            "invoice_callbacks::invoice_notification"
        );
        assert_eq!(delivery["url"], format!("{callback_url}/invoices/inv%207"));
        assert_eq!(delivery["attempts"], 1);
        assert_eq!(delivery["last_error"], serde_json::Value::Null);
        assert_eq!(delivery["webhook_id"], got.webhook_id.as_str());
        let id = delivery["id"].as_i64().unwrap();
        let detail = request(app, "GET", &format!("/deliveries/{id}"), &[], b"");
        assert_eq!(detail.status, 200);
        assert_eq!(detail.json()["attempt_log"][0]["status"], 200);
        assert_eq!(
            detail.json()["attempt_log"][0]["response_body"],
            r#"{"ok":true}"#
        );
        let missing = request(app, "GET", "/deliveries/999999", &[], b"");
        assert_eq!(missing.status, 404);
        assert_eq!(missing.json()["detail"][0]["type"], "not_found");

        // No callback_url: nothing is queued.
        let quiet = post_invoice(app, "", r#"{"id":"inv-8","customer":"Bo","total":1}"#);
        assert_eq!(quiet.status, 200);
        let list = request(app, "GET", "/deliveries", &[], b"").json();
        assert_eq!(list["deliveries"].as_array().unwrap().len(), 1);
        dispatch.shutdown().await;
    });
}

#[test]
fn deliveries_view_needs_the_apps_access_rule() {
    let app = serve_invoices(Outbox::new(MemoryStore::new()), false);
    let denied = request(app, "GET", "/deliveries", &[], b"");
    assert_eq!(denied.status, 403);
    assert_eq!(denied.header("content-type"), Some("application/json"));
    assert_eq!(denied.json()["detail"][0]["type"], "forbidden");
}

pub(crate) fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn delivery_to(url: String) -> NewDelivery {
    NewDelivery {
        callback: "tests::retry".to_owned(),
        method: "POST".to_owned(),
        url,
        body: r#"{"n":1}"#.to_owned(),
        refused: None,
    }
}

#[test]
fn retries_follow_the_schedule_and_the_answers() {
    let receiver = Receiver::default();
    let hooks = receiver.start();
    receiver.script(
        "/flaky",
        [
            Answer::Status(500),
            Answer::WithHeader(503, "Retry-After", "1"),
            Answer::WithHeader(302, "Location", "/elsewhere"),
            Answer::Hang(Duration::from_secs(2)),
            Answer::Status(200),
        ],
    );
    receiver.script("/gone", [Answer::Status(410)]);
    receiver.script("/down", (0..10).map(|_| Answer::Status(500)));
    let store = Arc::new(MemoryStore::new());
    let outbox = Outbox::from_arc(store.clone());
    runtime().block_on(async {
        let dispatch = dispatcher(&outbox, &[100, 100, 100, 100]);
        let ids = outbox
            .enqueue_all(&[
                delivery_to(format!("http://{hooks}/flaky")),
                delivery_to(format!("http://{hooks}/gone")),
                delivery_to(format!("http://{hooks}/down")),
            ])
            .await
            .unwrap();
        let settled = || {
            let store = store.clone();
            let ids = ids.clone();
            async move {
                let mut states = Vec::new();
                for id in ids {
                    states.push(store.get(id).await.unwrap().unwrap());
                }
                states
            }
        };
        let start = Instant::now();
        let mut states = settled().await;
        while states.iter().any(|(d, _)| d.status == Status::Pending)
            && start.elapsed() < Duration::from_secs(20)
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
            states = settled().await;
        }
        dispatch.shutdown().await;

        let (flaky, log) = &states[0];
        assert_eq!(flaky.status, Status::Delivered);
        assert_eq!(flaky.attempts, 5);
        let statuses: Vec<Option<u16>> = log.iter().map(|a| a.status).collect();
        assert_eq!(statuses, [Some(500), Some(503), Some(302), None, Some(200)]);
        assert_eq!(log[3].error.as_deref(), Some("timed out"));
        assert_eq!(log[0].error.as_deref(), Some("answered 500"));
        // Five requests, all with the same webhook-id, all signed.
        let got = receiver.on("/flaky");
        assert_eq!(got.len(), 5);
        assert!(got
            .iter()
            .all(|r| r.webhook_id == flaky.webhook_id && r.verified));
        // `Retry-After: 1` replaced the schedule's 100 ms.
        let waited = got[2].at - got[1].at;
        assert!(waited >= Duration::from_millis(950), "{waited:?}");
        // The 302 was not followed.
        assert!(receiver.on("/elsewhere").is_empty());

        let (gone, log) = &states[1];
        assert_eq!((gone.status, gone.attempts), (Status::Gone, 1));
        assert_eq!(log[0].status, Some(410));

        // One attempt and four retries, all 500: failed.
        let (down, log) = &states[2];
        assert_eq!((down.status, down.attempts), (Status::Failed, 5));
        assert_eq!(log.len(), 5);
        assert_eq!(down.last_status, Some(500));
        assert_eq!(receiver.on("/down").len(), 5);
    });
}

#[test]
fn refused_urls_send_nothing_and_say_why() {
    let receiver = Receiver::default();
    let hooks = receiver.start();
    let store = Arc::new(MemoryStore::new());
    let outbox = Outbox::from_arc(store.clone());
    runtime().block_on(async {
        // The guard of this sender does not allow loopback.
        let sender = Sender::new(
            Guard::new(),
            Signer::new([SECRET]).unwrap(),
            SenderConfig::default(),
        )
        .unwrap();
        let dispatch = Dispatcher::new(outbox.clone(), sender)
            .poll_interval(Duration::from_millis(50))
            .spawn();
        let missing = NewDelivery {
            refused: Some("callback `x`: `$request.query.callback_url` has no value".into()),
            ..delivery_to("{$request.query.callback_url}".into())
        };
        let ids = outbox
            .enqueue_all(&[
                delivery_to(format!("http://{hooks}/loopback")),
                delivery_to("http://10.1.2.3/internal".into()),
                delivery_to("http://[::ffff:169.254.169.254]/latest".into()),
                delivery_to("ftp://files.example/x".into()),
                missing,
            ])
            .await
            .unwrap();
        let mut reasons = Vec::new();
        for id in &ids {
            let start = Instant::now();
            loop {
                let (delivery, _) = store.get(*id).await.unwrap().unwrap();
                if delivery.status != Status::Pending || start.elapsed() > Duration::from_secs(10) {
                    assert_eq!(delivery.status, Status::Refused, "{delivery:?}");
                    reasons.push(delivery.last_error.unwrap_or_default());
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        dispatch.shutdown().await;
        assert!(reasons[0].contains("loopback"), "{}", reasons[0]);
        assert!(reasons[1].contains("private"), "{}", reasons[1]);
        assert!(reasons[2].contains("169.254.169.254"), "{}", reasons[2]);
        assert!(reasons[3].contains("ftp"), "{}", reasons[3]);
        assert!(reasons[4].contains("has no value"), "{}", reasons[4]);
        assert!(receiver.received().is_empty(), "nothing was sent");
    });
}

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct NewOrder {
    pub id: u32,
}

#[callback_runtime::webhooks]
mod shop_webhooks {
    use super::*;

    /// A new order was placed.
    #[post("newOrder")]
    fn new_order(body: NewOrder);
}

#[test]
fn webhooks_go_to_the_subscribers_urls() {
    let receiver = Receiver::default();
    let hooks = receiver.start();
    let store = Arc::new(MemoryStore::new());
    let outbox = Outbox::from_arc(store.clone());
    runtime().block_on(async {
        let dispatch = dispatcher(&outbox, &[100]);
        let order = NewOrder { id: 5 };
        let requests = [
            callback_runtime::send::webhook(
                shop_webhooks::new_order,
                format!("http://{hooks}/a"),
                &order,
            ),
            callback_runtime::send::webhook(
                shop_webhooks::new_order,
                format!("http://{hooks}/b"),
                &order,
            ),
        ];
        let ids = outbox.enqueue_all(&requests.map(Into::into)).await.unwrap();
        assert!(eventually(Duration::from_secs(10), || receiver.received().len() == 2).await);
        dispatch.shutdown().await;
        for (id, path) in ids.iter().zip(["/a", "/b"]) {
            let (delivery, _) = store.get(*id).await.unwrap().unwrap();
            assert_eq!(delivery.status, Status::Delivered);
            assert_eq!(delivery.callback, "shop_webhooks::new_order");
            let got = receiver.on(path);
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].body, r#"{"id":5}"#);
            assert_eq!(got[0].webhook_id, delivery.webhook_id);
            assert!(got[0].verified);
        }
    });
}

/// The environment variable that makes [`crash_child`] run.
const CHILD_DB: &str = "CALLBACK_CRASH_CHILD_DB";
const CHILD_TARGET: &str = "CALLBACK_CRASH_CHILD_TARGET";
const CRASH_COUNT: usize = 10_000;

/// The child of [`crash_recovery_delivers_every_accepted_callback`]:
/// sixteen producers queue deliveries at once into a SQLite file (so that
/// their enqueues share group commits) while its own dispatcher sends them,
/// printing each accepted sequence number, until its parent kills it.
/// Ignored unless run by that test.
#[test]
#[ignore = "run as a child process by crash_recovery_delivers_every_accepted_callback"]
fn crash_child() {
    const PRODUCERS: usize = 16;
    let (Ok(db), Ok(target)) = (std::env::var(CHILD_DB), std::env::var(CHILD_TARGET)) else {
        return;
    };
    use std::io::Write;
    runtime().block_on(async {
        let store = SqliteStore::open(&db).await.expect("open the store");
        let outbox = Outbox::new(store);
        // One worker: it falls behind, so some deliveries are pending,
        // some in flight and some delivered when the kill comes.
        let _dispatch = dispatcher_with(&outbox, &[100; 5], 1);
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let outbox = outbox.clone();
                let target = target.clone();
                tokio::spawn(async move {
                    for n in (p..CRASH_COUNT).step_by(PRODUCERS) {
                        let mut delivery = delivery_to(target.clone());
                        delivery.body = format!(r#"{{"n":{n}}}"#);
                        outbox.enqueue(delivery).await.expect("enqueue");
                        // One line, written whole: a line is an answer.
                        let mut out = std::io::stdout().lock();
                        writeln!(out, "accepted {n}").unwrap();
                        out.flush().unwrap();
                    }
                })
            })
            .collect();
        for producer in producers {
            producer.await.unwrap();
        }
        writeln!(std::io::stdout(), "done").unwrap();
        // Wait to be killed.
        tokio::time::sleep(Duration::from_secs(600)).await;
    });
}

#[test]
fn crash_recovery_delivers_every_accepted_callback() {
    use std::io::BufRead;
    let receiver = Receiver::default();
    let hooks = receiver.start();
    let dir = std::env::temp_dir().join(format!("callback-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("callbacks.db");
    let target = format!("http://{hooks}/crash");

    // Kill the child at a random point after it accepted some deliveries.
    let mut seed = [0u8; 2];
    getrandom::fill(&mut seed).unwrap();
    let kill_after = 500 + usize::from(u16::from_le_bytes(seed)) % (CRASH_COUNT - 1000);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "delivery::crash_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, &db)
        .env(CHILD_TARGET, &target)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the child");
    let mut accepted = BTreeSet::new();
    let lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines {
        let line = line.unwrap();
        // The test harness prints the child's name before the first line.
        if let Some((_, n)) = line.split_once("accepted ") {
            accepted.insert(n.parse::<u64>().unwrap());
            if accepted.len() == kill_after {
                child.kill().expect("SIGKILL the child");
                break;
            }
        }
    }
    child.wait().unwrap();
    assert_eq!(
        accepted.len(),
        kill_after,
        "the child accepted deliveries before it was killed"
    );
    let before_restart = receiver.on("/crash").len();

    // Restart on the same file: every accepted delivery arrives.
    runtime().block_on(async {
        let outbox = Outbox::new(SqliteStore::open(&db).await.expect("reopen the store"));
        let dispatch = dispatcher(&outbox, &[100; 5]);
        let arrived = || {
            receiver
                .on("/crash")
                .iter()
                .filter_map(|r| serde_json::from_str::<serde_json::Value>(&r.body).ok())
                .filter_map(|v| v["n"].as_u64())
                .collect::<BTreeSet<u64>>()
        };
        eventually(Duration::from_secs(60), || arrived().is_superset(&accepted)).await;
        dispatch.shutdown().await;
        // The file came through the kill whole.
        {
            use sqlx::{ConnectOptions, Connection};
            let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&db)
                .connect()
                .await
                .unwrap();
            let check: String = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            assert_eq!(check, "ok");
            conn.close().await.unwrap();
        }
        let received = arrived();
        let missing: Vec<_> = accepted.difference(&received).take(10).collect();
        assert!(missing.is_empty(), "accepted but never delivered: {missing:?}…");
        let requests = receiver.on("/crash");
        let ids: BTreeSet<&str> = requests.iter().map(|r| r.webhook_id.as_str()).collect();
        eprintln!(
            "crash test: killed after {kill_after} accepted; {before_restart} requests before the restart; \
             {} requests in all for {} distinct webhook-ids ({} duplicates, deduplicated by webhook-id)",
            requests.len(),
            ids.len(),
            requests.len() - ids.len()
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn integer_parameters_document_their_range_and_the_server_takes_all_of_it() {
    // schemars bounds `u32` and `i64` only partly (`minimum: 0`, or nothing);
    // the document gives each its whole range, the one the server accepts,
    // so a value the document calls valid is never answered 422.
    let api = examples::invoices::api().unwrap();
    let doc = serde_json::to_value(api.document()).unwrap();
    let parameters = doc["paths"]["/deliveries"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let parameter = |name: &str| {
        parameters
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no parameter {name}"))
    };
    assert_eq!(
        parameter("before")["schema"],
        serde_json::json!({
            "type": ["integer", "null"],
            "format": "int64",
            "description": "The cursor: only deliveries with a smaller id. The `next` link of a\npage sets it to the id of the page's last delivery.",
            "minimum": i64::MIN,
            "maximum": i64::MAX,
        })
    );
    assert_eq!(
        parameter("limit")["schema"],
        serde_json::json!({
            "type": ["integer", "null"],
            "format": "uint32",
            "minimum": 0,
            "description": "At most this many (default 100, at most 1000).",
            "maximum": u32::MAX,
        })
    );
    assert_eq!(
        doc["paths"]["/deliveries/{id}"]["get"]["parameters"][0]["schema"],
        serde_json::json!({"type": "integer", "format": "int64", "minimum": i64::MIN, "maximum": i64::MAX})
    );

    let app = serve_invoices(Outbox::new(MemoryStore::new()), true);
    let get = |target: &str| {
        let answer = request(app, "GET", target, &[], b"");
        assert_eq!(
            answer.header("content-type"),
            Some("application/json"),
            "{target}"
        );
        (answer.status, answer.json())
    };
    let empty = serde_json::json!({"deliveries": [], "next": null});
    assert_eq!(get("/deliveries?limit=4294967295"), (200, empty.clone()));
    assert_eq!(
        get("/deliveries?before=9223372036854775807"),
        (200, empty.clone())
    );
    assert_eq!(get("/deliveries?before=-9223372036854775808"), (200, empty));
    assert_eq!(
        get("/deliveries/9223372036854775807"),
        (
            404,
            serde_json::json!({"detail": [{
                "loc": ["path"], "msg": "no delivery 9223372036854775807", "type": "not_found"
            }]})
        )
    );
    // One past the documented bound: a 422 naming the parameter and the
    // bound, as the schema states it.
    let too_large = |loc: serde_json::Value, bound: &str| {
        (
            422,
            serde_json::json!({"detail": [{
                "loc": loc,
                "msg": format!("Input should be less than or equal to {bound}"),
                "type": "less_than_equal"
            }]}),
        )
    };
    assert_eq!(
        get("/deliveries?limit=4294967296"),
        too_large(serde_json::json!(["query", "limit"]), "4294967295")
    );
    assert_eq!(
        get("/deliveries?before=9223372036854775808"),
        too_large(
            serde_json::json!(["query", "before"]),
            "9223372036854775807"
        )
    );
    assert_eq!(
        get("/deliveries/9223372036854775808"),
        too_large(serde_json::json!(["path", "id"]), "9223372036854775807")
    );
}
