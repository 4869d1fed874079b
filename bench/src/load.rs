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
    /// Give every request an invoice id of its own: `{id}` in the body
    /// becomes `PREFIX-1`, `PREFIX-2`, … (for servers that refuse a
    /// duplicate id).
    pub ids: Option<String>,
    /// A paced load: each connection waits this long after an answer
    /// before it sends its next request.
    pub pace: Option<Duration>,
}

impl Load {
    /// `connections` connections sending `request` for `duration`, as fast
    /// as the server answers, the same body every time.
    pub fn timed(
        request: Request,
        connections: u32,
        duration: Duration,
        core: Option<usize>,
    ) -> Load {
        Load {
            request,
            connections,
            duration,
            stop_after: None,
            core,
            ids: None,
            pace: None,
        }
    }
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

/// How long `wrk` waits for an answer before it counts a timeout (an
/// error, which fails the run).
const ANSWER_TIMEOUT: &str = "10s";

/// Runs `wrk` against `addr`; fails on any error response or socket error.
pub fn run(addr: SocketAddr, load: &Load, scripts: &Path) -> Result<Run, String> {
    let script = write_script(scripts, load)?;
    let url = format!("http://{addr}{}", load.request.target);
    let mut command = pinned_command(load.core, "wrk");
    command
        .args(["-t1", "-c"])
        .arg(load.connections.to_string())
        .arg("-d")
        .arg(format!("{}s", load.duration.as_secs().max(1)))
        .arg("--timeout")
        .arg(ANSWER_TIMEOUT)
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

fn write_script(dir: &Path, load: &Load) -> Result<PathBuf, String> {
    let request = &load.request;
    let mut lua = String::new();
    let _ = writeln!(lua, "wrk.method = \"{}\"", request.method);
    if let Some(body) = &request.json_body {
        assert!(!body.contains("]]"), "the body fits a Lua long string");
        let _ = writeln!(lua, "wrk.body = [[{body}]]");
        let _ = writeln!(lua, "wrk.headers[\"Content-Type\"] = \"application/json\"");
    }
    if let Some(prefix) = &load.ids {
        let body = request.json_body.as_deref().unwrap_or_default();
        let (head, tail) = body
            .split_once("{id}")
            .ok_or("a load with fresh ids needs `{id}` in its body")?;
        assert!(!prefix.contains("]]"), "the prefix fits a Lua long string");
        let _ = writeln!(
            lua,
            "local sent = 0\n\
             local head = [[{head}{prefix}-]]\n\
             local tail = [[{tail}]]\n\
             function request()\n\
             \x20 sent = sent + 1\n\
             \x20 return wrk.format(nil, nil, nil, head .. sent .. tail)\n\
             end"
        );
    }
    if let Some(pace) = load.pace {
        let _ = writeln!(
            lua,
            "function delay()\n\x20 return {}\nend",
            pace.as_millis().max(1)
        );
    }
    if let Some(limit) = load.stop_after {
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
    let mut name = format!(
        "{}-{}",
        request.method.to_lowercase(),
        load.stop_after
            .map_or_else(|| "timed".to_owned(), |n| format!("stop-{n}"))
    );
    if let Some(prefix) = &load.ids {
        name += &format!("-ids-{prefix}");
    }
    if let Some(pace) = load.pace {
        name += &format!("-pace-{}ms", pace.as_millis());
    }
    let path = dir.join(format!("{name}.lua"));
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

    #[test]
    fn fresh_ids_and_pacing_are_in_the_script() {
        let dir = std::env::temp_dir().join(format!("bench-load-test-{}", std::process::id()));
        let load = Load {
            ids: Some("r7".to_owned()),
            pace: Some(Duration::from_millis(16)),
            ..Load::timed(
                Request {
                    method: "POST",
                    target: "/invoices/".to_owned(),
                    json_body: Some(r#"{"id":"{id}","total":1}"#.to_owned()),
                },
                4,
                Duration::from_secs(1),
                None,
            )
        };
        let path = write_script(&dir, &load).expect("written");
        let lua = std::fs::read_to_string(&path).expect("readable");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(lua.contains(r#"local head = [[{"id":"r7-]]"#), "{lua}");
        assert!(lua.contains(r#"local tail = [[","total":1}]]"#), "{lua}");
        assert!(lua.contains("return wrk.format(nil, nil, nil, head .. sent .. tail)"));
        assert!(lua.contains("function delay()\n  return 16\nend"), "{lua}");
    }

    #[test]
    fn fresh_ids_need_a_place_in_the_body() {
        let load = Load {
            ids: Some("r".to_owned()),
            ..Load::timed(
                Request {
                    method: "POST",
                    target: "/".to_owned(),
                    json_body: Some("{}".to_owned()),
                },
                1,
                Duration::from_secs(1),
                None,
            )
        };
        assert!(write_script(&std::env::temp_dir(), &load).is_err());
    }
}
