//! Delivery throughput and queueing latency: how fast the durable outbox
//! gets signed callbacks to a receiver, against a bare HTTP client sending
//! the same signed requests.
//!
//! Three processes, all this binary:
//! - the receiver (`bench receive`), pinned to the server's core: actix-web
//!   with one worker on 127.0.0.1, which verifies each `POST`'s Standard
//!   Webhooks signature, counts it and answers `200 {"ok":true}`;
//! - a sender per run (`bench deliver MODE …`), pinned to the load
//!   generator's core, which prints what it measured as one JSON line:
//!   - `bare`: a reqwest client configured as `Sender` configures its own
//!     (no proxy, no redirects, the same timeouts), `concurrency` requests
//!     in flight, each signed with `Signer::headers` under a fresh
//!     `webhook-id`; timed until all are answered;
//!   - `durable`: a fresh `SqliteStore` file, an `Outbox` and a
//!     `Dispatcher` with `concurrency` workers (loopback allowed); a
//!     producer queues the deliveries one `Outbox::enqueue` call each while
//!     the dispatcher runs; timed from the first enqueue until the receiver
//!     has them all, then the store must show them all delivered. The
//!     duration of every enqueue call is kept: the latency of queueing with
//!     the dispatcher busy;
//!   - `latency`: a fresh `SqliteStore` and no dispatcher; the duration of
//!     single enqueue calls.
//!
//! Rounds alternate bare and durable, the order rotating, so a slow stretch
//! of the machine falls on both alike; as for the request benchmarks, a
//! round during which other processes kept more than `noise_limit` cores
//! busy is run again (up to three times the rounds in all).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use callback_runtime::delivery::delivery::new_webhook_id;
use callback_runtime::delivery::dispatcher::{Dispatcher, Outbox};
use callback_runtime::delivery::guard::Guard;
use callback_runtime::delivery::sender::{Sender, SenderConfig};
use callback_runtime::delivery::signing::{generate_secret, Signer, Verifier};
use callback_runtime::delivery::store::{ListFilter, SqliteStore, Store};
use callback_runtime::delivery::{NewDelivery, Status};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::machine::CpuSample;
use crate::server::{pinned_command, Pinning, Server};
use crate::stats;

/// The environment variable that hands the signing secret to the children.
const SECRET_ENV: &str = "BENCH_DELIVERY_SECRET";

/// Enqueue calls made before the latency samples, not counted.
pub const LATENCY_WARMUP: usize = 100;

/// The sizes of a run.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Deliveries per run.
    pub deliveries: u64,
    /// Alternating rounds of bare and durable.
    pub rounds: usize,
    /// Requests in flight (bare) and dispatcher workers (durable).
    pub concurrency: usize,
    /// Enqueue calls timed with no dispatcher running.
    pub latency_samples: usize,
    /// A round during which other processes kept more cores than this busy
    /// is run again.
    pub noise_limit: f64,
}

/// What one sender run measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run {
    pub mode: String,
    pub deliveries: u64,
    /// Until all were answered (bare) or received (durable); for `latency`,
    /// the whole loop.
    pub seconds: f64,
    /// Until the producer had queued them all (durable).
    pub queued_seconds: f64,
    /// What the receiver counted meanwhile.
    pub received: u64,
    /// Requests whose signature did not verify at the receiver.
    pub unverified: u64,
    /// Deliveries the store shows delivered (durable).
    pub delivered: u64,
    /// Durations of the enqueue calls, in nanoseconds (durable, latency).
    pub enqueue_ns: Vec<u64>,
}

impl Run {
    pub fn per_second(&self) -> f64 {
        self.deliveries as f64 / self.seconds
    }
}

/// One alternating round.
#[derive(Debug, Clone)]
pub struct Round {
    pub bare: Run,
    pub durable: Run,
    /// Which ran first.
    pub bare_first: bool,
    /// Cores other processes kept busy during the busier of the two runs.
    pub others_cores: f64,
}

impl Round {
    /// Durable / bare, in deliveries per second.
    pub fn ratio(&self) -> f64 {
        self.durable.per_second() / self.bare.per_second()
    }
}

/// Percentiles of enqueue durations, in microseconds.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    pub samples: usize,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

impl Latency {
    fn of(nanos: &[u64]) -> Option<Latency> {
        let micros: Vec<f64> = nanos.iter().map(|&n| n as f64 / 1e3).collect();
        Some(Latency {
            samples: micros.len(),
            p50_us: stats::percentile(&micros, 50.0)?,
            p99_us: stats::percentile(&micros, 99.0)?,
            p999_us: stats::percentile(&micros, 99.9)?,
            max_us: stats::percentile(&micros, 100.0)?,
        })
    }
}

/// Everything the deliveries part measured.
#[derive(Debug, Clone)]
pub struct Deliveries {
    pub deliveries: u64,
    pub concurrency: usize,
    pub rounds: Vec<Round>,
    /// Enqueue latency on SqliteStore with no dispatcher running.
    pub idle: Latency,
    /// Enqueue latency during the durable runs (producer back to back,
    /// dispatcher sending).
    pub busy: Latency,
    /// Rounds run again because other processes were busy.
    pub discarded: usize,
    /// Accepted rounds that were noisy all the same (the last tries).
    pub noisy: usize,
}

impl Deliveries {
    /// The median over the rounds of durable / bare.
    pub fn ratio(&self) -> f64 {
        stats::median(&self.ratios())
    }

    pub fn ratios(&self) -> Vec<f64> {
        self.rounds.iter().map(Round::ratio).collect()
    }

    pub fn bare_per_second(&self) -> Vec<f64> {
        self.rounds.iter().map(|r| r.bare.per_second()).collect()
    }

    pub fn durable_per_second(&self) -> Vec<f64> {
        self.rounds.iter().map(|r| r.durable.per_second()).collect()
    }
}

/// Runs the rounds and the latency run against a fresh receiver.
pub fn measure(
    settings: &Settings,
    pinning: Pinning,
    scratch: &Path,
) -> Result<Deliveries, String> {
    let secret = generate_secret();
    let receiver = Server::start_harness(
        "receiver",
        &["receive"],
        pinning.server,
        &[(SECRET_ENV, &secret)],
    )?;
    let dir = scratch.join("deliveries");
    // A warm-up run: the receiver's first connections and allocations.
    let warmup = Settings {
        deliveries: settings.deliveries.min(1_000),
        ..*settings
    };
    run_sender("bare", &receiver, &warmup, pinning, &dir, &secret)?;
    let mut rounds = Vec::new();
    let mut busy = Vec::new();
    let (mut discarded, mut noisy) = (0, 0);
    let budget = settings.rounds * 3;
    for attempt in 0..budget {
        if rounds.len() == settings.rounds {
            break;
        }
        let bare_first = attempt % 2 == 0;
        let order = if bare_first {
            ["bare", "durable"]
        } else {
            ["durable", "bare"]
        };
        let mut runs = Vec::new();
        let mut others_cores = 0.0_f64;
        for mode in order {
            let before = CpuSample::with_live(&[receiver.pid()]);
            runs.push(run_sender(
                mode, &receiver, settings, pinning, &dir, &secret,
            )?);
            let after = CpuSample::with_live(&[receiver.pid()]);
            if let (Some(before), Some(after)) = (before, after) {
                others_cores = others_cores.max(after.others_since(&before));
            }
        }
        let (bare, durable) = if bare_first {
            (runs.remove(0), runs.remove(0))
        } else {
            let durable = runs.remove(0);
            (runs.remove(0), durable)
        };
        let round = Round {
            bare,
            durable,
            bare_first,
            others_cores,
        };
        let summary = format!(
            "bare {:.0}, durable {:.0} deliveries/s (queued in {:.2} s); durable / bare {:.3}",
            round.bare.per_second(),
            round.durable.per_second(),
            round.durable.queued_seconds,
            round.ratio()
        );
        let quiet = others_cores <= settings.noise_limit;
        let retries_left = budget - attempt > settings.rounds - rounds.len();
        if !quiet && retries_left {
            discarded += 1;
            eprintln!(
                "    round run again: other processes kept {others_cores:.2} cores busy ({summary})"
            );
            continue;
        }
        noisy += usize::from(!quiet);
        eprintln!(
            "    round {}/{}: {summary}{}",
            rounds.len() + 1,
            settings.rounds,
            if quiet { "" } else { " (noisy, kept)" }
        );
        busy.extend_from_slice(&round.durable.enqueue_ns);
        rounds.push(round);
    }
    let latency = run_sender("latency", &receiver, settings, pinning, &dir, &secret)?;
    let _ = std::fs::remove_dir_all(&dir);
    let idle = Latency::of(&latency.enqueue_ns).ok_or("no latency samples")?;
    let busy = Latency::of(&busy).ok_or("no enqueue samples from the durable runs")?;
    eprintln!(
        "    enqueue latency: idle p50 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs; \
         dispatcher running p50 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs",
        idle.p50_us, idle.p99_us, idle.p999_us, busy.p50_us, busy.p99_us, busy.p999_us
    );
    Ok(Deliveries {
        deliveries: settings.deliveries,
        concurrency: settings.concurrency,
        rounds,
        idle,
        busy,
        discarded,
        noisy,
    })
}

/// Runs one sender child and checks what it reports.
fn run_sender(
    mode: &str,
    receiver: &Server,
    settings: &Settings,
    pinning: Pinning,
    dir: &Path,
    secret: &str,
) -> Result<Run, String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let count = if mode == "latency" {
        settings.latency_samples as u64
    } else {
        settings.deliveries
    };
    let exe = std::env::current_exe().map_err(|e| format!("locating the harness: {e}"))?;
    let output = pinned_command(pinning.load, exe)
        .arg("deliver")
        .arg(mode)
        .arg(receiver.addr.to_string())
        .arg(count.to_string())
        .arg(settings.concurrency.to_string())
        .arg(dir.join("deliveries.db"))
        .env(SECRET_ENV, secret)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("starting the {mode} sender: {e}"))?;
    if !output.status.success() {
        return Err(format!("the {mode} sender exited with {}", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let run: Run = serde_json::from_str(line)
        .map_err(|e| format!("the {mode} sender printed {line:?}: {e}"))?;
    if run.unverified > 0 {
        return Err(format!(
            "{mode}: {} requests did not verify at the receiver",
            run.unverified
        ));
    }
    if mode != "latency" && run.received != count {
        return Err(format!(
            "{mode}: the receiver counted {} requests for {count} deliveries",
            run.received
        ));
    }
    if mode == "durable" && run.delivered != count {
        return Err(format!(
            "durable: the store shows {} of {count} deliveries delivered",
            run.delivered
        ));
    }
    Ok(run)
}

// ---------------------------------------------------------------------------
// The receiver: `bench receive`.

/// What the receiver has seen.
struct Counts {
    received: watch::Sender<u64>,
    unverified: AtomicU64,
    verifier: Verifier,
}

#[derive(Debug, Serialize, Deserialize)]
struct Seen {
    received: u64,
    unverified: u64,
}

/// Runs the receiver on an ephemeral port of 127.0.0.1 with one worker and
/// prints `listening ADDR`. Runs until killed.
pub fn receive() -> std::io::Result<()> {
    use std::io::Write;

    let secret = std::env::var(SECRET_ENV)
        .map_err(|_| std::io::Error::other(format!("{SECRET_ENV} is not set")))?;
    let verifier = Verifier::new([secret]).map_err(std::io::Error::other)?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let counts = web::Data::new(Counts {
        received: watch::Sender::new(0),
        unverified: AtomicU64::new(0),
        verifier,
    });
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(counts.clone())
                .route("/__bench/wait/{target}", web::get().to(wait))
                .default_service(web::post().to(delivery))
        })
        .workers(1)
        .listen(listener)?
        .run();
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening {addr}")?;
        out.flush()?;
        drop(out);
        server.await
    })
}

/// A callback: verified, counted, acknowledged.
async fn delivery(
    request: HttpRequest,
    body: web::Bytes,
    counts: web::Data<Counts>,
) -> HttpResponse {
    let header = |name: &str| request.headers().get(name)?.to_str().ok();
    if counts
        .verifier
        .verify_headers(header, &body, SystemTime::now())
        .is_err()
    {
        counts.unverified.fetch_add(1, Ordering::Relaxed);
    }
    counts.received.send_modify(|n| *n += 1);
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"ok":true}"#)
}

/// Answers once the receiver has counted `target` requests.
async fn wait(target: web::Path<u64>, counts: web::Data<Counts>) -> web::Json<Seen> {
    let target = target.into_inner();
    let mut received = counts.received.subscribe();
    let seen = received.wait_for(|n| *n >= target).await.map_or(0, |n| *n);
    web::Json(Seen {
        received: seen,
        unverified: counts.unverified.load(Ordering::Relaxed),
    })
}

// ---------------------------------------------------------------------------
// The senders: `bench deliver bare|durable|latency ADDR COUNT CONCURRENCY DB`.

/// Runs one sender and prints its [`Run`] as one JSON line.
pub fn deliver(args: &[String]) -> Result<(), String> {
    const USAGE: &str = "usage: bench deliver bare|durable|latency ADDR COUNT CONCURRENCY DB";
    let [mode, addr, count, concurrency, db] = args else {
        return Err(USAGE.to_owned());
    };
    let addr: SocketAddr = addr.parse().map_err(|_| USAGE.to_owned())?;
    let count: u64 = count.parse().map_err(|_| USAGE.to_owned())?;
    let concurrency: usize = concurrency.parse().map_err(|_| USAGE.to_owned())?;
    let secret = std::env::var(SECRET_ENV).map_err(|_| format!("{SECRET_ENV} is not set"))?;
    let signer = Signer::new([secret]).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    let sender = Senders {
        addr,
        count,
        concurrency,
        signer,
        control: reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?,
    };
    let run = runtime.block_on(async {
        match mode.as_str() {
            "bare" => sender.bare().await,
            "durable" => sender.durable(Path::new(db)).await,
            "latency" => sender.latency(Path::new(db)).await,
            _ => Err(USAGE.to_owned()),
        }
    })?;
    println!(
        "{}",
        serde_json::to_string(&run).map_err(|e| e.to_string())?
    );
    Ok(())
}

struct Senders {
    addr: SocketAddr,
    count: u64,
    concurrency: usize,
    signer: Signer,
    /// Asks the receiver what it has seen.
    control: reqwest::Client,
}

impl Senders {
    /// The callback URL the deliveries go under.
    fn callback_url(&self) -> url::Url {
        format!("http://{}/cb", self.addr)
            .parse()
            .expect("a loopback URL parses")
    }

    /// The `i`th delivery: the invoices example's callback for invoice
    /// `inv-i`.
    fn delivery(&self, callback_url: &url::Url, i: u64) -> NewDelivery {
        crate::app::plain_notification(callback_url, &format!("inv-{i}"))
    }

    /// What the receiver has seen once it has counted `target` requests.
    async fn seen(&self, target: u64) -> Result<Seen, String> {
        let url = format!("http://{}/__bench/wait/{target}", self.addr);
        read_seen(self.control.get(url).send().await).await
    }

    async fn bare(&self) -> Result<Run, String> {
        let config = SenderConfig::default();
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .build()
            .map_err(|e| format!("building the client: {e}"))?;
        let before = self.seen(0).await?;
        let callback_url = self.callback_url();
        let deliveries: Arc<Vec<NewDelivery>> = Arc::new(
            (0..self.count)
                .map(|i| self.delivery(&callback_url, i))
                .collect(),
        );
        let next = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..self.concurrency {
            let (client, signer, config) = (client.clone(), self.signer.clone(), config.clone());
            let (deliveries, next) = (Arc::clone(&deliveries), Arc::clone(&next));
            workers.spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(delivery) = deliveries.get(i as usize) else {
                        return Ok::<(), String>(());
                    };
                    let timestamp = SystemTime::now()
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs() as i64);
                    let mut request = client
                        .post(&delivery.url)
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .header(reqwest::header::USER_AGENT, &config.user_agent);
                    let webhook_id = new_webhook_id();
                    for (name, value) in
                        signer.headers(&webhook_id, timestamp, delivery.body.as_bytes())
                    {
                        request = request.header(name, value);
                    }
                    let response = request
                        .body(delivery.body.clone())
                        .send()
                        .await
                        .map_err(|e| format!("sending: {e}"))?;
                    let status = response.status();
                    response
                        .bytes()
                        .await
                        .map_err(|e| format!("reading the answer: {e}"))?;
                    if !status.is_success() {
                        return Err(format!("the receiver answered {status}"));
                    }
                }
            });
        }
        while let Some(result) = workers.join_next().await {
            result.map_err(|e| format!("a sending task failed: {e}"))??;
        }
        let seconds = started.elapsed().as_secs_f64();
        let after = self.seen(before.received + self.count).await?;
        Ok(Run {
            mode: "bare".to_owned(),
            deliveries: self.count,
            seconds,
            queued_seconds: 0.0,
            received: after.received - before.received,
            unverified: after.unverified - before.unverified,
            delivered: 0,
            enqueue_ns: Vec::new(),
        })
    }

    async fn durable(&self, db: &Path) -> Result<Run, String> {
        let store = SqliteStore::open(db)
            .await
            .map_err(|e| format!("opening {}: {e}", db.display()))?;
        let outbox = Outbox::new(store);
        let sender = Sender::new(
            Guard::new().allow_loopback(),
            self.signer.clone(),
            SenderConfig::default(),
        )
        .map_err(|e| e.to_string())?;
        let dispatcher = Dispatcher::new(outbox.clone(), sender)
            .workers(self.concurrency)
            .spawn();
        let before = self.seen(0).await?;
        let callback_url = self.callback_url();
        // The dispatcher's first look at the empty store is start-up, not
        // delivery.
        tokio::time::sleep(Duration::from_millis(100)).await;

        let target = before.received + self.count;
        let addr = self.addr;
        let control = self.control.clone();
        let received = tokio::spawn(async move {
            let url = format!("http://{addr}/__bench/wait/{target}");
            let answer = control.get(url).send().await;
            (Instant::now(), answer)
        });
        let mut enqueue_ns = Vec::with_capacity(self.count as usize);
        let started = Instant::now();
        for i in 0..self.count {
            let delivery = self.delivery(&callback_url, i);
            let clock = Instant::now();
            outbox
                .enqueue(delivery)
                .await
                .map_err(|e| format!("enqueue: {e}"))?;
            enqueue_ns.push(clock.elapsed().as_nanos() as u64);
        }
        let queued_seconds = started.elapsed().as_secs_f64();
        let (done, answer) = received
            .await
            .map_err(|e| format!("waiting for the receiver: {e}"))?;
        let seconds = done.duration_since(started).as_secs_f64();
        let after = read_seen(answer).await?;
        dispatcher.shutdown().await;
        let delivered = count(outbox.store().as_ref(), Status::Delivered).await?;
        let pending = count(outbox.store().as_ref(), Status::Pending).await?;
        if pending > 0 {
            return Err(format!("{pending} deliveries are still pending"));
        }
        Ok(Run {
            mode: "durable".to_owned(),
            deliveries: self.count,
            seconds,
            queued_seconds,
            received: after.received - before.received,
            unverified: after.unverified - before.unverified,
            delivered,
            enqueue_ns,
        })
    }

    async fn latency(&self, db: &Path) -> Result<Run, String> {
        let store = SqliteStore::open(db)
            .await
            .map_err(|e| format!("opening {}: {e}", db.display()))?;
        let outbox = Outbox::new(store);
        let callback_url = self.callback_url();
        for i in 0..LATENCY_WARMUP as u64 {
            outbox
                .enqueue(self.delivery(&callback_url, i))
                .await
                .map_err(|e| format!("enqueue: {e}"))?;
        }
        let mut enqueue_ns = Vec::with_capacity(self.count as usize);
        let started = Instant::now();
        for i in 0..self.count {
            let delivery = self.delivery(&callback_url, i);
            let clock = Instant::now();
            outbox
                .enqueue(delivery)
                .await
                .map_err(|e| format!("enqueue: {e}"))?;
            enqueue_ns.push(clock.elapsed().as_nanos() as u64);
        }
        Ok(Run {
            mode: "latency".to_owned(),
            deliveries: self.count,
            seconds: started.elapsed().as_secs_f64(),
            queued_seconds: 0.0,
            received: 0,
            unverified: 0,
            delivered: 0,
            enqueue_ns,
        })
    }
}

/// The receiver's answer to `/__bench/wait/…`.
async fn read_seen(answer: reqwest::Result<reqwest::Response>) -> Result<Seen, String> {
    let failed = |e: reqwest::Error| format!("asking the receiver: {e}");
    let body = answer.map_err(failed)?.bytes().await.map_err(failed)?;
    serde_json::from_slice(&body).map_err(|e| format!("the receiver answered {body:?}: {e}"))
}

/// How many deliveries of `store` are in state `status`, a page at a time.
async fn count(store: &dyn Store, status: Status) -> Result<u64, String> {
    let mut total = 0;
    let mut before = None;
    loop {
        let page = store
            .list(&ListFilter {
                status: Some(status),
                before,
                limit: 1000,
            })
            .await
            .map_err(|e| format!("listing {status} deliveries: {e}"))?;
        let Some(last) = page.last() else {
            return Ok(total);
        };
        before = Some(last.id);
        total += page.len() as u64;
    }
}
