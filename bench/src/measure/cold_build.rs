//! Cold build of a one-endpoint app (issue 16): plain actix-web, utoipa 5
//! with utoipa-actix-web and utoipa-swagger-ui, ours docs-only
//! (`default-features = false, features = ["swagger-ui"]`) and ours with
//! the default features, each built from an empty target folder with the
//! registry already downloaded, in rounds whose order rotates.

use std::path::Path;

use serde::Serialize;

use crate::stats;
use crate::workspace::{ColdApp, ColdBuild, Workspace};

/// The sizes of the part.
#[derive(Debug, Clone)]
pub struct Settings {
    pub rounds: usize,
    /// The apps built; the smoke run builds one.
    pub apps: Vec<ColdApp>,
}

/// Every build of every round.
#[derive(Debug, Clone, Serialize)]
pub struct ColdBuilds {
    pub profile: &'static str,
    pub cores: usize,
    pub apps: Vec<ColdApp>,
    pub rounds: Vec<ColdRound>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColdRound {
    /// The apps in the order this round built them.
    pub order: Vec<ColdApp>,
    pub builds: Vec<(ColdApp, ColdBuild)>,
}

impl ColdBuilds {
    fn builds_of(&self, app: ColdApp) -> impl Iterator<Item = &ColdBuild> {
        self.rounds
            .iter()
            .flat_map(|r| r.builds.iter())
            .filter(move |(a, _)| *a == app)
            .map(|(_, b)| b)
    }

    /// Wall-clock seconds of every round.
    pub fn seconds(&self, app: ColdApp) -> Vec<f64> {
        self.builds_of(app).map(|b| b.seconds).collect()
    }

    pub fn cpu_seconds(&self, app: ColdApp) -> Vec<f64> {
        self.builds_of(app).filter_map(|b| b.cpu_seconds).collect()
    }

    /// Crates compiled (the same in every round unless something changed).
    pub fn crates(&self, app: ColdApp) -> Option<usize> {
        self.builds_of(app).map(|b| b.crates).max()
    }

    pub fn median(&self, app: ColdApp) -> Option<f64> {
        let seconds = self.seconds(app);
        (!seconds.is_empty()).then(|| stats::median(&seconds))
    }

    /// The median of `app` over the median of `over`.
    pub fn ratio(&self, app: ColdApp, over: ColdApp) -> Option<f64> {
        Some(self.median(app)? / self.median(over)?)
    }

    /// The median CPU-seconds of `app` over those of `over`: what the
    /// build costs whatever else the machine runs.
    pub fn cpu_ratio(&self, app: ColdApp, over: ColdApp) -> Option<f64> {
        let (a, b) = (self.cpu_seconds(app), self.cpu_seconds(over));
        (!a.is_empty() && !b.is_empty()).then(|| stats::median(&a) / stats::median(&b))
    }

    /// `app` / `over` in each round that built both.
    pub fn round_ratios(&self, app: ColdApp, over: ColdApp) -> Vec<f64> {
        self.rounds
            .iter()
            .filter_map(|round| {
                let find = |wanted| {
                    round
                        .builds
                        .iter()
                        .find(|(a, _)| *a == wanted)
                        .map(|(_, b)| b.seconds)
                };
                Some(find(app)? / find(over)?)
            })
            .collect()
    }
}

/// What each app serves and documents, for the report.
pub fn serves(app: ColdApp) -> &'static str {
    match app {
        ColdApp::Plain => "the route only; documents nothing",
        ColdApp::Utoipa => {
            "the route, `/openapi.json` and Swagger UI at `/docs` (utoipa-swagger-ui, `vendored`); \
             documents the operation, no callbacks (utoipa has none)"
        }
        ColdApp::DocsOnly => {
            "the route, `/openapi.json` and Swagger UI at `/docs`; documents the operation and \
             its callback"
        }
        ColdApp::Defaults => {
            "the route, `/openapi.json`, Swagger UI, ReDoc and Scalar; documents the operation \
             and its callback; builds the delivery crate with its SQLite store"
        }
    }
}

/// A short name for tables.
pub fn label(app: ColdApp) -> &'static str {
    match app {
        ColdApp::Plain => "plain actix-web",
        ColdApp::Utoipa => "utoipa 5",
        ColdApp::DocsOnly => "ours docs-only",
        ColdApp::Defaults => "ours with the defaults",
    }
}

pub fn measure(project: &Path, settings: &Settings) -> Result<ColdBuilds, String> {
    let workspace = Workspace::write_cold(project, &ColdApp::ALL)?;
    eprintln!("    cargo fetch (the registry downloaded before anything is timed)");
    workspace.fetch()?;
    let mut builds = ColdBuilds {
        profile: "dev",
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        apps: settings.apps.clone(),
        rounds: Vec::new(),
    };
    for round in 0..settings.rounds {
        let mut order = settings.apps.clone();
        if !order.is_empty() {
            let len = order.len();
            order.rotate_left(round % len);
        }
        let mut done = Vec::new();
        for &app in &order {
            let target = workspace.target.join(app.crate_name());
            empty(&target)?;
            let build = workspace.build_cold(app.crate_name(), &target)?;
            eprintln!(
                "    round {}/{} {:<15} {:>7.1} s, {} crates{}",
                round + 1,
                settings.rounds,
                app.crate_name(),
                build.seconds,
                build.crates,
                build
                    .cpu_seconds
                    .map_or_else(String::new, |cpu| format!(", {cpu:.0} CPU-s"))
            );
            // The next build starts from an empty folder anyway; this keeps
            // the disk from holding four dependency trees at once.
            empty(&target)?;
            done.push((app, build));
        }
        builds.rounds.push(ColdRound {
            order,
            builds: done,
        });
    }
    Ok(builds)
}

fn empty(dir: &Path) -> Result<(), String> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("emptying {}: {e}", dir.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(seconds: f64) -> ColdBuild {
        ColdBuild {
            seconds,
            cpu_seconds: Some(seconds * 1.8),
            crates: 100,
        }
    }

    #[test]
    fn ratios_are_of_medians_and_of_rounds() {
        let builds = ColdBuilds {
            profile: "dev",
            cores: 2,
            apps: vec![ColdApp::Utoipa, ColdApp::DocsOnly],
            rounds: vec![
                ColdRound {
                    order: vec![ColdApp::Utoipa, ColdApp::DocsOnly],
                    builds: vec![
                        (ColdApp::Utoipa, build(100.0)),
                        (ColdApp::DocsOnly, build(90.0)),
                    ],
                },
                ColdRound {
                    order: vec![ColdApp::DocsOnly, ColdApp::Utoipa],
                    builds: vec![
                        (ColdApp::DocsOnly, build(80.0)),
                        (ColdApp::Utoipa, build(120.0)),
                    ],
                },
            ],
        };
        // Medians 85 and 110.
        let ratio = builds.ratio(ColdApp::DocsOnly, ColdApp::Utoipa).unwrap();
        assert!((ratio - 85.0 / 110.0).abs() < 1e-9);
        assert_eq!(
            builds.round_ratios(ColdApp::DocsOnly, ColdApp::Utoipa),
            vec![0.9, 80.0 / 120.0]
        );
        assert_eq!(builds.ratio(ColdApp::Plain, ColdApp::Utoipa), None);
        let cpu = builds
            .cpu_ratio(ColdApp::DocsOnly, ColdApp::Utoipa)
            .unwrap();
        assert!((cpu - 85.0 / 110.0).abs() < 1e-9);
        assert_eq!(builds.crates(ColdApp::Utoipa), Some(100));
    }
}
