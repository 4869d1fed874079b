//! What one run measured, and how it stands against the targets.

use crate::machine::Machine;
use crate::measure::assembly::Assembly;
use crate::measure::build_time::BuildTimes;
use crate::measure::deliveries::Deliveries;
use crate::measure::instructions::Count;
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
    /// The PostgreSQL part, or why it did not run.
    pub postgres: Result<Postgres, String>,
    /// Cores kept busy by other processes during each part, on average.
    pub noise: Vec<(String, f64)>,
    /// Parts that failed, with their errors.
    pub failures: Vec<String>,
    pub chart: String,
}

/// A target and whether the run met it.
pub struct Verdict {
    pub name: &'static str,
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

    /// Durable on PostgreSQL / bare, the median of the rounds.
    pub fn postgres_delivery_ratio(&self) -> Option<f64> {
        self.deliveries.as_ref()?.ratio_of("durable-pg")
    }

    /// 3 instances / 1 instance, in deliveries per second.
    pub fn instances_ratio(&self) -> Option<f64> {
        self.postgres.as_ref().ok()?.scaling()
    }

    pub fn memory_ratio(&self, server: &str) -> Option<f64> {
        self.memory
            .iter()
            .find(|m| m.server == server)
            .map(MemoryGrowth::peak_ratio)
    }

    pub fn verdicts(&self) -> Vec<Verdict> {
        let mut verdicts = Vec::new();
        let ratio = |value: Option<f64>, ok: fn(f64) -> bool| {
            (
                value.map_or_else(|| "not measured".to_owned(), |v| format!("{v:.3}")),
                value.map(ok),
            )
        };
        let (measured, met) = ratio(self.request_ratio(), |v| v >= REQUEST_TARGET);
        verdicts.push(Verdict {
            name: "Request throughput, ours / plain actix-web",
            target: "≥ 0.97",
            measured,
            met,
        });
        let (measured, met) = ratio(self.request_cpu_ratio(), |v| v >= REQUEST_TARGET);
        verdicts.push(Verdict {
            name: "Requests per server CPU-second, ours / plain actix-web",
            target: "≥ 0.97",
            measured,
            met,
        });
        let (measured, met) = ratio(self.instruction_ratio("POST"), |v| v >= REQUEST_TARGET);
        verdicts.push(Verdict {
            name: "Instructions per request, plain / ours (callgrind)",
            target: "≥ 0.97",
            measured,
            met,
        });
        let (measured, met) = ratio(self.docs_ratio(), |v| v >= DOCS_TARGET);
        verdicts.push(Verdict {
            name: "`/openapi.json` throughput, ours / static bytes",
            target: "≥ 0.9",
            measured,
            met,
        });
        let (measured, met) = ratio(self.docs_cpu_ratio(), |v| v >= DOCS_TARGET);
        verdicts.push(Verdict {
            name: "`/openapi.json` per server CPU-second, ours / static bytes",
            target: "≥ 0.9",
            measured,
            met,
        });
        let (measured, met) = ratio(self.instruction_ratio("GET"), |v| v >= DOCS_TARGET);
        verdicts.push(Verdict {
            name: "`/openapi.json` instructions per request, static bytes / ours",
            target: "≥ 0.9",
            measured,
            met,
        });
        let build = self.build.as_ref();
        let (measured, met) = ratio(build.map(BuildTimes::clean_ratio), |v| v <= BUILD_TARGET);
        verdicts.push(Verdict {
            name: "Clean build of the crate, ours / plain",
            target: "≤ 1.2",
            measured,
            met,
        });
        let (measured, met) = ratio(build.map(BuildTimes::incremental_ratio), |v| {
            v <= BUILD_TARGET
        });
        verdicts.push(Verdict {
            name: "Incremental rebuild, ours / plain",
            target: "≤ 1.2",
            measured,
            met,
        });
        let (measured, met) = ratio(build.map(BuildTimes::clean_vs_utoipa), |v| v < 1.0);
        verdicts.push(Verdict {
            name: "Clean build of the crate, ours / utoipa 5",
            target: "< 1",
            measured,
            met,
        });
        let (measured, met) = ratio(build.map(BuildTimes::incremental_vs_utoipa), |v| v < 1.0);
        verdicts.push(Verdict {
            name: "Incremental rebuild, ours / utoipa 5",
            target: "< 1",
            measured,
            met,
        });
        let largest = self
            .assembly
            .as_ref()
            .and_then(|sizes| sizes.iter().max_by_key(|a| a.operations));
        verdicts.push(Verdict {
            name: "`Api::build()` of the largest API",
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
            name: "Growth of `Api::build()` time over all sizes (log-log slope)",
            target: "linear (≈ 1)",
            measured: slope.map_or_else(|| "not measured".to_owned(), |s| format!("{s:.2}")),
            met: slope.map(|s| s <= 1.15),
        });
        let (measured, met) = ratio(self.delivery_ratio(), |v| v >= DELIVERY_TARGET);
        verdicts.push(Verdict {
            name: "Delivery throughput, durable SQLite outbox / bare HTTP client",
            target: "≥ 0.5",
            measured,
            met,
        });
        let (measured, met) = ratio(self.postgres_delivery_ratio(), |v| v >= DELIVERY_TARGET);
        verdicts.push(Verdict {
            name: "Delivery throughput, durable PostgreSQL outbox / bare HTTP client",
            target: "≥ 0.5",
            measured,
            met,
        });
        let (measured, met) = ratio(self.instances_ratio(), |v| v >= INSTANCES_TARGET);
        verdicts.push(Verdict {
            name: "Deliveries per second, 3 dispatcher instances / 1 (one PostgreSQL)",
            target: "≥ 2.5",
            measured,
            met,
        });
        let (measured, met) = ratio(self.memory_ratio("ours"), |v| v <= MEMORY_TARGET);
        verdicts.push(Verdict {
            name: "Peak RSS after many requests / after few (ours)",
            target: "flat (≤ 1.10)",
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
