//! Child processes: the servers under load, pinned to their own core, and
//! their memory as the kernel reports it.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::app::Variant;

/// Which cores the server and the load generator run on.
#[derive(Debug, Clone, Copy)]
pub struct Pinning {
    /// The server's core, `None` when not pinned.
    pub server: Option<usize>,
    /// The load generator's core, `None` when not pinned.
    pub load: Option<usize>,
}

impl Pinning {
    /// Server on core 0 and load on core 1 when there are two cores and
    /// `taskset` works; otherwise no pinning.
    pub fn detect() -> Self {
        let cores = thread::available_parallelism().map_or(1, usize::from);
        let taskset = Command::new("taskset")
            .args(["-c", "0", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if cores >= 2 && taskset {
            Pinning {
                server: Some(0),
                load: Some(1),
            }
        } else {
            Pinning {
                server: None,
                load: None,
            }
        }
    }

    pub fn describe(&self) -> String {
        match (self.server, self.load) {
            (Some(server), Some(load)) => {
                format!("server on core {server}, load generator on core {load} (`taskset`)")
            }
            _ => "not pinned (fewer than two cores, or no `taskset`)".to_owned(),
        }
    }
}

/// `program args…`, run on `core` through `taskset` when given.
pub fn pinned_command(core: Option<usize>, program: impl AsRef<std::ffi::OsStr>) -> Command {
    match core {
        Some(core) => {
            let mut command = Command::new("taskset");
            command.arg("-c").arg(core.to_string()).arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// A server process, killed when dropped.
pub struct Server {
    pub name: String,
    pub addr: SocketAddr,
    child: Child,
}

impl Server {
    /// Starts `bench serve VARIANT` (this very binary) and waits for the
    /// address it prints.
    pub fn start_rust(variant: Variant, pinning: Pinning) -> Result<Server, String> {
        Self::start_rust_under(variant, pinning, &[])
    }

    /// Like [`Server::start_rust`], run by `wrapper` (e.g. valgrind and its
    /// options).
    pub fn start_rust_under(
        variant: Variant,
        pinning: Pinning,
        wrapper: &[std::ffi::OsString],
    ) -> Result<Server, String> {
        let exe = std::env::current_exe().map_err(|e| format!("locating the harness: {e}"))?;
        let mut command = match wrapper.split_first() {
            Some((program, options)) => {
                let mut command = pinned_command(pinning.server, program);
                command.args(options).arg(exe);
                command
            }
            None => pinned_command(pinning.server, exe),
        };
        command.args(["serve", variant.name()]);
        if variant == Variant::Plain {
            let scratch = crate::project_root().join("target").join("bench-scratch");
            command.arg(crate::app::write_document(&scratch)?);
        }
        Self::start_listening(variant.name(), command)
    }

    /// Starts this very binary with `args` on `core` (a server of the
    /// harness's own, such as `bench receive`) and waits for the address it
    /// prints.
    pub fn start_harness(
        name: &str,
        args: &[&str],
        core: Option<usize>,
        env: &[(&str, &str)],
    ) -> Result<Server, String> {
        let exe = std::env::current_exe().map_err(|e| format!("locating the harness: {e}"))?;
        let mut command = pinned_command(core, exe);
        command.args(args).envs(env.iter().copied());
        Self::start_listening(name, command)
    }

    /// Spawns `command` and waits for the `listening ADDR` line it prints.
    fn start_listening(name: &str, mut command: Command) -> Result<Server, String> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command
            .spawn()
            .map_err(|e| format!("starting the {name} server: {e}"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let addr = match read_address(stdout, Duration::from_secs(120)) {
            Ok(addr) => addr,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the {name} server did not start: {e}"));
            }
        };
        Ok(Server {
            name: name.to_owned(),
            addr,
            child,
        })
    }

    /// Starts an outside server listening on `addr` and waits until it
    /// accepts connections.
    pub fn start_command(
        name: &str,
        mut command: Command,
        addr: SocketAddr,
        log: &Path,
    ) -> Result<Server, String> {
        let log_file =
            std::fs::File::create(log).map_err(|e| format!("creating {}: {e}", log.display()))?;
        let log_err = log_file
            .try_clone()
            .map_err(|e| format!("opening {}: {e}", log.display()))?;
        command
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err);
        let mut child = command
            .spawn()
            .map_err(|e| format!("starting {name}: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "{name} exited with {status} before listening (log: {})",
                    log.display()
                ));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{name} did not listen on {addr} within 60 s"));
            }
            thread::sleep(Duration::from_millis(100));
        }
        Ok(Server {
            name: name.to_owned(),
            addr,
            child,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Time on a CPU and time waiting for one, in nanoseconds, summed over
    /// the process's threads (`/proc/PID/task/*/schedstat`).
    pub fn schedstat(&self) -> Option<Schedstat> {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.pid())).ok()?;
        let mut total = Schedstat::default();
        for task in tasks.flatten() {
            let text = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
            let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().ok());
            total.on_cpu_ns += fields.next()??;
            total.waiting_ns += fields.next()??;
        }
        Some(total)
    }

    /// The process's memory as `/proc/PID/status` reports it.
    pub fn memory(&self) -> Result<Memory, String> {
        Memory::of(self.pid())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_address(stdout: ChildStdout, timeout: Duration) -> Result<SocketAddr, String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next();
        let _ = sender.send(first);
        // Keep draining so that the server never blocks on a full pipe.
        for _ in lines {}
    });
    let line = match receiver.recv_timeout(timeout) {
        Ok(Some(Ok(line))) => line,
        Ok(Some(Err(e))) => return Err(e.to_string()),
        Ok(None) => return Err("it exited without output".to_owned()),
        Err(_) => return Err(format!("no address within {} s", timeout.as_secs())),
    };
    line.strip_prefix("listening ")
        .and_then(|addr| addr.trim().parse().ok())
        .ok_or_else(|| format!("unexpected first line {line:?}"))
}

/// A free port on 127.0.0.1, for servers that need one on their command
/// line.
pub fn free_loopback_addr() -> Result<SocketAddr, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|e| format!("finding a free port: {e}"))
}

/// Scheduler statistics of a process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Schedstat {
    /// Time spent running.
    pub on_cpu_ns: u64,
    /// Time spent runnable but waiting for a CPU: other processes' doing.
    pub waiting_ns: u64,
}

/// Resident memory of a process, in KiB.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Memory {
    /// `VmHWM`: the peak resident set size.
    pub peak_kib: u64,
    /// `VmRSS`: the resident set size now.
    pub rss_kib: u64,
}

impl Memory {
    pub fn of(pid: u32) -> Result<Memory, String> {
        let path = format!("/proc/{pid}/status");
        let status = std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
        let field = |name: &str| -> Result<u64, String> {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .ok_or_else(|| format!("no {name} in {path}"))
        };
        Ok(Memory {
            peak_kib: field("VmHWM:")?,
            rss_kib: field("VmRSS:")?,
        })
    }
}
