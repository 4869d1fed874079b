//! Request throughput of several servers on one endpoint, in alternating
//! rounds: each round loads every server once, in an order that rotates
//! from round to round, so that drift in the machine's speed falls on all
//! of them alike.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::http::Request;
use crate::load::{self, Load, Run};
use crate::server::{Pinning, Server};
use crate::stats;

/// One endpoint's runs, per server and round.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub endpoint: String,
    /// Server names, in the order of `runs`.
    pub servers: Vec<String>,
    /// `runs[server][round]`.
    pub runs: Vec<Vec<Run>>,
}

impl Throughput {
    pub fn rps(&self, server: &str) -> Option<Vec<f64>> {
        let index = self.servers.iter().position(|name| name == server)?;
        Some(
            self.runs[index]
                .iter()
                .map(Run::requests_per_second)
                .collect(),
        )
    }

    /// Round-by-round ratios `a / b` of requests per second.
    pub fn ratios(&self, a: &str, b: &str) -> Option<Vec<f64>> {
        Some(stats::paired_ratios(&self.rps(a)?, &self.rps(b)?))
    }

    pub fn median_latency_us(&self, server: &str, pick: fn(&Run) -> u64) -> Option<f64> {
        let index = self.servers.iter().position(|name| name == server)?;
        let values: Vec<f64> = self.runs[index]
            .iter()
            .map(|run| pick(run) as f64)
            .collect();
        Some(stats::median(&values))
    }
}

pub struct Settings {
    pub rounds: usize,
    pub seconds: u64,
    pub warmup_seconds: u64,
    pub connections: u32,
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
    let mut runs = vec![Vec::with_capacity(settings.rounds); servers.len()];
    for round in 0..settings.rounds {
        for step in 0..servers.len() {
            let index = (round + step) % servers.len();
            let run = load::run(servers[index].addr, &load(settings.seconds), scripts)?;
            eprintln!(
                "    round {}/{} {:<7} {:>10.0} req/s",
                round + 1,
                settings.rounds,
                servers[index].name,
                run.requests_per_second()
            );
            runs[index].push(run);
        }
    }
    Ok(Throughput {
        endpoint: format!("{} {}", request.method, request.target),
        servers: servers.iter().map(|server| server.name.clone()).collect(),
        runs,
    })
}
