//! Several instances on one PostgreSQL: the shared queue, the outbox in the
//! app's own transaction, and leases that expire.
//!
//! These tests need a server: `CALLBACKS_TEST_DATABASE_URL` (set by
//! `.ci/run`). Without it they print a notice and pass, except under
//! `CI=true`. Each test works in a schema of its own.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpServer};
use callback_runtime::deliveries::DeliveriesAccess;
use callback_runtime::delivery::dispatcher::Outbox;
use callback_runtime::delivery::store::{ClaimRequest, PostgresStore, Store};
use callback_runtime::delivery::{NewDelivery, Status};

use crate::delivery::{dispatcher, dispatcher_with, eventually, runtime, urlencode, Receiver};
use crate::support::{self, request};

/// The test database's URL, or `None` (after the notice) without one.
fn database_url() -> Option<String> {
    match std::env::var("CALLBACKS_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            support::skip_or_fail("PostgreSQL (CALLBACKS_TEST_DATABASE_URL)");
            None
        }
    }
}

/// A fresh schema on the test database; the URL selects it for every
/// connection (`search_path`). Dropped when the value is.
struct Schema {
    admin: String,
    name: String,
    url: String,
}

impl Schema {
    fn new(base: &str, purpose: &str) -> Schema {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes).unwrap();
        let name = format!("test_{purpose}_{}", u32::from_le_bytes(bytes));
        runtime().block_on(async {
            let pool = sqlx::PgPool::connect(base)
                .await
                .expect("connect to PostgreSQL");
            sqlx::query(&format!("CREATE SCHEMA {name}"))
                .execute(&pool)
                .await
                .expect("create the test schema");
        });
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-c%20search_path%3D{name}");
        Schema {
            admin: base.to_owned(),
            name,
            url,
        }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        runtime().block_on(async move {
            if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                let _ = sqlx::query(&format!("DROP SCHEMA {name} CASCADE"))
                    .execute(&pool)
                    .await;
            }
        });
    }
}

const INSTANCE_DB: &str = "CALLBACK_INSTANCE_DB";

/// One instance of the invoices app on PostgreSQL, as its binary runs it
/// (the same API, outbox, transaction and dispatcher), on an ephemeral
/// port it prints; run as a child process by the tests below.
#[test]
#[ignore = "run as a child process by the PostgreSQL tests"]
fn postgres_instance() {
    let Ok(url) = std::env::var(INSTANCE_DB) else {
        return;
    };
    actix_web::rt::System::new().block_on(async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        sqlx::query(examples::invoices::INVOICES_TABLE)
            .execute(store.pool())
            .await
            .expect("create the invoices table");
        let pool = web::Data::new(store.pool().clone());
        let outbox = Outbox::new(store.clone());
        let _dispatch = dispatcher(&outbox, &[200; 5]);
        let waker = outbox.clone();
        actix_web::rt::spawn(async move {
            if let Ok(mut wakeups) = store.listen().await {
                while wakeups.recv().await.is_ok() {
                    waker.wake();
                }
            }
        });
        let api = examples::invoices::api().expect("the invoices API assembles");
        let outbox = web::Data::new(outbox);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(outbox.clone())
                .app_data(pool.clone())
                .app_data(web::Data::new(DeliveriesAccess::allow_all()))
                .service(api.clone())
        })
        .workers(2)
        .bind(("127.0.0.1", 0))
        .expect("bind a loopback port");
        println!("listening {}", server.addrs()[0]);
        server.run().await.expect("the instance runs");
    });
}

/// Starts an instance; returns it with its address.
fn start_instance(url: &str) -> (Child, SocketAddr) {
    use std::io::BufRead;
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "postgres::postgres_instance",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(INSTANCE_DB, url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start an instance");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the instance prints its address")
            .unwrap();
        // The test harness prints the test's name on the same line.
        if let Some((_, addr)) = line.split_once("listening ") {
            break addr.trim().parse().unwrap();
        }
    };
    // Keep reading its output so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}

fn post_invoice(app: SocketAddr, id: &str, callback_url: &str) -> u16 {
    let body = format!(r#"{{"id":"{id}","customer":"Ada","total":1.5}}"#);
    request(
        app,
        "POST",
        &format!("/invoices/?callback_url={}", urlencode(callback_url)),
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .status
}

const INVOICES: usize = 30_000;

#[test]
fn three_instances_deliver_every_accepted_callback_through_a_kill() {
    let Some(base) = database_url() else { return };
    let schema = Schema::new(&base, "three");
    let receiver = Receiver::default();
    let hooks = receiver.start();
    let callback_url = format!("http://{hooks}/client");
    let mut instances: Vec<(Child, SocketAddr)> =
        (0..3).map(|_| start_instance(&schema.url)).collect();
    let addrs: Vec<SocketAddr> = instances.iter().map(|(_, a)| *a).collect();

    // Four clients post the invoices round robin; instance 2 is killed
    // (SIGKILL) a third of the way through, and from then on the clients
    // post to the two others.
    let accepted = Arc::new(Mutex::new(BTreeSet::new()));
    let killed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let (accepted, killed, addrs, callback_url) = (
                accepted.clone(),
                killed.clone(),
                addrs.clone(),
                callback_url.clone(),
            );
            std::thread::spawn(move || {
                for n in (client..INVOICES).step_by(4) {
                    let alive = if killed.load(std::sync::atomic::Ordering::SeqCst) {
                        2
                    } else {
                        3
                    };
                    let app = addrs[n % alive];
                    let id = format!("inv-{n}");
                    // A refused connection (the killed instance) is not an
                    // accepted invoice; the next one goes elsewhere.
                    let status = std::panic::catch_unwind(|| post_invoice(app, &id, &callback_url));
                    if status.ok() == Some(200) {
                        accepted.lock().unwrap().insert(id);
                    }
                }
            })
        })
        .collect();
    while accepted.lock().unwrap().len() < INVOICES / 3 {
        std::thread::sleep(Duration::from_millis(10));
    }
    instances[2].0.kill().expect("SIGKILL instance 2");
    killed.store(true, std::sync::atomic::Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    let accepted = accepted.lock().unwrap().clone();
    assert!(
        accepted.len() > INVOICES * 9 / 10,
        "{} accepted",
        accepted.len()
    );

    let arrived = || {
        receiver
            .received()
            .iter()
            .filter_map(|r| r.path.strip_prefix("/client/invoices/").map(str::to_owned))
            .collect::<BTreeSet<String>>()
    };
    let start = Instant::now();
    while !arrived().is_superset(&accepted) && start.elapsed() < Duration::from_secs(180) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let elapsed = start.elapsed();
    for (child, _) in &mut instances {
        let _ = child.kill();
        let _ = child.wait();
    }
    let received = arrived();
    let missing: Vec<_> = accepted.difference(&received).take(10).collect();
    assert!(
        missing.is_empty(),
        "accepted but never delivered: {missing:?}…"
    );
    let requests = receiver.received();
    let mut per_id: HashMap<&str, usize> = HashMap::new();
    for r in &requests {
        *per_id.entry(r.webhook_id.as_str()).or_default() += 1;
    }
    let duplicates = requests.len() - per_id.len();
    assert!(
        requests.iter().all(|r| r.verified),
        "every request is signed"
    );
    eprintln!(
        "three instances: {} accepted of {INVOICES}, all delivered ({} requests, {duplicates} duplicates \
         after the SIGKILL, deduplicated by webhook-id); the last arrived {:.1} s after the last POST",
        accepted.len(),
        requests.len(),
        elapsed.as_secs_f64()
    );
}

#[test]
fn the_callback_commits_and_rolls_back_with_the_invoice() {
    let Some(base) = database_url() else { return };
    let schema = Schema::new(&base, "outbox");
    let receiver = Receiver::default();
    let hooks = receiver.start();
    let (mut instance, app) = start_instance(&schema.url);
    let callback_url = format!("http://{hooks}/client");

    assert_eq!(post_invoice(app, "inv-1", &callback_url), 200);
    // The same id again: the callback was queued in the transaction, the
    // insert failed on the primary key, both rolled back.
    let again = request(
        app,
        "POST",
        &format!("/invoices/?callback_url={}", urlencode(&callback_url)),
        &[("Content-Type", "application/json")],
        br#"{"id":"inv-1","customer":"Bo","total":2}"#,
    );
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(again.json()["detail"][0]["type"], "conflict");
    assert_eq!(post_invoice(app, "inv-2", &callback_url), 200);

    runtime().block_on(async {
        assert!(eventually(Duration::from_secs(10), || receiver.received().len() == 2).await);
        // Give a wrongly queued third callback the time to show up.
        tokio::time::sleep(Duration::from_millis(500)).await;
    });
    let paths: Vec<String> = receiver.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/client/invoices/inv-1", "/client/invoices/inv-2"]);
    let list = request(app, "GET", "/deliveries", &[], b"").json();
    assert_eq!(list["deliveries"].as_array().unwrap().len(), 2, "{list}");
    let _ = instance.kill();
    let _ = instance.wait();

    // The invoices table holds the two committed rows, with the first
    // customer.
    runtime().block_on(async {
        let store = PostgresStore::connect(&schema.url).await.unwrap();
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, customer FROM invoices ORDER BY id")
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert_eq!(
            rows,
            [
                ("inv-1".into(), "Ada".into()),
                ("inv-2".into(), "Ada".into())
            ]
        );
    });
}

#[test]
fn a_worker_that_stops_responding_loses_its_lease_and_the_delivery_goes_out_once() {
    let Some(base) = database_url() else { return };
    let schema = Schema::new(&base, "lease");
    let receiver = Receiver::default();
    let hooks = receiver.start();
    runtime().block_on(async {
        let store = PostgresStore::connect(&schema.url).await.unwrap();
        let id = store
            .enqueue(&[NewDelivery {
                callback: "tests::lease".into(),
                method: "POST".into(),
                url: format!("http://{hooks}/lease"),
                body: "{}".into(),
                refused: None,
            }])
            .await
            .unwrap()[0];
        // A worker claims it for a second, then hangs: it never sends.
        let stuck = store
            .claim(&ClaimRequest::new(
                "stuck-worker",
                10,
                Duration::from_secs(1),
            ))
            .await
            .unwrap();
        assert_eq!(stuck.len(), 1);
        let outbox = Outbox::new(store.clone());
        let dispatch = dispatcher_with(&outbox, &[100], 4);
        // While the lease is live, nothing is sent.
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(receiver.received().is_empty());
        assert!(eventually(Duration::from_secs(10), || receiver.received().len() == 1).await);
        tokio::time::sleep(Duration::from_millis(500)).await;
        dispatch.shutdown().await;
        assert_eq!(receiver.on("/lease").len(), 1, "sent exactly once");
        let (delivery, attempts) = store.get(id).await.unwrap().unwrap();
        assert_eq!((delivery.status, attempts.len()), (Status::Delivered, 1));
    });
}
