//! The PostgreSQL store: several dispatcher instances draining one queue,
//! and claim latency over a long history.
//!
//! The database is `CALLBACKS_BENCH_DATABASE_URL`, else
//! `CALLBACKS_TEST_DATABASE_URL`; without either the PostgreSQL parts are
//! skipped. Every run works in a fresh schema of its own (the URL selects
//! it with `options=-c search_path=…`), dropped at the end.
//!
//! - **Instances**: N deliveries are queued up front with
//!   `Outbox::enqueue_all` in batches, then 1, 2 or 3 child processes
//!   (`bench deliver pg-instance URL WORKERS`), each an `Outbox` and a
//!   `Dispatcher` over its own `PostgresStore`, are told to start at once
//!   (a line on their standard input) and drain the queue to one receiver
//!   (`bench receive ids`), which counts distinct `webhook-id`s and
//!   duplicates. Timed from the start line until the receiver has N
//!   distinct ids; then the store must show N delivered and none pending.
//! - **Claims**: a schema holding pending deliveries, then the same with a
//!   long history of delivered ones (`INSERT … SELECT generate_series`),
//!   `ANALYZE`d; each claim of 64 is timed, and its deliveries recorded
//!   back as due at once, so the pending set stays the same.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use callback_runtime::delivery::dispatcher::{Dispatcher, Outbox};
use callback_runtime::delivery::guard::Guard;
use callback_runtime::delivery::sender::{Sender, SenderConfig};
use callback_runtime::delivery::signing::{generate_secret, Signer};
use callback_runtime::delivery::store::{ClaimRequest, Next, Outcome, PostgresStore, Store};
use callback_runtime::delivery::{NewDelivery, Status};

use crate::machine::CpuSample;
use crate::measure::deliveries::{count, read_seen, Latency, Seen, SECRET_ENV};
use crate::server::Server;
use crate::stats;

/// Where the database's URL is read from, in order.
pub const URL_VARIABLES: [&str; 2] = [
    "CALLBACKS_BENCH_DATABASE_URL",
    "CALLBACKS_TEST_DATABASE_URL",
];

/// The database's URL, or why there is none.
pub fn database_url() -> Result<String, String> {
    URL_VARIABLES
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|url| !url.is_empty()))
        .ok_or_else(|| format!("neither {} is set", URL_VARIABLES.join(" nor ")))
}

/// A single-threaded runtime for the harness's own database work.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting a runtime: {e}"))
}

/// A fresh schema; `url` selects it for every connection. Dropped (with
/// everything in it) when the value is.
pub struct Schema {
    admin: String,
    name: String,
    pub url: String,
}

impl Schema {
    pub fn create(base: &str, purpose: &str) -> Result<Schema, String> {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("bench_{purpose}_{}_{nanos}", std::process::id());
        runtime()?.block_on(async {
            let pool = sqlx::PgPool::connect(base)
                .await
                .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
            sqlx::query(&format!("CREATE SCHEMA {name}"))
                .execute(&pool)
                .await
                .map_err(|e| format!("creating schema {name}: {e}"))?;
            pool.close().await;
            Ok::<_, String>(())
        })?;
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-c%20search_path%3D{name}");
        Ok(Schema {
            admin: base.to_owned(),
            name,
            url,
        })
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let Ok(runtime) = runtime() else { return };
        runtime.block_on(async {
            let dropped = match sqlx::PgPool::connect(&self.admin).await {
                Ok(pool) => {
                    let result = sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.name))
                        .execute(&pool)
                        .await;
                    pool.close().await;
                    result.map(drop).map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = dropped {
                eprintln!("bench: could not drop schema {}: {e}", self.name);
            }
        });
    }
}

/// The sizes of the PostgreSQL part.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Deliveries queued up front for each instances run.
    pub deliveries: u64,
    /// How many instances, run in this order (then reversed, alternately).
    pub instances: Vec<usize>,
    /// Runs of each number of instances.
    pub rounds: usize,
    /// Dispatcher workers per instance.
    pub workers: usize,
    /// Deliveries per `Outbox::enqueue_all` call when queueing up front.
    pub batch: usize,
    /// How long an instances run may take at most.
    pub timeout: Duration,
    /// Delivered rows of history for the claim latency.
    pub history: u64,
    /// Pending rows for the claim latency.
    pub pending: u64,
    /// Claims timed, per schema.
    pub claims: usize,
    /// Deliveries per claim.
    pub claim_limit: usize,
}

/// One instances run.
#[derive(Debug, Clone)]
pub struct InstancesRun {
    pub instances: usize,
    pub deliveries: u64,
    pub seconds: f64,
    /// Distinct `webhook-id`s the receiver got.
    pub received: u64,
    pub duplicates: u64,
    /// Cores busy on average during the run: the whole machine, the
    /// PostgreSQL server, the receiver, the instances together.
    pub machine_cores: f64,
    pub postgres_cores: Option<f64>,
    pub receiver_cores: f64,
    pub instance_cores: f64,
}

impl InstancesRun {
    pub fn per_second(&self) -> f64 {
        self.deliveries as f64 / self.seconds
    }
}

/// Claim latency on one schema.
#[derive(Debug, Clone)]
pub struct Claims {
    /// Delivered rows besides the pending ones.
    pub history: u64,
    pub pending: u64,
    pub limit: usize,
    /// Per claim, in microseconds (through `Latency`).
    pub latency: Latency,
}

/// Everything the PostgreSQL part measured.
#[derive(Debug, Clone)]
pub struct Postgres {
    pub deliveries: u64,
    pub workers: usize,
    pub runs: Vec<InstancesRun>,
    pub claims: Vec<Claims>,
    /// The number of cores of the machine.
    pub cores: usize,
}

impl Postgres {
    /// Median deliveries per second with `instances` instances.
    pub fn per_second(&self, instances: usize) -> Option<f64> {
        let rates: Vec<f64> = self
            .runs
            .iter()
            .filter(|r| r.instances == instances)
            .map(InstancesRun::per_second)
            .collect();
        (!rates.is_empty()).then(|| stats::median(&rates))
    }

    /// Deliveries per second with 3 instances / with 1.
    pub fn scaling(&self) -> Option<f64> {
        Some(self.per_second(3)? / self.per_second(1)?)
    }
}

/// Runs the instances runs and the claim latency.
pub fn measure(settings: &Settings, url: &str) -> Result<Postgres, String> {
    let secret = generate_secret();
    // Not pinned: the instances, the receiver and PostgreSQL share the
    // machine's cores as they would.
    let receiver = Server::start_harness(
        "receiver",
        &["receive", "ids"],
        None,
        &[(SECRET_ENV, &secret)],
    )?;
    let mut runs = Vec::new();
    for round in 0..settings.rounds {
        let mut order = settings.instances.clone();
        if round % 2 == 1 {
            order.reverse();
        }
        for &instances in &order {
            let run = instances_run(settings, url, instances, &receiver, &secret)?;
            eprintln!(
                "    {instances} instance(s): {:.0} deliveries/s ({} in {:.2} s), {} duplicates; \
                 cores busy: machine {:.2}, PostgreSQL {}, receiver {:.2}, instances {:.2}",
                run.per_second(),
                run.deliveries,
                run.seconds,
                run.duplicates,
                run.machine_cores,
                run.postgres_cores
                    .map_or_else(|| "?".to_owned(), |c| format!("{c:.2}")),
                run.receiver_cores,
                run.instance_cores
            );
            runs.push(run);
        }
    }
    drop(receiver);
    let mut claims = Vec::new();
    let schema = Schema::create(url, "claims")?;
    let rt = runtime()?;
    rt.block_on(async {
        let store = PostgresStore::connect(&schema.url)
            .await
            .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
        insert_pending(&store, settings.pending).await?;
        claims.push(time_claims(&store, settings, 0).await?);
        insert_history(&store, settings.history).await?;
        claims.push(time_claims(&store, settings, settings.history).await?);
        store.close().await;
        Ok::<_, String>(())
    })?;
    drop(schema);
    for c in &claims {
        eprintln!(
            "    claim of {} with {} pending and {} delivered rows: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
            c.limit,
            crate::report::thousands(c.pending as f64),
            crate::report::thousands(c.history as f64),
            c.latency.p50_us,
            c.latency.p99_us,
            c.latency.max_us
        );
    }
    Ok(Postgres {
        deliveries: settings.deliveries,
        workers: settings.workers,
        runs,
        claims,
        cores: std::thread::available_parallelism().map_or(1, usize::from),
    })
}

/// Queues the deliveries up front, starts `instances` instances at once,
/// and times them until the receiver has every delivery.
fn instances_run(
    settings: &Settings,
    url: &str,
    instances: usize,
    receiver: &Server,
    secret: &str,
) -> Result<InstancesRun, String> {
    let schema = Schema::create(url, "instances")?;
    let rt = runtime()?;
    let callback_url: url::Url = format!("http://{}/cb", receiver.addr)
        .parse()
        .map_err(|e| format!("the callback URL: {e}"))?;
    rt.block_on(async {
        let store = PostgresStore::connect(&schema.url)
            .await
            .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
        let outbox = Outbox::new(store.clone());
        let all: Vec<NewDelivery> = (0..settings.deliveries)
            .map(|i| crate::app::plain_notification(&callback_url, &format!("inv-{i}")))
            .collect();
        for chunk in all.chunks(settings.batch.max(1)) {
            outbox
                .enqueue_all(chunk)
                .await
                .map_err(|e| format!("enqueue_all: {e}"))?;
        }
        store.close().await;
        Ok::<_, String>(())
    })?;

    let mut children = Instances::start(instances, &schema.url, settings.workers, secret)?;
    let control = reqwest::Client::builder()
        .no_proxy()
        .timeout(settings.timeout)
        .build()
        .map_err(|e| e.to_string())?;
    let seen = |target: u64| {
        let url = format!("http://{}/__bench/wait/{target}", receiver.addr);
        rt.block_on(async { read_seen(control.get(url).send().await).await })
    };
    let before: Seen = seen(0)?;
    let instance_pids = children.pids();
    let mut live = instance_pids.clone();
    live.push(receiver.pid());
    let cpu_before = CpuSample::with_postgres(&live);
    children.tell("go")?;
    let started = Instant::now();
    let target = before.received + settings.deliveries;
    let waited = seen(target);
    let seconds = started.elapsed().as_secs_f64();
    let cpu_after = CpuSample::with_postgres(&live);
    children.stop()?;
    let after = seen(0)?;
    let waited = waited.map_err(|e| {
        format!(
            "{instances} instance(s): the receiver had {} of {} deliveries: {e}",
            after.received - before.received,
            settings.deliveries
        )
    })?;
    let received = waited.received.min(target) - before.received;
    if after.unverified > before.unverified {
        return Err(format!(
            "{instances} instance(s): {} requests did not verify",
            after.unverified - before.unverified
        ));
    }
    // Every delivery delivered, none left.
    let (delivered, pending) = rt.block_on(async {
        let store = PostgresStore::connect(&schema.url)
            .await
            .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
        let delivered = count(&store, Status::Delivered).await?;
        let pending = count(&store, Status::Pending).await?;
        store.close().await;
        Ok::<_, String>((delivered, pending))
    })?;
    if delivered != settings.deliveries || pending > 0 || received != settings.deliveries {
        return Err(format!(
            "{instances} instance(s): {received} distinct deliveries received, the store shows \
             {delivered} delivered and {pending} pending, of {}",
            settings.deliveries
        ));
    }
    let (machine_cores, postgres_cores, receiver_cores, instance_cores) =
        match (cpu_before, cpu_after) {
            (Some(b), Some(a)) => (
                a.busy_cores_since(&b),
                a.postgres_cores_since(&b),
                a.live_cores_since(&b, &[receiver.pid()]),
                a.live_cores_since(&b, &instance_pids),
            ),
            _ => (f64::NAN, None, f64::NAN, f64::NAN),
        };
    drop(schema);
    Ok(InstancesRun {
        instances,
        deliveries: settings.deliveries,
        seconds,
        received,
        duplicates: after.duplicates - before.duplicates,
        machine_cores,
        postgres_cores,
        receiver_cores,
        instance_cores,
    })
}

/// The instance processes, killed when dropped.
struct Instances {
    children: Vec<Child>,
}

impl Instances {
    /// Starts them and waits until each says it is ready.
    fn start(n: usize, url: &str, workers: usize, secret: &str) -> Result<Instances, String> {
        let exe = std::env::current_exe().map_err(|e| format!("locating the harness: {e}"))?;
        let mut instances = Instances {
            children: Vec::new(),
        };
        for _ in 0..n {
            let child = Command::new(&exe)
                .args(["deliver", "pg-instance", url, &workers.to_string()])
                .env(SECRET_ENV, secret)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| format!("starting an instance: {e}"))?;
            instances.children.push(child);
        }
        for child in &mut instances.children {
            let stdout = child.stdout.as_mut().expect("stdout is piped");
            let mut line = String::new();
            BufReader::new(stdout)
                .read_line(&mut line)
                .map_err(|e| format!("reading an instance: {e}"))?;
            if line.trim() != "ready" {
                return Err(format!("an instance said {line:?} instead of ready"));
            }
        }
        Ok(instances)
    }

    fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }

    /// Writes `line` to every instance, one after the other.
    fn tell(&mut self, line: &str) -> Result<(), String> {
        for child in &mut self.children {
            let stdin = child.stdin.as_mut().expect("stdin is piped");
            writeln!(stdin, "{line}")
                .and_then(|()| stdin.flush())
                .map_err(|e| format!("telling an instance to {line}: {e}"))?;
        }
        Ok(())
    }

    /// Tells them to stop and waits for them.
    fn stop(&mut self) -> Result<(), String> {
        self.tell("stop")?;
        for child in &mut self.children {
            let status = child
                .wait()
                .map_err(|e| format!("waiting for an instance: {e}"))?;
            if !status.success() {
                return Err(format!("an instance exited with {status}"));
            }
        }
        self.children.clear();
        Ok(())
    }
}

impl Drop for Instances {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `bench deliver pg-instance URL WORKERS`: an Outbox and a Dispatcher over
/// a `PostgresStore`; prints `ready`, starts on a `go` line on standard
/// input, and shuts down (recording what it sent) on the next line or at
/// its end.
pub fn instance(args: &[String]) -> Result<(), String> {
    const USAGE: &str = "usage: bench deliver pg-instance URL WORKERS";
    let [url, workers] = args else {
        return Err(USAGE.to_owned());
    };
    let workers: usize = workers.parse().map_err(|_| USAGE.to_owned())?;
    let secret = std::env::var(SECRET_ENV).map_err(|_| format!("{SECRET_ENV} is not set"))?;
    let signer = Signer::new([secret]).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    let outbox = runtime.block_on(async {
        let store = PostgresStore::connect(url)
            .await
            .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
        Ok::<_, String>(Outbox::new(store))
    })?;
    let sender = Sender::new(
        Guard::new().allow_loopback(),
        signer,
        SenderConfig::default(),
    )
    .map_err(|e| e.to_string())?;
    let dispatcher = Dispatcher::new(outbox, sender).workers(workers);
    let stdin = std::io::stdin();
    let mut line = String::new();
    println!("ready");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    stdin.read_line(&mut line).map_err(|e| e.to_string())?;
    if line.trim() != "go" {
        return Ok(());
    }
    let handle = runtime.block_on(async { dispatcher.spawn() });
    line.clear();
    let _ = stdin.read_line(&mut line);
    runtime.block_on(handle.shutdown());
    Ok(())
}

const BODY: &str = r#"{"description":"Invoice created","paid":false}"#;

/// `count` pending deliveries, due now.
async fn insert_pending(store: &PostgresStore, count: u64) -> Result<(), String> {
    let now = now_millis();
    sqlx::query(
        "INSERT INTO callback_deliveries
             (webhook_id, callback, method, url, body, status, attempts,
              created_at, next_attempt_at, finished_at)
         SELECT 'msg_pending_' || g, 'invoice_notification', 'POST',
                'http://127.0.0.1:9/cb/invoices/inv-' || g, $3, 'pending', 0,
                $1, $1, NULL
         FROM generate_series(1, $2::int8) AS g",
    )
    .bind(now)
    .bind(count as i64)
    .bind(BODY)
    .execute(store.pool())
    .await
    .map_err(|e| format!("inserting pending deliveries: {e}"))?;
    analyze(store).await
}

/// `count` delivered deliveries, one a second back from now, each finished
/// after one attempt.
async fn insert_history(store: &PostgresStore, count: u64) -> Result<(), String> {
    let now = now_millis();
    sqlx::query(
        "INSERT INTO callback_deliveries
             (webhook_id, callback, method, url, body, status, attempts, last_status,
              created_at, next_attempt_at, finished_at)
         SELECT 'msg_history_' || g, 'invoice_notification', 'POST',
                'http://127.0.0.1:9/cb/invoices/old-' || g, $3, 'delivered', 1, 200,
                $1 - g * 1000, NULL, $1 - g * 1000 + 20
         FROM generate_series(1, $2::int8) AS g",
    )
    .bind(now)
    .bind(count as i64)
    .bind(BODY)
    .execute(store.pool())
    .await
    .map_err(|e| format!("inserting the history: {e}"))?;
    analyze(store).await
}

async fn analyze(store: &PostgresStore) -> Result<(), String> {
    sqlx::query("ANALYZE callback_deliveries")
        .execute(store.pool())
        .await
        .map_err(|e| format!("ANALYZE: {e}"))?;
    Ok(())
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Times `settings.claims` claims, recording each claim's deliveries back
/// as due now.
async fn time_claims(
    store: &PostgresStore,
    settings: &Settings,
    history: u64,
) -> Result<Claims, String> {
    let lease = Duration::from_secs(60);
    let mut nanos = Vec::with_capacity(settings.claims);
    for _ in 0..settings.claims {
        let clock = Instant::now();
        let claimed = store
            .claim(&ClaimRequest::new("bench", settings.claim_limit, lease))
            .await
            .map_err(|e| format!("claim: {e}"))?;
        nanos.push(clock.elapsed().as_nanos() as u64);
        let expected = settings.claim_limit.min(settings.pending as usize);
        if claimed.len() != expected {
            return Err(format!(
                "a claim took {} deliveries, not {expected}",
                claimed.len()
            ));
        }
        let outcomes: Vec<Outcome> = claimed
            .iter()
            .map(|c| Outcome {
                id: c.id,
                lease: c.lease,
                attempt: None,
                next: Next::Retry(SystemTime::now()),
            })
            .collect();
        let applied = store
            .record(&outcomes)
            .await
            .map_err(|e| format!("record: {e}"))?;
        if applied != outcomes.len() {
            return Err(format!("{applied} of {} records applied", outcomes.len()));
        }
    }
    Ok(Claims {
        history,
        pending: settings.pending,
        limit: settings.claim_limit,
        latency: Latency::of(&nanos).ok_or("no claims")?,
    })
}
