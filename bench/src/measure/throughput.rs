//! Request throughput of several servers on one endpoint, in alternating
//! rounds: each round loads every server once, in an order that rotates
//! from round to round, so that drift in the machine's speed falls on all
//! of them alike.

use std::path::Path;
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

/// One endpoint's runs, per server and round.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub endpoint: String,
    /// Server names, in the order of `samples`.
    pub servers: Vec<String>,
    /// `samples[server][round]`, accepted rounds only.
    pub samples: Vec<Vec<Sample>>,
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

pub struct Settings {
    pub rounds: usize,
    pub seconds: u64,
    pub warmup_seconds: u64,
    pub connections: u32,
    /// A round during which other processes kept more cores than this busy
    /// is run again (up to twice the rounds in retries).
    pub noise_limit: f64,
}

pub fn measure(
    servers: &[&Server],
    request: &Request,
    settings: &Settings,
    pinning: Pinning,
    scripts: &Path,
) -> Result<Throughput, String> {
    let load = |seconds: u64| Load {
        request: request.clone(),
        connections: settings.connections,
        duration: Duration::from_secs(seconds),
        stop_after: None,
        core: pinning.load,
    };
    for server in servers {
        load::run(server.addr, &load(settings.warmup_seconds), scripts)?;
    }
    let pids: Vec<u32> = servers.iter().map(|server| server.pid()).collect();
    let mut samples = vec![Vec::with_capacity(settings.rounds); servers.len()];
    let (mut accepted, mut discarded, mut noisy) = (0, 0, 0);
    let budget = settings.rounds * 3;
    for attempt in 0..budget {
        if accepted == settings.rounds {
            break;
        }
        let mut round = Vec::with_capacity(servers.len());
        for step in 0..servers.len() {
            let index = (attempt + step) % servers.len();
            let before = CpuSample::with_live(&pids);
            let sched_before = servers[index].schedstat().unwrap_or_default();
            let run = load::run(servers[index].addr, &load(settings.seconds), scripts)?;
            let sched_after = servers[index].schedstat().unwrap_or_default();
            let after = CpuSample::with_live(&pids);
            let others_cores = match (&before, &after) {
                (Some(before), Some(after)) => after.others_since(before),
                _ => 0.0,
            };
            round.push((
                index,
                Sample {
                    run,
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
                    servers[*index].name,
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
        endpoint: format!("{} {}", request.method, request.target),
        servers: servers.iter().map(|server| server.name.clone()).collect(),
        samples,
        discarded,
        noisy,
    })
}
