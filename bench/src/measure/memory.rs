//! Peak resident memory of a fresh server after a few requests and after
//! many: a server that keeps nothing per request stays flat.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::http::Request;
use crate::load::{self, Load};
use crate::server::{Memory, Pinning, Server};

/// Memory of one server at its two checkpoints.
#[derive(Debug, Clone, Serialize)]
pub struct MemoryGrowth {
    pub server: String,
    pub at_start: Memory,
    /// Requests served at the first checkpoint, and the memory then.
    pub few: (u64, Memory),
    /// Requests served at the second checkpoint, and the memory then.
    pub many: (u64, Memory),
}

impl MemoryGrowth {
    /// Peak RSS after many requests over peak RSS after a few.
    pub fn peak_ratio(&self) -> f64 {
        self.many.1.peak_kib as f64 / self.few.1.peak_kib as f64
    }
}

pub struct Settings {
    pub few: u64,
    pub many: u64,
    pub connections: u32,
    /// The length of one `wrk` run; a run stops sending at its count but
    /// `wrk` itself always runs this long.
    pub step: Duration,
    /// The upper bound of each checkpoint's runs.
    pub timeout: Duration,
}

/// Loads the fresh `server` with `request` until `few`, then `many`
/// responses in total, reading its memory at each checkpoint.
pub fn measure(
    server: &Server,
    request: &Request,
    settings: &Settings,
    pinning: Pinning,
    scripts: &Path,
) -> Result<MemoryGrowth, String> {
    let at_start = server.memory()?;
    let served = load_until(server, request, settings.few, settings, pinning, scripts)?;
    let few = (served, server.memory()?);
    let more = settings.many.saturating_sub(served);
    let served = served + load_until(server, request, more, settings, pinning, scripts)?;
    let many = (served, server.memory()?);
    eprintln!(
        "    {:<7} peak RSS {} KiB after {} requests, {} KiB after {}",
        server.name, few.1.peak_kib, few.0, many.1.peak_kib, many.0
    );
    Ok(MemoryGrowth {
        server: server.name.clone(),
        at_start,
        few,
        many,
    })
}

/// Sends `count` requests (a few more when connections have requests in
/// flight at the stop) in runs of `settings.step`; returns how many were
/// answered.
fn load_until(
    server: &Server,
    request: &Request,
    count: u64,
    settings: &Settings,
    pinning: Pinning,
    scripts: &Path,
) -> Result<u64, String> {
    let deadline = Instant::now() + settings.timeout;
    let mut served = 0;
    while served < count {
        if Instant::now() > deadline {
            return Err(format!(
                "{}: only {served} of {count} requests were answered within {} s",
                server.name,
                settings.timeout.as_secs()
            ));
        }
        let load = Load {
            stop_after: Some(count - served),
            ..Load::timed(
                request.clone(),
                settings.connections,
                settings.step,
                pinning.load,
            )
        };
        served += load::run(server.addr, &load, scripts)?.requests;
    }
    Ok(served)
}
