//! Instructions per request, counted by callgrind: a deterministic measure
//! of request overhead that other processes on the machine cannot disturb.
//!
//! Each server runs under `valgrind --tool=callgrind`; after a warm-up the
//! harness zeroes the counters (`callgrind_control -z`), sends an exact
//! number of requests one at a time over one keep-alive connection, and
//! dumps the counters (`callgrind_control -d`). Only user-space
//! instructions are counted: the system calls, the same for both servers,
//! are not.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

use crate::app::Variant;
use crate::http::{Connection, Request};
use crate::server::{Pinning, Server};

/// Instructions per request of one server on one endpoint.
#[derive(Debug, Clone, Serialize)]
pub struct Count {
    pub server: String,
    pub endpoint: String,
    pub requests: u64,
    pub instructions: u64,
}

impl Count {
    pub fn per_request(&self) -> f64 {
        self.instructions as f64 / self.requests as f64
    }
}

pub struct Settings {
    pub warmup: u64,
    pub requests: u64,
}

/// Whether valgrind and callgrind_control are installed; the reason if not.
pub fn available() -> Result<(), String> {
    for tool in ["valgrind", "callgrind_control"] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !found {
            return Err(format!(
                "`{tool}` is not installed (Debian package `valgrind`)"
            ));
        }
    }
    Ok(())
}

/// Counts for each variant and request; a fresh server per variant.
pub fn measure(
    requests: &[Request],
    settings: &Settings,
    pinning: Pinning,
    scratch: &Path,
) -> Result<Vec<Count>, String> {
    std::fs::create_dir_all(scratch).map_err(|e| format!("creating {}: {e}", scratch.display()))?;
    let mut counts = Vec::new();
    for variant in [Variant::Ours, Variant::Plain] {
        let out_file = scratch.join(format!("callgrind.{}", variant.name()));
        for stale in dumps(&out_file) {
            let _ = std::fs::remove_file(stale);
        }
        let wrapper: Vec<OsString> = vec![
            "valgrind".into(),
            "--tool=callgrind".into(),
            "--quiet".into(),
            {
                let mut option = OsString::from("--callgrind-out-file=");
                option.push(&out_file);
                option
            },
        ];
        let server = Server::start_rust_under(variant, pinning, &wrapper)?;
        let mut connection = Connection::open(server.addr)?;
        for request in requests {
            for _ in 0..settings.warmup {
                expect_ok(connection.send(request)?, &server, request)?;
            }
            callgrind_control("-z", &server)?;
            for _ in 0..settings.requests {
                expect_ok(connection.send(request)?, &server, request)?;
            }
            let dump = dump(&server, &out_file)?;
            let count = Count {
                server: server.name.clone(),
                endpoint: format!("{} {}", request.method, request.target),
                requests: settings.requests,
                instructions: totals(&dump)?,
            };
            eprintln!(
                "    {:<6} {:<24} {:>9.0} instructions per request",
                count.server,
                format!(
                    "{} {}",
                    request.method,
                    request.target.split('?').next().unwrap_or("")
                ),
                count.per_request()
            );
            counts.push(count);
        }
    }
    Ok(counts)
}

fn expect_ok(status: u16, server: &Server, request: &Request) -> Result<(), String> {
    if status == 200 {
        Ok(())
    } else {
        Err(format!(
            "{} answered {} {} with {status}",
            server.name, request.method, request.target
        ))
    }
}

fn callgrind_control(option: &str, server: &Server) -> Result<(), String> {
    let output = Command::new("callgrind_control")
        .arg(option)
        .arg(server.pid().to_string())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running callgrind_control: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "callgrind_control {option} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Dumps the counters and returns the new dump's path
/// (`<out_file>.<n>`, the highest `n`).
fn dump(server: &Server, out_file: &Path) -> Result<PathBuf, String> {
    let before = dumps(out_file);
    callgrind_control("-d", server)?;
    dumps(out_file)
        .into_iter()
        .filter(|dump| !before.contains(dump))
        .max_by_key(|dump| dump_number(dump))
        .ok_or_else(|| format!("callgrind wrote no dump next to {}", out_file.display()))
}

fn dumps(out_file: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (out_file.parent(), out_file.file_name()) else {
        return Vec::new();
    };
    let prefix = format!("{}.", name.to_string_lossy());
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| {
                    path.file_name()
                        .and_then(|n| n.to_str())
                        .and_then(|n| n.strip_prefix(&prefix))
                        .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn dump_number(path: &Path) -> u64 {
    path.extension()
        .and_then(|e| e.to_str())
        .and_then(|e| e.parse().ok())
        .unwrap_or(0)
}

/// The `totals:` (or `summary:`) line of a callgrind dump.
fn totals(dump: &Path) -> Result<u64, String> {
    let text =
        std::fs::read_to_string(dump).map_err(|e| format!("reading {}: {e}", dump.display()))?;
    parse_totals(&text).ok_or_else(|| format!("no totals in {}", dump.display()))
}

fn parse_totals(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| {
            line.strip_prefix("totals:")
                .or_else(|| line.strip_prefix("summary:"))
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_totals_of_a_dump() {
        let dump = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\n\nfn=main\n1 5\n\ntotals: 163818559\n";
        assert_eq!(parse_totals(dump), Some(163_818_559));
        assert_eq!(parse_totals("events: Ir\n"), None);
    }

    #[test]
    fn dump_numbers_come_from_the_extension() {
        assert_eq!(dump_number(Path::new("/x/callgrind.ours.12")), 12);
    }
}
