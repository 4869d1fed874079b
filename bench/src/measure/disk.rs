//! Disk: the SQLite store's files under sustained load.
//!
//! - **WAL**: the invoices example over a fresh `SqliteStore` (default
//!   settings: `synchronous = FULL`, the write-ahead log kept under
//!   64 MiB by the store's checkpointer), its dispatcher sending every
//!   callback to a live receiver on loopback, loaded by `wrk` as fast as
//!   it answers for a fixed time. The harness reads the size of the
//!   store's `-wal` file (what `SqliteStore::wal_size()` returns) several
//!   times a second, during the load and then while the dispatcher
//!   finishes its deliveries.
//! - **Soak**: the same with retention, deleting finished deliveries older
//!   than a short time, often (`Store::prune`, as `store::spawn_pruner`
//!   runs it), under a paced load (each `wrk` connection waits after each
//!   answer) for a longer time; the harness reads the size of the
//!   database file itself (not its log) the same way. "Flat" is fixed
//!   before measuring: the largest size in the second half of the soak is
//!   at most [`FLAT_LIMIT`] × the size at its middle.
//!
//! Each run keeps its ledger: every `POST` the server answered 200 is in
//! the store (delivered, pending, refused, failed, gone) or was pruned
//! after it finished.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use callback_runtime::delivery::signing::generate_secret;

use crate::ledger::Ledger;
use crate::load::{self, Load};
use crate::measure::deliveries::SECRET_ENV;
use crate::measure::durable_requests::requests;
use crate::server::{Pinning, Server};
use crate::store_app::{self, Books};

/// The criterion on the write-ahead log, in bytes.
pub const WAL_LIMIT: u64 = 64 * 1024 * 1024;

/// The criterion on the soak: the largest database file in its second
/// half over its size at the middle, at most.
pub const FLAT_LIMIT: f64 = 1.05;

/// The sizes of the part.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long the WAL run loads the server.
    pub wal_seconds: u64,
    pub wal_connections: u32,
    /// How long the soak loads the server.
    pub soak_seconds: u64,
    pub soak_connections: u32,
    /// The soak's target rate (requests per second over all connections).
    pub soak_rate: u32,
    /// Retention: finished deliveries older than this are deleted…
    pub retention: Duration,
    /// …by a pruning pass this often.
    pub prune_every: Duration,
    /// How often the files' sizes are read.
    pub sample_every: Duration,
    /// How long the harness waits, after a load, for the deliveries to be
    /// finished before it reads the ledger (pending ones count in it).
    pub drain: Duration,
}

/// A reading of the store's files.
#[derive(Debug, Clone, Copy)]
pub struct FileSizes {
    /// Seconds since the load started.
    pub at: f64,
    pub database: u64,
    pub wal: u64,
}

/// The WAL run.
#[derive(Debug, Clone)]
pub struct WalRun {
    pub seconds: u64,
    pub connections: u32,
    /// Requests per second `wrk` had answered.
    pub rate: f64,
    /// The largest log while loaded, and while the deliveries finished.
    pub max_under_load: u64,
    pub max_after: u64,
    /// Seconds the deliveries took to finish after the load, or `None`
    /// when some were still pending after the wait.
    pub drained_after: Option<f64>,
    pub database_at_end: u64,
    pub readings: usize,
    pub ledger: Ledger,
}

/// The soak.
#[derive(Debug, Clone)]
pub struct Soak {
    pub seconds: u64,
    pub connections: u32,
    pub target_rate: u32,
    pub rate: f64,
    pub retention: Duration,
    pub prune_every: Duration,
    /// The database file's size at the middle of the soak, and the
    /// largest in its second half.
    pub at_middle: u64,
    pub max_second_half: u64,
    /// The size at each tenth of the soak.
    pub tenths: Vec<(f64, u64)>,
    pub max_wal: u64,
    pub drained_after: Option<f64>,
    pub readings: usize,
    pub ledger: Ledger,
}

impl Soak {
    /// The largest size in the second half over the size at the middle.
    pub fn growth(&self) -> f64 {
        self.max_second_half as f64 / self.at_middle.max(1) as f64
    }
}

/// Everything the part measured.
#[derive(Debug, Clone)]
pub struct Disk {
    pub wal: WalRun,
    pub soak: Soak,
    pub sample_every: Duration,
}

/// Runs the WAL run, then the soak.
pub fn measure(settings: &Settings, pinning: Pinning, scratch: &Path) -> Result<Disk, String> {
    let secret = generate_secret();
    let dir = scratch.join("disk");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let receiver = Server::start_harness(
        "receiver",
        &["receive"],
        pinning.server,
        &[(SECRET_ENV, &secret)],
    )?;
    let callback = format!("http://{}/cb", receiver.addr);
    let (request, _) = requests(&callback, crate::BODY);

    eprintln!(
        "  WAL: {} s of load, {} connections",
        settings.wal_seconds, settings.wal_connections
    );
    let db = dir.join("wal.db");
    let server = store_app::start_invoices(
        "invoices",
        &db.to_string_lossy(),
        &["--loopback"],
        pinning.server,
        &secret,
    )?;
    let load = Load::timed(
        request.clone(),
        settings.wal_connections,
        Duration::from_secs(settings.wal_seconds),
        pinning.load,
    );
    let loaded = loaded_run(&server, &db, &load, settings, scratch)?;
    let wal = WalRun {
        seconds: settings.wal_seconds,
        connections: settings.wal_connections,
        rate: loaded.rate,
        max_under_load: loaded.max_wal(|r| r.at <= loaded.load_seconds),
        max_after: loaded.max_wal(|r| r.at > loaded.load_seconds),
        drained_after: loaded.drained_after,
        database_at_end: loaded.readings.last().map_or(0, |r| r.database),
        readings: loaded.readings.len(),
        ledger: loaded.ledger,
    };
    drop(server);
    eprintln!(
        "    {:.0} requests/s; WAL at most {} under load, {} after; {}",
        wal.rate,
        mib(wal.max_under_load),
        mib(wal.max_after),
        wal.ledger
    );
    wal.ledger.check("the WAL run")?;

    eprintln!(
        "  soak: {} s at about {} requests/s, retention {} s, pruned every {} ms",
        settings.soak_seconds,
        settings.soak_rate,
        settings.retention.as_secs_f64(),
        settings.prune_every.as_millis()
    );
    let db = dir.join("soak.db");
    let server = store_app::start_invoices(
        "invoices",
        &db.to_string_lossy(),
        &[
            "--loopback",
            "--prune",
            &settings.prune_every.as_millis().to_string(),
            &settings.retention.as_millis().to_string(),
        ],
        pinning.server,
        &secret,
    )?;
    let load = Load {
        pace: Some(pace(settings.soak_connections, settings.soak_rate)),
        ..Load::timed(
            request,
            settings.soak_connections,
            Duration::from_secs(settings.soak_seconds),
            pinning.load,
        )
    };
    let loaded = loaded_run(&server, &db, &load, settings, scratch)?;
    drop(server);
    drop(receiver);
    let middle = loaded.load_seconds / 2.0;
    let during: Vec<&FileSizes> = loaded
        .readings
        .iter()
        .filter(|r| r.at <= loaded.load_seconds)
        .collect();
    let at_middle = during
        .iter()
        .find(|r| r.at >= middle)
        .map_or(0, |r| r.database);
    let max_second_half = during
        .iter()
        .filter(|r| r.at >= middle)
        .map(|r| r.database)
        .max()
        .unwrap_or(0);
    let tenths = (1..=10)
        .filter_map(|tenth| {
            let at = loaded.load_seconds * f64::from(tenth) / 10.0;
            during
                .iter()
                .rev()
                .find(|r| r.at <= at)
                .map(|r| (at, r.database))
        })
        .collect();
    let soak = Soak {
        seconds: settings.soak_seconds,
        connections: settings.soak_connections,
        target_rate: settings.soak_rate,
        rate: loaded.rate,
        retention: settings.retention,
        prune_every: settings.prune_every,
        at_middle,
        max_second_half,
        tenths,
        max_wal: loaded.max_wal(|_| true),
        drained_after: loaded.drained_after,
        readings: loaded.readings.len(),
        ledger: loaded.ledger,
    };
    eprintln!(
        "    {:.0} requests/s; database {} at the middle, at most {} in the second half \
         ({:.3}); {}",
        soak.rate,
        mib(soak.at_middle),
        mib(soak.max_second_half),
        soak.growth(),
        soak.ledger
    );
    soak.ledger.check("the soak")?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Disk {
        wal,
        soak,
        sample_every: settings.sample_every,
    })
}

/// The wait between two requests of a connection for `rate` requests per
/// second over `connections` (answers taking no time).
fn pace(connections: u32, rate: u32) -> Duration {
    Duration::from_secs_f64(f64::from(connections) / f64::from(rate.max(1)))
}

/// What one loaded run saw.
struct Loaded {
    rate: f64,
    load_seconds: f64,
    drained_after: Option<f64>,
    readings: Vec<FileSizes>,
    ledger: Ledger,
}

impl Loaded {
    fn max_wal(&self, keep: impl Fn(&FileSizes) -> bool) -> u64 {
        self.readings
            .iter()
            .filter(|r| keep(r))
            .map(|r| r.wal)
            .max()
            .unwrap_or(0)
    }
}

/// Loads `server` (whose store is `db`) as `load` says, reading the
/// files' sizes meanwhile and until its deliveries are finished.
fn loaded_run(
    server: &Server,
    db: &Path,
    load: &Load,
    settings: &Settings,
    scratch: &Path,
) -> Result<Loaded, String> {
    let before = store_app::books(server.addr)?;
    let reader = SizeReader::start(db.to_owned(), settings.sample_every);
    let run = load::run(server.addr, load, scratch);
    let load_seconds = reader.elapsed();
    let drained = drain(server, settings.drain);
    let readings = reader.stop();
    let run = run?;
    let (books, drained_after) = drained?;
    if books.with_callback - before.with_callback < run.requests {
        return Err(format!(
            "wrk read {} answers, the server counted {}",
            run.requests,
            books.with_callback - before.with_callback
        ));
    }
    Ok(Loaded {
        rate: run.requests_per_second(),
        load_seconds,
        drained_after,
        readings,
        ledger: books.ledger(),
    })
}

/// Waits up to `timeout` for the server to have nothing pending; its books
/// then, and the time it took (`None` when it did not happen).
fn drain(server: &Server, timeout: Duration) -> Result<(Books, Option<f64>), String> {
    let started = Instant::now();
    let deadline = started + timeout;
    loop {
        let books = store_app::books(server.addr)?;
        if books.pending() == 0 {
            return Ok((books, Some(started.elapsed().as_secs_f64())));
        }
        if Instant::now() > deadline {
            return Ok((books, None));
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Reads the sizes of a database file and its `-wal` file at a fixed
/// interval, in a thread of its own.
struct SizeReader {
    started: Instant,
    stop: Arc<AtomicBool>,
    thread: thread::JoinHandle<Vec<FileSizes>>,
}

impl SizeReader {
    fn start(db: PathBuf, every: Duration) -> SizeReader {
        let started = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            let wal = wal_path(&db);
            let size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
            let mut readings = Vec::new();
            let mut next = started;
            while !stopping.load(Ordering::Relaxed) {
                readings.push(FileSizes {
                    at: started.elapsed().as_secs_f64(),
                    database: size(&db),
                    wal: size(&wal),
                });
                next += every;
                thread::sleep(next.saturating_duration_since(Instant::now()));
            }
            readings
        });
        SizeReader {
            started,
            stop,
            thread,
        }
    }

    fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn stop(self) -> Vec<FileSizes> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// The write-ahead log's file, next to the database's (as the store names
/// it).
fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pace_spreads_the_rate_over_the_connections() {
        assert_eq!(pace(16, 1000), Duration::from_millis(16));
        assert_eq!(pace(4, 100), Duration::from_millis(40));
    }

    #[test]
    fn the_reader_reads_both_files() {
        let dir = std::env::temp_dir().join(format!("bench-disk-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder");
        let db = dir.join("x.db");
        std::fs::write(&db, [0; 10]).expect("written");
        std::fs::write(wal_path(&db), [0; 3]).expect("written");
        let reader = SizeReader::start(db, Duration::from_millis(5));
        thread::sleep(Duration::from_millis(30));
        let readings = reader.stop();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(readings.len() >= 2, "{readings:?}");
        assert!(readings.iter().all(|r| r.database == 10 && r.wal == 3));
        assert!(readings.windows(2).all(|w| w[0].at <= w[1].at));
    }
}
