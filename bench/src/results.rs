//! What one run measured, and how it stands against the targets.

use crate::format::thousands;
use crate::machine::Machine;
use crate::measure::assembly::Assembly;
use crate::measure::build_time::BuildTimes;
use crate::measure::deliveries::{Deliveries, PRODUCERS};
use crate::measure::disk::{Disk, FLAT_LIMIT, WAL_LIMIT};
use crate::measure::durable_requests::DurableRequests;
use crate::measure::instructions::Count;
use crate::measure::isolation::Isolation;
use crate::measure::memory::MemoryGrowth;
use crate::measure::postgres::Postgres;
use crate::measure::throughput::Throughput;
use crate::stats;

/// Everything one run measured.
pub struct Results {
    pub command: String,
    pub smoke: bool,
    pub machine: Machine,
    pub pinning: String,
    pub minutes: f64,
    pub settings: Vec<(String, String)>,
    pub requests: Option<Throughput>,
    pub docs: Option<Throughput>,
    /// The FastAPI versions, or why it was skipped.
    pub fastapi: Result<String, String>,
    /// Instructions per request, or why they were not counted.
    pub instructions: Result<Vec<Count>, String>,
    pub memory: Vec<MemoryGrowth>,
    pub build: Option<BuildTimes>,
    pub assembly: Option<Vec<Assembly>>,
    pub deliveries: Option<Deliveries>,
    pub isolation: Option<Isolation>,
    pub durable_requests: Option<DurableRequests>,
    pub disk: Option<Disk>,
    /// The PostgreSQL part, or why it did not run.
    pub postgres: Result<Postgres, String>,
    /// The sizes the criteria's rows name, whether or not their parts ran.
    pub plan: Plan,
    /// Cores kept busy by other processes during each part, on average.
    pub noise: Vec<(String, f64)>,
    /// Parts that failed, with their errors.
    pub failures: Vec<String>,
    pub chart: String,
}

/// The sizes the criteria's rows name.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Live callbacks per isolation run.
    pub isolation: Vec<u64>,
    /// Connections of the durable request runs.
    pub connections: u32,
    pub wal_seconds: u64,
    pub soak_seconds: u64,
    pub retention_seconds: u64,
    /// How long the slow receiver takes per callback, in milliseconds.
    pub receiver_delay_ms: u64,
}

/// A target and whether the run met it.
pub struct Verdict {
    pub name: String,
    pub target: &'static str,
    pub measured: String,
    pub met: Option<bool>,
}

pub const REQUEST_TARGET: f64 = 0.97;
pub const DOCS_TARGET: f64 = 0.9;
pub const BUILD_TARGET: f64 = 1.2;
pub const MEMORY_TARGET: f64 = 1.1;
pub const ASSEMBLY_TARGET_MS: f64 = 1000.0;
/// Durable deliveries per second over a bare client's, at least.
pub const DELIVERY_TARGET: f64 = 0.5;
/// Deliveries per second with 3 dispatcher instances on one PostgreSQL
/// database over 1 instance's, at least.
pub const INSTANCES_TARGET: f64 = 2.5;
/// A `POST` queuing its callback over the same `POST` without one (SQLite),
/// or over the same `POST` inserting the row only (PostgreSQL), at least.
pub const QUEUEING_REQUEST_TARGET: f64 = 0.5;
/// The p99 of `Outbox::enqueue` with 64 producers, at most, in
/// milliseconds.
pub const ENQUEUE_P99_TARGET_MS: f64 = 5.0;
/// PostgreSQL CPU time per delivery with 3 instances over 1, at most.
pub const POSTGRES_CPU_TARGET: f64 = 1.1;
/// Statements outside the app's transactions per delivery, at most.
pub const STATEMENTS_TARGET: f64 = 0.1;

impl Results {
    pub fn request_ratio(&self) -> Option<f64> {
        self.requests
            .as_ref()?
            .ratios("ours", "plain")
            .map(|r| stats::median(&r))
    }

    pub fn docs_ratio(&self) -> Option<f64> {
        self.docs
            .as_ref()?
            .ratios("ours", "plain")
            .map(|r| stats::median(&r))
    }

    /// Plain / ours in instructions per request on `endpoint` (starting
    /// with the method): the throughput ratio on an otherwise idle core.
    pub fn instruction_ratio(&self, endpoint: &str) -> Option<f64> {
        let counts = self.instructions.as_ref().ok()?;
        let per_request = |server: &str| {
            counts
                .iter()
                .find(|c| c.server == server && c.endpoint.starts_with(endpoint))
                .map(Count::per_request)
        };
        Some(per_request("plain")? / per_request("ours")?)
    }

    /// Ours / plain in requests per server CPU-second.
    pub fn request_cpu_ratio(&self) -> Option<f64> {
        self.requests
            .as_ref()?
            .cpu_ratios("ours", "plain")
            .map(|r| stats::median(&r))
    }

    /// Ours / plain in requests per server CPU-second.
    pub fn docs_cpu_ratio(&self) -> Option<f64> {
        self.docs
            .as_ref()?
            .cpu_ratios("ours", "plain")
            .map(|r| stats::median(&r))
    }

    /// Durable / bare in deliveries per second, the median of the rounds.
    pub fn delivery_ratio(&self) -> Option<f64> {
        self.deliveries
            .as_ref()
            .filter(|d| !d.rounds.is_empty())
            .map(Deliveries::ratio)
    }

    /// 3 instances / 1 instance, in deliveries per second, with the slow
    /// receiver.
    pub fn instances_ratio(&self) -> Option<f64> {
        self.postgres.as_ref().ok()?.slow_scaling()
    }

    pub fn memory_ratio(&self, server: &str) -> Option<f64> {
        self.memory
            .iter()
            .find(|m| m.server == server)
            .map(MemoryGrowth::peak_ratio)
    }

    pub fn verdicts(&self) -> Vec<Verdict> {
        let mut verdicts = self.framework_verdicts();
        verdicts.extend(self.delivery_verdicts());
        let ratio = |value: Option<f64>, ok: fn(f64) -> bool| {
            (
                value.map_or_else(|| "not measured".to_owned(), |v| format!("{v:.3}")),
                value.map(ok),
            )
        };
        let (measured, met) = ratio(self.memory_ratio("ours"), |v| v <= MEMORY_TARGET);
        verdicts.push(Verdict {
            name: "Peak RSS after many requests / after few (ours)".to_owned(),
            target: "flat (≤ 1.10)",
            measured,
            met,
        });
        verdicts
    }

    fn framework_verdicts(&self) -> Vec<Verdict> {
        let mut verdicts = Vec::new();
        let ratio = |value: Option<f64>, ok: fn(f64) -> bool| {
            (
                value.map_or_else(|| "not measured".to_owned(), |v| format!("{v:.3}")),
                value.map(ok),
            )
        };
        let (measured, met) = ratio(self.request_ratio(), |v| v >= REQUEST_TARGET);
        verdicts.push(Verdict {
            name: "Request throughput, ours / plain actix-web".to_owned(),
            target: "≥ 0.97",
            measured,
            met,
        });
        let (measured, met) = ratio(self.request_cpu_ratio(), |v| v >= REQUEST_TARGET);
        verdicts.push(Verdict {
            name: "Requests per server CPU-second, ours / plain actix-web".to_owned(),
            target: "≥ 0.97",
            measured,
            met,
        });
        let (measured, met) = ratio(self.instruction_ratio("POST"), |v| v >= REQUEST_TARGET);
        verdicts.push(Verdict {
            name: "Instructions per request, plain / ours (callgrind)".to_owned(),
            target: "≥ 0.97",
            measured,
            met,
        });
        let (measured, met) = ratio(self.docs_ratio(), |v| v >= DOCS_TARGET);
        verdicts.push(Verdict {
            name: "`/openapi.json` throughput, ours / static bytes".to_owned(),
            target: "≥ 0.9",
            measured,
            met,
        });
        let (measured, met) = ratio(self.docs_cpu_ratio(), |v| v >= DOCS_TARGET);
        verdicts.push(Verdict {
            name: "`/openapi.json` per server CPU-second, ours / static bytes".to_owned(),
            target: "≥ 0.9",
            measured,
            met,
        });
        let (measured, met) = ratio(self.instruction_ratio("GET"), |v| v >= DOCS_TARGET);
        verdicts.push(Verdict {
            name: "`/openapi.json` instructions per request, static bytes / ours".to_owned(),
            target: "≥ 0.9",
            measured,
            met,
        });
        let build = self.build.as_ref();
        let (measured, met) = ratio(build.map(BuildTimes::clean_ratio), |v| v <= BUILD_TARGET);
        verdicts.push(Verdict {
            name: "Clean build of the crate, ours / plain".to_owned(),
            target: "≤ 1.2",
            measured,
            met,
        });
        let (measured, met) = ratio(build.map(BuildTimes::incremental_ratio), |v| {
            v <= BUILD_TARGET
        });
        verdicts.push(Verdict {
            name: "Incremental rebuild, ours / plain".to_owned(),
            target: "≤ 1.2",
            measured,
            met,
        });
        let (measured, met) = ratio(build.map(BuildTimes::clean_vs_utoipa), |v| v < 1.0);
        verdicts.push(Verdict {
            name: "Clean build of the crate, ours / utoipa 5".to_owned(),
            target: "< 1",
            measured,
            met,
        });
        let (measured, met) = ratio(build.map(BuildTimes::incremental_vs_utoipa), |v| v < 1.0);
        verdicts.push(Verdict {
            name: "Incremental rebuild, ours / utoipa 5".to_owned(),
            target: "< 1",
            measured,
            met,
        });
        let largest = self
            .assembly
            .as_ref()
            .and_then(|sizes| sizes.iter().max_by_key(|a| a.operations));
        verdicts.push(Verdict {
            name: "`Api::build()` of the largest API".to_owned(),
            target: "< 1 s",
            measured: largest.map_or_else(
                || "not measured".to_owned(),
                |a| format!("{:.1} ms ({} operations)", a.median_ms(), a.operations),
            ),
            met: largest.map(|a| a.median_ms() < ASSEMBLY_TARGET_MS),
        });
        // The criterion fixed before the first measurement: the slope over
        // every size measured.
        let slope = self.assembly_slope();
        verdicts.push(Verdict {
            name: "Growth of `Api::build()` time over all sizes (log-log slope)".to_owned(),
            target: "linear (≈ 1)",
            measured: slope.map_or_else(|| "not measured".to_owned(), |s| format!("{s:.2}")),
            met: slope.map(|s| s <= 1.15),
        });
        verdicts
    }

    /// The delivery criteria, in the order of issue 15.
    fn delivery_verdicts(&self) -> Vec<Verdict> {
        let mut verdicts = Vec::new();
        let not_measured = || ("not measured".to_owned(), None);
        let ratio = |value: Option<f64>, ok: &dyn Fn(f64) -> bool| match value {
            Some(v) => (format!("{v:.3}"), Some(ok(v))),
            None => not_measured(),
        };
        let plan = &self.plan;
        for &live in &plan.isolation {
            let run = self
                .isolation
                .as_ref()
                .and_then(|i| i.runs.iter().find(|r| r.live == live));
            let (measured, met) = match (run, &self.isolation) {
                (Some(run), Some(isolation)) => (
                    match run.after_last_post {
                        Some(s) => format!("{:.3} s", s.max(0.0)),
                        None => format!(
                            "{} of {} in {} s",
                            run.received,
                            run.live,
                            isolation.wait.as_secs()
                        ),
                    },
                    Some(run.met(isolation.deadline)),
                ),
                _ => not_measured(),
            };
            verdicts.push(Verdict {
                name: format!(
                    "Isolation: all {} live callbacks, queued beside {} to a server that never \
                     answers, arrived after the last `POST` within",
                    thousands(live as f64),
                    thousands(live as f64)
                ),
                target: "≤ 5 s",
                measured,
                met,
            });
        }
        let (measured, met) = ratio(
            self.durable_requests
                .as_ref()
                .and_then(|d| d.refused.ratio()),
            &|v| v >= QUEUEING_REQUEST_TARGET,
        );
        verdicts.push(Verdict {
            name: format!(
                "`POST /invoices/` with a callback / without (SQLite, synchronous FULL, callback \
                 refused by the guard, {} connections)",
                plan.connections
            ),
            target: "≥ 0.5",
            measured,
            met,
        });
        let (measured, met) = ratio(self.delivery_ratio(), &|v| v >= DELIVERY_TARGET);
        verdicts.push(Verdict {
            name: format!(
                "Delivery throughput, durable SQLite outbox with {PRODUCERS} concurrent \
                 producers / bare HTTP client"
            ),
            target: "≥ 0.5",
            measured,
            met,
        });
        let p99 = self
            .deliveries
            .as_ref()
            .map(|d| d.concurrent.p99_us / 1000.0);
        verdicts.push(Verdict {
            name: format!(
                "`Outbox::enqueue` p99, {PRODUCERS} concurrent producers, dispatcher sending \
                 (SQLite)"
            ),
            target: "≤ 5 ms",
            measured: p99.map_or_else(|| "not measured".to_owned(), |ms| format!("{ms:.2} ms")),
            met: p99.map(|ms| ms <= ENQUEUE_P99_TARGET_MS),
        });
        let wal = self.disk.as_ref().map(|d| d.wal.max_under_load);
        verdicts.push(Verdict {
            name: format!(
                "SQLite write-ahead log, largest during {} s of sustained load",
                plan.wal_seconds
            ),
            target: "≤ 64 MiB",
            measured: wal.map_or_else(
                || "not measured".to_owned(),
                |b| format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
            ),
            met: wal.map(|b| b <= WAL_LIMIT),
        });
        let (measured, met) = ratio(self.disk.as_ref().map(|d| d.soak.growth()), &|v| {
            v <= FLAT_LIMIT
        });
        verdicts.push(Verdict {
            name: format!(
                "SQLite database file over a {}-second soak with {} s retention: largest in \
                 the second half / size at the middle",
                plan.soak_seconds, plan.retention_seconds
            ),
            target: "flat (≤ 1.05)",
            measured,
            met,
        });
        let postgres = self.postgres.as_ref().ok();
        let (measured, met) = ratio(self.instances_ratio(), &|v| v >= INSTANCES_TARGET);
        verdicts.push(Verdict {
            name: format!(
                "Deliveries per second, 3 dispatcher instances / 1 on one PostgreSQL, receiver \
                 taking {} ms per callback",
                plan.receiver_delay_ms
            ),
            target: "≥ 2.5",
            measured,
            met,
        });
        let (measured, met) = ratio(postgres.and_then(Postgres::cpu_scaling), &|v| {
            v <= POSTGRES_CPU_TARGET
        });
        verdicts.push(Verdict {
            name: format!(
                "PostgreSQL CPU-seconds per 1,000 deliveries, 3 instances / 1 (receiver taking \
                 {} ms)",
                plan.receiver_delay_ms
            ),
            target: "≤ 1.1",
            measured,
            met,
        });
        let (measured, met) = match postgres.map(|p| &p.statements) {
            Some(Ok(statements)) => ratio(statements.per_delivery(), &|v| v <= STATEMENTS_TARGET),
            Some(Err(reason)) => (format!("skipped: {reason}"), None),
            None => not_measured(),
        };
        verdicts.push(Verdict {
            name: "PostgreSQL statements per delivery outside the app's transaction".to_owned(),
            target: "≤ 0.1",
            measured,
            met,
        });
        let (measured, met) = match postgres.map(|p| &p.requests) {
            Some(Ok(requests)) => ratio(requests.ratio(), &|v| v >= QUEUEING_REQUEST_TARGET),
            Some(Err(reason)) => (format!("skipped: {reason}"), None),
            None => not_measured(),
        };
        verdicts.push(Verdict {
            name: format!(
                "`POST /invoices/` with its callback in the app's transaction / the same \
                   `POST` inserting the row only (PostgreSQL, {} connections)",
                plan.connections
            ),
            target: "≥ 0.5",
            measured,
            met,
        });
        verdicts
    }

    /// The log-log slope of `Api::build()` time over all sizes.
    pub fn assembly_slope(&self) -> Option<f64> {
        self.slope_of(0)
    }

    /// The log-log slope between the two largest sizes: the growth at
    /// scale, where fixed costs no longer count.
    pub fn assembly_slope_at_scale(&self) -> Option<f64> {
        let sizes = self.assembly.as_ref()?;
        self.slope_of(sizes.len().saturating_sub(2))
    }

    fn slope_of(&self, first: usize) -> Option<f64> {
        let sizes = self.assembly.as_ref()?;
        let points: Vec<(f64, f64)> = sizes[first.min(sizes.len())..]
            .iter()
            .map(|a| (a.operations as f64, a.median_ms()))
            .collect();
        (points.len() >= 2).then(|| stats::log_log_slope(&points))
    }
}
