//! What the figures were measured on: processor, memory, kernel, tool
//! versions, the commit, and how busy the machine was.

use std::path::Path;
use std::process::Command;

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub rustc: String,
    pub actix_web: String,
    pub wrk: String,
    pub commit: String,
    pub date: String,
}

impl Machine {
    pub fn describe(project: &Path) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map_or_else(|| "unknown".to_owned(), |(_, name)| name.trim().to_owned());
        let memory_kib: f64 = std::fs::read_to_string("/proc/meminfo")
            .unwrap_or_default()
            .lines()
            .find_map(|line| line.strip_prefix("MemTotal:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        let commit = output(
            Command::new("git")
                .args(["rev-parse", "--short", "HEAD"])
                .current_dir(project),
        )
        .unwrap_or_else(|| "unknown".to_owned());
        let dirty = output(
            Command::new("git")
                .args(["status", "--porcelain"])
                .current_dir(project),
        )
        .is_some_and(|status| !status.is_empty());
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            memory_gib: memory_kib / (1024.0 * 1024.0),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or_else(|_| "unknown".to_owned(), |text| text.trim().to_owned()),
            rustc: output(Command::new("rustc").arg("-V")).unwrap_or_else(|| "unknown".to_owned()),
            actix_web: locked_version(project, "actix-web").unwrap_or_else(|| "unknown".to_owned()),
            wrk: crate::load::wrk_version().unwrap_or_else(|| "not installed".to_owned()),
            commit: if dirty {
                format!("{commit} (with local changes)")
            } else {
                commit
            },
            date: today(),
        }
    }
}

/// A reading of the CPU time spent by the whole machine, by this process
/// with its waited-for children (wrk, cargo and rustc), and by the live
/// processes it was given (the servers).
#[derive(Debug, Clone)]
pub struct CpuSample {
    busy: u64,
    total: u64,
    own: u64,
    live: Vec<(u32, u64)>,
    /// The CPU time of the PostgreSQL server's processes, when asked for
    /// (see [`CpuSample::with_postgres`]).
    postgres: Option<u64>,
}

impl CpuSample {
    pub fn now() -> Option<Self> {
        Self::with_live(&[])
    }

    /// A sample that also reads the CPU time of the processes `live`.
    pub fn with_live(live: &[u32]) -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let fields: Vec<u64> = stat
            .lines()
            .next()?
            .strip_prefix("cpu ")?
            .split_whitespace()
            .filter_map(|field| field.parse().ok())
            .collect();
        let total: u64 = fields.iter().take(8).sum();
        let idle = fields.get(3)? + fields.get(4)?;
        let (user, system, children_user, children_system) = process_ticks("self")?;
        Some(CpuSample {
            busy: total - idle,
            total,
            own: user + system + children_user + children_system,
            live: live
                .iter()
                .map(|&pid| {
                    let (user, system, _, _) = process_ticks(&pid.to_string()).unwrap_or_default();
                    (pid, user + system)
                })
                .collect(),
            postgres: None,
        })
    }

    /// Like [`CpuSample::with_live`], also reading the CPU time of the local
    /// PostgreSQL server: every process named `postgres`, with the children
    /// they have waited for (the postmaster's exited backends). Processes
    /// serving other clients of the server count too.
    pub fn with_postgres(live: &[u32]) -> Option<Self> {
        let mut sample = Self::with_live(live)?;
        sample.postgres = Some(postgres_ticks());
        Some(sample)
    }

    /// How many cores the whole machine kept busy on average since `start`.
    pub fn busy_cores_since(&self, start: &CpuSample) -> f64 {
        self.cores(start, self.busy.saturating_sub(start.busy) as f64)
    }

    /// How many cores this process and the children it waited for (cargo
    /// and the compilers it ran) kept busy on average since `start`.
    pub fn own_cores_since(&self, start: &CpuSample) -> f64 {
        self.cores(start, self.own.saturating_sub(start.own) as f64)
    }

    /// How many cores the live processes `pids` kept busy since `start`.
    pub fn live_cores_since(&self, start: &CpuSample, pids: &[u32]) -> f64 {
        let ticks: u64 = pids
            .iter()
            .map(|&pid| self.live_ticks(pid).saturating_sub(start.live_ticks(pid)))
            .sum();
        self.cores(start, ticks as f64)
    }

    /// How many cores the PostgreSQL server kept busy since `start`, when
    /// both samples read it.
    pub fn postgres_cores_since(&self, start: &CpuSample) -> Option<f64> {
        let ticks = self.postgres?.saturating_sub(start.postgres?);
        Some(self.cores(start, ticks as f64))
    }

    fn cores(&self, start: &CpuSample, ticks: f64) -> f64 {
        let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
        let total = self.total.saturating_sub(start.total).max(1) as f64;
        (ticks / total * cores).max(0.0)
    }

    fn live_ticks(&self, pid: u32) -> u64 {
        self.live
            .iter()
            .find(|(p, _)| *p == pid)
            .map_or(0, |(_, ticks)| *ticks)
    }

    /// How many cores other processes kept busy on average since `start`:
    /// everything but this process, its waited-for children and the live
    /// processes both samples read.
    pub fn others_since(&self, start: &CpuSample) -> f64 {
        let busy = self.busy.saturating_sub(start.busy);
        let own = self.own.saturating_sub(start.own);
        let live: u64 = self
            .live
            .iter()
            .map(|&(pid, ticks)| ticks.saturating_sub(start.live_ticks(pid)))
            .sum();
        let postgres = self
            .postgres
            .zip(start.postgres)
            .map_or(0, |(end, start)| end.saturating_sub(start));
        self.cores(start, busy.saturating_sub(own + live + postgres) as f64)
    }
}

/// The CPU time of every process named `postgres`, with its waited-for
/// children: a backend that exits is counted in the postmaster's children's
/// time, so the difference of two readings is what the server spent
/// between them.
fn postgres_ticks() -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut total = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if !stat.contains("(postgres)") {
            continue;
        }
        if let Some((user, system, children_user, children_system)) = process_ticks(pid) {
            total += user + system + children_user + children_system;
        }
    }
    total
}

/// `utime`, `stime`, `cutime` and `cstime` of `/proc/PID/stat`.
fn process_ticks(pid: &str) -> Option<(u64, u64, u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name start at the state (field 3);
    // utime is field 14.
    let after_name = stat.get(stat.rfind(')')? + 2..)?;
    let mut fields = after_name
        .split_whitespace()
        .skip(11)
        .map(|field| field.parse::<u64>().ok());
    Some((
        fields.next()??,
        fields.next()??,
        fields.next()??,
        fields.next()??,
    ))
}

fn output(command: &mut Command) -> Option<String> {
    let output = command.output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn locked_version(project: &Path, package: &str) -> Option<String> {
    let lock = std::fs::read_to_string(project.join("Cargo.lock")).ok()?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{package}\"") {
            return lines
                .next()?
                .strip_prefix("version = \"")?
                .strip_suffix('"')
                .map(str::to_owned);
        }
    }
    None
}

/// Today's date (UTC) as `YYYY-MM-DD`.
fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a date.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_000), (2024, 10, 4));
    }
}
