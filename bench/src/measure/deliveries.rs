//! Delivery throughput and queueing latency: how fast the durable outbox
//! gets signed callbacks to a receiver, against a bare HTTP client sending
//! the same signed requests.
//!
//! Three processes, all this binary:
//! - the receiver (`bench receive`), pinned to the server's core: actix-web
//!   with one worker on 127.0.0.1, which verifies each `POST`'s Standard
//!   Webhooks signature, counts it and answers `200 {"ok":true}` (after a
//!   delay with `--delay-ms`, for the PostgreSQL instances);
//! - a sender per run (`bench deliver MODE …`), pinned to the load
//!   generator's core, which prints what it measured as one JSON line:
//!   - `bare`: a reqwest client configured as `Sender` configures its own
//!     (no proxy, no redirects, the same timeouts), `concurrency` requests
//!     in flight, each signed with `Signer::headers` under a fresh
//!     `webhook-id`; timed until all are answered;
//!   - `concurrent` (the criterion): a fresh `SqliteStore` file, an
//!     `Outbox` and a `Dispatcher` with its defaults (at most
//!     `concurrency` requests in flight to the one destination, loopback
//!     allowed); [`PRODUCERS`] producer tasks each queue their share one
//!     `Outbox::enqueue` call at a time, as concurrent request handlers
//!     would, while the dispatcher runs; timed from the first enqueue until
//!     the receiver has them all, then the run's ledger: every delivery
//!     queued is in the store, delivered. The duration of every enqueue
//!     call is kept: the latency of queueing with the dispatcher busy;
//!   - `durable`: the same with one producer, back to back;
//!   - `latency`: a fresh `SqliteStore` and no dispatcher; the duration of
//!     single enqueue calls;
//!   - `durable-pg`, `concurrent-pg`, `latency-pg`: the same on a
//!     `PostgresStore` in a fresh schema, when a database is configured
//!     (see [`crate::measure::postgres`]).
//!
//! Rounds run every mode once, the order rotating, so a slow stretch of the
//! machine falls on all alike; as for the request benchmarks, a round
//! during which other processes kept more than `noise_limit` cores busy is
//! run again (up to three times the rounds in all). The PostgreSQL server's
//! CPU time is not counted as other processes' during the rounds.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use callback_runtime::delivery::delivery::new_webhook_id;
use callback_runtime::delivery::dispatcher::{DestinationPolicy, Dispatcher, Outbox};
use callback_runtime::delivery::guard::Guard;
use callback_runtime::delivery::sender::{Sender, SenderConfig};
use callback_runtime::delivery::signing::{generate_secret, Signer, Verifier};
use callback_runtime::delivery::store::{ListFilter, PostgresStore, SqliteStore, Store};
use callback_runtime::delivery::{NewDelivery, Status};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::ledger::Ledger;
use crate::machine::CpuSample;
use crate::measure::postgres::Schema;
use crate::server::{pinned_command, Pinning, Server};
use crate::stats;

/// The environment variable that hands the signing secret to the children.
pub(crate) const SECRET_ENV: &str = "BENCH_DELIVERY_SECRET";

/// Producer tasks of the `concurrent` modes.
pub const PRODUCERS: usize = 64;

/// The mode of the criterion: SQLite, [`PRODUCERS`] concurrent producers.
pub const CRITERION_MODE: &str = "concurrent";

/// The modes of a round, SQLite's first; the PostgreSQL ones run when a
/// database is configured.
const SQLITE_MODES: [&str; 3] = ["bare", "durable", "concurrent"];
const POSTGRES_MODES: [&str; 2] = ["durable-pg", "concurrent-pg"];

/// How long a durable run may take at most before it fails.
const RUN_LIMIT: Duration = Duration::from_secs(900);

/// Enqueue calls made before the latency samples, not counted.
pub const LATENCY_WARMUP: usize = 100;

/// The sizes of a run.
#[derive(Debug, Clone)]
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
    /// The PostgreSQL database's URL, or why the PostgreSQL modes are
    /// skipped.
    pub database: Result<String, String>,
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
    /// Where the queued deliveries were at the end (durable).
    #[serde(default)]
    pub ledger: Option<Ledger>,
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
    /// SQLite, one producer.
    pub durable: Run,
    /// The other modes' runs (`concurrent`, `durable-pg`, `concurrent-pg`).
    pub variants: Vec<Run>,
    /// The order the modes ran in.
    pub order: Vec<String>,
    /// Cores other processes kept busy during the busiest of the runs.
    pub others_cores: f64,
}

impl Round {
    /// The criterion's mode / bare, in deliveries per second.
    pub fn ratio(&self) -> f64 {
        self.ratio_of(CRITERION_MODE).unwrap_or(f64::NAN)
    }

    /// The run of `mode`, if the round had it.
    pub fn run(&self, mode: &str) -> Option<&Run> {
        match mode {
            "bare" => Some(&self.bare),
            "durable" => Some(&self.durable),
            _ => self.variants.iter().find(|r| r.mode == mode),
        }
    }

    /// `mode` / bare, in deliveries per second.
    pub fn ratio_of(&self, mode: &str) -> Option<f64> {
        Some(self.run(mode)?.per_second() / self.bare.per_second())
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
    pub fn of(nanos: &[u64]) -> Option<Latency> {
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
    /// Enqueue latency during the concurrent runs ([`PRODUCERS`]
    /// producers, dispatcher sending): the criterion's.
    pub concurrent: Latency,
    /// The other rows of enqueue latency: store, while what, latency.
    pub latencies: Vec<(&'static str, &'static str, Latency)>,
    /// Why the PostgreSQL modes did not run, if they did not.
    pub postgres_skipped: Option<String>,
    /// Rounds run again because other processes were busy.
    pub discarded: usize,
    /// Accepted rounds that were noisy all the same (the last tries).
    pub noisy: usize,
}

impl Deliveries {
    /// The median over the rounds of the criterion's mode / bare.
    pub fn ratio(&self) -> f64 {
        stats::median(&self.ratios())
    }

    pub fn ratios(&self) -> Vec<f64> {
        self.rounds.iter().map(Round::ratio).collect()
    }

    pub fn bare_per_second(&self) -> Vec<f64> {
        self.rounds.iter().map(|r| r.bare.per_second()).collect()
    }

    /// The ledgers of `mode`'s runs, summed, if it kept any.
    pub fn ledger_of(&self, mode: &str) -> Option<Ledger> {
        self.rounds
            .iter()
            .filter_map(|r| r.run(mode)?.ledger)
            .reduce(|a, b| a.plus(&b))
    }

    /// The median over the rounds of `mode` / bare, if the rounds had it.
    pub fn ratio_of(&self, mode: &str) -> Option<f64> {
        let ratios = self.ratios_of(mode);
        (!ratios.is_empty()).then(|| stats::median(&ratios))
    }

    pub fn ratios_of(&self, mode: &str) -> Vec<f64> {
        self.rounds
            .iter()
            .filter_map(|r| r.ratio_of(mode))
            .collect()
    }

    pub fn per_second(&self, mode: &str) -> Vec<f64> {
        self.rounds
            .iter()
            .filter_map(|r| Some(r.run(mode)?.per_second()))
            .collect()
    }

    /// The modes the rounds ran, in the report's order.
    pub fn modes(&self) -> Vec<&'static str> {
        SQLITE_MODES
            .iter()
            .chain(&POSTGRES_MODES)
            .copied()
            .filter(|m| self.rounds.first().is_some_and(|r| r.run(m).is_some()))
            .collect()
    }
}

/// Runs the rounds and the latency runs against a fresh receiver.
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
    let mut modes: Vec<&'static str> = SQLITE_MODES.to_vec();
    let postgres_skipped = match &settings.database {
        Ok(_) => {
            modes.extend(POSTGRES_MODES);
            None
        }
        Err(reason) => {
            eprintln!("    PostgreSQL modes skipped: {reason}");
            Some(reason.clone())
        }
    };
    // A warm-up run: the receiver's first connections and allocations.
    let warmup = Settings {
        deliveries: settings.deliveries.min(1_000),
        ..settings.clone()
    };
    run_sender("bare", &receiver, &warmup, pinning, &dir, &secret)?;
    let mut rounds = Vec::new();
    let mut enqueued: Vec<(&str, Vec<u64>)> = Vec::new();
    let (mut discarded, mut noisy) = (0, 0);
    let budget = settings.rounds * 3;
    for attempt in 0..budget {
        if rounds.len() == settings.rounds {
            break;
        }
        let mut order = modes.clone();
        order.rotate_left(attempt % modes.len());
        let mut runs = Vec::new();
        let mut others_cores = 0.0_f64;
        for mode in &order {
            let before = CpuSample::with_postgres(&[receiver.pid()]);
            runs.push(run_sender(
                mode, &receiver, settings, pinning, &dir, &secret,
            )?);
            let after = CpuSample::with_postgres(&[receiver.pid()]);
            if let (Some(before), Some(after)) = (before, after) {
                others_cores = others_cores.max(after.others_since(&before));
            }
        }
        let take = |runs: &mut Vec<Run>, mode: &str| {
            let i = runs
                .iter()
                .position(|r| r.mode == mode)
                .expect("every mode ran");
            runs.remove(i)
        };
        let bare = take(&mut runs, "bare");
        let durable = take(&mut runs, "durable");
        let round = Round {
            bare,
            durable,
            variants: runs,
            order: order.iter().map(|m| (*m).to_owned()).collect(),
            others_cores,
        };
        let mut summary = format!("bare {:.0}", round.bare.per_second());
        for mode in &modes[1..] {
            let run = round.run(mode).expect("every mode ran");
            summary += &format!(
                ", {mode} {:.0} ({:.3})",
                run.per_second(),
                round.ratio_of(mode).unwrap_or_default()
            );
        }
        summary += " deliveries/s (/ bare)";
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
        for mode in &modes[1..] {
            let run = round.run(mode).expect("every mode ran");
            match enqueued.iter_mut().find(|(m, _)| m == mode) {
                Some((_, ns)) => ns.extend_from_slice(&run.enqueue_ns),
                None => enqueued.push((mode, run.enqueue_ns.clone())),
            }
        }
        rounds.push(round);
    }
    let latency = run_sender("latency", &receiver, settings, pinning, &dir, &secret)?;
    let idle = Latency::of(&latency.enqueue_ns).ok_or("no latency samples")?;
    let busy_of = |mode: &str| {
        let ns = enqueued
            .iter()
            .find(|(m, _)| *m == mode)
            .map(|(_, ns)| ns)?;
        Latency::of(ns)
    };
    let busy = busy_of("durable").ok_or("no enqueue samples from the durable runs")?;
    let concurrent =
        busy_of(CRITERION_MODE).ok_or("no enqueue samples from the concurrent runs")?;
    eprintln!(
        "    enqueue latency: idle p50 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs; \
         dispatcher running p50 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs",
        idle.p50_us, idle.p99_us, idle.p999_us, busy.p50_us, busy.p99_us, busy.p999_us
    );
    eprintln!(
        "    enqueue latency, {PRODUCERS} producers: p50 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs",
        concurrent.p50_us, concurrent.p99_us, concurrent.p999_us
    );
    let mut latencies = Vec::new();
    if postgres_skipped.is_none() {
        let latency = run_sender("latency-pg", &receiver, settings, pinning, &dir, &secret)?;
        let idle = Latency::of(&latency.enqueue_ns).ok_or("no latency samples")?;
        latencies.push(("PostgreSQL", IDLE_WHILE, idle));
        for (mode, label) in [
            ("durable-pg", BUSY_WHILE),
            ("concurrent-pg", CONCURRENT_WHILE),
        ] {
            if let Some(l) = busy_of(mode) {
                latencies.push(("PostgreSQL", label, l));
            }
        }
        eprintln!(
            "    PostgreSQL enqueue latency: idle p50 {:.0} µs, p99 {:.0} µs",
            idle.p50_us, idle.p99_us
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Deliveries {
        deliveries: settings.deliveries,
        concurrency: settings.concurrency,
        rounds,
        idle,
        busy,
        concurrent,
        latencies,
        postgres_skipped,
        discarded,
        noisy,
    })
}

pub const IDLE_WHILE: &str = "no dispatcher running";
pub const BUSY_WHILE: &str = "dispatcher sending, one producer (durable runs)";
pub const CONCURRENT_WHILE: &str = "dispatcher sending, 64 producers (concurrent runs)";

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
    let latency = mode.starts_with("latency");
    let count = if latency {
        settings.latency_samples as u64
    } else {
        settings.deliveries
    };
    // The PostgreSQL modes work in a fresh schema, dropped after the run.
    let schema = if mode.ends_with("-pg") {
        let url = settings.database.as_ref().map_err(Clone::clone)?;
        Some(Schema::create(url, "deliveries")?)
    } else {
        None
    };
    let db = match &schema {
        Some(schema) => schema.url.clone().into(),
        None => dir.join("deliveries.db").into_os_string(),
    };
    let exe = std::env::current_exe().map_err(|e| format!("locating the harness: {e}"))?;
    let output = pinned_command(pinning.load, exe)
        .arg("deliver")
        .arg(mode)
        .arg(receiver.addr.to_string())
        .arg(count.to_string())
        .arg(settings.concurrency.to_string())
        .arg(db)
        .env(SECRET_ENV, secret)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("starting the {mode} sender: {e}"))?;
    drop(schema);
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
    if !latency && run.received != count {
        return Err(format!(
            "{mode}: the receiver counted {} requests for {count} deliveries",
            run.received
        ));
    }
    if let Some(ledger) = &run.ledger {
        ledger.check(mode)?;
    }
    if mode != "bare" && !latency && run.delivered != count {
        return Err(format!(
            "{mode}: the store shows {} of {count} deliveries delivered",
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
    /// The `webhook-id`s seen, when the receiver tracks them (then
    /// `received` counts distinct ids and `duplicates` the others).
    ids: Option<std::sync::Mutex<std::collections::HashSet<String>>>,
    duplicates: AtomicU64,
    /// How long each callback takes before it is answered.
    delay: Duration,
}

/// The receiver's command line: `[ids] [--delay-ms N]`.
#[derive(Debug, Default, PartialEq, Eq)]
struct ReceiverOptions {
    ids: bool,
    delay: Duration,
}

impl ReceiverOptions {
    fn parse(args: &[String]) -> Result<ReceiverOptions, String> {
        const USAGE: &str = "usage: bench receive [ids] [--delay-ms N]";
        let mut options = ReceiverOptions::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "ids" => options.ids = true,
                "--delay-ms" => {
                    let millis = args.next().and_then(|n| n.parse().ok()).ok_or(USAGE)?;
                    options.delay = Duration::from_millis(millis);
                }
                _ => return Err(USAGE.to_owned()),
            }
        }
        Ok(options)
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Seen {
    pub received: u64,
    pub unverified: u64,
    #[serde(default)]
    pub duplicates: u64,
}

/// Runs the receiver on an ephemeral port of 127.0.0.1 with one worker and
/// prints `listening ADDR`. Runs until killed. With `ids` it keeps every
/// `webhook-id`, counts distinct ones as received and the others as
/// duplicates; with `--delay-ms N` it waits N ms (a timer, no thread held)
/// before counting and answering each callback.
pub fn receive(args: &[String]) -> std::io::Result<()> {
    use std::io::Write;

    let options = ReceiverOptions::parse(args).map_err(std::io::Error::other)?;
    let secret = std::env::var(SECRET_ENV)
        .map_err(|_| std::io::Error::other(format!("{SECRET_ENV} is not set")))?;
    let verifier = Verifier::new([secret]).map_err(std::io::Error::other)?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let counts = web::Data::new(Counts {
        received: watch::Sender::new(0),
        unverified: AtomicU64::new(0),
        verifier,
        ids: options.ids.then(Default::default),
        duplicates: AtomicU64::new(0),
        delay: options.delay,
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
    if !counts.delay.is_zero() {
        // The receiver's own work, waiting on I/O: it holds no thread.
        actix_web::rt::time::sleep(counts.delay).await;
    }
    if let Some(ids) = &counts.ids {
        let id = header("webhook-id").unwrap_or_default().to_owned();
        let fresh = ids.lock().expect("never poisoned").insert(id);
        if !fresh {
            counts.duplicates.fetch_add(1, Ordering::Relaxed);
            return HttpResponse::Ok()
                .content_type("application/json")
                .body(r#"{"ok":true}"#);
        }
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
        duplicates: counts.duplicates.load(Ordering::Relaxed),
    })
}

// ---------------------------------------------------------------------------
// The senders: `bench deliver MODE ADDR COUNT CONCURRENCY DB`, DB a file
// for SQLite, a URL for PostgreSQL (the `-pg` modes).

/// Runs one sender and prints its [`Run`] as one JSON line.
pub fn deliver(args: &[String]) -> Result<(), String> {
    const USAGE: &str = "usage: bench deliver bare|durable|concurrent|latency[-pg] \
                         ADDR COUNT CONCURRENCY DB\n       \
                         bench deliver pg-instance URL WORKERS";
    if args.first().map(String::as_str) == Some("pg-instance") {
        return crate::measure::postgres::instances::instance(&args[1..]);
    }
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
            "durable" => sender.durable(open(mode, db).await?, 1).await,
            "concurrent" => sender.durable(open(mode, db).await?, PRODUCERS).await,
            "latency" => sender.latency(open(mode, db).await?).await,
            "durable-pg" => sender.durable(open(mode, db).await?, 1).await,
            "concurrent-pg" => sender.durable(open(mode, db).await?, PRODUCERS).await,
            "latency-pg" => sender.latency(open(mode, db).await?).await,
            _ => Err(USAGE.to_owned()),
        }
        .map(|mut run| {
            run.mode.clone_from(mode);
            run
        })
    })?;
    println!(
        "{}",
        serde_json::to_string(&run).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// An outbox over a fresh store: `db` is a SQLite file, or for the `-pg`
/// modes the URL of a fresh PostgreSQL schema.
async fn open(mode: &str, db: &str) -> Result<Outbox, String> {
    if mode.ends_with("-pg") {
        let store = PostgresStore::connect(db)
            .await
            .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
        Ok(Outbox::new(store))
    } else {
        let store = SqliteStore::open(Path::new(db))
            .await
            .map_err(|e| format!("opening {db}: {e}"))?;
        Ok(Outbox::new(store))
    }
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
            ledger: None,
        })
    }

    /// Queues the deliveries with `producers` tasks (one: back to back in
    /// this one) while a dispatcher sends them.
    async fn durable(&self, outbox: Outbox, producers: usize) -> Result<Run, String> {
        let sender = Sender::new(
            Guard::new().allow_loopback(),
            self.signer.clone(),
            SenderConfig::default(),
        )
        .map_err(|e| e.to_string())?;
        // The dispatcher's defaults (64 workers), with as many requests in
        // flight to the one destination as the bare loop has.
        let dispatcher = Dispatcher::new(outbox.clone(), sender)
            .destinations(DestinationPolicy {
                max_in_flight: self.concurrency,
                ..DestinationPolicy::default()
            })
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
        if producers <= 1 {
            for i in 0..self.count {
                let delivery = self.delivery(&callback_url, i);
                let clock = Instant::now();
                outbox
                    .enqueue(delivery)
                    .await
                    .map_err(|e| format!("enqueue: {e}"))?;
                enqueue_ns.push(clock.elapsed().as_nanos() as u64);
            }
        } else {
            // As concurrent request handlers would: each producer queues
            // its share, one call per delivery.
            let mut tasks = tokio::task::JoinSet::new();
            for producer in 0..producers as u64 {
                let outbox = outbox.clone();
                let share: Vec<NewDelivery> = (producer..self.count)
                    .step_by(producers)
                    .map(|i| self.delivery(&callback_url, i))
                    .collect();
                tasks.spawn(async move {
                    let mut nanos = Vec::with_capacity(share.len());
                    for delivery in share {
                        let clock = Instant::now();
                        outbox
                            .enqueue(delivery)
                            .await
                            .map_err(|e| format!("enqueue: {e}"))?;
                        nanos.push(clock.elapsed().as_nanos() as u64);
                    }
                    Ok::<_, String>(nanos)
                });
            }
            while let Some(result) = tasks.join_next().await {
                enqueue_ns.extend(result.map_err(|e| format!("a producer failed: {e}"))??);
            }
        }
        let queued_seconds = started.elapsed().as_secs_f64();
        let (done, answer) = match tokio::time::timeout(RUN_LIMIT, received).await {
            Ok(joined) => joined.map_err(|e| format!("waiting for the receiver: {e}"))?,
            Err(_) => {
                let seen = self.seen(0).await?;
                return Err(format!(
                    "the receiver had {} of {} deliveries after {} s",
                    seen.received - before.received,
                    self.count,
                    RUN_LIMIT.as_secs()
                ));
            }
        };
        let seconds = done.duration_since(started).as_secs_f64();
        let after = read_seen(answer).await?;
        dispatcher.shutdown().await;
        // Every enqueue call returned: each of them is accepted.
        let mut ledger = Ledger::of(self.count);
        for status in Status::ALL {
            ledger.add(status, count(outbox.store().as_ref(), status).await?);
        }
        let (delivered, pending) = (ledger.delivered, ledger.pending);
        if pending > 0 {
            return Err(format!("{pending} deliveries are still pending ({ledger})"));
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
            ledger: Some(ledger),
        })
    }

    async fn latency(&self, outbox: Outbox) -> Result<Run, String> {
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
            ledger: None,
        })
    }
}

/// The receiver's answer to `/__bench/wait/…`.
pub(crate) async fn read_seen(answer: reqwest::Result<reqwest::Response>) -> Result<Seen, String> {
    let failed = |e: reqwest::Error| format!("asking the receiver: {e}");
    let body = answer.map_err(failed)?.bytes().await.map_err(failed)?;
    serde_json::from_slice(&body).map_err(|e| format!("the receiver answered {body:?}: {e}"))
}

/// What the receiver at `addr` has seen once it has counted `target`
/// requests (0: at once), waiting up to `timeout`.
pub(crate) fn receiver_seen(
    addr: SocketAddr,
    target: u64,
    timeout: Duration,
) -> Result<Seen, String> {
    let answer = crate::http::send_waiting(
        addr,
        &crate::http::Request {
            method: "GET",
            target: format!("/__bench/wait/{target}"),
            json_body: None,
        },
        timeout,
    )?;
    serde_json::from_slice(&answer.body).map_err(|e| {
        format!(
            "the receiver answered {} {:?}: {e}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        )
    })
}

/// How many deliveries of `store` are in state `status`, a page at a time.
pub(crate) async fn count(store: &dyn Store, status: Status) -> Result<u64, String> {
    let mut total = 0;
    let mut before = None;
    loop {
        let page = store
            .list(&ListFilter {
                status: Some(status),
                before,
                limit: 1000,
                ..ListFilter::default()
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
