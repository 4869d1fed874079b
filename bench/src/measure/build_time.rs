//! Build time of a generated API, this framework against plain actix-web
//! and against utoipa 5 with utoipa-actix-web: the crate alone from clean
//! (dependencies built) and an incremental rebuild after a one-line change,
//! in rounds whose order rotates.

use std::time::Duration;

use serde::Serialize;

use crate::generate;
use crate::stats;
use crate::workspace::{Profile, Workspace};

/// Seconds per round, for `ours`, `plain` and `utoipa`.
#[derive(Debug, Clone, Serialize)]
pub struct BuildTimes {
    pub operations: usize,
    pub profile: &'static str,
    pub clean_ours: Vec<f64>,
    pub clean_plain: Vec<f64>,
    pub clean_utoipa: Vec<f64>,
    pub incremental_ours: Vec<f64>,
    pub incremental_plain: Vec<f64>,
    pub incremental_utoipa: Vec<f64>,
}

impl BuildTimes {
    pub fn clean_ratio(&self) -> f64 {
        stats::median(&self.clean_ours) / stats::median(&self.clean_plain)
    }

    pub fn incremental_ratio(&self) -> f64 {
        stats::median(&self.incremental_ours) / stats::median(&self.incremental_plain)
    }

    /// Ours over utoipa, clean: below 1 when ours builds faster.
    pub fn clean_vs_utoipa(&self) -> f64 {
        stats::median(&self.clean_ours) / stats::median(&self.clean_utoipa)
    }

    /// Ours over utoipa, incremental: below 1 when ours builds faster.
    pub fn incremental_vs_utoipa(&self) -> f64 {
        stats::median(&self.incremental_ours) / stats::median(&self.incremental_utoipa)
    }

    fn series(&mut self, name: &str) -> (&mut Vec<f64>, &mut Vec<f64>) {
        match name {
            "ours" => (&mut self.clean_ours, &mut self.incremental_ours),
            "plain" => (&mut self.clean_plain, &mut self.incremental_plain),
            _ => (&mut self.clean_utoipa, &mut self.incremental_utoipa),
        }
    }
}

const CRATES: [&str; 3] = ["ours", "plain", "with-utoipa"];

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
        clean_utoipa: Vec::new(),
        incremental_ours: Vec::new(),
        incremental_plain: Vec::new(),
        incremental_utoipa: Vec::new(),
    };
    let mut edits = 0;
    for round in 0..rounds {
        // Each crate goes first, second and third in turn.
        let mut order = CRATES;
        order.rotate_left(round % CRATES.len());
        for name in order {
            workspace.clean(name, profile)?;
            let clean = workspace.build(name, profile)?;
            edits += 1;
            edit_one_line(workspace, name, edits)?;
            let incremental = workspace.build(name, profile)?;
            eprintln!(
                "    round {}/{rounds} {name:<11} clean {:>6.2} s, incremental {:>6.2} s",
                round + 1,
                clean.as_secs_f64(),
                incremental.as_secs_f64()
            );
            let (clean_times, incremental_times) = times.series(name);
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
