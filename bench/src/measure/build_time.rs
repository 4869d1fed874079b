//! Build time of a generated API, this framework against plain actix-web:
//! the crate alone from clean (dependencies built) and an incremental
//! rebuild after a one-line change, in alternating rounds.

use std::time::Duration;

use serde::Serialize;

use crate::generate;
use crate::stats;
use crate::workspace::{Profile, Workspace};

/// Seconds per round, for `ours` and `plain`.
#[derive(Debug, Clone, Serialize)]
pub struct BuildTimes {
    pub operations: usize,
    pub profile: &'static str,
    pub clean_ours: Vec<f64>,
    pub clean_plain: Vec<f64>,
    pub incremental_ours: Vec<f64>,
    pub incremental_plain: Vec<f64>,
}

impl BuildTimes {
    pub fn clean_ratio(&self) -> f64 {
        stats::median(&self.clean_ours) / stats::median(&self.clean_plain)
    }

    pub fn incremental_ratio(&self) -> f64 {
        stats::median(&self.incremental_ours) / stats::median(&self.incremental_plain)
    }
}

const CRATES: [&str; 2] = ["ours", "plain"];

pub fn measure(
    workspace: &Workspace,
    operations: usize,
    rounds: usize,
) -> Result<BuildTimes, String> {
    let profile = Profile::Dev;
    for name in CRATES {
        eprintln!("    warming up: cargo build -p {name} (dependencies included)");
        workspace.build(name, profile)?;
    }
    let mut times = BuildTimes {
        operations,
        profile: profile.name(),
        clean_ours: Vec::new(),
        clean_plain: Vec::new(),
        incremental_ours: Vec::new(),
        incremental_plain: Vec::new(),
    };
    let mut edits = 0;
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            CRATES
        } else {
            [CRATES[1], CRATES[0]]
        };
        for name in order {
            workspace.clean(name, profile)?;
            let clean = workspace.build(name, profile)?;
            edits += 1;
            edit_one_line(workspace, name, edits)?;
            let incremental = workspace.build(name, profile)?;
            eprintln!(
                "    round {}/{rounds} {name:<5} clean {:>6.2} s, incremental {:>6.2} s",
                round + 1,
                clean.as_secs_f64(),
                incremental.as_secs_f64()
            );
            let (clean_times, incremental_times) = if name == "ours" {
                (&mut times.clean_ours, &mut times.incremental_ours)
            } else {
                (&mut times.clean_plain, &mut times.incremental_plain)
            };
            clean_times.push(seconds(clean));
            incremental_times.push(seconds(incremental));
        }
    }
    Ok(times)
}

fn edit_one_line(workspace: &Workspace, name: &str, counter: u64) -> Result<(), String> {
    let path = workspace.ops_file(name);
    let source =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let edited = generate::edit(&source, counter)
        .ok_or_else(|| format!("no edit marker in {}", path.display()))?;
    std::fs::write(&path, edited).map_err(|e| format!("writing {}: {e}", path.display()))
}

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}
