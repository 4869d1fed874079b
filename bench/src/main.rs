//! The benchmark harness.
//!
//! - `cargo run --release -p bench -- all` measures request overhead
//!   (throughput, throughput per CPU-second, instructions per request),
//!   docs serving, build time, cold build, assembly, memory and callback
//!   delivery, with FastAPI as a reference when Python can install it, then
//!   writes its block of `BENCHMARKS.md`, the README's verdicts and
//!   `bench/chart.svg`. Delivery is measured
//!   against issue 15's criteria: the durable outbox against a bare HTTP
//!   client with 64 concurrent producers, and the latency of queueing
//!   (`deliveries`); live callbacks beside a destination that never
//!   answers (`isolation`); `POST /invoices/` with a callback against
//!   without, on SQLite with synchronous FULL (`durable-requests`); the
//!   write-ahead log under load and the database over a soak with
//!   retention (`disk`); and on PostgreSQL, 1 to 3 dispatcher instances
//!   with a slow receiver, the server's CPU time per delivery, the
//!   statements per delivery outside the app's transaction, and the
//!   outbox in the app's transaction against inserting the row only
//!   (`postgres`). Every load run of those keeps a ledger (every delivery
//!   accepted is delivered, pending, refused, failed, gone or pruned) and
//!   fails when one is missing.
//! - `cargo run -p bench -- smoke` runs every measurement path with tiny
//!   numbers in a few minutes and writes under `target/bench-smoke/`.
//! - `cargo run -p bench -- sizes` measures only the release binary size of
//!   a small app per set of docs features (none, each UI alone, all; the
//!   apps are built with `--release` whatever the harness's own profile) and
//!   writes its own block of `BENCHMARKS.md`; `all` measures and writes it
//!   too.
//!
//! Options: `--rounds N` (alternating rounds of the throughput, delivery
//! and cold-build runs) and `--only PART,…` (of `requests,instructions,
//! memory,build,cold-build,assembly,fastapi,deliveries,isolation,
//! durable-requests,disk,postgres,sizes`; the report then goes under
//! `target/bench-partial/`).
//!
//! Build time (`build`): the generated 100-operation crates of ours, plain
//! and utoipa, clean and after each of two edits (a string in one handler,
//! a comment appended to `main.rs`). Cold build (`cold-build`): a
//! one-endpoint app from an empty target folder, plain, utoipa, ours
//! docs-only and ours with the defaults (three rounds take about half an
//! hour on two cores; the smoke run builds the plain app once).
//!
//! Every run also writes the verdicts block of `README.md` (for a smoke or
//! partial run, a copy beside its report) from its `BENCHMARKS.md`;
//! `cargo run -p bench -- readme` writes it from `BENCHMARKS.md` as it
//! stands. `cargo run -p bench -- macro-profile [--operations N]` is a tool,
//! not a measurement of the report: where the build time of the generated
//! crates goes, per macro ([`macro_profile`]).
//!
//! PostgreSQL: `CALLBACKS_BENCH_DATABASE_URL`, else
//! `CALLBACKS_TEST_DATABASE_URL`, names the database; without either the
//! PostgreSQL measurements (the `-pg` delivery modes and the `postgres`
//! part) are skipped. The role needs `CREATEDB` for the statement count,
//! which also needs `pg_stat_statements` (loaded by the server, and
//! created in the database or creatable by the role); without it that
//! count is skipped with the reason.
//!
//! The harness's own processes, all this binary: `bench serve ours|plain`
//! (the request benchmarks' servers), `bench serve invoices|row-only`
//! (servers over a real store, [`store_app`]), `bench receive` (the
//! callbacks' receiver) and `bench deliver` (the delivery senders and the
//! PostgreSQL instances). Every load goes to 127.0.0.1 and stops by
//! itself.

mod app;
mod chart;
mod format;
mod generate;
mod http;
mod ledger;
mod load;
mod machine;
mod macro_profile;
mod measure;
mod report;
mod results;
mod server;
mod stats;
mod store_app;
mod workspace;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use app::Variant;
use http::Request;
use machine::{CpuSample, Machine};
use measure::{
    assembly, binary_size, build_time, cold_build, deliveries, disk, durable_requests, fastapi,
    instructions, isolation, memory, postgres, throughput,
};
use results::Results;
use server::{Pinning, Server};
use workspace::{ColdApp, Profile, Workspace};

const USAGE: &str = "usage: bench all|smoke [--rounds N] \
                     [--only requests,instructions,memory,build,cold-build,assembly,fastapi,\
                     deliveries,isolation,durable-requests,disk,postgres,sizes]\n\
                     \x20      bench sizes\n\
                     \x20      bench readme\n\
                     \x20      bench macro-profile [--operations N]";

const BODY: &str = r#"{"id":"inv-1","title":"Coffee","customer":"Ada","total":12.5}"#;
const INVOICES_TARGET: &str = "/invoices/?callback_url=https://example.com/cb";
const EXPECTED_ANSWER: &str = r#"{"msg":"Invoice received"}"#;

/// The sizes of one run.
struct Settings {
    smoke: bool,
    throughput: throughput::Settings,
    instructions: instructions::Settings,
    memory: memory::Settings,
    build_operations: usize,
    build_rounds: usize,
    cold_build: cold_build::Settings,
    assembly_sizes: Vec<usize>,
    assembly_repeats: usize,
    assembly_profile: Profile,
    deliveries: deliveries::Settings,
    isolation: isolation::Settings,
    durable_requests: durable_requests::Settings,
    disk: disk::Settings,
    postgres: postgres::Settings,
    size_sets: Vec<binary_size::FeatureSet>,
    size_profile: Profile,
}

impl Settings {
    fn full() -> Self {
        Settings {
            smoke: false,
            throughput: throughput::Settings {
                rounds: 10,
                seconds: 2,
                warmup_seconds: 2,
                connections: 32,
                noise_limit: 0.1,
            },
            instructions: instructions::Settings {
                warmup: 1_000,
                requests: 10_000,
            },
            memory: memory::Settings {
                few: 10_000,
                many: 1_000_000,
                connections: 32,
                step: Duration::from_secs(5),
                timeout: Duration::from_secs(600),
            },
            build_operations: 100,
            build_rounds: 5,
            cold_build: cold_build::Settings {
                rounds: 3,
                apps: ColdApp::ALL.to_vec(),
            },
            assembly_sizes: vec![10, 100, 1_000, 10_000],
            assembly_repeats: 5,
            assembly_profile: Profile::Release,
            deliveries: deliveries::Settings {
                deliveries: 10_000,
                rounds: 4,
                concurrency: 16,
                latency_samples: 10_000,
                noise_limit: 0.1,
                database: postgres::database_url(),
            },
            isolation: isolation::Settings {
                runs: vec![100, 1_000],
                clients: 8,
                deadline: Duration::from_secs(5),
                wait: Duration::from_secs(60),
            },
            durable_requests: durable_requests::Settings {
                throughput: throughput::Settings {
                    rounds: 10,
                    seconds: 2,
                    warmup_seconds: 2,
                    connections: 64,
                    noise_limit: 0.1,
                },
                settle: Duration::from_secs(120),
            },
            disk: disk::Settings {
                wal_seconds: 60,
                wal_connections: 64,
                soak_seconds: 600,
                soak_connections: 16,
                soak_rate: 1_000,
                retention: Duration::from_secs(30),
                prune_every: Duration::from_secs(1),
                sample_every: Duration::from_millis(100),
                drain: Duration::from_secs(300),
            },
            postgres: postgres::Settings {
                deliveries: 30_000,
                slow_deliveries: 5_000,
                receiver_delay: Duration::from_millis(50),
                instances: vec![1, 2, 3],
                rounds: 2,
                workers: 16,
                batch: 1_000,
                timeout: Duration::from_secs(600),
                history: 1_000_000,
                pending: 5_000,
                claims: 500,
                claim_limit: 64,
                requests: throughput::Settings {
                    rounds: 10,
                    seconds: 2,
                    warmup_seconds: 2,
                    connections: 64,
                    noise_limit: 0.1,
                },
                statements_seconds: 10,
                statements_connections: 64,
                settle: Duration::from_secs(120),
            },
            size_sets: binary_size::ALL_SETS.to_vec(),
            size_profile: Profile::Release,
        }
    }

    fn smoke() -> Self {
        Settings {
            smoke: true,
            throughput: throughput::Settings {
                rounds: 2,
                seconds: 1,
                warmup_seconds: 1,
                connections: 8,
                noise_limit: 0.1,
            },
            instructions: instructions::Settings {
                warmup: 20,
                requests: 100,
            },
            memory: memory::Settings {
                few: 1_000,
                many: 10_000,
                connections: 8,
                step: Duration::from_secs(1),
                timeout: Duration::from_secs(60),
            },
            build_operations: 3,
            build_rounds: 1,
            // One cold build, of the smallest app: the path works.
            cold_build: cold_build::Settings {
                rounds: 1,
                apps: vec![ColdApp::Plain],
            },
            assembly_sizes: vec![1, 10],
            assembly_repeats: 2,
            assembly_profile: Profile::Dev,
            deliveries: deliveries::Settings {
                deliveries: 200,
                rounds: 1,
                concurrency: 16,
                latency_samples: 200,
                noise_limit: 0.1,
                database: postgres::database_url(),
            },
            isolation: isolation::Settings {
                runs: vec![10, 20],
                clients: 4,
                deadline: Duration::from_secs(5),
                wait: Duration::from_secs(30),
            },
            durable_requests: durable_requests::Settings {
                throughput: throughput::Settings {
                    rounds: 2,
                    seconds: 1,
                    warmup_seconds: 1,
                    connections: 16,
                    noise_limit: 0.1,
                },
                settle: Duration::from_secs(60),
            },
            disk: disk::Settings {
                wal_seconds: 3,
                wal_connections: 16,
                soak_seconds: 12,
                soak_connections: 4,
                soak_rate: 100,
                retention: Duration::from_secs(2),
                prune_every: Duration::from_millis(500),
                sample_every: Duration::from_millis(100),
                drain: Duration::from_secs(60),
            },
            postgres: postgres::Settings {
                deliveries: 100,
                slow_deliveries: 100,
                receiver_delay: Duration::from_millis(50),
                instances: vec![1, 2, 3],
                rounds: 1,
                workers: 16,
                batch: 100,
                timeout: Duration::from_secs(60),
                history: 10_000,
                pending: 5_000,
                claims: 50,
                claim_limit: 64,
                requests: throughput::Settings {
                    rounds: 1,
                    seconds: 1,
                    warmup_seconds: 1,
                    connections: 16,
                    noise_limit: 0.1,
                },
                statements_seconds: 2,
                statements_connections: 16,
                settle: Duration::from_secs(60),
            },
            // One debug build of the largest UI: the path works, quickly.
            size_sets: vec![binary_size::ALL_SETS[3]],
            size_profile: Profile::Dev,
        }
    }

    /// The sizes the criteria's rows name.
    fn plan(&self) -> results::Plan {
        results::Plan {
            isolation: self.isolation.runs.clone(),
            connections: self.durable_requests.throughput.connections,
            wal_seconds: self.disk.wal_seconds,
            soak_seconds: self.disk.soak_seconds,
            retention_seconds: self.disk.retention.as_secs(),
            receiver_delay_ms: u64::try_from(self.postgres.receiver_delay.as_millis())
                .unwrap_or(u64::MAX),
            build_operations: self.build_operations,
        }
    }

    fn describe(&self) -> Vec<(String, String)> {
        let t = &self.throughput;
        let m = &self.memory;
        vec![
            (
                "throughput".to_owned(),
                format!(
                    "{} alternating rounds of {} s per server and endpoint after a {} s warm-up, \
                     {} connections",
                    t.rounds, t.seconds, t.warmup_seconds, t.connections
                ),
            ),
            (
                "instructions".to_owned(),
                format!(
                    "{} requests counted after {} warm-up requests, per server and endpoint",
                    report::thousands(self.instructions.requests as f64),
                    report::thousands(self.instructions.warmup as f64)
                ),
            ),
            (
                "memory".to_owned(),
                format!(
                    "checkpoints after {} and {} requests, {} connections",
                    report::thousands(m.few as f64),
                    report::thousands(m.many as f64),
                    m.connections
                ),
            ),
            (
                "build time".to_owned(),
                format!(
                    "{} operations, {} alternating rounds",
                    self.build_operations, self.build_rounds
                ),
            ),
            (
                "cold build".to_owned(),
                format!(
                    "{} alternating round(s) of {}",
                    self.cold_build.rounds,
                    self.cold_build
                        .apps
                        .iter()
                        .map(|app| cold_build::label(*app))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            (
                "assembly".to_owned(),
                format!(
                    "{} operations, {} repeats each, {} profile",
                    self.assembly_sizes
                        .iter()
                        .map(|n| report::thousands(*n as f64))
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.assembly_repeats,
                    self.assembly_profile.name()
                ),
            ),
            (
                "deliveries".to_owned(),
                format!(
                    "{} deliveries per run, {} alternating rounds of every mode, \
                     {} in flight; {} enqueue calls timed with no dispatcher",
                    report::thousands(self.deliveries.deliveries as f64),
                    self.deliveries.rounds,
                    self.deliveries.concurrency,
                    report::thousands(self.deliveries.latency_samples as f64)
                ),
            ),
            (
                "isolation".to_owned(),
                format!(
                    "{} live callbacks beside as many dead ones, one run each, {} client \
                     threads; waiting at most {} s after the last POST",
                    self.isolation
                        .runs
                        .iter()
                        .map(|n| report::thousands(*n as f64))
                        .collect::<Vec<_>>()
                        .join(" and "),
                    self.isolation.clients,
                    self.isolation.wait.as_secs()
                ),
            ),
            ("durable requests".to_owned(), {
                let t = &self.durable_requests.throughput;
                format!(
                    "{} alternating rounds of {} s per request after a {} s warm-up, {} \
                         connections, per server",
                    t.rounds, t.seconds, t.warmup_seconds, t.connections
                )
            }),
            ("disk".to_owned(), {
                let d = &self.disk;
                format!(
                    "WAL: {} s at full speed, {} connections; soak: {} s at about {} \
                         requests/s, {} connections, retention {} s, pruned every {} ms; sizes \
                         read every {} ms",
                    d.wal_seconds,
                    d.wal_connections,
                    d.soak_seconds,
                    report::thousands(f64::from(d.soak_rate)),
                    d.soak_connections,
                    d.retention.as_secs_f64(),
                    d.prune_every.as_millis(),
                    d.sample_every.as_millis()
                )
            }),
            (
                "postgres".to_owned(),
                format!(
                    "{} deliveries queued up front (batches of {}) per instances run with a \
                     receiver answering at once, {} with one taking {} ms, \
                     {} instance(s), {} round(s), {} workers each; {} claims of {} with {} \
                     pending and then {} delivered rows; {} alternating rounds of {} s, {} \
                     connections, for the outbox in the app's transaction; {} s of load, {} \
                     connections, for the statement count",
                    report::thousands(self.postgres.deliveries as f64),
                    report::thousands(self.postgres.batch as f64),
                    report::thousands(self.postgres.slow_deliveries as f64),
                    self.postgres.receiver_delay.as_millis(),
                    self.postgres
                        .instances
                        .iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.postgres.rounds,
                    self.postgres.workers,
                    self.postgres.claims,
                    self.postgres.claim_limit,
                    report::thousands(self.postgres.pending as f64),
                    report::thousands(self.postgres.history as f64),
                    self.postgres.requests.rounds,
                    self.postgres.requests.seconds,
                    self.postgres.requests.connections,
                    self.postgres.statements_seconds,
                    self.postgres.statements_connections
                ),
            ),
            (
                "binary size".to_owned(),
                format!(
                    "docs feature sets {}, {} profile",
                    self.size_sets
                        .iter()
                        .map(|set| set.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.size_profile.name()
                ),
            ),
        ]
    }
}

const PARTS: [&str; 13] = [
    "requests",
    "instructions",
    "memory",
    "build",
    "cold-build",
    "assembly",
    "fastapi",
    "deliveries",
    "isolation",
    "durable-requests",
    "disk",
    "postgres",
    "sizes",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => match args.get(1).map(String::as_str) {
            Some("invoices") => store_app::serve_invoices(&args[2..]),
            Some("row-only") => store_app::serve_row_only(&args[2..]),
            name => match name.and_then(Variant::parse) {
                Some(variant) => {
                    app::serve(variant, args.get(2).map(Path::new)).map_err(|e| e.to_string())
                }
                None => Err("usage: bench serve ours|plain [DOCUMENT]\n       \
                             bench serve invoices FILE|postgres://… [--loopback] \
                             [--prune EVERY_MS OLDER_MS]\n       \
                             bench serve row-only postgres://…"
                    .to_owned()),
            },
        },
        Some("receive") => deliveries::receive(&args[1..]).map_err(|e| e.to_string()),
        Some("deliver") => deliveries::deliver(&args[1..]),
        Some("all") => parse_options(Settings::full(), &args[1..]).and_then(run),
        Some("smoke") => parse_options(Settings::smoke(), &args[1..]).and_then(run),
        Some("sizes") if args.len() == 1 => sizes(),
        Some("readme") if args.len() == 1 => readme(),
        Some("macro-profile") => macro_profile::run(&project_root(), &args[1..]),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench: {message}");
            ExitCode::FAILURE
        }
    }
}

struct Run {
    settings: Settings,
    parts: Vec<String>,
    partial: bool,
    command: String,
}

fn parse_options(mut settings: Settings, args: &[String]) -> Result<Run, String> {
    let original = args;
    let mut parts: Vec<String> = PARTS.iter().map(|p| (*p).to_owned()).collect();
    let mut partial = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => {
                let rounds = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--rounds takes a positive number")?;
                settings.throughput.rounds = rounds;
                settings.deliveries.rounds = rounds;
                settings.durable_requests.throughput.rounds = rounds;
                settings.postgres.requests.rounds = rounds;
                settings.cold_build.rounds = rounds;
            }
            "--only" => {
                let list = args.next().ok_or("--only takes a list of parts")?;
                parts = list.split(',').map(str::to_owned).collect();
                if let Some(unknown) = parts.iter().find(|p| !PARTS.contains(&p.as_str())) {
                    return Err(format!("unknown part `{unknown}`: {}", PARTS.join(", ")));
                }
                partial = true;
            }
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    let mode = if settings.smoke { "smoke" } else { "all" };
    let profile = if cfg!(debug_assertions) {
        ""
    } else {
        " --release"
    };
    let options: String = original.iter().map(|a| format!(" {a}")).collect();
    Ok(Run {
        command: format!("cargo run{profile} -p bench -- {mode}{options}"),
        settings,
        parts,
        partial,
    })
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the bench crate is inside the workspace")
        .to_path_buf()
}

fn run(run: Run) -> Result<(), String> {
    let started = Instant::now();
    let settings = &run.settings;
    let wants = |part: &str| run.parts.iter().any(|p| p == part);
    if cfg!(debug_assertions) && !settings.smoke {
        eprintln!("bench: warning: a debug build measures debug servers; use --release");
    }
    let project = project_root();
    let scratch = project.join("target").join("bench-scratch");
    let pinning = Pinning::detect();
    let machine = Machine::describe(&project);
    let needs_wrk = ["requests", "memory", "durable-requests", "disk"];
    if load::wrk_version().is_none() && needs_wrk.iter().any(|part| wants(part)) {
        return Err("`wrk` is not installed (Debian package `wrk`)".to_owned());
    }
    eprintln!("bench: {}; {}", machine.cpu, pinning.describe());

    // A part that fails is reported and the run goes on; the command fails
    // at the end.
    let mut failures = Vec::new();
    let mut noise = Vec::new();
    let mut attempt =
        |name: &'static str, title: &str, work: &mut dyn FnMut() -> Result<(), String>| {
            let part = Part::start(name, title);
            if let Err(error) = work() {
                eprintln!("   {name} failed: {error}");
                failures.push(format!("{name}: {error}"));
            }
            // Setting up is not measuring: its neighbours do not matter.
            let mut ignored = Vec::new();
            part.finish(if name.ends_with("-setup") {
                &mut ignored
            } else {
                &mut noise
            });
        };

    let mut fastapi_env = Err("not run (`--only` left it out)".to_owned());
    if wants("fastapi") {
        attempt(
            "fastapi-setup",
            "FastAPI reference: target/bench-fastapi/venv",
            &mut || {
                fastapi_env = fastapi::prepare(&project);
                if let Err(reason) = &fastapi_env {
                    eprintln!("   skipped: {reason}");
                }
                Ok(())
            },
        );
    }
    let mut fastapi = fastapi_env
        .as_ref()
        .map(|env| env.versions.clone())
        .map_err(Clone::clone);

    let (mut requests, mut docs) = (None, None);
    if wants("requests") {
        attempt("requests", "Request overhead and docs serving", &mut || {
            let (r, d) = measure_requests(settings, pinning, &scratch, &fastapi_env, &mut fastapi)?;
            requests = Some(r);
            docs = Some(d);
            Ok(())
        });
    } else if wants("fastapi") {
        fastapi = Err("not run (`--only` left out the request benchmarks)".to_owned());
    }

    let mut instruction_counts = Err("not run (`--only` left it out)".to_owned());
    if wants("instructions") {
        attempt(
            "instructions",
            "Instructions per request (callgrind)",
            &mut || {
                if let Err(reason) = instructions::available() {
                    eprintln!("   skipped: {reason}");
                    instruction_counts = Err(reason);
                    return Ok(());
                }
                let counts = instructions::measure(
                    &[invoices_request(), openapi_request()],
                    &settings.instructions,
                    pinning,
                    &scratch,
                );
                instruction_counts = counts.clone().map_err(|e| format!("failed: {e}"));
                counts.map(drop)
            },
        );
    }

    let mut memory_results = Vec::new();
    if wants("memory") {
        attempt("memory", "Memory", &mut || {
            for variant in [Variant::Ours, Variant::Plain] {
                let server = Server::start_rust(variant, pinning)?;
                memory_results.push(memory::measure(
                    &server,
                    &invoices_request(),
                    &settings.memory,
                    pinning,
                    &scratch,
                )?);
            }
            Ok(())
        });
    }

    let mut delivery_results = None;
    if wants("deliveries") {
        attempt(
            "deliveries",
            "Callback delivery: durable outbox against a bare HTTP client",
            &mut || {
                delivery_results = Some(deliveries::measure(
                    &settings.deliveries,
                    pinning,
                    &scratch,
                )?);
                Ok(())
            },
        );
    }

    let mut isolation_results = None;
    if wants("isolation") {
        attempt(
            "isolation",
            "Isolation: live callbacks beside a destination that never answers",
            &mut || {
                isolation_results = Some(isolation::measure(&settings.isolation, &scratch)?);
                Ok(())
            },
        );
    }

    let mut durable_request_results = None;
    if wants("durable-requests") {
        attempt(
            "durable-requests",
            "Request path with a durable store: POST with a callback against without",
            &mut || {
                durable_request_results = Some(durable_requests::measure(
                    &settings.durable_requests,
                    pinning,
                    &scratch,
                )?);
                Ok(())
            },
        );
    }

    let mut disk_results = None;
    if wants("disk") {
        attempt(
            "disk",
            "Disk: the write-ahead log under load, the database over a soak with retention",
            &mut || {
                disk_results = Some(disk::measure(&settings.disk, pinning, &scratch)?);
                Ok(())
            },
        );
    }

    let mut postgres_results = Err("not run (`--only` left it out)".to_owned());
    if wants("postgres") {
        attempt(
            "postgres",
            "PostgreSQL: dispatcher instances, claims, the outbox in the app's transaction, \
             statements",
            &mut || {
                let url = match &settings.deliveries.database {
                    Ok(url) => url,
                    Err(reason) => {
                        eprintln!("   skipped: {reason}");
                        postgres_results = Err(format!("skipped: {reason}"));
                        return Ok(());
                    }
                };
                let measured = postgres::measure(&settings.postgres, url, pinning, &scratch);
                let failures = measured.failures.join("; ");
                postgres_results = Ok(measured);
                if failures.is_empty() {
                    Ok(())
                } else {
                    Err(failures)
                }
            },
        );
    }

    let mut build = None;
    let mut assembly_results = None;
    if wants("build") || wants("assembly") {
        let assembly_ops = settings.assembly_sizes.iter().copied().max().unwrap_or(1);
        let workspace = Workspace::write(&project, settings.build_operations, assembly_ops)?;
        if wants("build") {
            let title = format!("Build time ({} operations)", settings.build_operations);
            attempt("build", &title, &mut || {
                build = Some(build_time::measure(
                    &workspace,
                    settings.build_operations,
                    settings.build_rounds,
                )?);
                Ok(())
            });
        }
        if wants("assembly") {
            attempt("assembly", "Assembly", &mut || {
                assembly_results = Some(assembly::measure(
                    &workspace,
                    &settings.assembly_sizes,
                    settings.assembly_repeats,
                    settings.assembly_profile,
                )?);
                Ok(())
            });
        }
    }

    let mut cold_results = None;
    if wants("cold-build") {
        attempt(
            "cold-build",
            "Cold build of a one-endpoint app, from an empty target folder",
            &mut || {
                cold_results = Some(cold_build::measure(&project, &settings.cold_build)?);
                Ok(())
            },
        );
    }

    let mut sizes_results = None;
    if wants("sizes") {
        attempt("sizes", "Binary size per docs feature set", &mut || {
            sizes_results = Some(binary_size::measure(
                &project,
                &settings.size_sets,
                settings.size_profile,
            )?);
            Ok(())
        });
    }

    let (report_dir, chart_path, chart_link) = if settings.smoke || run.partial {
        let dir = project.join("target").join(if settings.smoke {
            "bench-smoke"
        } else {
            "bench-partial"
        });
        (dir.clone(), dir.join("chart.svg"), "chart.svg".to_owned())
    } else {
        (
            project.clone(),
            project.join("bench").join("chart.svg"),
            "bench/chart.svg".to_owned(),
        )
    };
    if let Some(sizes) = &sizes_results {
        let sizes_run = report::SizesRun {
            command: &run.command,
            smoke: settings.smoke,
            machine: &machine,
        };
        write_sizes(&report::render_sizes(&sizes_run, sizes), &report_dir)?;
    }
    let results = Results {
        command: run.command.clone(),
        smoke: settings.smoke,
        machine,
        pinning: pinning.describe(),
        minutes: started.elapsed().as_secs_f64() / 60.0,
        settings: settings.describe(),
        requests,
        docs,
        fastapi,
        instructions: instruction_counts,
        memory: memory_results,
        build,
        cold_build: cold_results,
        assembly: assembly_results,
        deliveries: delivery_results,
        isolation: isolation_results,
        durable_requests: durable_request_results,
        disk: disk_results,
        postgres: postgres_results,
        plan: settings.plan(),
        noise,
        failures: failures.clone(),
        chart: chart_link,
    };
    write_outputs(&results, &report_dir, &chart_path)?;
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} part(s) failed:\n  {}",
            failures.len(),
            failures.join("\n  ")
        ))
    }
}

/// `bench sizes`: the binary-size block of `BENCHMARKS.md`, alone.
fn sizes() -> Result<(), String> {
    let project = project_root();
    let machine = Machine::describe(&project);
    let profile = if cfg!(debug_assertions) {
        ""
    } else {
        " --release"
    };
    let command = format!("cargo run{profile} -p bench -- sizes");
    eprintln!("== Binary size per docs feature set");
    let sizes = binary_size::measure(&project, &binary_size::ALL_SETS, Profile::Release)?;
    let run = report::SizesRun {
        command: &command,
        smoke: false,
        machine: &machine,
    };
    write_sizes(&report::render_sizes(&run, &sizes), &project)
}

fn write_sizes(block: &str, report_dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(report_dir)
        .map_err(|e| format!("creating {}: {e}", report_dir.display()))?;
    let report_path = report_dir.join("BENCHMARKS.md");
    let existing = std::fs::read_to_string(&report_path).ok();
    std::fs::write(
        &report_path,
        report::update_sizes(existing.as_deref(), block),
    )
    .map_err(|e| format!("writing {}: {e}", report_path.display()))?;
    eprintln!("Wrote the binary-size block of {}", report_path.display());
    Ok(())
}

/// `bench readme`: the README's verdicts block from `BENCHMARKS.md` as it
/// stands.
fn readme() -> Result<(), String> {
    let project = project_root();
    let path = project.join("BENCHMARKS.md");
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    write_readme(&text, &project.join("README.md"))
}

/// The verdicts block of the README at `path` (the project's README when
/// `path` does not exist yet: a smoke or partial run writes a copy beside
/// its report) from `benchmarks`, the text of `BENCHMARKS.md`.
fn write_readme(benchmarks: &str, path: &Path) -> Result<(), String> {
    let block = report::readme::block(benchmarks)
        .ok_or("BENCHMARKS.md has no generated block with a verdicts table")?;
    let source = if path.exists() {
        path.to_path_buf()
    } else {
        project_root().join("README.md")
    };
    let readme = std::fs::read_to_string(&source)
        .map_err(|e| format!("reading {}: {e}", source.display()))?;
    std::fs::write(path, report::readme::update(&readme, &block))
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("Wrote the verdicts block of {}", path.display());
    Ok(())
}

/// Throughput of `POST /invoices/` and `GET /openapi.json` on ours, plain
/// and, when it starts, FastAPI.
fn measure_requests(
    settings: &Settings,
    pinning: Pinning,
    scratch: &Path,
    fastapi_env: &Result<fastapi::Environment, String>,
    fastapi: &mut Result<String, String>,
) -> Result<(throughput::Throughput, throughput::Throughput), String> {
    let mut servers = vec![
        Server::start_rust(Variant::Ours, pinning)?,
        Server::start_rust(Variant::Plain, pinning)?,
    ];
    if let Ok(env) = fastapi_env {
        match env.start(pinning, &scratch.join("uvicorn.log")) {
            Ok(server) => servers.push(server),
            Err(reason) => *fastapi = Err(reason),
        }
    }
    check_answers(&servers)?;
    let servers: Vec<&Server> = servers.iter().collect();
    eprintln!("  POST {INVOICES_TARGET}");
    let requests = throughput::measure(
        &servers,
        &invoices_request(),
        &settings.throughput,
        pinning,
        scratch,
    )?;
    eprintln!("  GET /openapi.json");
    let docs = throughput::measure(
        &servers,
        &openapi_request(),
        &settings.throughput,
        pinning,
        scratch,
    )?;
    Ok((requests, docs))
}

fn write_outputs(results: &Results, report_dir: &Path, chart_path: &Path) -> Result<(), String> {
    std::fs::create_dir_all(report_dir)
        .map_err(|e| format!("creating {}: {e}", report_dir.display()))?;
    let report_path = report_dir.join("BENCHMARKS.md");
    let existing = std::fs::read_to_string(&report_path).ok();
    let text = report::update(existing.as_deref(), &report::render(results));
    std::fs::write(&report_path, &text)
        .map_err(|e| format!("writing {}: {e}", report_path.display()))?;
    write_readme(&text, &report_dir.join("README.md"))?;
    std::fs::write(chart_path, chart::render(results))
        .map_err(|e| format!("writing {}: {e}", chart_path.display()))?;
    eprintln!("\n== Results ({:.1} min)", results.minutes);
    for verdict in results.verdicts() {
        let met = match verdict.met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "-",
        };
        eprintln!(
            "  {:<62} {:>26}  target {:<14} {met}",
            verdict.name.replace('`', ""),
            verdict.measured,
            verdict.target
        );
    }
    eprintln!(
        "\nWrote {} and {}",
        report_path.display(),
        chart_path.display()
    );
    Ok(())
}

fn invoices_request() -> Request {
    Request {
        method: "POST",
        target: INVOICES_TARGET.to_owned(),
        json_body: Some(BODY.to_owned()),
    }
}

fn openapi_request() -> Request {
    Request {
        method: "GET",
        target: "/openapi.json".to_owned(),
        json_body: None,
    }
}

/// Every server answers the invoice with the same body; ours and plain
/// serve the same document bytes.
fn check_answers(servers: &[Server]) -> Result<(), String> {
    let mut documents = Vec::new();
    for server in servers {
        let answer = http::send(server.addr, &invoices_request())?;
        if answer.status != 200 || answer.body != EXPECTED_ANSWER.as_bytes() {
            return Err(format!(
                "{} answered the invoice with {} {:?}",
                server.name,
                answer.status,
                String::from_utf8_lossy(&answer.body)
            ));
        }
        let document = http::send(server.addr, &openapi_request())?;
        let json = document
            .content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("application/json"));
        if document.status != 200 || !json {
            return Err(format!(
                "{} answered /openapi.json with {} ({:?})",
                server.name, document.status, document.content_type
            ));
        }
        documents.push((server.name.as_str(), document.body));
    }
    let body = |name: &str| {
        documents
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| b.as_slice())
    };
    if body("ours") != body("plain") || body("ours") != Some(app::document_bytes().as_slice()) {
        return Err("ours and plain serve different documents".to_owned());
    }
    if let Some(fastapi) = servers.iter().find(|s| s.name == "fastapi") {
        check_fastapi_delivery(fastapi)?;
    }
    Ok(())
}

/// The FastAPI reference queued, for the invoice just sent, the delivery
/// plain builds by hand: the same URL and body.
fn check_fastapi_delivery(server: &Server) -> Result<(), String> {
    let answer = http::send(
        server.addr,
        &Request {
            method: "GET",
            target: "/__bench/last-delivery".to_owned(),
            json_body: None,
        },
    )?;
    let last: serde_json::Value = serde_json::from_slice(&answer.body)
        .map_err(|e| format!("fastapi's last delivery is not JSON: {e}"))?;
    let callback_url = url::Url::parse("https://example.com/cb").expect("a URL");
    let expected = app::plain_notification(&callback_url, "inv-1");
    let field = |name: &str| last.get(name).and_then(serde_json::Value::as_str);
    if answer.status != 200
        || field("url") != Some(expected.url.as_str())
        || field("body") != Some(expected.body.as_str())
    {
        return Err(format!(
            "fastapi queued {last} for the invoice, not the delivery plain builds ({} {})",
            expected.url, expected.body
        ));
    }
    Ok(())
}

/// A part of the run: how long it took and how busy other processes kept
/// the machine meanwhile.
struct Part {
    name: &'static str,
    started: Instant,
    cpu: Option<CpuSample>,
}

impl Part {
    fn start(name: &'static str, title: &str) -> Self {
        eprintln!("== {title}");
        Part {
            name,
            started: Instant::now(),
            cpu: CpuSample::now(),
        }
    }

    /// Call once every child process of the part has exited.
    fn finish(self, noise: &mut Vec<(String, f64)>) {
        let others = self
            .cpu
            .zip(CpuSample::now())
            .map(|(start, end)| end.others_since(&start));
        eprintln!(
            "   {} took {:.0} s; other processes kept {} cores busy",
            self.name,
            self.started.elapsed().as_secs_f64(),
            others.map_or_else(|| "?".to_owned(), |cores| format!("{cores:.2}"))
        );
        if let Some(cores) = others {
            noise.push((self.name.to_owned(), cores));
        }
    }
}
