//! Start-up cost: `Api::build()` on the first N of the generated operations
//! (each with a body, a query and a callback group), timed in the generated
//! `assembly` binary, with the size of the document it serializes.

use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::stats;
use crate::workspace::{Profile, Workspace};

/// `Api::build()` for one number of operations.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Assembly {
    pub operations: usize,
    pub nanos: Vec<u64>,
    /// The size of the serialized document.
    pub bytes: usize,
}

impl Assembly {
    pub fn median_ms(&self) -> f64 {
        let ms: Vec<f64> = self.nanos.iter().map(|&ns| ns as f64 / 1e6).collect();
        stats::median(&ms)
    }
}

pub fn measure(
    workspace: &Workspace,
    sizes: &[usize],
    repeats: usize,
    profile: Profile,
) -> Result<Vec<Assembly>, String> {
    eprintln!(
        "    building the assembly crate ({} profile, {} operations)",
        profile.name(),
        sizes.iter().max().copied().unwrap_or(0)
    );
    let built = workspace.build("assembly", profile)?;
    eprintln!("    built in {:.1} s", built.as_secs_f64());
    let binary = workspace.binary("assembly", profile);
    let output = Command::new(&binary)
        .arg(repeats.to_string())
        .args(sizes.iter().map(ToString::to_string))
        .output()
        .map_err(|e| format!("running {}: {e}", binary.display()))?;
    if !output.status.success() {
        return Err(format!(
            "the assembly benchmark failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let results: Vec<Assembly> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("reading the assembly benchmark's output: {e}"))?;
    for result in &results {
        eprintln!(
            "    {:>6} operations: {:>9.2} ms, {} bytes",
            result.operations,
            result.median_ms(),
            result.bytes
        );
    }
    if results.len() != sizes.len() {
        return Err("the assembly benchmark skipped a size".to_owned());
    }
    Ok(results)
}
