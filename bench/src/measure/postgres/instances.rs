//! Several dispatcher instances draining one queue.
//!
//! In a fresh schema, N deliveries are queued up front with
//! `Outbox::enqueue_all` in batches, then 1, 2 or 3 child processes (`bench
//! deliver pg-instance URL WORKERS`), each an `Outbox` and a `Dispatcher`
//! over its own `PostgresStore`, are told to start at once (a line on
//! their standard input) and drain the queue to one receiver (`bench
//! receive ids`, answering at once or after a delay), which counts
//! distinct `webhook-id`s and duplicates. Timed from the start line until
//! the receiver has N distinct ids; then the store must show N delivered
//! and none pending (the run's ledger). The CPU time of the PostgreSQL
//! server's processes is read from `/proc` around the run.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use callback_runtime::delivery::dispatcher::{Dispatcher, Outbox};
use callback_runtime::delivery::guard::Guard;
use callback_runtime::delivery::sender::{Sender, SenderConfig};
use callback_runtime::delivery::signing::{generate_secret, Signer};
use callback_runtime::delivery::store::PostgresStore;
use callback_runtime::delivery::{NewDelivery, Status};

use super::{runtime, Schema, Settings};
use crate::ledger::Ledger;
use crate::machine::CpuSample;
use crate::measure::deliveries::{count, read_seen, Seen, SECRET_ENV};
use crate::server::Server;
use crate::stats;

/// The runs of one receiver: how many deliveries each run queues, and how
/// long the receiver takes per callback.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub deliveries: u64,
    pub receiver_delay: Duration,
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
    /// The CPU time the PostgreSQL server's processes spent during the run.
    pub postgres_cpu_seconds: Option<f64>,
    pub ledger: Ledger,
}

impl InstancesRun {
    pub fn per_second(&self) -> f64 {
        self.deliveries as f64 / self.seconds
    }

    /// PostgreSQL CPU-seconds per 1,000 deliveries.
    pub fn postgres_per_thousand(&self) -> Option<f64> {
        Some(self.postgres_cpu_seconds? / self.deliveries as f64 * 1000.0)
    }
}

/// The runs with one receiver: 1, 2, 3 instances, then 3, 2, 1, …
pub fn measure(settings: &Settings, url: &str, shape: Shape) -> Result<Vec<InstancesRun>, String> {
    let secret = generate_secret();
    // Not pinned: the instances, the receiver and PostgreSQL share the
    // machine's cores as they would.
    let delay = shape.receiver_delay.as_millis().to_string();
    let mut args = vec!["receive", "ids"];
    if !shape.receiver_delay.is_zero() {
        args.extend(["--delay-ms", &delay]);
    }
    let receiver = Server::start_harness("receiver", &args, None, &[(SECRET_ENV, &secret)])?;
    let mut runs = Vec::new();
    for round in 0..settings.rounds {
        let mut order = settings.instances.clone();
        if round % 2 == 1 {
            order.reverse();
        }
        for &instances in &order {
            let run = instances_run(settings, url, shape, instances, &receiver, &secret)?;
            eprintln!(
                "    {instances} instance(s): {:.0} deliveries/s ({} in {:.2} s), {} duplicates; \
                 cores busy: machine {:.2}, PostgreSQL {}, receiver {:.2}, instances {:.2}; \
                 PostgreSQL {} CPU-s per 1,000",
                run.per_second(),
                run.deliveries,
                run.seconds,
                run.duplicates,
                run.machine_cores,
                run.postgres_cores
                    .map_or_else(|| "?".to_owned(), |c| format!("{c:.2}")),
                run.receiver_cores,
                run.instance_cores,
                run.postgres_per_thousand()
                    .map_or_else(|| "?".to_owned(), |c| format!("{c:.3}")),
            );
            runs.push(run);
        }
    }
    Ok(runs)
}

/// The median of `pick` over the runs with `instances` instances.
pub fn median_of(
    runs: &[InstancesRun],
    instances: usize,
    pick: impl Fn(&InstancesRun) -> Option<f64>,
) -> Option<f64> {
    let values: Vec<f64> = runs
        .iter()
        .filter(|r| r.instances == instances)
        .filter_map(pick)
        .collect();
    (!values.is_empty()).then(|| stats::median(&values))
}

/// Queues the deliveries up front, starts `instances` instances at once,
/// and times them until the receiver has every delivery.
fn instances_run(
    settings: &Settings,
    url: &str,
    shape: Shape,
    instances: usize,
    receiver: &Server,
    secret: &str,
) -> Result<InstancesRun, String> {
    let deliveries = shape.deliveries;
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
        let all: Vec<NewDelivery> = (0..deliveries)
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
    let sampled = Instant::now();
    children.tell("go")?;
    let started = Instant::now();
    let target = before.received + deliveries;
    let waited = seen(target);
    let seconds = started.elapsed().as_secs_f64();
    let cpu_after = CpuSample::with_postgres(&live);
    let sampled_for = sampled.elapsed().as_secs_f64();
    children.stop()?;
    let after = seen(0)?;
    let waited = waited.map_err(|e| {
        format!(
            "{instances} instance(s): the receiver had {} of {} deliveries: {e}",
            after.received - before.received,
            deliveries
        )
    })?;
    let received = waited.received.min(target) - before.received;
    if after.unverified > before.unverified {
        return Err(format!(
            "{instances} instance(s): {} requests did not verify",
            after.unverified - before.unverified
        ));
    }
    // Every delivery accounted for, every one delivered, none left.
    let ledger = rt.block_on(async {
        let store = PostgresStore::connect(&schema.url)
            .await
            .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
        let mut ledger = Ledger::of(deliveries);
        for status in Status::ALL {
            ledger.add(status, count(&store, status).await?);
        }
        store.close().await;
        Ok::<_, String>(ledger)
    })?;
    ledger.check(&format!("{instances} instance(s)"))?;
    if ledger.delivered != deliveries || ledger.pending > 0 || received != deliveries {
        return Err(format!(
            "{instances} instance(s): {received} distinct deliveries received; {ledger}"
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
        deliveries,
        seconds,
        received,
        duplicates: after.duplicates - before.duplicates,
        machine_cores,
        postgres_cores,
        receiver_cores,
        instance_cores,
        postgres_cpu_seconds: postgres_cores.map(|cores| cores * sampled_for),
        ledger,
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
