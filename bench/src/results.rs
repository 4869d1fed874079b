//! What one run measured, and how it stands against the targets.

use crate::format::thousands;
use crate::machine::Machine;
use crate::measure::assembly::Assembly;
use crate::measure::build_time::{Build, BuildTimes, Series};
use crate::measure::cold_build::ColdBuilds;
use crate::measure::deliveries::{Deliveries, PRODUCERS};
use crate::measure::disk::{Disk, FLAT_LIMIT, WAL_LIMIT};
use crate::measure::durable_requests::DurableRequests;
use crate::measure::instructions::Count;
use crate::measure::isolation::Isolation;
use crate::measure::memory::MemoryGrowth;
use crate::measure::postgres::Postgres;
use crate::measure::throughput::Throughput;
use crate::stats;
use crate::workspace::ColdApp;

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
    pub cold_build: Option<ColdBuilds>,
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
    /// Operations of the build-time crate.
    pub build_operations: usize,
}

/// A target and whether the run met it.
pub struct Verdict {
    pub name: String,
    /// The threshold as the table shows it.
    pub target: String,
    pub measured: String,
    pub met: Option<bool>,
    /// A unitless ratio and its bound, drawn in the chart.
    pub bar: Option<Bar>,
}

/// A criterion's ratio as the chart draws it.
#[derive(Debug, Clone, Copy)]
pub struct Bar {
    pub label: &'static str,
    pub value: Option<f64>,
    pub bound: Bound,
}

/// The threshold of a criterion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    AtLeast(f64),
    AtMost(f64),
    Below(f64),
}

impl Bound {
    pub fn met(self, value: f64) -> bool {
        match self {
            Bound::AtLeast(limit) => value >= limit,
            Bound::AtMost(limit) => value <= limit,
            Bound::Below(limit) => value < limit,
        }
    }

    pub fn limit(self) -> f64 {
        match self {
            Bound::AtLeast(limit) | Bound::AtMost(limit) | Bound::Below(limit) => limit,
        }
    }

    /// `≥ 0.97`, `≤ 1.2`, `< 1`.
    pub fn describe(self) -> String {
        let sign = match self {
            Bound::AtLeast(_) => "≥",
            Bound::AtMost(_) => "≤",
            Bound::Below(_) => "<",
        };
        format!("{sign} {}", self.limit())
    }
}

impl Verdict {
    /// A criterion on a unitless ratio, drawn in the chart under `label`.
    fn ratio(
        name: impl Into<String>,
        label: &'static str,
        value: Option<f64>,
        bound: Bound,
    ) -> Self {
        Verdict {
            name: name.into(),
            target: bound.describe(),
            measured: value.map_or_else(|| "not measured".to_owned(), |v| format!("{v:.3}")),
            met: value.map(|v| bound.met(v)),
            bar: Some(Bar {
                label,
                value,
                bound,
            }),
        }
    }

    /// A criterion on a figure with a unit (`measured` says it), not drawn.
    fn figure(
        name: impl Into<String>,
        bound: Bound,
        unit: &str,
        value: Option<f64>,
        measured: String,
    ) -> Self {
        Verdict {
            name: name.into(),
            target: format!("{} {unit}", bound.describe()),
            measured,
            met: value.map(|v| bound.met(v)),
            bar: None,
        }
    }
}

pub const REQUEST_TARGET: f64 = 0.97;
pub const DOCS_TARGET: f64 = 0.9;
pub const BUILD_TARGET: f64 = 1.2;
/// Ours over utoipa 5, of the 100-operation crate: below it.
pub const BUILD_UTOIPA_BOUND: Bound = Bound::Below(1.0);
/// The cold build of the docs-only app over utoipa's: at most.
pub const COLD_BUILD_BOUND: Bound = Bound::AtMost(1.0);
pub const MEMORY_TARGET: f64 = 1.1;
pub const ASSEMBLY_TARGET_MS: f64 = 1000.0;
/// The log-log slope of `Api::build()` time over all sizes, at most (1 is
/// linear): the criterion fixed before the first measurement.
pub const ASSEMBLY_SLOPE_LIMIT: f64 = 1.15;
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

    /// Ours docs-only over utoipa 5, cold builds of the one-endpoint app.
    pub fn cold_ratio(&self) -> Option<f64> {
        self.cold_build
            .as_ref()?
            .ratio(ColdApp::DocsOnly, ColdApp::Utoipa)
    }

    pub fn verdicts(&self) -> Vec<Verdict> {
        let mut verdicts = self.framework_verdicts();
        verdicts.extend(self.build_verdicts());
        verdicts.extend(self.delivery_verdicts());
        verdicts.push(Verdict::ratio(
            "Peak RSS after many requests / after few (ours)",
            "Peak RSS growth",
            self.memory_ratio("ours"),
            Bound::AtMost(MEMORY_TARGET),
        ));
        verdicts
    }

    fn framework_verdicts(&self) -> Vec<Verdict> {
        let request = Bound::AtLeast(REQUEST_TARGET);
        let docs = Bound::AtLeast(DOCS_TARGET);
        let mut verdicts = vec![
            Verdict::ratio(
                "Request throughput, ours / plain actix-web",
                "Request throughput",
                self.request_ratio(),
                request,
            ),
            Verdict::ratio(
                "Requests per server CPU-second, ours / plain actix-web",
                "Requests per CPU-second",
                self.request_cpu_ratio(),
                request,
            ),
            Verdict::ratio(
                "Instructions per request, plain / ours (callgrind)",
                "Instructions per request",
                self.instruction_ratio("POST"),
                request,
            ),
            Verdict::ratio(
                "`/openapi.json` throughput, ours / static bytes",
                "/openapi.json throughput",
                self.docs_ratio(),
                docs,
            ),
            Verdict::ratio(
                "`/openapi.json` per server CPU-second, ours / static bytes",
                "/openapi.json per CPU-second",
                self.docs_cpu_ratio(),
                docs,
            ),
            Verdict::ratio(
                "`/openapi.json` instructions per request, static bytes / ours",
                "/openapi.json instructions",
                self.instruction_ratio("GET"),
                docs,
            ),
        ];
        let largest = self
            .assembly
            .as_ref()
            .and_then(|sizes| sizes.iter().max_by_key(|a| a.operations));
        verdicts.push(Verdict::figure(
            "`Api::build()` of the largest API",
            Bound::Below(ASSEMBLY_TARGET_MS / 1000.0),
            "s",
            largest.map(|a| a.median_ms() / 1000.0),
            largest.map_or_else(
                || "not measured".to_owned(),
                |a| format!("{:.1} ms ({} operations)", a.median_ms(), a.operations),
            ),
        ));
        // The criterion fixed before the first measurement: the slope over
        // every size measured.
        let slope = self.assembly_slope();
        let bound = Bound::AtMost(ASSEMBLY_SLOPE_LIMIT);
        verdicts.push(Verdict {
            name: "Growth of `Api::build()` time over all sizes (log-log slope; 1 is linear)"
                .to_owned(),
            target: bound.describe(),
            measured: slope.map_or_else(|| "not measured".to_owned(), |s| format!("{s:.2}")),
            met: slope.map(|s| bound.met(s)),
            bar: None,
        });
        verdicts
    }

    /// Issue 17's build criteria on the generated crate, each edit a row,
    /// and issue 16's cold build.
    fn build_verdicts(&self) -> Vec<Verdict> {
        let build = self.build.as_ref();
        let operations = build.map_or(self.plan.build_operations, |b| b.operations);
        let mut verdicts = Vec::new();
        for (kind, plain_label, utoipa_label) in [
            (Build::Clean, "Clean build / plain", "Clean build / utoipa"),
            (
                Build::HandlerString,
                "Handler edit / plain",
                "Handler edit / utoipa",
            ),
            (
                Build::MainComment,
                "main.rs comment / plain",
                "main.rs comment / utoipa",
            ),
        ] {
            let series = build.map(|b| b.series(kind));
            verdicts.push(Verdict::ratio(
                format!("{} ({operations} operations), ours / plain", kind.name()),
                plain_label,
                series.map(Series::over_plain),
                Bound::AtMost(BUILD_TARGET),
            ));
            verdicts.push(Verdict::ratio(
                format!("{} ({operations} operations), ours / utoipa 5", kind.name()),
                utoipa_label,
                series.map(Series::over_utoipa),
                BUILD_UTOIPA_BOUND,
            ));
        }
        let cores = self
            .cold_build
            .as_ref()
            .map_or(self.machine.cores, |c| c.cores);
        verdicts.push(Verdict::ratio(
            format!(
                "Cold build of a one-endpoint app (dev profile, {cores} cores), ours docs-only / \
                 utoipa 5"
            ),
            "Cold build, docs-only / utoipa",
            self.cold_ratio(),
            COLD_BUILD_BOUND,
        ));
        verdicts
    }

    /// The delivery criteria, in the order of issue 15.
    fn delivery_verdicts(&self) -> Vec<Verdict> {
        let mut verdicts = Vec::new();
        let not_measured = || ("not measured".to_owned(), None::<bool>);
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
                target: "≤ 5 s".to_owned(),
                measured,
                met,
                bar: None,
            });
        }
        verdicts.push(Verdict::ratio(
            format!(
                "`POST /invoices/` with a callback / without (SQLite, synchronous FULL, callback \
                 refused by the guard, {} connections)",
                plan.connections
            ),
            "POST with callback / without",
            self.durable_requests
                .as_ref()
                .and_then(|d| d.refused.ratio()),
            Bound::AtLeast(QUEUEING_REQUEST_TARGET),
        ));
        verdicts.push(Verdict::ratio(
            format!(
                "Delivery throughput, durable SQLite outbox with {PRODUCERS} concurrent \
                 producers / bare HTTP client"
            ),
            "Delivery, durable / bare client",
            self.delivery_ratio(),
            Bound::AtLeast(DELIVERY_TARGET),
        ));
        let p99 = self
            .deliveries
            .as_ref()
            .map(|d| d.concurrent.p99_us / 1000.0);
        verdicts.push(Verdict::figure(
            format!(
                "`Outbox::enqueue` p99, {PRODUCERS} concurrent producers, dispatcher sending \
                 (SQLite)"
            ),
            Bound::AtMost(ENQUEUE_P99_TARGET_MS),
            "ms",
            p99,
            p99.map_or_else(|| "not measured".to_owned(), |ms| format!("{ms:.2} ms")),
        ));
        let wal = self.disk.as_ref().map(|d| d.wal.max_under_load);
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        verdicts.push(Verdict::figure(
            format!(
                "SQLite write-ahead log, largest during {} s of sustained load",
                plan.wal_seconds
            ),
            Bound::AtMost(mib(WAL_LIMIT)),
            "MiB",
            wal.map(mib),
            wal.map_or_else(
                || "not measured".to_owned(),
                |b| format!("{:.1} MiB", mib(b)),
            ),
        ));
        verdicts.push(Verdict::ratio(
            format!(
                "SQLite database file over a {}-second soak with {} s retention: largest in \
                 the second half / size at the middle",
                plan.soak_seconds, plan.retention_seconds
            ),
            "Database file growth, soak",
            self.disk.as_ref().map(|d| d.soak.growth()),
            Bound::AtMost(FLAT_LIMIT),
        ));
        let postgres = self.postgres.as_ref().ok();
        verdicts.push(Verdict::ratio(
            format!(
                "Deliveries per second, 3 dispatcher instances / 1 on one PostgreSQL, receiver \
                 taking {} ms per callback",
                plan.receiver_delay_ms
            ),
            "PostgreSQL: 3 instances / 1",
            self.instances_ratio(),
            Bound::AtLeast(INSTANCES_TARGET),
        ));
        verdicts.push(Verdict::ratio(
            format!(
                "PostgreSQL CPU-seconds per 1,000 deliveries, 3 instances / 1 (receiver taking \
                 {} ms)",
                plan.receiver_delay_ms
            ),
            "PostgreSQL CPU, 3 instances / 1",
            postgres.and_then(Postgres::cpu_scaling),
            Bound::AtMost(POSTGRES_CPU_TARGET),
        ));
        let statements = Bound::AtMost(STATEMENTS_TARGET);
        let (measured, value) = match postgres.map(|p| &p.statements) {
            Some(Ok(s)) => match s.per_delivery() {
                Some(v) => (format!("{v:.3}"), Some(v)),
                None => ("not measured".to_owned(), None),
            },
            Some(Err(reason)) => (format!("skipped: {reason}"), None),
            None => ("not measured".to_owned(), None),
        };
        verdicts.push(Verdict {
            name: "PostgreSQL statements per delivery outside the app's transaction".to_owned(),
            target: statements.describe(),
            measured,
            met: value.map(|v| statements.met(v)),
            bar: None,
        });
        let in_transaction = Bound::AtLeast(QUEUEING_REQUEST_TARGET);
        let name = format!(
            "`POST /invoices/` with its callback in the app's transaction / the same `POST` \
             inserting the row only (PostgreSQL, {} connections)",
            plan.connections
        );
        match postgres.map(|p| &p.requests) {
            Some(Err(reason)) => verdicts.push(Verdict {
                name,
                target: in_transaction.describe(),
                measured: format!("skipped: {reason}"),
                met: None,
                bar: Some(Bar {
                    label: "PostgreSQL: POST in tx / row only",
                    value: None,
                    bound: in_transaction,
                }),
            }),
            requests => verdicts.push(Verdict::ratio(
                name,
                "PostgreSQL: POST in tx / row only",
                requests
                    .and_then(|r| r.as_ref().ok())
                    .and_then(|r| r.ratio()),
                in_transaction,
            )),
        }
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
