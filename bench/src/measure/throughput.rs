//! Request throughput of several servers on one endpoint, in alternating
//! rounds: each round loads every server once, in an order that rotates
//! from round to round, so that drift in the machine's speed falls on all
//! of them alike.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::http::Request;
use crate::load::{self, Load, Run};
use crate::machine::CpuSample;
use crate::server::{Pinning, Server};
use crate::stats;

/// One `wrk` run and what the machine did meanwhile.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub run: Run,
    /// Time the loaded server's threads spent on a CPU.
    pub server_cpu_ns: u64,
    /// Time they were runnable but waited for a CPU.
    pub server_waiting_ns: u64,
    /// Cores other processes (not this harness, its servers or wrk) used.
    pub others_cores: f64,
}

/// One endpoint's runs, per server (or subject) and round.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub endpoint: String,
    /// Server names, in the order of `samples`.
    pub servers: Vec<String>,
    /// `samples[server][round]`, accepted rounds only.
    pub samples: Vec<Vec<Sample>>,
    /// Requests answered in every run of each subject, warm-ups and rounds
    /// run again included: what the load generator saw of the server.
    pub answered: Vec<u64>,
    /// Rounds run again because other processes were busy during them.
    pub discarded: usize,
    /// Accepted rounds during which other processes were busy all the same
    /// (the retries ran out).
    pub noisy: usize,
}

impl Sample {
    /// Requests answered per second the server spent on a CPU: throughput
    /// with the time other processes took from the server's core removed.
    pub fn requests_per_cpu_second(&self) -> f64 {
        self.run.requests as f64 / (self.server_cpu_ns.max(1) as f64 / 1e9)
    }

    /// The share of the run the server spent on a CPU.
    pub fn server_cores(&self) -> f64 {
        self.server_cpu_ns as f64 / (self.run.duration_us.max(1) as f64 * 1e3)
    }
}

impl Throughput {
    fn index(&self, server: &str) -> Option<usize> {
        self.servers.iter().position(|name| name == server)
    }

    pub fn rps(&self, server: &str) -> Option<Vec<f64>> {
        let samples = &self.samples[self.index(server)?];
        Some(
            samples
                .iter()
                .map(|s| s.run.requests_per_second())
                .collect(),
        )
    }

    /// Round-by-round ratios `a / b` of requests per second.
    pub fn ratios(&self, a: &str, b: &str) -> Option<Vec<f64>> {
        Some(stats::paired_ratios(&self.rps(a)?, &self.rps(b)?))
    }

    fn per_cpu_second(&self, server: &str) -> Option<Vec<f64>> {
        let samples = &self.samples[self.index(server)?];
        Some(
            samples
                .iter()
                .map(Sample::requests_per_cpu_second)
                .collect(),
        )
    }

    /// Round-by-round ratios `a / b` of requests per server CPU-second.
    pub fn cpu_ratios(&self, a: &str, b: &str) -> Option<Vec<f64>> {
        Some(stats::paired_ratios(
            &self.per_cpu_second(a)?,
            &self.per_cpu_second(b)?,
        ))
    }

    pub fn median_of(&self, server: &str, pick: fn(&Sample) -> f64) -> Option<f64> {
        let samples = &self.samples[self.index(server)?];
        let values: Vec<f64> = samples.iter().map(pick).collect();
        Some(stats::median(&values))
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub rounds: usize,
    pub seconds: u64,
    pub warmup_seconds: u64,
    pub connections: u32,
    /// A round during which other processes kept more cores than this busy
    /// is run again (up to twice the rounds in retries).
    pub noise_limit: f64,
}

/// One thing the rounds load: a server and the request it is loaded with.
pub struct Subject<'a> {
    /// The name the samples go under (a server's, or what the request
    /// does).
    pub name: String,
    pub server: &'a Server,
    pub request: Request,
    /// Give every request an invoice id of its own (`{id}` in the body),
    /// for servers that refuse a duplicate.
    pub fresh_ids: bool,
}

/// What the rounds watch besides the subjects.
#[derive(Default)]
pub struct Watch<'a> {
    /// Processes whose CPU time is part of the work (a receiver): not
    /// counted as other processes'.
    pub helpers: Vec<u32>,
    /// Whether the local PostgreSQL server's CPU time is part of the work.
    pub postgres: bool,
    /// Called before every run, warm-ups included (e.g. to wait until a
    /// server's dispatcher has nothing left to do).
    pub before_run: Option<&'a mut dyn FnMut() -> Result<(), String>>,
}

/// Loads each server with `request`, in alternating rounds.
pub fn measure(
    servers: &[&Server],
    request: &Request,
    settings: &Settings,
    pinning: Pinning,
    scripts: &Path,
) -> Result<Throughput, String> {
    let subjects: Vec<Subject> = servers
        .iter()
        .map(|server| Subject {
            name: server.name.clone(),
            server,
            request: request.clone(),
            fresh_ids: false,
        })
        .collect();
    measure_subjects(
        &format!("{} {}", request.method, request.target),
        &subjects,
        settings,
        pinning,
        scripts,
        Watch::default(),
    )
}

/// Runs of fresh-id loads so far, so that no two share a prefix.
static FRESH_RUNS: AtomicU64 = AtomicU64::new(0);

/// Loads each subject in alternating rounds; `endpoint` names what they
/// have in common, for the report.
pub fn measure_subjects(
    endpoint: &str,
    subjects: &[Subject],
    settings: &Settings,
    pinning: Pinning,
    scripts: &Path,
    mut watch: Watch,
) -> Result<Throughput, String> {
    let mut answered = vec![0_u64; subjects.len()];
    let mut run = |index: usize, seconds: u64, watch: &mut Watch| -> Result<Run, String> {
        if let Some(before) = watch.before_run.as_mut() {
            before()?;
        }
        let subject = &subjects[index];
        let ids = subject.fresh_ids.then(|| {
            format!(
                "b{}r{}",
                std::process::id(),
                FRESH_RUNS.fetch_add(1, Ordering::Relaxed)
            )
        });
        let load = Load {
            ids,
            ..Load::timed(
                subject.request.clone(),
                settings.connections,
                Duration::from_secs(seconds),
                pinning.load,
            )
        };
        let result = load::run(subject.server.addr, &load, scripts)?;
        answered[index] += result.requests;
        Ok(result)
    };
    for index in 0..subjects.len() {
        run(index, settings.warmup_seconds, &mut watch)?;
    }
    let mut pids: Vec<u32> = subjects.iter().map(|s| s.server.pid()).collect();
    pids.sort_unstable();
    pids.dedup();
    pids.extend(&watch.helpers);
    let postgres = watch.postgres;
    let sample = |pids: &[u32]| {
        if postgres {
            CpuSample::with_postgres(pids)
        } else {
            CpuSample::with_live(pids)
        }
    };
    let mut samples = vec![Vec::with_capacity(settings.rounds); subjects.len()];
    let (mut accepted, mut discarded, mut noisy) = (0, 0, 0);
    let budget = settings.rounds * 3;
    for attempt in 0..budget {
        if accepted == settings.rounds {
            break;
        }
        let mut round = Vec::with_capacity(subjects.len());
        for step in 0..subjects.len() {
            let index = (attempt + step) % subjects.len();
            let server = subjects[index].server;
            let before = sample(&pids);
            let sched_before = server.schedstat().unwrap_or_default();
            let result = run(index, settings.seconds, &mut watch)?;
            let sched_after = server.schedstat().unwrap_or_default();
            let after = sample(&pids);
            let others_cores = match (&before, &after) {
                (Some(before), Some(after)) => after.others_since(before),
                _ => 0.0,
            };
            round.push((
                index,
                Sample {
                    run: result,
                    server_cpu_ns: sched_after.on_cpu_ns.saturating_sub(sched_before.on_cpu_ns),
                    server_waiting_ns: sched_after
                        .waiting_ns
                        .saturating_sub(sched_before.waiting_ns),
                    others_cores,
                },
            ));
        }
        let busiest = round
            .iter()
            .map(|(_, sample)| sample.others_cores)
            .fold(0.0, f64::max);
        let quiet = busiest <= settings.noise_limit;
        let retries_left = budget - attempt > settings.rounds - accepted;
        let summary: Vec<String> = round
            .iter()
            .map(|(index, sample)| {
                format!(
                    "{} {:.0}",
                    subjects[*index].name,
                    sample.run.requests_per_second()
                )
            })
            .collect();
        if !quiet && retries_left {
            discarded += 1;
            eprintln!(
                "    round run again: other processes kept {busiest:.2} cores busy ({})",
                summary.join(", ")
            );
            continue;
        }
        accepted += 1;
        noisy += usize::from(!quiet);
        eprintln!(
            "    round {accepted}/{}: {} req/s{}",
            settings.rounds,
            summary.join(", "),
            if quiet { "" } else { " (noisy, kept)" }
        );
        for (index, sample) in round {
            samples[index].push(sample);
        }
    }
    Ok(Throughput {
        endpoint: endpoint.to_owned(),
        servers: subjects.iter().map(|s| s.name.clone()).collect(),
        samples,
        answered,
        discarded,
        noisy,
    })
}
