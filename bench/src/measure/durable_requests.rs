//! The request path with a durable store: `POST /invoices/` with a
//! `callback_url` against the same `POST` without one, on the invoices
//! example over a `SqliteStore` with its default durability (`synchronous
//! = FULL`: every commit synced before the answer), its dispatcher
//! running.
//!
//! - **Criterion run**: the server's SSRF guard does not allow loopback,
//!   and the callback URL is `http://localhost:1/cb`: the dispatcher claims
//!   each delivery, the guard resolves `localhost` to a loopback address
//!   and refuses it, and the outcome is recorded as `refused`. The store
//!   does all its work (queue, claim, record) and no HTTP request is sent.
//! - **Information run**: a second server, loopback allowed, sending the
//!   callbacks to a live receiver (`bench receive`) on the server's core.
//!
//! Each is loaded with `wrk` in alternating rounds as the request
//! benchmarks are ([`crate::measure::throughput`]: pinning, rounds run
//! again when other processes are busy, medians of the rounds' ratios),
//! with the server given the time to finish its deliveries (nothing
//! pending) before every run. After the rounds, the harness waits until
//! nothing is pending and checks the ledger: every `POST` the server
//! answered 200 with a callback is in the store, delivered, refused,
//! failed or gone.

use std::path::Path;
use std::time::Duration;

use callback_runtime::delivery::signing::generate_secret;

use crate::http::{self, Request};
use crate::ledger::Ledger;
use crate::measure::deliveries::SECRET_ENV;
use crate::measure::throughput::{self, Subject, Throughput, Watch};
use crate::server::{Pinning, Server};
use crate::store_app;

/// The callback URL the guard refuses (a loopback address, by name).
pub const REFUSED_CALLBACK: &str = "http://localhost:1/cb";

/// The name of the runs with a callback, and of those without.
pub const WITH: &str = "with callback";
pub const WITHOUT: &str = "without";

/// The sizes of the part.
pub struct Settings {
    pub throughput: throughput::Settings,
    /// How long the harness waits for a server to have nothing pending.
    pub settle: Duration,
}

/// One server's rounds and ledger.
#[derive(Debug, Clone)]
pub struct Runs {
    pub throughput: Throughput,
    pub ledger: Ledger,
    /// Requests with a callback whose answers `wrk` read (the server
    /// counts those it answered, a few more when a run stops).
    pub answered: u64,
}

impl Runs {
    /// With / without, requests per second, the median of the rounds.
    pub fn ratio(&self) -> Option<f64> {
        self.throughput
            .ratios(WITH, WITHOUT)
            .filter(|r| !r.is_empty())
            .map(|r| crate::stats::median(&r))
    }
}

/// Everything the part measured.
#[derive(Debug, Clone)]
pub struct DurableRequests {
    /// The criterion: callbacks refused by the guard.
    pub refused: Runs,
    /// Information: callbacks sent to a live receiver.
    pub live: Runs,
}

/// Runs the criterion's rounds, then the live receiver's.
pub fn measure(
    settings: &Settings,
    pinning: Pinning,
    scratch: &Path,
) -> Result<DurableRequests, String> {
    let secret = generate_secret();
    let dir = scratch.join("durable-requests");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;

    eprintln!("  callbacks refused by the guard ({REFUSED_CALLBACK})");
    let server = store_app::start_invoices(
        "invoices",
        &dir.join("refused.db").to_string_lossy(),
        &[],
        pinning.server,
        &secret,
    )?;
    let refused = runs(settings, pinning, scratch, &server, REFUSED_CALLBACK, None)?;
    drop(server);

    let receiver = Server::start_harness(
        "receiver",
        &["receive"],
        pinning.server,
        &[(SECRET_ENV, &secret)],
    )?;
    let live_callback = format!("http://{}/cb", receiver.addr);
    eprintln!("  callbacks sent to a live receiver ({live_callback})");
    let server = store_app::start_invoices(
        "invoices",
        &dir.join("live.db").to_string_lossy(),
        &["--loopback"],
        pinning.server,
        &secret,
    )?;
    let live = runs(
        settings,
        pinning,
        scratch,
        &server,
        &live_callback,
        Some(&receiver),
    )?;
    drop(server);
    drop(receiver);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(DurableRequests { refused, live })
}

/// The request with a callback to `callback_url`, and the same without.
pub fn requests(callback_url: &str, body: &str) -> (Request, Request) {
    let with = Request {
        method: "POST",
        target: format!("/invoices/?callback_url={callback_url}"),
        json_body: Some(body.to_owned()),
    };
    let without = Request {
        target: "/invoices/".to_owned(),
        ..with.clone()
    };
    (with, without)
}

fn runs(
    settings: &Settings,
    pinning: Pinning,
    scratch: &Path,
    server: &Server,
    callback_url: &str,
    receiver: Option<&Server>,
) -> Result<Runs, String> {
    let (with, without) = requests(callback_url, crate::BODY);
    for request in [&with, &without] {
        let answer = http::send(server.addr, request)?;
        if answer.status != 200 || answer.body != crate::EXPECTED_ANSWER.as_bytes() {
            return Err(format!(
                "POST {} answered {} {:?}",
                request.target,
                answer.status,
                String::from_utf8_lossy(&answer.body)
            ));
        }
    }
    let subjects = [
        Subject {
            name: WITH.to_owned(),
            server,
            request: with,
            fresh_ids: false,
        },
        Subject {
            name: WITHOUT.to_owned(),
            server,
            request: without,
            fresh_ids: false,
        },
    ];
    let addr = server.addr;
    let timeout = settings.settle;
    let mut settle = || store_app::settle(addr, timeout).map(drop);
    let throughput = throughput::measure_subjects(
        "POST /invoices/",
        &subjects,
        &settings.throughput,
        pinning,
        scratch,
        Watch {
            helpers: receiver.map(Server::pid).into_iter().collect(),
            postgres: false,
            before_run: Some(&mut settle),
        },
    )?;
    let books = store_app::settle(server.addr, settings.settle)?;
    let answered = throughput.answered[0];
    if books.with_callback < answered {
        return Err(format!(
            "wrk read {answered} answers to POSTs with a callback, the server counted {}",
            books.with_callback
        ));
    }
    let ledger = books.ledger();
    eprintln!("    ledger: {ledger}");
    ledger.check("the durable request runs")?;
    Ok(Runs {
        throughput,
        ledger,
        answered,
    })
}
