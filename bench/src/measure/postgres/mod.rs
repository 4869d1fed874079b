//! The PostgreSQL store: several dispatcher instances draining one queue,
//! claim latency over a long history, the app's `POST` with its callback
//! queued in its own transaction, and the statements the store sends
//! besides.
//!
//! The database is `CALLBACKS_BENCH_DATABASE_URL`, else
//! `CALLBACKS_TEST_DATABASE_URL`; without either the PostgreSQL parts are
//! skipped. Every run works in a fresh schema of its own (the URL selects
//! it with `options=-c search_path=…`), dropped at the end; the statement
//! count works in a fresh database of its own (the role needs `CREATEDB`).
//!
//! - [`instances`]: 1, 2 and 3 dispatcher processes draining one queue,
//!   to a receiver that answers at once and to one that takes 50 ms per
//!   callback; deliveries per second, and the PostgreSQL server's CPU time
//!   per delivery;
//! - [`claims`]: the latency of `Store::claim` with and without history;
//! - [`requests`]: `POST /invoices/` queuing its callback in the
//!   transaction that inserts the invoice's row, against the same
//!   operation inserting the row only;
//! - [`statements`]: the statements PostgreSQL runs per delivery outside
//!   the app's transactions (`pg_stat_statements`).

use std::time::{Duration, SystemTime};

use crate::measure::throughput;

pub mod claims;
pub mod instances;
pub mod requests;
pub mod statements;

pub use claims::Claims;
pub use instances::{InstancesRun, Shape};

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

/// A fresh schema; `url` selects it for every connection. Dropped (with
/// everything in it) when the value is.
pub struct Schema {
    admin: String,
    name: String,
    pub url: String,
}

impl Schema {
    pub fn create(base: &str, purpose: &str) -> Result<Schema, String> {
        let name = unique_name(purpose);
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

/// A fresh database, for counts that PostgreSQL keeps per database; `url`
/// connects to it. Dropped (its connections ended) when the value is.
pub struct Database {
    admin: String,
    pub name: String,
    pub url: String,
}

impl Database {
    pub fn create(base: &str, purpose: &str) -> Result<Database, String> {
        let name = unique_name(purpose);
        let mut url = url::Url::parse(base).map_err(|e| format!("the database URL: {e}"))?;
        url.set_path(&format!("/{name}"));
        runtime()?.block_on(async {
            let pool = sqlx::PgPool::connect(base)
                .await
                .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
            let created = sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&pool)
                .await;
            pool.close().await;
            created.map_err(|e| format!("creating database {name}: {e}"))
        })?;
        Ok(Database {
            admin: base.to_owned(),
            name,
            url: url.to_string(),
        })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let Ok(runtime) = runtime() else { return };
        runtime.block_on(async {
            let dropped = match sqlx::PgPool::connect(&self.admin).await {
                Ok(pool) => {
                    let result = sqlx::raw_sql(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        self.name
                    ))
                    .execute(&pool)
                    .await;
                    pool.close().await;
                    result.map(drop).map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = dropped {
                eprintln!("bench: could not drop database {}: {e}", self.name);
            }
        });
    }
}

/// The sizes of the PostgreSQL part.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Deliveries queued up front for each instances run with a receiver
    /// that answers at once.
    pub deliveries: u64,
    /// Deliveries queued up front for each instances run with the slow
    /// receiver.
    pub slow_deliveries: u64,
    /// How long the slow receiver takes per callback.
    pub receiver_delay: Duration,
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
    /// The rounds of `POST /invoices/` with the outbox in the app's
    /// transaction against the row only.
    pub requests: throughput::Settings,
    /// How long the statement count loads the server, and with how many
    /// connections.
    pub statements_seconds: u64,
    pub statements_connections: u32,
    /// How long the harness waits for a server to have nothing pending.
    pub settle: Duration,
}

/// Everything the PostgreSQL part measured.
#[derive(Debug, Clone)]
pub struct Postgres {
    pub settings: Settings,
    /// Instances runs, receiver answering at once.
    pub runs: Vec<InstancesRun>,
    /// Instances runs, receiver taking `settings.receiver_delay`.
    pub slow_runs: Vec<InstancesRun>,
    pub claims: Vec<Claims>,
    /// The outbox in the app's transaction, or why it was not measured.
    pub requests: Result<requests::OutboxRequests, String>,
    /// The statement count, or why it was not measured.
    pub statements: Result<statements::Statements, String>,
    /// The number of cores of the machine.
    pub cores: usize,
    /// The measurements that failed, with their errors.
    pub failures: Vec<String>,
}

impl Postgres {
    /// Median deliveries per second with `instances` instances, receiver
    /// answering at once.
    pub fn per_second(&self, instances: usize) -> Option<f64> {
        instances::median_of(&self.runs, instances, |r| Some(r.per_second()))
    }

    /// The same with the slow receiver.
    pub fn slow_per_second(&self, instances: usize) -> Option<f64> {
        instances::median_of(&self.slow_runs, instances, |r| Some(r.per_second()))
    }

    /// Deliveries per second with 3 instances / with 1, receiver answering
    /// at once.
    pub fn scaling(&self) -> Option<f64> {
        Some(self.per_second(3)? / self.per_second(1)?)
    }

    /// The same with the slow receiver: the criterion.
    pub fn slow_scaling(&self) -> Option<f64> {
        Some(self.slow_per_second(3)? / self.slow_per_second(1)?)
    }

    /// Median PostgreSQL CPU-seconds per 1,000 deliveries with `instances`
    /// instances, slow receiver.
    pub fn cpu_per_thousand(&self, instances: usize) -> Option<f64> {
        instances::median_of(
            &self.slow_runs,
            instances,
            InstancesRun::postgres_per_thousand,
        )
    }

    /// PostgreSQL CPU-seconds per delivery, 3 instances / 1, slow
    /// receiver: the criterion.
    pub fn cpu_scaling(&self) -> Option<f64> {
        Some(self.cpu_per_thousand(3)? / self.cpu_per_thousand(1)?)
    }
}

/// Runs every PostgreSQL measurement; `pinning` and `scratch` are for the
/// request rounds, which also need `wrk`. A measurement that fails is
/// recorded in [`Postgres::failures`] (the part then fails) and the others
/// still run.
pub fn measure(
    settings: &Settings,
    url: &str,
    pinning: crate::server::Pinning,
    scratch: &std::path::Path,
) -> Postgres {
    let mut failures = Vec::new();
    let mut keep = |what: &str, error: String| {
        eprintln!("    {what} failed: {error}");
        failures.push(format!("{what}: {error}"));
    };
    eprintln!("  instances, receiver answering at once");
    let runs = instances::measure(
        settings,
        url,
        Shape {
            deliveries: settings.deliveries,
            receiver_delay: Duration::ZERO,
        },
    )
    .unwrap_or_else(|e| {
        keep("instances, receiver answering at once", e);
        Vec::new()
    });
    eprintln!(
        "  instances, receiver taking {} ms per callback",
        settings.receiver_delay.as_millis()
    );
    let slow_runs = instances::measure(
        settings,
        url,
        Shape {
            deliveries: settings.slow_deliveries,
            receiver_delay: settings.receiver_delay,
        },
    )
    .unwrap_or_else(|e| {
        keep("instances, slow receiver", e);
        Vec::new()
    });
    eprintln!("  claims");
    let claims = claims::measure(settings, url).unwrap_or_else(|e| {
        keep("claims", e);
        Vec::new()
    });
    let wrk = crate::load::wrk_version()
        .map(drop)
        .ok_or_else(|| "`wrk` is not installed (Debian package `wrk`)".to_owned());
    eprintln!("  POST with its callback in the app's transaction");
    let requests = match &wrk {
        Ok(()) => requests::measure(settings, url, pinning, scratch).map_err(|e| {
            keep("the outbox in the app's transaction", e.clone());
            format!("failed: {e}")
        }),
        Err(reason) => {
            eprintln!("    skipped: {reason}");
            Err(reason.clone())
        }
    };
    eprintln!("  statements outside the app's transactions");
    let statements = match wrk.and_then(|()| statements::available(url)) {
        Ok(()) => statements::measure(settings, url, pinning, scratch).map_err(|e| {
            keep("the statement count", e.clone());
            format!("failed: {e}")
        }),
        Err(reason) => {
            eprintln!("    skipped: {reason}");
            Err(reason)
        }
    };
    Postgres {
        settings: settings.clone(),
        runs,
        slow_runs,
        claims,
        requests,
        statements,
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        failures,
    }
}

/// A single-threaded runtime for the harness's own database work.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting a runtime: {e}"))
}

/// A name no other run has: the purpose, this process and the time.
fn unique_name(purpose: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("bench_{purpose}_{}_{nanos}", std::process::id())
}
