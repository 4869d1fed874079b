//! Load from `wrk`, one thread, driven by a generated Lua script that sets
//! the request and prints a one-line JSON summary when the run is done.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;

use crate::http::Request;
use crate::server::pinned_command;

/// How to load a server.
#[derive(Debug, Clone)]
pub struct Load {
    pub request: Request,
    pub connections: u32,
    /// How long to run; with `stop_after`, the upper bound of the run.
    pub duration: Duration,
    /// Stop once this many responses have arrived.
    pub stop_after: Option<u64>,
    pub core: Option<usize>,
}

/// What one `wrk` run measured.
#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize)]
pub struct Run {
    pub requests: u64,
    pub duration_us: u64,
    /// Responses other than 2xx and 3xx.
    pub status_errors: u64,
    /// Connect, read, write errors and timeouts.
    pub socket_errors: u64,
    pub p50_us: u64,
    pub p99_us: u64,
}

impl Run {
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / (self.duration_us.max(1) as f64 / 1e6)
    }
}

/// The version line of `wrk`, or `None` when it is not installed.
pub fn wrk_version() -> Option<String> {
    let output = std::process::Command::new("wrk").arg("-v").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    text.lines()
        .next()
        .map(|line| {
            line.split(" Copyright")
                .next()
                .unwrap_or(line)
                .trim()
                .to_owned()
        })
        .filter(|line| line.starts_with("wrk"))
}

/// Runs `wrk` against `addr`; fails on any error response or socket error.
pub fn run(addr: SocketAddr, load: &Load, scripts: &Path) -> Result<Run, String> {
    let script = write_script(scripts, &load.request, load.stop_after)?;
    let url = format!("http://{addr}{}", load.request.target);
    let mut command = pinned_command(load.core, "wrk");
    command
        .args(["-t1", "-c"])
        .arg(load.connections.to_string())
        .arg("-d")
        .arg(format!("{}s", load.duration.as_secs().max(1)))
        .arg("-s")
        .arg(&script)
        .arg(&url)
        .stdin(Stdio::null());
    let output = command
        .output()
        .map_err(|e| format!("running wrk (install the `wrk` package): {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "wrk failed on {url}: {}{}",
            stdout,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let run = parse_summary(&stdout).ok_or_else(|| format!("no summary from wrk: {stdout}"))?;
    if run.requests == 0 || run.status_errors > 0 || run.socket_errors > 0 {
        return Err(format!(
            "wrk on {url}: {} requests, {} error responses, {} socket errors",
            run.requests, run.status_errors, run.socket_errors
        ));
    }
    Ok(run)
}

fn parse_summary(stdout: &str) -> Option<Run> {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("BENCH "))
        .and_then(|json| serde_json::from_str(json).ok())
}

fn write_script(dir: &Path, request: &Request, stop_after: Option<u64>) -> Result<PathBuf, String> {
    let mut lua = String::new();
    let _ = writeln!(lua, "wrk.method = \"{}\"", request.method);
    if let Some(body) = &request.json_body {
        assert!(!body.contains("]]"), "the body fits a Lua long string");
        let _ = writeln!(lua, "wrk.body = [[{body}]]");
        let _ = writeln!(lua, "wrk.headers[\"Content-Type\"] = \"application/json\"");
    }
    if let Some(limit) = stop_after {
        // Counting in `response` costs wrk some speed: only runs that stop
        // after a number of requests do it.
        let _ = writeln!(
            lua,
            "local seen = 0\n\
             function response(status, headers, body)\n\
             \x20 seen = seen + 1\n\
             \x20 if seen >= {limit} then wrk.thread:stop() end\n\
             end"
        );
    }
    lua.push_str(
        "function done(summary, latency, requests)\n\
         \x20 local e = summary.errors\n\
         \x20 io.write(string.format('BENCH {\"requests\":%d,\"duration_us\":%d,\"status_errors\":%d,\"socket_errors\":%d,\"p50_us\":%d,\"p99_us\":%d}\\n',\n\
         \x20   summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,\n\
         \x20   latency:percentile(50), latency:percentile(99)))\n\
         end\n",
    );
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let name = format!(
        "{}-{}.lua",
        request.method.to_lowercase(),
        stop_after.map_or_else(|| "timed".to_owned(), |n| format!("stop-{n}"))
    );
    let path = dir.join(name);
    std::fs::write(&path, lua).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_summary_line() {
        let out = "Running 1s test @ http://127.0.0.1:1/\n  1 threads and 8 connections\n\
                   BENCH {\"requests\":1200,\"duration_us\":1000000,\"status_errors\":0,\"socket_errors\":0,\"p50_us\":120,\"p99_us\":900}\n";
        let run = parse_summary(out).expect("a summary");
        assert_eq!(run.requests, 1200);
        assert!((run.requests_per_second() - 1200.0).abs() < 1e-9);
        assert_eq!(run.p99_us, 900);
    }
}
