//! Build time of a generated API, this framework against plain actix-web
//! and against utoipa 5 with utoipa-actix-web: the crate alone from clean
//! (dependencies built), then two incremental rebuilds, each after an edit
//! of its own kind (issue 17): a string changed in one handler, and a
//! comment appended to `main.rs`; in rounds whose order rotates.

use std::time::Duration;

use serde::Serialize;

use crate::generate;
use crate::stats;
use crate::workspace::{Profile, Workspace};

/// Seconds per round of one kind of build, for each crate.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Series {
    pub ours: Vec<f64>,
    pub plain: Vec<f64>,
    pub utoipa: Vec<f64>,
}

impl Series {
    fn of(&mut self, name: &str) -> &mut Vec<f64> {
        match name {
            "ours" => &mut self.ours,
            "plain" => &mut self.plain,
            _ => &mut self.utoipa,
        }
    }

    /// Ours over plain, of the medians.
    pub fn over_plain(&self) -> f64 {
        stats::median(&self.ours) / stats::median(&self.plain)
    }

    /// Ours over utoipa, of the medians: below 1 when ours builds faster.
    pub fn over_utoipa(&self) -> f64 {
        stats::median(&self.ours) / stats::median(&self.utoipa)
    }
}

/// The kinds of build, in the order a round runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// `cargo clean -p CRATE`, then `cargo build`.
    Clean,
    /// The response message of one handler changed.
    HandlerString,
    /// A comment appended to `main.rs`.
    MainComment,
}

impl Build {
    pub const ALL: [Build; 3] = [Build::Clean, Build::HandlerString, Build::MainComment];

    /// The row's name.
    pub fn name(self) -> &'static str {
        match self {
            Build::Clean => "Clean build of the crate",
            Build::HandlerString => "Incremental rebuild, a string changed in one handler",
            Build::MainComment => "Incremental rebuild, a comment appended to `main.rs`",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BuildTimes {
    pub operations: usize,
    pub profile: &'static str,
    pub clean: Series,
    pub handler_string: Series,
    pub main_comment: Series,
}

impl BuildTimes {
    pub fn series(&self, build: Build) -> &Series {
        match build {
            Build::Clean => &self.clean,
            Build::HandlerString => &self.handler_string,
            Build::MainComment => &self.main_comment,
        }
    }

    fn series_mut(&mut self, build: Build) -> &mut Series {
        match build {
            Build::Clean => &mut self.clean,
            Build::HandlerString => &mut self.handler_string,
            Build::MainComment => &mut self.main_comment,
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
        clean: Series::default(),
        handler_string: Series::default(),
        main_comment: Series::default(),
    };
    let mut edits = 0;
    for round in 0..rounds {
        // Each crate goes first, second and third in turn.
        let mut order = CRATES;
        order.rotate_left(round % CRATES.len());
        for name in order {
            let mut seconds = Vec::new();
            for build in Build::ALL {
                edits += 1;
                match build {
                    Build::Clean => workspace.clean(name, profile)?,
                    Build::HandlerString => change_handler_string(workspace, name, edits)?,
                    Build::MainComment => append_main_comment(workspace, name, edits)?,
                }
                let took = workspace.build(name, profile)?;
                seconds.push(took.as_secs_f64());
                times.series_mut(build).of(name).push(seconds_of(took));
            }
            eprintln!(
                "    round {}/{rounds} {name:<11} clean {:>6.2} s, handler string {:>6.2} s, \
                 main.rs comment {:>6.2} s",
                round + 1,
                seconds[0],
                seconds[1],
                seconds[2]
            );
        }
    }
    Ok(times)
}

fn change_handler_string(workspace: &Workspace, name: &str, counter: u64) -> Result<(), String> {
    let path = workspace.ops_file(name);
    let source = read(&path)?;
    let edited = generate::edit(&source, counter)
        .ok_or_else(|| format!("no edit marker in {}", path.display()))?;
    write(&path, &edited)
}

fn append_main_comment(workspace: &Workspace, name: &str, counter: u64) -> Result<(), String> {
    let path = workspace.main_file(name);
    let source = read(&path)?;
    write(&path, &generate::append_comment(&source, counter))
}

fn read(path: &std::path::Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

fn write(path: &std::path::Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

fn seconds_of(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_of_medians() {
        let series = Series {
            ours: vec![3.0, 6.0, 4.0],
            plain: vec![2.0, 4.0, 3.0],
            utoipa: vec![5.0, 5.0, 5.0],
        };
        assert!((series.over_plain() - 4.0 / 3.0).abs() < 1e-12);
        assert!((series.over_utoipa() - 0.8).abs() < 1e-12);
    }
}
