//! The faults production brings to the sending side, for real on loopback:
//! a destination that never answers, a name that does not resolve, many
//! requests at once (with their ledger), an answer slower than a lease
//! would be without the timeout, and a power cut's only witness, the sync
//! of the write-ahead log before each answer.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use callback_runtime::delivery::dispatcher::{Dispatcher, DispatcherHandle, Outbox};
use callback_runtime::delivery::guard::{BoxFuture, Guard, Resolve};
use callback_runtime::delivery::retry::RetryPolicy;
use callback_runtime::delivery::sender::{Sender, SenderConfig};
use callback_runtime::delivery::signing::Signer;
use callback_runtime::delivery::store::{ListFilter, SqliteStore, Store};
use callback_runtime::delivery::{Delivery, NewDelivery, Status};

use crate::delivery::{
    eventually, post_invoice, runtime, serve_invoices, urlencode, Answer, Receiver, SECRET,
};

/// A folder of its own for a test's SQLite file, removed afterwards.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let mut random = [0u8; 6];
        getrandom::fill(&mut random).unwrap();
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let dir = std::env::temp_dir().join(format!("callback-faults-{name}-{suffix}"));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn db(&self) -> PathBuf {
        self.0.join("callbacks.db")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server on loopback that accepts connections, reads nothing and never
/// answers; counts the connections.
fn never_answering() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    (addr, accepted)
}

fn sender(guard: Guard, timeout: Duration) -> Sender {
    Sender::new(
        guard,
        Signer::new([SECRET]).unwrap(),
        SenderConfig {
            connect_timeout: Duration::from_secs(1),
            timeout,
            ..SenderConfig::default()
        },
    )
    .unwrap()
}

/// The default dispatcher, with a fast retry schedule and poll.
fn dispatch(outbox: &Outbox, sender: Sender) -> DispatcherHandle {
    Dispatcher::new(outbox.clone(), sender)
        .retry(RetryPolicy::new([Duration::from_millis(200); 3]).jitter(0.0))
        .poll_interval(Duration::from_millis(50))
        .spawn()
}

fn to(url: String, n: usize) -> NewDelivery {
    NewDelivery {
        callback: "tests::faults".to_owned(),
        method: "POST".to_owned(),
        url,
        body: format!(r#"{{"n":{n}}}"#),
        refused: None,
    }
}

/// Every delivery in the store, newest first.
async fn all_deliveries(store: &dyn Store) -> Vec<Delivery> {
    let mut all = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .list(&ListFilter {
                status: None,
                before,
                limit: 1000,
                ..ListFilter::default()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else {
            return all;
        };
        before = Some(last.id);
        all.extend(page);
    }
}

#[test]
fn a_destination_that_never_answers_stalls_no_one() {
    let receiver = Receiver::default();
    let live = receiver.start();
    let (dead, connections) = never_answering();
    let scratch = Scratch::new("isolation");
    runtime().block_on(async {
        let store = SqliteStore::open(scratch.db()).await.unwrap();
        let outbox = Outbox::new(store.clone());
        let timeout = Duration::from_secs(3);
        let dispatch = dispatch(&outbox, sender(Guard::new().allow_loopback(), timeout));
        let started = Instant::now();
        for n in 0..100 {
            outbox
                .enqueue(to(format!("http://{dead}/dead/{n}"), n))
                .await
                .unwrap();
            outbox
                .enqueue(to(format!("http://{live}/live/{n}"), n))
                .await
                .unwrap();
        }
        let last_queued = Instant::now();
        assert!(
            eventually(Duration::from_secs(5), || receiver.received().len() == 100).await,
            "only {} of the 100 live callbacks arrived within 5 s of the last enqueue",
            receiver.received().len()
        );
        eprintln!(
            "isolation: 200 queued in {:?}; the 100 live arrived {:?} after the last",
            last_queued - started,
            receiver
                .received()
                .iter()
                .map(|r| r.at)
                .max()
                .unwrap()
                .saturating_duration_since(last_queued)
        );
        // The destination that never answers held one request, not a
        // worker per delivery.
        assert_eq!(connections.load(Ordering::SeqCst), 1);

        // Past its timeout, its breaker is open: the others wait, without
        // an attempt, and nothing was lost.
        tokio::time::sleep(timeout + Duration::from_millis(500) - started.elapsed().min(timeout))
            .await;
        let deliveries = all_deliveries(&store).await;
        let dead_ones: Vec<&Delivery> = deliveries
            .iter()
            .filter(|d| d.url.contains("/dead/"))
            .collect();
        assert_eq!(dead_ones.len(), 100);
        assert!(dead_ones.iter().all(|d| d.status == Status::Pending));
        let attempts: u32 = dead_ones.iter().map(|d| d.attempts).sum();
        assert_eq!(attempts, 1, "one attempt timed out, the rest wait");
        let failed = dead_ones.iter().find(|d| d.attempts == 1).unwrap();
        assert_eq!(failed.last_error.as_deref(), Some("timed out"));
        assert!(deliveries
            .iter()
            .filter(|d| d.url.contains("/live/"))
            .all(|d| d.status == Status::Delivered));
        assert_eq!(connections.load(Ordering::SeqCst), 1);
        dispatch.shutdown().await;
    });
}

#[test]
fn a_client_with_thousands_queued_does_not_starve_one_with_one() {
    let busy = Receiver::default();
    let busy_addr = busy.start();
    let quiet = Receiver::default();
    let quiet_addr = quiet.start();
    for n in 0..2000 {
        busy.script(
            &format!("/busy/{n}"),
            [Answer::Hang(Duration::from_millis(20))],
        );
    }
    let scratch = Scratch::new("fairness");
    runtime().block_on(async {
        let store = SqliteStore::open(scratch.db()).await.unwrap();
        let outbox = Outbox::new(store.clone());
        let backlog: Vec<NewDelivery> = (0..2000)
            .map(|n| to(format!("http://{busy_addr}/busy/{n}"), n))
            .collect();
        outbox.enqueue_all(&backlog).await.unwrap();
        let dispatch = dispatch(&outbox, sender(Guard::new().allow_loopback(), Duration::from_secs(3)));
        // The busy client's backlog is being worked through...
        assert!(eventually(Duration::from_secs(5), || busy.received().len() >= 50).await);
        let queued = Instant::now();
        outbox
            .enqueue(to(format!("http://{quiet_addr}/quiet"), 0))
            .await
            .unwrap();
        // ...and the quiet client's one callback does not wait for it.
        assert!(eventually(Duration::from_secs(2), || quiet.received().len() == 1).await);
        let waited = quiet.received()[0].at - queued;
        let busy_done = busy.received().len();
        eprintln!("fairness: the one callback waited {waited:?}, with {busy_done} of 2000 of the other client's delivered");
        assert!(busy_done < 2000, "the quiet client waited for the whole backlog");
        dispatch.shutdown().await;
    });
}

/// A backlog queued before the dispatcher starts, all to one destination,
/// is worked through claim after claim, never waiting for the poll: a
/// claim that resumes after the only destination finds nothing there and
/// wraps around to the first at once.
#[test]
fn a_backlog_to_one_destination_drains_without_waiting_for_the_poll() {
    const N: usize = 300;
    let receiver = Receiver::default();
    let addr = receiver.start();
    let scratch = Scratch::new("one-destination");
    runtime().block_on(async {
        let outbox = Outbox::new(SqliteStore::open(scratch.db()).await.unwrap());
        let backlog: Vec<NewDelivery> = (0..N)
            .map(|n| to(format!("http://{addr}/one/{n}"), n))
            .collect();
        outbox.enqueue_all(&backlog).await.unwrap();
        let start = Instant::now();
        // A claim takes at most 6 (4 workers and half a round ahead), and
        // the poll is a minute away: only claims that follow one another
        // drain it in time, with no enqueue to wake the dispatcher.
        let dispatch = Dispatcher::new(
            outbox.clone(),
            sender(Guard::new().allow_loopback(), Duration::from_secs(3)),
        )
        .workers(4)
        .poll_interval(Duration::from_secs(60))
        .spawn();
        let drained = eventually(Duration::from_secs(30), || receiver.received().len() >= N).await;
        let received = receiver.received().len();
        eprintln!(
            "one destination: {received} of {N} in {:?}",
            start.elapsed()
        );
        assert!(drained, "{received} of {N} delivered in 30 s");
        dispatch.shutdown().await;
    });
}

/// Looks names up from a table; one name's lookups hang, then fail.
struct Names {
    live: SocketAddr,
    dead_lookups: AtomicUsize,
}

impl Resolve for Names {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>> {
        Box::pin(async move {
            match host {
                "live.test" => Ok(vec![SocketAddr::new(self.live.ip(), port)]),
                _ => {
                    self.dead_lookups.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    Err(io::Error::other("no answer from the name server"))
                }
            }
        })
    }
}

#[test]
fn a_name_that_does_not_resolve_is_looked_up_once_and_stalls_no_one() {
    let receiver = Receiver::default();
    let live = receiver.start();
    let scratch = Scratch::new("names");
    let names = Arc::new(Names {
        live,
        dead_lookups: AtomicUsize::new(0),
    });
    runtime().block_on(async {
        let store = SqliteStore::open(scratch.db()).await.unwrap();
        let outbox = Outbox::new(store.clone());
        let guard = Guard::new()
            .allow_loopback()
            .with_resolver(Arc::clone(&names) as Arc<dyn Resolve>);
        let dispatch = dispatch(&outbox, sender(guard, Duration::from_secs(3)));
        let port = live.port();
        for n in 0..50 {
            outbox
                .enqueue(to(format!("http://nowhere.test:{port}/x/{n}"), n))
                .await
                .unwrap();
            outbox
                .enqueue(to(format!("http://live.test:{port}/y/{n}"), n))
                .await
                .unwrap();
        }
        assert!(
            eventually(Duration::from_secs(3), || receiver.received().len() == 50).await,
            "only {} of the 50 live callbacks arrived",
            receiver.received().len()
        );
        assert!(receiver
            .received()
            .iter()
            .all(|r| r.path.starts_with("/y/")));
        // The lookup failed after a second; by then its breaker opened and
        // the failure is remembered: no second lookup.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(names.dead_lookups.load(Ordering::SeqCst), 1);
        let dead: Vec<Delivery> = all_deliveries(&store)
            .await
            .into_iter()
            .filter(|d| d.url.contains("nowhere.test"))
            .collect();
        assert_eq!(dead.len(), 50);
        assert!(dead.iter().all(|d| d.status == Status::Pending));
        let tried: Vec<&Delivery> = dead.iter().filter(|d| d.attempts > 0).collect();
        assert_eq!(tried.len(), 1, "one attempt, the others deferred");
        assert_eq!(
            tried[0].last_error.as_deref(),
            Some("`nowhere.test` could not be resolved: no answer from the name server")
        );
        dispatch.shutdown().await;
    });
}

#[test]
fn under_load_the_ledger_balances() {
    const CLIENTS: usize = 16;
    const EACH: usize = 60;

    let receiver = Receiver::default();
    let hooks = receiver.start();
    let gone = Receiver::default();
    gone.otherwise(410);
    let gone_hooks = gone.start();
    let scratch = Scratch::new("ledger");
    // The store's writer runs on this runtime: it lives as long as the test.
    let run = runtime();
    let (store, outbox) = run.block_on(async {
        let store = SqliteStore::open(scratch.db()).await.unwrap();
        (store.clone(), Outbox::new(store))
    });
    // Every tenth invoice's first callback attempt is answered 500, then
    // 200: retried.
    for n in (0..CLIENTS * EACH).step_by(10) {
        receiver.script(
            &format!("/ok/invoices/inv-{n}"),
            [Answer::Status(500), Answer::Status(200)],
        );
    }
    let app = serve_invoices(outbox.clone(), false);
    let dispatch = run.block_on(async {
        dispatch(
            &outbox,
            sender(Guard::new().allow_loopback(), Duration::from_secs(3)),
        )
    });

    // Clients at once: 7 in 10 callbacks to a live receiver, 1 to one that
    // answers 410, 1 to a forbidden address (refused), 1 without a
    // callback_url (nothing queued).
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            std::thread::spawn(move || {
                let mut accepted = Vec::new();
                for k in 0..EACH {
                    let n = client * EACH + k;
                    let query = match n % 10 {
                        7 => format!(
                            "?callback_url={}",
                            urlencode(&format!("http://{gone_hooks}/gone"))
                        ),
                        8 => format!(
                            "?callback_url={}",
                            urlencode("http://169.254.169.254/latest")
                        ),
                        9 => String::new(),
                        _ => format!("?callback_url={}", urlencode(&format!("http://{hooks}/ok"))),
                    };
                    let body = format!(r#"{{"id":"inv-{n}","customer":"Ada","total":1.5}}"#);
                    let answer = post_invoice(app, &query, &body);
                    assert_eq!(answer.status, 200, "{}", answer.text());
                    if !query.is_empty() {
                        accepted.push(n);
                    }
                }
                accepted
            })
        })
        .collect();
    let accepted: BTreeSet<usize> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();

    run.block_on(async {
        let settled = eventually(Duration::from_secs(30), || {
            futures_block(&store, |d| d.status == Status::Pending) == 0
        })
        .await;
        assert!(settled, "deliveries still pending after 30 s");
        dispatch.shutdown().await;

        // The ledger: every accepted invoice has its delivery, in a final
        // state, and nothing else is there.
        let deliveries = all_deliveries(&store).await;
        let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
        let mut invoices = BTreeSet::new();
        for d in &deliveries {
            *by_status.entry(d.status.as_str()).or_default() += 1;
            let n: usize = d.url.rsplit("inv-").next().unwrap().parse().unwrap();
            assert!(invoices.insert(n), "invoice {n} queued twice");
        }
        eprintln!("ledger: {} accepted = {:?}", accepted.len(), by_status);
        assert_eq!(invoices, accepted, "accepted and queued differ");
        let expected = |remainder: &[usize]| {
            accepted
                .iter()
                .filter(|n| remainder.contains(&(*n % 10)))
                .count()
        };
        assert_eq!(
            by_status.get("delivered"),
            Some(&expected(&[0, 1, 2, 3, 4, 5, 6]))
        );
        assert_eq!(by_status.get("gone"), Some(&expected(&[7])));
        assert_eq!(by_status.get("refused"), Some(&expected(&[8])));
        assert_eq!(
            by_status.values().sum::<usize>(),
            accepted.len(),
            "delivered + gone + refused = accepted: nothing pending, failed or missing"
        );
        // Each delivered callback arrived: the retried ones twice, under
        // one webhook-id.
        let arrived: BTreeMap<String, Vec<String>> =
            receiver
                .received()
                .into_iter()
                .fold(BTreeMap::new(), |mut map, r| {
                    map.entry(r.path).or_default().push(r.webhook_id);
                    map
                });
        for d in deliveries.iter().filter(|d| d.status == Status::Delivered) {
            let path = d.url.split_once(&hooks.to_string()).unwrap().1;
            let ids = arrived
                .get(path)
                .unwrap_or_else(|| panic!("{path} never arrived"));
            assert!(ids.iter().all(|id| *id == d.webhook_id), "{path}: {ids:?}");
            let n: usize = path.rsplit("inv-").next().unwrap().parse().unwrap();
            assert_eq!(
                ids.len(),
                if n.is_multiple_of(10) { 2 } else { 1 },
                "{path}"
            );
        }
    });
    run.block_on(store.close());
}

/// How many deliveries of `store` match, read on a runtime of its own (the
/// condition of `eventually` is synchronous).
fn futures_block(
    store: &SqliteStore,
    matches: impl Fn(&Delivery) -> bool + Send + 'static,
) -> usize {
    let store = store.clone();
    std::thread::spawn(move || {
        let runtime = runtime();
        runtime
            .block_on(all_deliveries(&store))
            .iter()
            .filter(|d| matches(d))
            .count()
    })
    .join()
    .unwrap()
}

#[test]
fn the_lease_outlasts_the_senders_timeout() {
    let receiver = Receiver::default();
    let hooks = receiver.start();
    // Longer than any fixed lease would be: the lease follows the timeout.
    let timeout = Duration::from_secs(120);
    let long = Dispatcher::new(
        Outbox::new(callback_runtime::delivery::store::MemoryStore::new()),
        sender(Guard::new(), timeout),
    );
    assert_eq!(long.lease(), timeout + Duration::from_secs(30));

    receiver.script("/slow", [Answer::Hang(Duration::from_millis(2500))]);
    let scratch = Scratch::new("lease");
    runtime().block_on(async {
        let store = SqliteStore::open(scratch.db()).await.unwrap();
        let outbox = Outbox::new(store.clone());
        outbox
            .enqueue(to(format!("http://{hooks}/slow"), 1))
            .await
            .unwrap();
        // Two dispatchers on one store, looking every 50 ms; a margin of
        // 300 ms, so the lease is 3.3 s and the answer comes 2.5 s into it.
        let timeout = Duration::from_secs(3);
        let start = |owner: &str| {
            let dispatcher = Dispatcher::new(
                outbox.clone(),
                sender(Guard::new().allow_loopback(), timeout),
            )
            .lease_margin(Duration::from_millis(300))
            .poll_interval(Duration::from_millis(50))
            .owner(owner);
            assert_eq!(dispatcher.lease(), timeout + Duration::from_millis(300));
            dispatcher.spawn()
        };
        let (a, b) = (start("a"), start("b"));
        tokio::time::sleep(Duration::from_secs(5)).await;
        a.shutdown().await;
        b.shutdown().await;
        assert_eq!(receiver.on("/slow").len(), 1, "sent once");
        let (delivery, attempts) = store
            .get(all_deliveries(&store).await[0].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((delivery.status, attempts.len()), (Status::Delivered, 1));
        assert!(attempts[0].duration_ms >= 2500);
        store.close().await;
    });
}

/// The environment variable that makes [`fsync_child`] run.
const FSYNC_CHILD_DB: &str = "CALLBACK_FSYNC_CHILD_DB";

/// The child of [`each_answer_waits_for_its_callback_on_disk`]: serves the
/// invoices app over the default SQLite store, prints its port and pid, and
/// waits to be killed. No dispatcher runs: the app's enqueues are the only
/// writes to the log. Ignored unless run by that test.
#[test]
#[ignore = "run as a child process by each_answer_waits_for_its_callback_on_disk"]
fn fsync_child() {
    let Ok(db) = std::env::var(FSYNC_CHILD_DB) else {
        return;
    };
    // The store's writer runs on this runtime: it lives as long as the child.
    let run = runtime();
    let outbox =
        run.block_on(async { Outbox::new(SqliteStore::open(&db).await.expect("open the store")) });
    let app = serve_invoices(outbox, false);
    println!("serving {} {}", app.port(), std::process::id());
    std::thread::sleep(Duration::from_secs(600));
}

#[test]
fn each_answer_waits_for_its_callback_on_disk() {
    const POSTS: usize = 20;

    let Ok(strace) = which("strace") else {
        crate::support::skip_or_fail("strace");
        return;
    };
    let scratch = Scratch::new("fsync");
    let trace = scratch.0.join("trace.txt");
    let mut child = std::process::Command::new(strace)
        .args(["-f", "-y", "-qq", "-s", "32", "-o"])
        .arg(&trace)
        .args([
            "-e",
            "trace=fsync,fdatasync,pwrite64,pwritev,read,recvfrom,write,writev,sendto,sendmsg",
            "--",
        ])
        .arg(std::env::current_exe().unwrap())
        .args([
            "faults::fsync_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(FSYNC_CHILD_DB, scratch.db())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the child under strace");
    let mut out = child.stdout.take().unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 256];
    let (port, pid) = loop {
        let n = out.read(&mut buf).unwrap();
        assert!(n > 0, "the child ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        // The test harness may print the test's name on the same line.
        if let Some((_, rest)) = seen.split_once("serving ") {
            if rest.contains('\n') {
                let mut words = rest.split_whitespace();
                let port: u16 = words.next().unwrap().parse().unwrap();
                let pid: u32 = words.next().unwrap().trim().parse().unwrap();
                break (port, pid);
            }
        }
    };
    let app = SocketAddr::from(([127, 0, 0, 1], port));
    // A destination the guard refuses: the dispatcher claims and records,
    // and nothing is sent.
    let query = format!("?callback_url={}", urlencode("http://localhost:1/cb"));
    for n in 0..POSTS {
        let body = format!(r#"{{"id":"inv-{n}","customer":"Ada","total":1.5}}"#);
        assert_eq!(post_invoice(app, &query, &body).status, 200);
    }
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();

    let trace = std::fs::read_to_string(&trace).unwrap();
    let syncs = trace
        .lines()
        .filter(|l| is_sync(l) && l.contains("-wal>"))
        .count();
    assert!(
        syncs >= POSTS,
        "{POSTS} accepted POSTs, {syncs} syncs of the write-ahead log"
    );
    // In the order the syscalls happened: between reading each request and
    // writing its answer, the log was synced.
    // In the order the syscalls happened: when each answer is written, every
    // write to the log made before it (the request's commit) is covered by
    // a sync that started after that write. A syscall split by another
    // thread's ends at its "resumed" line, which names no file: remember
    // which threads were syncing the log, and what they covered.
    let (mut requests, mut answered) = (0, 0);
    let (mut writes, mut covered) = (0usize, 0usize);
    let mut syncing: BTreeMap<String, usize> = BTreeMap::new();
    for line in trace.lines() {
        let pid = line.split(' ').next().unwrap_or_default().to_owned();
        if line.contains("\"POST /invoices/") {
            requests += 1;
        } else if line.contains("pwrite") && line.contains("-wal>") {
            writes += 1;
        } else if is_sync(line) && line.contains("-wal>") {
            if line.contains("<unfinished") {
                syncing.insert(pid, writes);
            } else {
                covered = covered.max(writes);
            }
        } else if line.contains("sync resumed>") {
            if let Some(upto) = syncing.remove(&pid) {
                covered = covered.max(upto);
            }
        } else if line.contains("\"HTTP/1.1 200 OK") {
            answered += 1;
            assert!(
                writes > 0 && covered == writes,
                "answer {answered} was written before the log was synced \
                 ({writes} writes to the log, {covered} covered by a sync)"
            );
        }
    }
    assert_eq!(
        (requests, answered),
        (POSTS, POSTS),
        "every request and answer traced"
    );
    eprintln!("fsync: {POSTS} POSTs, {syncs} syncs of the write-ahead log");
}

fn is_sync(line: &str) -> bool {
    line.contains("fsync(") || line.contains("fdatasync(")
}

fn which(program: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
        .ok_or(())
}

/// How fast the dispatcher works through deliveries the guard refuses;
/// prints, asserts nothing about time. Run with `cargo test --release -p
/// tests --test it drain_measure -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a test"]
fn drain_measure() {
    const N: usize = 50_000;
    let scratch = Scratch::new("drain");
    runtime().block_on(async {
        let store = SqliteStore::open(scratch.db()).await.unwrap();
        let outbox = Outbox::new(store.clone());
        let batch: Vec<NewDelivery> = (0..N)
            .map(|n| to(format!("http://localhost:1/cb/{n}"), n))
            .collect();
        for chunk in batch.chunks(1000) {
            outbox.enqueue_all(chunk).await.unwrap();
        }
        let start = Instant::now();
        let dispatch = dispatch(&outbox, sender(Guard::new(), Duration::from_secs(3)));
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let pending = store
                .list(&ListFilter {
                    status: Some(Status::Pending),
                    before: None,
                    limit: 1,
                    ..ListFilter::default()
                })
                .await
                .unwrap();
            if pending.is_empty() {
                break;
            }
        }
        let elapsed = start.elapsed();
        eprintln!(
            "drain: {N} refused in {elapsed:?}, {:.0}/s",
            N as f64 / elapsed.as_secs_f64()
        );
        dispatch.shutdown().await;
    });
}

/// How fast one dispatcher works through a backlog to one live receiver;
/// prints, asserts nothing about time. Run with `cargo test --release -p
/// tests --test it drain_live_measure -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a test"]
fn drain_live_measure() {
    const N: usize = 2_000;
    let receiver = Receiver::default();
    let hooks = receiver.start();
    let scratch = Scratch::new("drain-live");
    runtime().block_on(async {
        // DRAIN_DATABASE_URL names a PostgreSQL database (whose tables are
        // emptied first) to drain instead of a SQLite file.
        let outbox = match std::env::var("DRAIN_DATABASE_URL") {
            Ok(url) => {
                let store = callback_runtime::delivery::store::PostgresStore::connect(&url)
                    .await
                    .unwrap();
                sqlx::query("TRUNCATE callback_attempts, callback_deliveries")
                    .execute(store.pool())
                    .await
                    .unwrap();
                Outbox::new(store)
            }
            Err(_) => Outbox::new(SqliteStore::open(scratch.db()).await.unwrap()),
        };
        let batch: Vec<NewDelivery> = (0..N)
            .map(|n| to(format!("http://{hooks}/live/{n}"), n))
            .collect();
        outbox.enqueue_all(&batch).await.unwrap();
        let start = Instant::now();
        let dispatch = Dispatcher::new(
            outbox.clone(),
            sender(Guard::new().allow_loopback(), Duration::from_secs(3)),
        )
        .spawn();
        assert!(eventually(Duration::from_secs(120), || receiver.received().len() >= N).await);
        let elapsed = start.elapsed();
        eprintln!(
            "drain live: {N} in {elapsed:?}, {:.0}/s",
            N as f64 / elapsed.as_secs_f64()
        );
        dispatch.shutdown().await;
    });
}
