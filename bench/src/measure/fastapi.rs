//! The FastAPI reference: `bench/fastapi/app.py` under one uvicorn worker,
//! from a virtual environment in `target/bench-fastapi/venv`. Any missing
//! piece (Python, venv, the packages) skips it with the reason.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::server::{free_loopback_addr, pinned_command, Pinning, Server};

/// The packages in the environment, or why there is none.
pub struct Environment {
    venv: PathBuf,
    app_dir: PathBuf,
    pub versions: String,
}

pub fn prepare(project: &Path) -> Result<Environment, String> {
    let dir = project.join("target").join("bench-fastapi");
    let venv = dir.join("venv");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        run(
            Command::new("python3").arg("-m").arg("venv").arg(&venv),
            "python3 -m venv",
        )?;
    }
    let requirements = project
        .join("bench")
        .join("fastapi")
        .join("requirements.txt");
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
        "pip install -r bench/fastapi/requirements.txt",
    )?;
    let output = Command::new(&python)
        .args([
            "-c",
            "import fastapi, pydantic, uvicorn, sys; \
             print(f'FastAPI {fastapi.__version__}, pydantic {pydantic.VERSION}, \
             uvicorn {uvicorn.__version__}, Python {sys.version.split()[0]}')",
        ])
        .output()
        .map_err(|e| format!("running the venv's python: {e}"))?;
    if !output.status.success() {
        return Err("fastapi, pydantic or uvicorn cannot be imported".to_owned());
    }
    Ok(Environment {
        venv,
        app_dir: project.join("bench").join("fastapi"),
        versions: String::from_utf8_lossy(&output.stdout).trim().to_owned(),
    })
}

impl Environment {
    pub fn start(&self, pinning: Pinning, log: &Path) -> Result<Server, String> {
        let addr = free_loopback_addr()?;
        let mut command = pinned_command(pinning.server, self.venv.join("bin").join("uvicorn"));
        command
            .arg("--app-dir")
            .arg(&self.app_dir)
            .args(["app:app", "--host", "127.0.0.1", "--port"])
            .arg(addr.port().to_string())
            .args([
                "--workers",
                "1",
                "--no-access-log",
                "--log-level",
                "warning",
            ]);
        Server::start_command("fastapi", command, addr, log)
    }
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or("").trim();
        Err(format!("{what} failed: {last}"))
    }
}
